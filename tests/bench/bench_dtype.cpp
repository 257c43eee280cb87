// Which compute dtype should the CPU use? Times libtorch's linear (the operator the non-fused path runs) at
// float32, bfloat16 and float16 for a decode-sized matrix-vector product (batch 1, bandwidth-bound) and a
// batched one (64 rows), on the shapes of a 768-wide model. Prints figures; asserts nothing.
// Usage: bench_dtype [threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <torch/torch.h>

int main(int argc, char **argv)
{
    if (argc > 1)
        at::set_num_threads(std::atoi(argv[1]));
    torch::InferenceMode guard;
    const int64_t rows = 3072, cols = 768;
    std::printf("linear %lldx%lld, %d threads\n", (long long)rows, (long long)cols, at::get_num_threads());
    for (int64_t batch : {1, 64}) {
        for (auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kFloat16}) {
            auto w = torch::randn({rows, cols}).to(dtype), x = torch::randn({batch, cols}).to(dtype);
            double best = 1e9;
            bool ok = true;
            try {
                for (int round = 0; round < 5; ++round) {
                    const auto t0 = std::chrono::steady_clock::now();
                    const int reps = batch == 1 ? 200 : 20;
                    for (int i = 0; i < reps; ++i)
                        torch::linear(x, w);
                    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                                              reps);
                }
            } catch (const c10::Error &) {
                ok = false;
            }
            if (!ok) {
                std::printf("  batch %2lld %-9s unsupported on this CPU build\n", (long long)batch,
                            c10::toString(dtype));
                continue;
            }
            const double gflops = 2.0 * double(rows * cols * batch) / best / 1e9;
            const double gbs = double(rows * cols) * double(c10::elementSize(dtype)) / best / 1e9;
            std::printf("  batch %2lld %-9s %8.1f us  %6.1f GFLOP/s  weights %5.1f GB/s\n", (long long)batch,
                        c10::toString(dtype), best * 1e6, gflops, gbs);
        }
    }
    return 0;
}
