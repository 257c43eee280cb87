// Matrix-times-batch kernels for the CPU decode step: Y[b, r] (+)= dot(W[r, :], X[b, :]) for a range of weight
// rows r and every sequence b < B. One implementation is chosen once per process from the CPU's features
// (AVX-512, else AVX2+FMA, else portable C++); the library itself is built for baseline x86-64.
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

// The kernel for this CPU (chosen on first call, then fixed) and its name ("avx512f", "avx2-fma" or "portable").
// Results differ between the portable kernel and the SIMD ones in the last bits (FMA, lane layout), never between
// batch sizes with one kernel; the AVX-512 kernel gives the AVX2 kernel's bits.
MatmulRowsFn matmulRows();
const char *matmulKernelName();

// The implementations, exposed for tests that compare them against each other; only call a SIMD one where
// the CPU supports it (matmulRowsAvx2 needs AVX2+FMA).
void matmulRowsPortable(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
void matmulRowsAvx2(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y, int64_t yStride,
                    int64_t rowBegin, int64_t rowEnd, bool accumulate);
// Needs AVX512F, AVX512DQ and AVX512VL (cpuHasAvx512F()).
void matmulRowsAvx512(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                      int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);

// The AVX-512 kernel's activations: sequences 2p and 2p+1 interleaved in chunks of 8 columns (8 of 2p, then the
// same 8 of 2p+1), the last chunk padded with zeros, and a zero sequence after an odd B. Pair p starts at
// p * f32PairStride(cols). In a buffer of the calling thread's own, valid until its next call; out of line in a
// baseline file (see bf16Activations).
constexpr int64_t f32PairStride(int64_t cols)
{
    return (cols + 7) / 8 * 16;
}
const float *f32PairActivations(const float *x, int64_t xStride, int64_t B, int64_t cols);

// The same with bfloat16 weights (uint16_t bit patterns, as c10::BFloat16 stores them). The float32 activations
// are rounded to bfloat16 first (bf16Activations below), as libtorch's bfloat16 operators and llama.cpp's BF16
// path do; then every product of two bfloat16 values is exact in float32, and the sums are those of AVX512-BF16's
// VDPBF16PS: an output has 16 float32 lanes, and lane l adds, for each chunk of 32 columns, the product of
// column 2l+1 and then that of column 2l (columns past the row's end count as zeros); the lanes are then reduced
// in one fixed order (l with l+8, then the AVX2 kernel's 8-lane order). The instruction does twice the products
// per cycle of a float32 FMA: measured 1.4-2x on a 2048x768 matrix at 63 sequences (Zen 4). Every kernel below
// gives the same bits, so a bfloat16 model answers the same on every CPU, with one exception: the instruction
// reads subnormal weights as zero and flushes subnormal sums to zero (its DAZ/FTZ), the emulations do not;
// bf16Activations flushes subnormal activations itself. (Subnormals are below 1.2e-38: not in real weights.)
// The determinism contract above holds unchanged.
using MatmulRowsBf16Fn = void (*)(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                                  int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
MatmulRowsBf16Fn matmulRowsBf16();
const char *matmulBf16KernelName(); // "avx512-bf16", "avx2-fma" or "portable"
void matmulRowsBf16Portable(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                            int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
void matmulRowsBf16Avx2(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
// Needs AVX512-BF16 (cpuHasAvx512Bf16()).
void matmulRowsBf16Avx512(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                          int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);

// Columns of a row of bf16Activations: cols rounded up to the 32 of a VDPBF16PS chunk.
constexpr int64_t bf16PairStride(int64_t cols)
{
    return (cols + 31) / 32 * 32;
}

// float to bfloat16 bits: to nearest, ties to even; a NaN stays a (quiet) NaN; subnormals become a zero of their sign.
uint16_t floatToBf16(float f);

// x's B rows (xStride apart, cols each) as bfloat16, each padded with zeros to bf16PairStride(cols) columns, in a
// buffer of the calling thread's own that stays valid until its next call. Out of line, in a file built for
// baseline x86-64: the SIMD kernels' files call it, and an inline copy compiled with their -m flags could be the
// one the linker keeps for everybody.
const uint16_t *bf16Activations(const float *x, int64_t xStride, int64_t B, int64_t cols);

// bfloat16 bits to float: exact (bfloat16 is float32's upper half).
inline float bf16ToFloat(uint16_t bits)
{
    const uint32_t u = uint32_t(bits) << 16;
    float f;
    __builtin_memcpy(&f, &u, sizeof f);
    return f;
}

} // namespace smartbot::engine::kernels
