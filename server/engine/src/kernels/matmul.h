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

// Dot product with 8 independent accumulators: the compiler can vectorise it for baseline SSE2 without
// reassociation flags, and the order of operations is fixed (it never depends on the caller's batch). The
// portable kernel's inner product, and the fused decode step's attention scores.
inline float dot8(const float *a, const float *b, int64_t n)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k)
            acc[k] += a[i + k] * b[i + k];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; ++i)
        s += a[i] * b[i];
    return s;
}

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

// The same with bfloat16 weights (uint16_t bit patterns, as c10::BFloat16 stores them) and float32 activations
// and accumulation: each weight widens to float exactly (bits << 16), so every product is exact before the
// float32 add, and the determinism contract above holds unchanged. (AVX512-BF16's dot instruction would need the
// activations rounded to bfloat16 too, about 8 bits, and is not tried yet: single-stream decode is bound by
// memory bandwidth, which the 2-byte weights already halve; it might pay for large batches.)
using MatmulRowsBf16Fn = void (*)(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                                  int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
MatmulRowsBf16Fn matmulRowsBf16();
void matmulRowsBf16Portable(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                            int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
void matmulRowsBf16Avx2(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);

// bfloat16 bits to float: exact (bfloat16 is float32's upper half).
inline float bf16ToFloat(uint16_t bits)
{
    const uint32_t u = uint32_t(bits) << 16;
    float f;
    __builtin_memcpy(&f, &u, sizeof f);
    return f;
}

} // namespace smartbot::engine::kernels
