// The register-tiled loop of the bfloat16 kernels (see matmul.h for their arithmetic), shared by the
// per-instruction-set files, each compiled with its own -m flags. V describes the instruction set:
//   Pairs: 32 columns of bfloat16 as the products need them; Acc: one output's 16 float32 lanes;
//   zero(); load(p) (32 values); loadTail(p, n) (the first n, the others read as 0);
//   dot(acc, w, x): lane l += w[2l+1] x[2l+1], then += w[2l] x[2l]; reduce(acc): the fixed lane order.
// The activations come from bf16Activations (padded rows, so their tail loads are whole); only the weights'
// last chunk of each row is partial. As in matmul_tile.h, a tile of R rows x S sequences only runs independent
// outputs side by side: an output's operations never depend on the tile it falls in.
#pragma once

#include <cstdint>

#include "kernels/matmul.h"
#include "kernels/matmul_tile.h"

namespace smartbot::engine::kernels {

template <class V, int R, int S>
void bf16PairTile(const uint16_t *w, int64_t cols, const uint16_t *const *xs, float *out, int outStride)
{
    typename V::Acc acc[R][S];
    for (int r = 0; r < R; ++r)
        for (int s = 0; s < S; ++s)
            acc[r][s] = V::zero();
    int64_t i = 0;
    for (; i + 32 <= cols; i += 32) {
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
            xv[s] = V::load(xs[s] + i);
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

using Bf16PairTileFn = void (*)(const uint16_t *w, int64_t cols, const uint16_t *const *xs, float *out, int outStride);

// fn[R - 1][S - 1] = bf16PairTile<V, R, S> for every tile shape up to kRows x kSeqs (edges use the smaller ones).
template <class V, int kRows, int kSeqs> struct Bf16PairTileTable {
    Bf16PairTileFn fn[kRows][kSeqs];
    Bf16PairTileTable() { fill<0, 0>(); }
    template <int R, int S> void fill()
    {
        if constexpr (R < kRows) {
            if constexpr (S < kSeqs) {
                fn[R][S] = bf16PairTile<V, R + 1, S + 1>;
                fill<R, S + 1>();
            } else {
                fill<R + 1, 0>();
            }
        }
    }
};

// Rows [rowBegin, rowEnd) for all B sequences, in tiles of at most kRows x kSeqs (matmul.h's signature).
template <class V, int kRows, int kSeqs>
void bf16PairRowsTiled(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                       int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    static const Bf16PairTileTable<V, kRows, kSeqs> tiles;
    const uint16_t *xb = bf16Activations(x, xStride, B, cols);
    const int64_t xbStride = bf16PairStride(cols);
    forEachTile<kRows, kSeqs>(rowBegin, rowEnd, B, y, yStride, accumulate,
                              [&](int64_t r0, int R, int64_t b0, int S, float *out) {
                                  const uint16_t *xs[kSeqs];
                                  for (int s = 0; s < S; ++s)
                                      xs[s] = xb + (b0 + s) * xbStride;
                                  tiles.fn[R - 1][S - 1](w + r0 * cols, cols, xs, out, kSeqs);
                              });
}

} // namespace smartbot::engine::kernels
