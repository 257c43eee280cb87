// Matrix-times-batch kernels for the CPU decode step: Y[b, r] (+)= dot(W[r, :], X[b, :]) for a range of weight
// rows r and every sequence b < B. One implementation is chosen once per process from the CPU's features
// (AVX2+FMA, else portable C++); the library itself is built for baseline x86-64. (An AVX-512 variant, 16-lane
// 4x4 tiles, measured no faster on Zen 4, whose 512-bit FMAs issue as two 256-bit halves, so there is none.)
//
// Determinism contract (callers rely on it: a batched decode step must equal each sequence stepped alone):
// every output element is computed by exactly the same sequence of floating-point operations whatever B is,
// whatever rows are asked for, and wherever the element falls in a register tile. Each kernel gives every
// (row, sequence) pair its own accumulator with a fixed lane layout, handles the column tail the same way and
// reduces the lanes in one fixed order; tiling only decides which independent outputs run side by side.
#pragma once

#include <cstdint>

namespace smartbot::engine::kernels {

// w: weight rows, `cols` floats each. x: B activation rows, xStride apart. y: B output rows, yStride apart.
// Computes rows [rowBegin, rowEnd) of every output row; accumulate adds to y instead of overwriting it.
using MatmulRowsFn = void (*)(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                              int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);

// The kernel for this CPU (chosen on first call, then fixed) and its name ("avx2-fma" or "portable"). Results
// differ between kernels in the last bits (FMA, lane layout), never between batch sizes with one kernel.
MatmulRowsFn matmulRows();
const char *matmulKernelName();

// The implementations, exposed for tests that compare them against each other; only call a SIMD one where
// the CPU supports it (matmulRowsAvx2 needs AVX2+FMA).
void matmulRowsPortable(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
void matmulRowsAvx2(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y, int64_t yStride,
                    int64_t rowBegin, int64_t rowEnd, bool accumulate);

} // namespace smartbot::engine::kernels
