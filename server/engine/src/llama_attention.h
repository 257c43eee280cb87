// Per-sequence decode work on the CPU (attention for a new position, and running it over a batch), shared by the libtorch-operator decode path
// (llama_decode_torch.cpp, activations in the model's dtype) and the fused bfloat16 decode step
// (llama_decode_cpu.cpp, float32 activations over a bfloat16 KV cache). Private to the engine.
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace smartbot::engine {

// Runs fn(b) for every sequence b < B; over the intra-op threads when the batch is big enough to pay for it.
// Sequences are independent (own rows of scratch, own KV cache), so the split never changes a result.
template <typename Fn>
void forEachSequence(int64_t B, const Fn &fn)
{
    if (B >= 4 && at::get_num_threads() > 1)
        at::parallel_for(0, B, 1, [&](int64_t begin, int64_t end) {
            for (int64_t b = begin; b < end; ++b)
                fn(b);
        });
    else
        for (int64_t b = 0; b < B; ++b)
            fn(b);
}

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
    thread_local std::vector<float> qf, acc;
    qf.resize(size_t(hd));
    acc.resize(size_t(hd));
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
