// The quantized matrix kernels alone, on one thread: a 2048 x 768 weight (an FFN matrix of the 768-wide model) in
// each block type times batches of 1, 8 and 64 activation rows, best of many runs, in multiply-adds per second.
// Steadier than whole-model figures on a shared machine (one core, no scheduler, data in cache), so kernel changes
// are judged here first. Prints figures; asserts nothing. Usage: bench_quant_kernel [milliseconds per case]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "gguf/ggml_type.h"
#include "gguf/quantize.h"
#include "kernels/quant_matmul.h"

using namespace smartbot::engine;

int main(int argc, char **argv)
{
    const double budget = (argc > 1 ? std::atof(argv[1]) : 300.0) / 1000.0;
    constexpr int64_t kRows = 2048, kCols = 768;
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> weights(size_t(kRows * kCols));
    for (float &v : weights)
        v = normal(rng);
    std::printf("quantized kernels, %lld x %lld weight, one thread (this CPU's choice: %s)\n", (long long)kRows,
                (long long)kCols, kernels::quantKernelName());
    struct Kernel {
        const char *name;
        kernels::QuantMatmulFn fn;
    };
    std::vector<Kernel> available{{"portable", kernels::quantMatmulRowsPortable}};
    if (kernels::quantAvx2Available())
        available.push_back({"avx2", kernels::quantMatmulRowsAvx2});
    if (kernels::quantVnniAvailable())
        available.push_back({"avx512-vnni", kernels::quantMatmulRowsVnni});
    const struct {
        gguf::GgmlType type;
        const char *name;
    } types[] = {{gguf::GgmlType::Q8_0, "Q8_0"},
                 {gguf::GgmlType::Q4_0, "Q4_0"},
                 {gguf::GgmlType::Q4_K, "Q4_K"},
                 {gguf::GgmlType::Q6_K, "Q6_K"}};
    for (const auto &t : types) {
        std::vector<uint8_t> blocks;
        gguf::quantizeRow(t.type, weights.data(), kRows * kCols, blocks);
        const uint64_t rowBytes = blocks.size() / kRows;
        for (const Kernel &kernel : available)
            for (int64_t batch : {1, 8, 64}) {
                std::vector<float> x(size_t(batch * kCols)), y(size_t(batch * kRows));
                for (float &v : x)
                    v = normal(rng) * 50;
                kernels::Q8Activations q;
                q.quantize(x.data(), kCols, batch, kCols);
                double best = 1e9, spent = 0;
                while (spent < budget) {
                    const auto t0 = std::chrono::steady_clock::now();
                    kernel.fn(uint32_t(t.type), blocks.data(), rowBytes, q, y.data(), kRows, 0, kRows, false);
                    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    best = std::min(best, s);
                    spent += s;
                }
                std::printf("%-5s %-11s batch %2lld: %7.2f GMAC/s (%.3f ms)\n", t.name, kernel.name, (long long)batch,
                            double(kRows * kCols * batch) / best / 1e9, best * 1000);
            }
    }
    return 0;
}
