// The fused CPU pass's two uses of e^x, as kernels that take 8 values at a time on AVX2:
//  - softmaxExp: the softmax numerators of one attention head (AttnSum::Lanes8 in model/llama_attention.h):
//    scores[t] = e^(scores[t] - m) for t < total, m the largest score, in place; returns their sum.
//  - siluGate: the MLP's gate, gate[i] = silu(gate[i]) * up[i] with silu(g) = g / (1 + e^-g).
//
// Why: under bench_chat_qps, libm's expf (called once per value) and the scalar loops around it were about a fifth
// of the engine thread's time: the seed model has, per token, 8 heads x 5 layers x ~25 scores and 5 x 172 gates.
//
// e^x: x = n ln2 + r, with n the integer nearest x log2(e) (ties to even) and |r| <= ln2 / 2; ln2 is split in two
// parts, the first with few enough bits that n times it is exact. e^r is its Taylor series to r^7 by Horner's rule
// (the truncation is under 6e-9 relative, below half a float ulp), then times 2^n, made in the exponent bits. Below
// x = -87, where e^x nears float's smallest normal number, it is 0 (a softmax numerator's share of a sum that is at
// least 1 is under 1e-37 either way, and silu(g) = g there to float precision); above 88, +inf, as expf overflows
// (silu(g) = -0 there, as before). A NaN stays NaN. Measured against double precision: within 0.7 ulps
// (test_engine_arch checks 2).
//
// Both kernels multiply and add without fusing (built with -ffp-contract=off) and divide exactly, in the same order:
// they give the same bits, so a result never depends on which CPU computed it. The softmax sum is taken in dot8's
// order: eight lane sums over the blocks of 8, combined ((0+4)+(1+5))+((2+6)+(3+7)), then the tail one by one.
//
// Threading: pure functions.
#pragma once

#include <cstdint>

namespace smartbot::engine::kernels {

using SoftmaxExpFn = float (*)(float *scores, int64_t total);
using SiluGateFn = void (*)(float *gate, const float *up, int64_t n);
// softmaxExp on four heads at once: head h's scores at scores + h * stride (total each), its sum into sums[h]; each
// head's bits are softmaxExp's.
using SoftmaxExp4Fn = void (*)(float *scores, int64_t stride, int64_t total, float *sums);

// The kernels for this CPU (chosen on first call, then fixed).
SoftmaxExpFn softmaxExp();
SiluGateFn siluGate();
SoftmaxExp4Fn softmaxExp4();

// The implementations, for tests that compare them; call the AVX2 ones only where cpuHasAvx2Fma().
float softmaxExpPortable(float *scores, int64_t total);
float softmaxExpAvx2(float *scores, int64_t total);
void softmaxExp4Portable(float *scores, int64_t stride, int64_t total, float *sums);
void softmaxExp4Avx2(float *scores, int64_t stride, int64_t total, float *sums);
void siluGatePortable(float *gate, const float *up, int64_t n);
void siluGateAvx2(float *gate, const float *up, int64_t n);

// The constants both implementations use.
namespace exp_kernels {
inline constexpr float kMin = -87.0f;                   // below: 0
inline constexpr float kMax = 88.0f;                    // above: +inf
inline constexpr float kLog2e = 1.44269504088896341f;   // log2(e)
inline constexpr float kLn2Hi = 0.693145751953125f;     // ln2 to 15 significant bits: n * kLn2Hi is exact
inline constexpr float kLn2Lo = 1.4286068202862268e-6f; // ln2 - kLn2Hi
// 1/k! for k = 7 down to 2; the r^1 and r^0 terms are 1.
inline constexpr float kTaylor[6] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 1.0f / 2};
} // namespace exp_kernels

} // namespace smartbot::engine::kernels
