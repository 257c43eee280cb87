// The softmax numerators of one attention head, for the fused CPU pass's float32 attention (AttnSum::Lanes8 in
// model/llama_attention.h): scores[t] = e^(scores[t] - m) for t < total, where m is the largest score, in place;
// returns their sum.
//
// Why a kernel: libm's expf, called once per score, was 6% of smartbotd's samples under bench_chat_qps (a tenth of
// the engine thread: the seed model has 8 heads x 5 layers and about 25 positions per token), and the loops around
// it were scalar, built for baseline x86-64. The AVX2 kernel takes 8 scores at a time.
//
// e^x, for x <= 0 (a score minus the largest): x = n ln2 + r, with n the integer nearest x log2(e) (ties to even)
// and |r| <= ln2 / 2; ln2 is split in two parts, the first with few enough bits that n times it is exact. e^r is
// its Taylor series to r^7 by Horner's rule (the truncation is under 6e-9 relative, below half a float ulp), then
// times 2^n, made in the exponent bits. Below x = -87, where e^x nears float's smallest normal number, the
// numerator is 0: its share of a sum that is at least 1 (the largest score's numerator) is under 1e-37 either way.
// A NaN score stays NaN. Measured against double precision: within 0.7 ulps (test_engine_arch checks 2).
//
// The sum is taken in dot8's order: eight lane sums over the blocks of 8, combined ((0+4)+(1+5))+((2+6)+(3+7)),
// then the scores past the last whole block one by one. Both kernels multiply and add without fusing (built with
// -ffp-contract=off), so they give the same bits: a result never depends on which CPU computed it.
//
// Threading: pure functions.
#pragma once

#include <cstdint>

namespace smartbot::engine::kernels {

using SoftmaxExpFn = float (*)(float *scores, int64_t total);

// The kernel for this CPU (chosen on first call, then fixed).
SoftmaxExpFn softmaxExp();

// The implementations, for tests that compare them; call the AVX2 one only where cpuHasAvx2Fma().
float softmaxExpPortable(float *scores, int64_t total);
float softmaxExpAvx2(float *scores, int64_t total);

// The constants both kernels use.
namespace softmax_exp {
inline constexpr float kMin = -87.0f;                   // below: a numerator of 0
inline constexpr float kLog2e = 1.44269504088896341f;   // log2(e)
inline constexpr float kLn2Hi = 0.693145751953125f;     // ln2 to 15 significant bits: n * kLn2Hi is exact
inline constexpr float kLn2Lo = 1.4286068202862268e-6f; // ln2 - kLn2Hi
// 1/k! for k = 7 down to 2; the r^1 and r^0 terms are 1.
inline constexpr float kTaylor[6] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 1.0f / 2};
} // namespace softmax_exp

} // namespace smartbot::engine::kernels
