// Attention scores of one query head against a run of cached keys, for the fused CPU pass's float32 attention
// (AttnSum::Lanes8 in model/llama_attention.h): scores[t] = dot8(q, keys + t * hd, hd) * scale for t < total.
//
// Why a kernel: the seed model's heads have 8 values (stories260K), so a head's dot product is one short vector whose
// eight lanes are then summed across; under bench_chat_qps that loop was a quarter of the engine thread's time, built
// for baseline x86-64 (SSE2: two 4-lane halves and a scalar sum of the lanes). The AVX2 kernel holds dot8's eight
// accumulators in the eight lanes of one register (acc[k] += q[k] * key[k] over each block of 8, a multiply and an
// add, never fused), sums them as dot8 does, ((0+4)+(1+5))+((2+6)+(3+7)), and adds the values past the last whole
// block one by one. So both kernels give dot8's bits, and a score never depends on which kernel computed it. Heads of
// exactly 8 values take eight positions at a time, their lane sums done together by horizontal adds in dot8's order
// (one store of 8 scores instead of 8 reductions): on the seed model, 1 thread, decode +5-10% single stream and
// +10-15% at 64 streams. Other head sizes keep one position at a time (a first version computed 8 positions at once
// for any head size, transposing 8 keys' blocks: 8% slower on the 768x12 model at 64 streams, 64 values per head).
//
// The same over a bfloat16 KV cache (the fused bfloat16 pass): each key value widens to float exactly, then the very
// operations above, so a bfloat16 cache's scores are dot8's over the floats it stands for, on every CPU.
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

using AttentionScoresBf16Fn = void (*)(const float *q, const uint16_t *keys, int64_t total, int64_t hd, float scale,
                                       float *scores);
AttentionScoresBf16Fn attentionScoresBf16();
void attentionScoresBf16Portable(const float *q, const uint16_t *keys, int64_t total, int64_t hd, float scale,
                                 float *scores);
void attentionScoresBf16Avx2(const float *q, const uint16_t *keys, int64_t total, int64_t hd, float scale,
                             float *scores);

// The other end of a head of 8 values (model/llama_attention.h, float32 cache): for four heads h < 4 at once,
// out[8h + e] = sum over t < total of (scores[h * stride + t] * inv[h]) * values[h][8t + e], from 0 in order of t, a
// multiply and an add each rounded (never fused), so every kernel gives the portable one's bits. Four heads, because
// one head's sum waits on each add before the next; the AVX2 kernel holds a head's 8 sums in one register.
using HeadValues4x8Fn = void (*)(const float *scores, int64_t stride, const float *inv, const float *const *values,
                                 int64_t total, float *out);
HeadValues4x8Fn headValues4x8();
void headValues4x8Portable(const float *scores, int64_t stride, const float *inv, const float *const *values,
                           int64_t total, float *out);
void headValues4x8Avx2(const float *scores, int64_t stride, const float *inv, const float *const *values, int64_t total,
                       float *out);

} // namespace smartbot::engine::kernels
