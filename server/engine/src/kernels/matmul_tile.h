// The register-tiled matmul loop shared by the SIMD kernels (see matmul.h for the contract). Included
// only by the per-instruction-set translation units, each compiled with its own -m flags; V describes the
// instruction set: Acc (one output's accumulator), Pairs (an operand register), kWidth (columns per step),
// zero(), load(p), loadTail(p, n) (the first n columns, the others read as 0), dot(acc, w, x), reduce(acc).
// Float32 weights and activations (WT = XT = float: dot is an FMA), or bfloat16 ones (uint16_t: see
// bf16_pair_tile.h).
//
// Every output gets one accumulator: acc = 0; acc = dot(acc, w[i..], x[i..]) over full chunks of kWidth columns;
// the last partial chunk the same way through loadTail (masked lanes add 0 * 0); then V::reduce, whose lane
// order is fixed. A tile of R rows x S sequences only runs such independent outputs side by side: each weight
// load serves S sequences and each activation load R rows. The loop order (row tile outer, sequence tile inner)
// reads each weight row from memory once per call and keeps the tile's rows in L1 while the batch's activations
// stream past from L2. (Column chunking to shrink the L1 footprint of 2048-wide rows was measured: no gain.)
#pragma once

#include <cstdint>

#include "kernels/matmul.h"

namespace smartbot::engine::kernels {

template <class V, int R, int S, typename WT, typename XT>
void matmulTile(const WT *w, int64_t cols, const XT *const *xs, float *out, int outStride)
{
    typename V::Acc acc[R][S];
    for (int r = 0; r < R; ++r)
        for (int s = 0; s < S; ++s)
            acc[r][s] = V::zero();
    int64_t i = 0;
    for (; i + V::kWidth <= cols; i += V::kWidth) {
        typename V::Pairs xv[S];
        for (int s = 0; s < S; ++s)
            xv[s] = V::load(xs[s] + i);
        for (int r = 0; r < R; ++r) {
            const typename V::Pairs wv = V::load(w + r * cols + i);
            for (int s = 0; s < S; ++s)
                acc[r][s] = V::dot(acc[r][s], wv, xv[s]);
        }
    }
    if (i < cols) {
        const int n = int(cols - i);
        typename V::Pairs xv[S];
        for (int s = 0; s < S; ++s)
            xv[s] = V::loadTail(xs[s] + i, n);
        for (int r = 0; r < R; ++r) {
            const typename V::Pairs wv = V::loadTail(w + r * cols + i, n);
            for (int s = 0; s < S; ++s)
                acc[r][s] = V::dot(acc[r][s], wv, xv[s]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int s = 0; s < S; ++s)
            out[r * outStride + s] = V::reduce(acc[r][s]);
}

using TileFn = void (*)(const float *w, int64_t cols, const float *const *xs, float *out, int outStride);

// fn[R - 1][S - 1] = Tiles::tile<R, S> for every tile shape up to kRows x kSeqs (edges use the smaller ones): the
// table of tile functions a tiled kernel indexes by the shape left at the edges. Shared with bf16_pair_tile.h.
template <class Tiles, int kRows, int kSeqs> struct ShapeTable {
    typename Tiles::Fn fn[kRows][kSeqs];
    ShapeTable() { fill<0, 0>(); }
    template <int R, int S> void fill()
    {
        if constexpr (R < kRows) {
            if constexpr (S < kSeqs) {
                fn[R][S] = Tiles::template tile<R + 1, S + 1>;
                fill<R, S + 1>();
            } else {
                fill<R + 1, 0>();
            }
        }
    }
};

template <class V> struct FloatTiles {
    using Fn = TileFn;
    template <int R, int S> static constexpr Fn tile = matmulTile<V, R, S, float, float>;
};

// Rows [rowBegin, rowEnd) of all B sequences in tiles of at most kRows x kSeqs: tile(r0, R, b0, S, out) computes
// R rows from r0 for S sequences from b0 into out[r * kSeqs + s], which this stores into y (or adds to it). A
// batch smaller than a sequence tile is bound by memory bandwidth, not FMAs: there, reading one weight row at a
// time (a single sequential stream) measured 1.7x faster than interleaving kRows rows (2 KiB-4 KiB apart), which
// the hardware prefetchers follow poorly. The tile shape never changes an output's operations. Shared with the
// bfloat16 kernels (bf16_pair_tile.h).
template <int kRows, int kSeqs, class Tile>
void forEachTile(int64_t rowBegin, int64_t rowEnd, int64_t B, float *y, int64_t yStride, bool accumulate, Tile &&tile)
{
    const int rowTile = B < kSeqs ? 1 : kRows;
    float out[kRows * kSeqs];
    for (int64_t r0 = rowBegin; r0 < rowEnd; r0 += rowTile) {
        const int R = int(rowEnd - r0 < rowTile ? rowEnd - r0 : rowTile);
        for (int64_t b0 = 0; b0 < B; b0 += kSeqs) {
            const int S = int(B - b0 < kSeqs ? B - b0 : kSeqs);
            tile(r0, R, b0, S, out);
            for (int s = 0; s < S; ++s) {
                float *yr = y + (b0 + s) * yStride + r0;
                for (int r = 0; r < R; ++r)
                    yr[r] = accumulate ? yr[r] + out[r * kSeqs + s] : out[r * kSeqs + s];
            }
        }
    }
}

// Rows [rowBegin, rowEnd) for all B sequences, in tiles of at most kRows x kSeqs.
template <class V, int kRows, int kSeqs>
void matmulRowsTiled(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                     int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    static const ShapeTable<FloatTiles<V>, kRows, kSeqs> tiles;
    forEachTile<kRows, kSeqs>(rowBegin, rowEnd, B, y, yStride, accumulate,
                              [&](int64_t r0, int R, int64_t b0, int S, float *out) {
                                  const float *xs[kSeqs];
                                  for (int s = 0; s < S; ++s)
                                      xs[s] = x + (b0 + s) * xStride;
                                  tiles.fn[R - 1][S - 1](w + r0 * cols, cols, xs, out, kSeqs);
                              });
}

} // namespace smartbot::engine::kernels
