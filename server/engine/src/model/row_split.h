// How the fused CPU pass shares work over the intra-op threads. Include only from files built with the OpenMP flag
// (server/engine/CMakeLists.txt says why): elsewhere at::parallel_for runs on one thread.
//
// forEachChunk hands out chunks of the range one at a time from a shared counter, each to whichever thread asks next,
// instead of at::parallel_for's fixed share per thread. Why: on the 2-vCPU cloud machines we measure on, one vCPU is
// at times much slower than the other (a neighbour on the physical core: a second decode thread then adds 5% instead
// of 70%), and with fixed halves every pass waited for the slow half; a causal prompt's attention also costs row r
// r + 1 positions, so fixed halves gave the second thread three quarters of it. Four chunks per thread keep the
// counter's cost (one atomic add per chunk) negligible beside a chunk's work while the fast thread can take up to
// all but the chunk the slow one is in.
//
// splitRows: a matrix product's weight rows split so, in blocks of 16 rows (whole register tiles), when the product
// is large enough to pay for waking the pool. forEachSequence: independent rows (sequences, or a prompt's
// positions) so. Which thread computes a row never changes its result (each is one kernel call on the same inputs),
// only when it is ready.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <ATen/Parallel.h>

namespace smartbot::engine {

// fn(begin, end) over [0, n) in chunks of `chunk` (the last may be shorter), spread over the intra-op threads.
template <typename Fn> void forEachChunk(int64_t n, int64_t chunk, const Fn &fn)
{
    chunk = std::max<int64_t>(1, chunk);
    const int64_t chunks = (n + chunk - 1) / chunk;
    const int64_t workers = std::min<int64_t>(at::get_num_threads(), chunks);
    if (workers <= 1 || at::in_parallel_region()) {
        if (n > 0)
            fn(0, n);
        return;
    }
    std::atomic<int64_t> next{0};
    at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
        for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
             c = next.fetch_add(1, std::memory_order_relaxed))
            fn(c * chunk, std::min(n, (c + 1) * chunk));
    });
}

// About four chunks per thread, none smaller than minChunk.
inline int64_t chunkFor(int64_t n, int64_t minChunk)
{
    const int64_t perThread = 4 * int64_t(std::max(1, at::get_num_threads()));
    return std::max(minChunk, (n + perThread - 1) / perThread);
}

// fn(rowBegin, rowEnd) over [0, rows); workPerRow: multiply-adds per row (columns x sequences).
template <typename Fn> void splitRows(int64_t rows, int64_t workPerRow, const Fn &fn)
{
    constexpr int64_t kBlock = 16;
    if (rows * workPerRow >= (int64_t(1) << 18) && at::get_num_threads() > 1) {
        const int64_t blocks = (rows + kBlock - 1) / kBlock;
        const int64_t minChunk = std::max<int64_t>(1, (int64_t(1) << 16) / (kBlock * workPerRow));
        forEachChunk(blocks, chunkFor(blocks, minChunk),
                     [&](int64_t begin, int64_t end) { fn(begin * kBlock, std::min(rows, end * kBlock)); });
    } else {
        fn(0, rows);
    }
}

// Runs fn(b) for every row b < B; over the intra-op threads when the batch is big enough to pay for it. Rows are
// independent (own rows of scratch, own KV cache or own positions of it).
template <typename Fn> void forEachSequence(int64_t B, const Fn &fn)
{
    const auto each = [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b)
            fn(b);
    };
    if (B >= 4 && at::get_num_threads() > 1)
        forEachChunk(B, chunkFor(B, 1), each);
    else
        each(0, B);
}

} // namespace smartbot::engine
