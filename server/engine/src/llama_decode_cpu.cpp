// The decode step on the CPU in float32, fused by hand, for a batch of sequences. For small and medium models
// libtorch's per-operator overhead (~2-3 us x ~30 ops per layer) dominates a decode step; this path does the
// same arithmetic as LlamaModel::forward() in plain loops. Matrix products go through the register-tiled
// kernels of matmul_kernels.h: weights stream from memory once per step for the whole batch and each loaded
// weight vector serves several sequences, so a batch costs far less than B single steps. Every output element is
// computed the same way whatever B is (see the kernels' determinism contract), so results do not depend on B;
// a lone sequence goes through the very same code (step() is stepBatch() of one).
#include "llama_model.h"
#include "matmul_kernels.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace smartbot::engine {

namespace {

// Dot product with 8 independent accumulators (vectorisable without reassociation flags), for attention scores.
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

// Y[b, rows] (+)= W[rows, cols] X[b, cols] for b < B; X rows are xStride apart, Y rows yStride apart.
// Large products are split over the intra-op threads by weight rows (in blocks of 16 rows, whole register tiles);
// how the rows are split never changes a result, only which thread computes it. The kernel is looked up once.
void matmul(const float *w, const float *x, int64_t xStride, float *y, int64_t yStride, int64_t rows, int64_t cols,
            int64_t B, bool accumulate = false)
{
    static const kernels::MatmulRowsFn kernel = kernels::matmulRows();
    constexpr int64_t kBlock = 16;
    if (rows * cols * B >= (int64_t(1) << 18) && at::get_num_threads() > 1) {
        const int64_t blocks = (rows + kBlock - 1) / kBlock;
        const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / (kBlock * cols * B));
        at::parallel_for(0, blocks, grain, [&](int64_t begin, int64_t end) {
            kernel(w, cols, x, xStride, B, y, yStride, begin * kBlock, std::min(rows, end * kBlock), accumulate);
        });
    } else {
        kernel(w, cols, x, xStride, B, y, yStride, 0, rows, accumulate);
    }
}

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

torch::Tensor LlamaModel::step(int32_t id, KvCache &cache) const { return stepBatch({id}, {&cache}); }

