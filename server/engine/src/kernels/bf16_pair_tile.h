// The bfloat16 kernels' tiles (see matmul.h for their arithmetic): matmul_tile.h's loop over V, an instruction
// set's description for pairs of bfloat16 columns:
//   Pairs: 32 columns of bfloat16 as the products need them; Acc: one output's 16 float32 lanes; kWidth 32;
//   dot(acc, w, x): lane l += w[2l+1] x[2l+1], then += w[2l] x[2l]; reduce(acc): the fixed lane order.
// The activations come from bf16Activations (rows padded with zeros to whole chunks).
#pragma once

#include <cstdint>

#include "kernels/matmul.h"
#include "kernels/matmul_tile.h"

namespace smartbot::engine::kernels {

using Bf16PairTileFn = void (*)(const uint16_t *w, int64_t cols, const uint16_t *const *xs, float *out, int outStride);

template <class V> struct Bf16PairTiles {
    using Fn = Bf16PairTileFn;
    template <int R, int S> static constexpr Fn tile = matmulTile<V, R, S, uint16_t, uint16_t>;
};

// Rows [rowBegin, rowEnd) for all B sequences, in tiles of at most kRows x kSeqs (matmul.h's signature).
template <class V, int kRows, int kSeqs>
void bf16PairRowsTiled(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                       int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    static const ShapeTable<Bf16PairTiles<V>, kRows, kSeqs> tiles;
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
