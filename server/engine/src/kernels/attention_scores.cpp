#include "kernels/attention_scores.h"

#include "kernels/cpu_features.h"
#include "kernels/matmul.h"

namespace smartbot::engine::kernels {

void attentionScoresPortable(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    for (int64_t t = 0; t < total; ++t)
        scores[t] = dot8(q, keys + t * hd, hd) * scale;
}

namespace {
// dot8 over a bfloat16 key: the float32 dot8's operations on the widened values.
float dot8Bf16(const float *q, const uint16_t *k, int64_t n)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += q[i + j] * bf16ToFloat(k[i + j]);
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; ++i)
        s += q[i] * bf16ToFloat(k[i]);
    return s;
}
} // namespace

void attentionScoresBf16Portable(const float *q, const uint16_t *keys, int64_t total, int64_t hd, float scale,
                                 float *scores)
{
    for (int64_t t = 0; t < total; ++t)
        scores[t] = dot8Bf16(q, keys + t * hd, hd) * scale;
}

void headValues4x8Portable(const float *scores, int64_t stride, const float *inv, const float *const *values,
                           int64_t total, float *out)
{
    float acc[4][8] = {};
    for (int64_t t = 0; t < total; ++t)
        for (int h = 0; h < 4; ++h) {
            const float p = scores[h * stride + t] * inv[h];
            for (int e = 0; e < 8; ++e)
                acc[h][e] += p * values[h][t * 8 + e];
        }
    for (int h = 0; h < 4; ++h)
        for (int e = 0; e < 8; ++e)
            out[8 * h + e] = acc[h][e];
}

HeadValues4x8Fn headValues4x8()
{
    static const HeadValues4x8Fn fn = cpuHasAvx2Fma() ? headValues4x8Avx2 : headValues4x8Portable;
    return fn;
}

AttentionScoresBf16Fn attentionScoresBf16()
{
    static const AttentionScoresBf16Fn fn = cpuHasAvx2Fma() ? attentionScoresBf16Avx2 : attentionScoresBf16Portable;
    return fn;
}

AttentionScoresFn attentionScores()
{
    static const AttentionScoresFn fn = cpuHasAvx2Fma() ? attentionScoresAvx2 : attentionScoresPortable;
    return fn;
}

} // namespace smartbot::engine::kernels
