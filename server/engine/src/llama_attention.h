// One sequence's attention for a new position on the CPU, shared by the libtorch-operator decode path
// (llama_decode_torch.cpp, activations in the model's dtype) and the fused bfloat16 decode step
// (llama_decode_cpu.cpp, float32 activations over a bfloat16 KV cache). Private to the engine.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace smartbot::engine {

// Float32 arithmetic over A (activations: q, k, v, out) and T (KV cache storage), each float or bfloat16:
// appends k/v at pos to the cache (converted to T), then softmax(q k^T / sqrt(hd)) v per head. scores: pos+1
// floats. Every sequence's result depends only on its own inputs, so it does not depend on the batch.
template <typename A, typename T>
void attendOne(const A *q, const A *k, const A *v, T *kc, T *vc, int64_t capacity, int64_t pos, int64_t H,
               int64_t KV, int64_t hd, float *scores, A *out)
{
    const int64_t G = H / KV, total = pos + 1;
    for (int64_t j = 0; j < KV; ++j) {
        for (int64_t e = 0; e < hd; ++e) {
            kc[(j * capacity + pos) * hd + e] = T(k[j * hd + e]);
            vc[(j * capacity + pos) * hd + e] = T(v[j * hd + e]);
        }
    }
    const float scale = float(1.0 / std::sqrt(double(hd)));
    std::vector<float> qf(static_cast<size_t>(hd)), acc(static_cast<size_t>(hd));
    for (int64_t i = 0; i < H; ++i) {
        const T *keys = kc + (i / G) * capacity * hd, *values = vc + (i / G) * capacity * hd;
        for (int64_t e = 0; e < hd; ++e)
            qf[size_t(e)] = float(q[i * hd + e]);
        float maxScore = -INFINITY;
        for (int64_t t = 0; t < total; ++t) {
            float dot = 0;
            for (int64_t e = 0; e < hd; ++e)
                dot += qf[size_t(e)] * float(keys[t * hd + e]);
            scores[t] = dot * scale;
            maxScore = std::max(maxScore, scores[t]);
        }
        float sum = 0;
        for (int64_t t = 0; t < total; ++t)
            sum += (scores[t] = std::exp(scores[t] - maxScore));
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t t = 0; t < total; ++t) {
            const float p = scores[t] / sum;
            for (int64_t e = 0; e < hd; ++e)
                acc[size_t(e)] += p * float(values[t * hd + e]);
        }
        for (int64_t e = 0; e < hd; ++e)
            out[i * hd + e] = A(acc[size_t(e)]);
    }
}

} // namespace smartbot::engine
