// Attention scores of one query head against a run of cached keys, for the fused CPU pass's float32 attention
// (AttnSum::Lanes8 in model/llama_attention.h): scores[t] = dot8(q, keys + t * hd, hd) * scale for t < total.
//
// Why a kernel: the seed model's heads have 8 values (stories260K), so a head's dot product is one short vector
// whose eight lanes are then summed across; under bench_chat_qps that loop was 25% of the engine thread's time. The
// AVX2 kernel computes 8 positions at once instead: it transposes 8 keys' blocks of 8 values so that lane k of every
// position sits in one register, and then does dot8's very operations (acc[k] += q[k] * key[k] in each block, a
// multiply and an add, never fused; the lanes summed as ((0+4)+(1+5))+((2+6)+(3+7)); the values past the last whole
// block added one by one) for 8 positions side by side. So both kernels give dot8's bits, and a score never depends
// on which kernel, or which of the 8 slots, computed it.
//
// Threading: pure functions.
#pragma once

#include <cstdint>

namespace smartbot::engine::kernels {

using AttentionScoresFn = void (*)(const float *q, const float *keys, int64_t total, int64_t hd, float scale,
                                   float *scores);

// The kernel for this CPU (chosen on first call, then fixed).
AttentionScoresFn attentionScores();

// The implementations, for tests that compare them; call the AVX2 one only where cpuHasAvx2Fma().
void attentionScoresPortable(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores);
void attentionScoresAvx2(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores);

} // namespace smartbot::engine::kernels
