// splitRows: a matrix product's weight rows split over the intra-op threads, in blocks of 16 rows (whole register
// tiles), when the product is large enough to pay for waking the pool; how the rows are split never changes a
// result, only which thread computes it. Shared by the fused decode step's dense products and the quantized ones.
// Include only from files built with the OpenMP flag (server/engine/CMakeLists.txt says why): elsewhere
// at::parallel_for runs on one thread.
#pragma once

#include <algorithm>
#include <cstdint>

#include <ATen/Parallel.h>

namespace smartbot::engine {

// fn(rowBegin, rowEnd) over [0, rows); workPerRow: multiply-adds per row (columns x sequences).
template <typename Fn> void splitRows(int64_t rows, int64_t workPerRow, const Fn &fn)
{
    constexpr int64_t kBlock = 16;
    if (rows * workPerRow >= (int64_t(1) << 18) && at::get_num_threads() > 1) {
        const int64_t blocks = (rows + kBlock - 1) / kBlock;
        const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / (kBlock * workPerRow));
        at::parallel_for(0, blocks, grain,
                         [&](int64_t begin, int64_t end) { fn(begin * kBlock, std::min(rows, end * kBlock)); });
    } else {
        fn(0, rows);
    }
}

} // namespace smartbot::engine
