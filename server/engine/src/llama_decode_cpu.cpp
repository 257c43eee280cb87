// The single-token decode step on the CPU in float32, fused by hand. For small and medium models libtorch's
// per-operator overhead (~2-3 us x ~30 ops per layer) dominates a decode step; this path does the same
// arithmetic as LlamaModel::forward() in plain loops, parallelising only the large matrix-vector products.
#include "llama_model.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace smartbot::engine {

namespace {

// Dot product with 8 independent accumulators (vectorisable without reassociation flags).
inline float dot(const float *a, const float *b, int64_t n)
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

// y[rows] = W[rows, cols] x[cols] (+= when accumulate). Large products are split over the intra-op threads.
void matvec(const float *w, const float *x, float *y, int64_t rows, int64_t cols, bool accumulate = false)
{
    auto body = [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const float v = dot(w + r * cols, x, cols);
            y[r] = accumulate ? y[r] + v : v;
        }
    };
    if (rows * cols >= (int64_t(1) << 18) && at::get_num_threads() > 1)
        at::parallel_for(0, rows, std::max<int64_t>(1, (int64_t(1) << 16) / cols), body);
    else
        body(0, rows);
}

void rmsNormInto(const float *x, const float *w, float *out, int64_t n, double eps)
{
    double ss = 0;
    for (int64_t i = 0; i < n; ++i)
        ss += double(x[i]) * double(x[i]);
    const float r = float(1.0 / std::sqrt(ss / double(n) + eps));
    for (int64_t i = 0; i < n; ++i)
        out[i] = x[i] * r * w[i];
}

// Rotate-half RoPE on one head in place.
void ropeInPlace(float *v, const float *cos, const float *sin, int64_t half)
{
    for (int64_t i = 0; i < half; ++i) {
        const float a = v[i], b = v[i + half];
        v[i] = a * cos[i] - b * sin[i];
        v[i + half] = b * cos[i] + a * sin[i];
    }
}

} // namespace

torch::Tensor LlamaModel::step(int32_t id, KvCache &cache) const
{
    if (device_.is_cpu() && dtype_ == torch::kFloat32)
        return stepCpu(id, cache);
    return forward(&id, 1, cache);
}

torch::Tensor LlamaModel::stepCpu(int32_t id, KvCache &cache) const
{
    const auto &c = config_;
    const int64_t D = c.hiddenSize, I = c.intermediateSize, H = c.numHeads, KV = c.numKvHeads, hd = c.headDim;
    const int64_t G = H / KV, half = hd / 2, pos = cache.length, total = pos + 1;
    TORCH_CHECK(total <= cache.capacity && total <= c.maxPositions, "context length exceeded");
    TORCH_CHECK(id >= 0 && id < c.vocabSize, "token id out of range");

    // Scratch: x, h, qkv, attention output, gate|up, scores.
    const int64_t qkvDim = (H + 2 * KV) * hd;
    std::vector<float> x(static_cast<size_t>(D)), h(static_cast<size_t>(D)), qkv(static_cast<size_t>(qkvDim)),
        att(static_cast<size_t>(H * hd)), gu(static_cast<size_t>(2 * I)), scores(static_cast<size_t>(total));
    const float *emb = embed_.data_ptr<float>() + int64_t(id) * D;
    std::copy(emb, emb + D, x.begin());
    const float *cosP = cos_.data_ptr<float>() + pos * half;
    const float *sinP = sin_.data_ptr<float>() + pos * half;
    const float scale = float(1.0 / std::sqrt(double(hd)));

    for (int64_t l = 0; l < c.numLayers; ++l) {
        const Layer &L = layers_[size_t(l)];
        rmsNormInto(x.data(), L.attnNorm.data_ptr<float>(), h.data(), D, c.rmsNormEps);
        float *q = qkv.data(), *k = q + H * hd, *v = k + KV * hd;
        matvec(L.wq.data_ptr<float>(), h.data(), q, H * hd, D);
        matvec(L.wk.data_ptr<float>(), h.data(), k, KV * hd, D);
        matvec(L.wv.data_ptr<float>(), h.data(), v, KV * hd, D);
        if (L.bq.defined()) {
            const float *bias[3] = {L.bq.data_ptr<float>(), L.bk.data_ptr<float>(), L.bv.data_ptr<float>()};
            const int64_t sizes[3] = {H * hd, KV * hd, KV * hd};
            float *outs[3] = {q, k, v};
            for (int j = 0; j < 3; ++j)
                for (int64_t i = 0; i < sizes[j]; ++i)
                    outs[j][i] += bias[j][i];
        }
        for (int64_t i = 0; i < H; ++i)
            ropeInPlace(q + i * hd, cosP, sinP, half);
        float *kc = cache.k[size_t(l)].data_ptr<float>(), *vc = cache.v[size_t(l)].data_ptr<float>();
        for (int64_t j = 0; j < KV; ++j) {
            ropeInPlace(k + j * hd, cosP, sinP, half);
            std::copy(k + j * hd, k + (j + 1) * hd, kc + (j * cache.capacity + pos) * hd);
            std::copy(v + j * hd, v + (j + 1) * hd, vc + (j * cache.capacity + pos) * hd);
        }
        for (int64_t i = 0; i < H; ++i) {
            const int64_t j = i / G;
            const float *keys = kc + j * cache.capacity * hd, *values = vc + j * cache.capacity * hd;
            const float *qi = q + i * hd;
            float maxScore = -INFINITY;
            for (int64_t s = 0; s < total; ++s) {
                scores[size_t(s)] = dot(qi, keys + s * hd, hd) * scale;
                maxScore = std::max(maxScore, scores[size_t(s)]);
            }
            float sum = 0;
            for (int64_t s = 0; s < total; ++s) {
                scores[size_t(s)] = std::exp(scores[size_t(s)] - maxScore);
                sum += scores[size_t(s)];
            }
            float *out = att.data() + i * hd;
            std::fill(out, out + hd, 0.0f);
            const float inv = 1.0f / sum;
            for (int64_t s = 0; s < total; ++s) {
                const float p = scores[size_t(s)] * inv;
                const float *vs = values + s * hd;
                for (int64_t e = 0; e < hd; ++e)
                    out[e] += p * vs[e];
            }
        }
        matvec(L.wo.data_ptr<float>(), att.data(), x.data(), D, H * hd, /*accumulate=*/true);
        rmsNormInto(x.data(), L.mlpNorm.data_ptr<float>(), h.data(), D, c.rmsNormEps);
        matvec(L.wgate.data_ptr<float>(), h.data(), gu.data(), I, D);
        matvec(L.wup.data_ptr<float>(), h.data(), gu.data() + I, I, D);
        for (int64_t i = 0; i < I; ++i) {
            const float g = gu[size_t(i)];
            gu[size_t(i)] = g / (1.0f + std::exp(-g)) * gu[size_t(I + i)];
        }
        matvec(L.wdown.data_ptr<float>(), gu.data(), x.data(), D, I, /*accumulate=*/true);
    }
    cache.length = total;
    rmsNormInto(x.data(), finalNorm_.data_ptr<float>(), h.data(), D, c.rmsNormEps);
    auto logits = torch::empty({1, c.vocabSize}, torch::kFloat32);
    matvec(lmHead_.data_ptr<float>(), h.data(), logits.data_ptr<float>(), c.vocabSize, D);
    return logits;
}

} // namespace smartbot::engine
