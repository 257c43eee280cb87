#include "kernels/attention_scores.h"

#include "kernels/cpu_features.h"
#include "kernels/matmul.h"

namespace smartbot::engine::kernels {

void attentionScoresPortable(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    for (int64_t t = 0; t < total; ++t)
        scores[t] = dot8(q, keys + t * hd, hd) * scale;
}

AttentionScoresFn attentionScores()
{
    static const AttentionScoresFn fn = cpuHasAvx2Fma() ? attentionScoresAvx2 : attentionScoresPortable;
    return fn;
}

} // namespace smartbot::engine::kernels
