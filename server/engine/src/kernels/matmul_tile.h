// The register-tiled matmul loop shared by the SIMD kernels (see matmul.h for the contract). Included
// only by the per-instruction-set translation units, each compiled with its own -m flags; V describes the
// vector type: Reg, kWidth, zero(), load(p), loadTail(p, n) (lanes >= n read as 0), fma(a, b, acc), reduce(v).
// The weights' element type WT is float or uint16_t (bfloat16 bits): V::load/loadTail take either and give
// float lanes (bfloat16 widens to float exactly), so the arithmetic is float32 for both.
//
// Every output gets one accumulator: acc = 0; acc = fma(w[i..], x[i..], acc) over full chunks of kWidth columns;
// the last partial chunk the same way through loadTail (masked lanes add 0 * 0); then V::reduce, whose lane
// order is fixed. A tile of R rows x S sequences only runs such independent outputs side by side: each weight
// load serves S sequences and each activation load R rows. The loop order (row tile outer, sequence tile inner)
// reads each weight row from memory once per call and keeps the tile's rows in L1 while the batch's activations
// stream past from L2. (Column chunking to shrink the L1 footprint of 2048-wide rows was measured: no gain.)
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/matmul.h"

namespace smartbot::engine::kernels {

template <class V, int R, int S, typename WT>
void matmulTile(const WT *w, int64_t cols, const float *const *xs, float *out, int outStride)
{
    typename V::Reg acc[R][S];
    for (int r = 0; r < R; ++r)
        for (int s = 0; s < S; ++s)
            acc[r][s] = V::zero();
    int64_t i = 0;
    for (; i + V::kWidth <= cols; i += V::kWidth) {
        typename V::Reg xv[S];
        for (int s = 0; s < S; ++s)
            xv[s] = V::load(xs[s] + i);
        for (int r = 0; r < R; ++r) {
            const typename V::Reg wv = V::load(w + r * cols + i);
            for (int s = 0; s < S; ++s)
                acc[r][s] = V::fma(wv, xv[s], acc[r][s]);
        }
    }
    if (i < cols) {
        const int n = int(cols - i);
        typename V::Reg xv[S];
        for (int s = 0; s < S; ++s)
            xv[s] = V::loadTail(xs[s] + i, n);
        for (int r = 0; r < R; ++r) {
            const typename V::Reg wv = V::loadTail(w + r * cols + i, n);
            for (int s = 0; s < S; ++s)
                acc[r][s] = V::fma(wv, xv[s], acc[r][s]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int s = 0; s < S; ++s)
            out[r * outStride + s] = V::reduce(acc[r][s]);
}

template <typename WT>
using TileFn = void (*)(const WT *w, int64_t cols, const float *const *xs, float *out, int outStride);

// fn[R - 1][S - 1] = matmulTile<V, R, S> for every tile shape up to kRows x kSeqs (edges use the smaller ones).
template <class V, int kRows, int kSeqs, typename WT> struct TileTable {
    TileFn<WT> fn[kRows][kSeqs];
    TileTable() { fill<0, 0>(); }
    template <int R, int S> void fill()
    {
        if constexpr (R < kRows) {
            if constexpr (S < kSeqs) {
                fn[R][S] = matmulTile<V, R + 1, S + 1, WT>;
                fill<R, S + 1>();
            } else {
                fill<R + 1, 0>();
            }
        }
    }
};

// Rows [rowBegin, rowEnd) for all B sequences, in tiles of at most kRows x kSeqs.
template <class V, int kRows, int kSeqs, typename WT>
void matmulRowsTiled(const WT *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y, int64_t yStride,
                     int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    static const TileTable<V, kRows, kSeqs, WT> tiles;
    static const TileTable<V, kRows, kSeqs, float> floatTiles;
    // A batch smaller than a sequence tile is bound by memory bandwidth, not FMAs: there, reading one weight row
    // at a time (a single sequential stream) measured 1.7x faster than interleaving kRows rows (2 KiB-4 KiB
    // apart), which the hardware prefetchers follow poorly. The tile shape never changes an output's operations.
    const int rowTile = B < kSeqs ? 1 : kRows;
    // bfloat16 weights serving more than one sequence tile: widen the row tile to float once into an L1-sized
    // buffer rather than in every tile (the widening uops otherwise compete with the FMAs of a compute-bound
    // batch). Widening is exact, so the float tile computes the very same values with the same operations.
    constexpr bool kBf16 = !std::is_same_v<WT, float>;
    const bool widenOnce = kBf16 && B > kSeqs;
    thread_local std::vector<float> wide;
    float out[kRows * kSeqs];
    for (int64_t r0 = rowBegin; r0 < rowEnd; r0 += rowTile) {
        const int R = int(rowEnd - r0 < rowTile ? rowEnd - r0 : rowTile);
        const WT *wr = w + r0 * cols;
        if constexpr (kBf16) {
            if (widenOnce) {
                wide.resize(size_t(R * cols));
                float *dst = wide.data(); // hoisted, so the loop vectorises
                for (int64_t i = 0; i < R * cols; ++i)
                    dst[i] = std::bit_cast<float>(uint32_t(wr[i]) << 16);
            }
        }
        for (int64_t b0 = 0; b0 < B; b0 += kSeqs) {
            const int S = int(B - b0 < kSeqs ? B - b0 : kSeqs);
            const float *xs[kSeqs];
            for (int s = 0; s < S; ++s)
                xs[s] = x + (b0 + s) * xStride;
            if (widenOnce)
                floatTiles.fn[R - 1][S - 1](wide.data(), cols, xs, out, kSeqs);
            else
                tiles.fn[R - 1][S - 1](wr, cols, xs, out, kSeqs);
            for (int s = 0; s < S; ++s) {
                float *yr = y + (b0 + s) * yStride + r0;
                for (int r = 0; r < R; ++r)
                    yr[r] = accumulate ? yr[r] + out[r * kSeqs + s] : out[r * kSeqs + s];
            }
        }
    }
}

} // namespace smartbot::engine::kernels