torch::Tensor LlamaModel::stepBatch(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const
{
    if (device_.is_cpu() && dtype_ == torch::kFloat32 && fusedCpuDecode_)
        return stepBatchCpu(ids, caches);
    return stepBatchTorch(ids, caches);
}

torch::Tensor LlamaModel::stepBatchCpu(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const
{
    const auto &c = config_;
    const int64_t D = c.hiddenSize, I = c.intermediateSize, H = c.numHeads, KV = c.numKvHeads, hd = c.headDim;
    const int64_t G = H / KV, half = hd / 2, B = int64_t(ids.size());
    const int64_t qDim = H * hd, kvDim = KV * hd, qkvDim = qDim + 2 * kvDim;
    for (int64_t b = 0; b < B; ++b) {
        const KvCache &cache = *caches[size_t(b)];
        TORCH_CHECK(cache.length + 1 <= cache.capacity && cache.length + 1 <= c.maxPositions, "context length exceeded");
        TORCH_CHECK(ids[size_t(b)] >= 0 && ids[size_t(b)] < c.vocabSize, "token id out of range");
    }
    // Scratch, one row per sequence: x, h, q|k|v, attention output, gate|up. Attention scores are per thread.
    std::vector<float> x(static_cast<size_t>(B * D)), h(static_cast<size_t>(B * D)),
        qkv(static_cast<size_t>(B * qkvDim)), att(static_cast<size_t>(B * qDim)), gu(static_cast<size_t>(B * 2 * I));
    for (int64_t b = 0; b < B; ++b) {
        const float *emb = embed_.data_ptr<float>() + int64_t(ids[size_t(b)]) * D;
        std::copy(emb, emb + D, x.begin() + b * D);
    }
    const float scale = float(1.0 / std::sqrt(double(hd)));
    const float *cosBase = cos_.data_ptr<float>(), *sinBase = sin_.data_ptr<float>();

    for (int64_t l = 0; l < c.numLayers; ++l) {
        const Layer &L = layers_[size_t(l)];
        forEachSequence(B, [&](int64_t b) {
            rmsNormInto(&x[size_t(b * D)], L.attnNorm.data_ptr<float>(), &h[size_t(b * D)], D, c.rmsNormEps);
        });
        float *q0 = qkv.data();
        matmul(L.wq.data_ptr<float>(), h.data(), D, q0, qkvDim, qDim, D, B);
        matmul(L.wk.data_ptr<float>(), h.data(), D, q0 + qDim, qkvDim, kvDim, D, B);
        matmul(L.wv.data_ptr<float>(), h.data(), D, q0 + qDim + kvDim, qkvDim, kvDim, D, B);
        forEachSequence(B, [&](int64_t b) {
            KvCache &cache = *caches[size_t(b)];
            const int64_t pos = cache.length, total = pos + 1;
            float *q = q0 + b * qkvDim, *k = q + qDim, *v = k + kvDim;
            if (L.bq.defined()) {
                const float *bias[3] = {L.bq.data_ptr<float>(), L.bk.data_ptr<float>(), L.bv.data_ptr<float>()};
                const int64_t sizes[3] = {qDim, kvDim, kvDim};
                float *outs[3] = {q, k, v};
                for (int j = 0; j < 3; ++j)
                    for (int64_t i = 0; i < sizes[j]; ++i)
                        outs[j][i] += bias[j][i];
            }
            const float *cosP = cosBase + pos * half, *sinP = sinBase + pos * half;
            for (int64_t i = 0; i < H; ++i)
                ropeInPlace(q + i * hd, cosP, sinP, half);
            float *kc = cache.k[size_t(l)].data_ptr<float>(), *vc = cache.v[size_t(l)].data_ptr<float>();
            for (int64_t j = 0; j < KV; ++j) {
                ropeInPlace(k + j * hd, cosP, sinP, half);
                std::copy(k + j * hd, k + (j + 1) * hd, kc + (j * cache.capacity + pos) * hd);
                std::copy(v + j * hd, v + (j + 1) * hd, vc + (j * cache.capacity + pos) * hd);
            }
            // Per thread (sequences may run in parallel), kept between steps to spare an allocation per head.
            thread_local std::vector<float> scores;
            scores.resize(static_cast<size_t>(total));
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
                float *out = &att[size_t(b * qDim + i * hd)];
                std::fill(out, out + hd, 0.0f);
                const float inv = 1.0f / sum;
                for (int64_t s = 0; s < total; ++s) {
                    const float p = scores[size_t(s)] * inv;
                    const float *vs = values + s * hd;
                    for (int64_t e = 0; e < hd; ++e)
                        out[e] += p * vs[e];
                }
            }
        });
        matmul(L.wo.data_ptr<float>(), att.data(), qDim, x.data(), D, D, qDim, B, /*accumulate=*/true);
        forEachSequence(B, [&](int64_t b) {
            rmsNormInto(&x[size_t(b * D)], L.mlpNorm.data_ptr<float>(), &h[size_t(b * D)], D, c.rmsNormEps);
        });
        matmul(L.wgate.data_ptr<float>(), h.data(), D, gu.data(), 2 * I, I, D, B);
        matmul(L.wup.data_ptr<float>(), h.data(), D, gu.data() + I, 2 * I, I, D, B);
        forEachSequence(B, [&](int64_t b) {
            float *row = &gu[size_t(b * 2 * I)];
            for (int64_t i = 0; i < I; ++i) {
                const float g = row[i];
                row[i] = g / (1.0f + std::exp(-g)) * row[I + i];
            }
        });
        matmul(L.wdown.data_ptr<float>(), gu.data(), 2 * I, x.data(), D, D, I, B, /*accumulate=*/true);
    }
    for (KvCache *cache : caches)
        cache->length += 1;
    forEachSequence(B, [&](int64_t b) {
        rmsNormInto(&x[size_t(b * D)], finalNorm_.data_ptr<float>(), &h[size_t(b * D)], D, c.rmsNormEps);
    });
    auto logits = torch::empty({B, c.vocabSize}, torch::kFloat32);
    matmul(lmHead_.data_ptr<float>(), h.data(), D, logits.data_ptr<float>(), c.vocabSize, c.vocabSize, D, B);
    return logits;
}

} // namespace smartbot::engine
