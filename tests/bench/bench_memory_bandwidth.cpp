// The machine's memory read bandwidth, the ceiling of CPU decode (every token reads every weight once): the figure
// the README puts beside the GB/s each model format reaches. Sums a buffer much larger than the caches with 1..N
// threads (each its own contiguous slice, as the matmul kernels split rows), best of several passes. Prints figures;
// asserts nothing. Usage: bench_memory_bandwidth [MiB (1024)] [threads (hardware)]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

// A sum over 64-bit words in four independent chains: the loads, not the adds, set the pace.
uint64_t sumWords(const uint64_t *p, size_t n)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a += p[i];
        b += p[i + 1];
        c += p[i + 2];
        d += p[i + 3];
    }
    for (; i < n; ++i)
        a += p[i];
    return a + b + c + d;
}

double readGBs(const std::vector<uint64_t> &buffer, int threads, int passes, uint64_t &sink)
{
    double best = 0;
    const size_t per = buffer.size() / size_t(threads);
    for (int pass = 0; pass < passes; ++pass) {
        std::vector<uint64_t> sums(size_t(threads), 0);
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { sums[size_t(t)] = sumWords(buffer.data() + size_t(t) * per, per); });
        for (auto &th : pool)
            th.join();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (uint64_t v : sums)
            sink += v;
        best = std::max(best, double(per * size_t(threads) * sizeof(uint64_t)) / s / 1e9);
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    const size_t mib = argc > 1 ? size_t(std::atol(argv[1])) : 1024;
    const int maxThreads = argc > 2 ? std::atoi(argv[2]) : int(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<uint64_t> buffer((mib << 20) / sizeof(uint64_t));
    for (size_t i = 0; i < buffer.size(); ++i) // touched: every page is real memory before timing
        buffer[i] = i * 0x9E3779B97F4A7C15ull;
    uint64_t sink = 0;
    for (int t = 1; t <= maxThreads; t *= 2)
        std::printf("memory read bandwidth, %d thread(s): %.1f GB/s (%zu MiB, best of 5)\n", t,
                    readGBs(buffer, t, 5, sink), mib);
    if (maxThreads & (maxThreads - 1))
        std::printf("memory read bandwidth, %d thread(s): %.1f GB/s (%zu MiB, best of 5)\n", maxThreads,
                    readGBs(buffer, maxThreads, 5, sink), mib);
    std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink & 0xff));
    return 0;
}
