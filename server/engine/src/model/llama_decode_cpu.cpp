// The decode step on the CPU, fused by hand, for a batch of sequences: float32 models, and bfloat16 ones (bfloat16
// weights, embeddings, norms and KV cache, read with exact widening; float32 activations and arithmetic). For small and
// medium models libtorch's per-operator overhead (~2-3 us x ~30 ops per layer) dominates a decode step; this path does
// the same arithmetic as LlamaModel::forward() in plain loops. Matrix products go through the register-tiled kernels of
// matmul_kernels.h: weights stream from memory once per step for the whole batch and each loaded weight vector serves
// several sequences, so a batch costs far less than B single steps. Every output element is computed the same way
// whatever B is (see the kernels' determinism contract), so results do not depend on B; a lone sequence goes through
// the very same code (step() is stepBatch() of one).
#include "model/llama_attention.h"
#include "model/llama_model.h"
#include "kernels/matmul.h"
#include "model/row_split.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <initializer_list>
#include <type_traits>

namespace smartbot::engine {

namespace {

// Y[b, rows] (+)= W[rows, cols] X[b, cols] for b < B; X rows are xStride apart, Y rows yStride apart.
// Large products are split over the intra-op threads by weight rows (splitRows). The kernel is looked up once.
template <typename WT>
void matmul(const WT *w, const float *x, int64_t xStride, float *y, int64_t yStride, int64_t rows, int64_t cols,
            int64_t B, bool accumulate = false)
{
    static const auto kernel = [] {
        if constexpr (std::is_same_v<WT, float>)
            return kernels::matmulRows();
        else
            return kernels::matmulRowsBf16();
    }();
    splitRows(rows, cols * B,
              [&](int64_t begin, int64_t end) { kernel(w, cols, x, xStride, B, y, yStride, begin, end, accumulate); });
}

// The same for a Weight: quantized blocks take the activations quantized to 8 bits (once per call, for all B rows).
template <typename T>
void project(const Weight &W, const float *x, int64_t xStride, float *y, int64_t yStride, int64_t B,
             bool accumulate = false);

// Several weights over the same input whose outputs lie side by side in each y row (q|k|v, gate|up): see below.
template <typename T>
void projectSideBySide(std::initializer_list<const Weight *> parts, const float *x, int64_t xStride, float *y,
                       int64_t yStride, int64_t B);

template <typename T> void rmsNormInto(const float *x, const T *w, float *out, int64_t n, double eps)
{
    double ss = 0;
    for (int64_t i = 0; i < n; ++i)
        ss += double(x[i]) * double(x[i]);
    const float r = float(1.0 / std::sqrt(ss / double(n) + eps));
    for (int64_t i = 0; i < n; ++i)
        out[i] = x[i] * r * float(w[i]);
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

// Weights as the kernels take them: float, or the bits of c10::BFloat16 (a struct holding one uint16_t).
template <typename T> using KernelWeight = std::conditional_t<std::is_same_v<T, float>, float, uint16_t>;

template <typename T> const KernelWeight<T> *weights(const torch::Tensor &t)
{
    static_assert(sizeof(T) == sizeof(KernelWeight<T>));
    return reinterpret_cast<const KernelWeight<T> *>(t.data_ptr<T>());
}

// n values of a float or bfloat16 table row as float: the row itself for float, else widened into buf.
template <typename T> const float *asFloat(const T *p, int64_t n, std::vector<float> &buf)
{
    if constexpr (std::is_same_v<T, float>) {
        return p;
    } else {
        buf.resize(size_t(n));
        for (int64_t i = 0; i < n; ++i)
            buf[size_t(i)] = float(p[i]);
        return buf.data();
    }
}

template <typename T>
void project(const Weight &W, const float *x, int64_t xStride, float *y, int64_t yStride, int64_t B, bool accumulate)
{
    if (W.quantized()) {
        thread_local kernels::Q8Activations q;
        q.quantize(x, xStride, B, W.cols);
        W.matmul(q, y, yStride, accumulate);
    } else {
        matmul(weights<T>(W.dense), x, xStride, y, yStride, W.rows, W.cols, B, accumulate);
    }
}

// One activation quantization and one split of all the parts' rows over the threads, where a project() per weight
// quantized the same input again and woke the thread pool once per weight. A single-stream step of the 768x12 model
// woke it 85 times; with q|k|v and gate|up taken together, 49. Each output row is computed by the same kernel call
// on the same inputs whatever the split, so the results are the same bits.
template <typename T>
void projectSideBySide(std::initializer_list<const Weight *> parts, const float *x, int64_t xStride, float *y,
                       int64_t yStride, int64_t B)
{
    static const kernels::QuantMatmulFn quantKernel = kernels::quantMatmulRows();
    static const auto denseKernel = [] {
        if constexpr (std::is_same_v<T, float>)
            return kernels::matmulRows();
        else
            return kernels::matmulRowsBf16();
    }();
    const int64_t cols = (*parts.begin())->cols;
    int64_t rows = 0;
    bool quantized = false;
    for (const Weight *w : parts) {
        rows += w->rows;
        quantized = quantized || w->quantized();
    }
    thread_local kernels::Q8Activations q;
    if (quantized)
        q.quantize(x, xStride, B, cols);
    // Named by reference here: inside the lambda, on a pool thread, `q` would be that thread's own (empty) one.
    const kernels::Q8Activations &xq = q;
    splitRows(rows, cols * B, [&](int64_t begin, int64_t end) {
        int64_t start = 0; // the part's first row, which is also its first column in y
        for (const Weight *w : parts) {
            const int64_t b = std::max(begin, start) - start, e = std::min(end, start + w->rows) - start;
            if (b < e) {
                if (w->quantized())
                    quantKernel(w->type, w->blocks, w->rowBytes, xq, y + start, yStride, b, e, false);
                else
                    denseKernel(weights<T>(w->dense), cols, x, xStride, B, y + start, yStride, b, e, false);
            }
            start += w->rows;
        }
    });
}

} // namespace

torch::Tensor LlamaModel::step(int32_t id, KvCache &cache) const
{
    return stepBatch({id}, {&cache});
}

torch::Tensor LlamaModel::stepBatch(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const
{
    for (size_t b = 0; b < ids.size(); ++b) {
        const KvCache &cache = *caches[b];
        TORCH_CHECK(cache.length + 1 <= cache.capacity && cache.length + 1 <= config_.maxPositions,
                    "context length exceeded");
        TORCH_CHECK(ids[b] >= 0 && ids[b] < config_.vocabSize, "token id out of range");
    }
    if (device_.is_cpu() && fusedCpuDecode_ && dtype_ == torch::kFloat32)
        return stepBatchCpu<float>(ids, caches);
    if (device_.is_cpu() && fusedCpuDecode_ && dtype_ == torch::kBFloat16)
        return stepBatchCpu<c10::BFloat16>(ids, caches);
    return stepBatchTorch(ids, caches);
}

// T: the model's storage dtype (float or c10::BFloat16) for weights, embeddings, norms, RoPE tables and KV cache.
// Activations are float32 either way. The float32 instance is the original float32 step, operation for operation.
template <typename T>
torch::Tensor LlamaModel::stepBatchCpu(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const
{
    constexpr bool kFloat = std::is_same_v<T, float>;
    const auto &c = config_;
    const int64_t D = c.hiddenSize, I = c.intermediateSize, H = c.numHeads, KV = c.numKvHeads, hd = c.headDim;
    const int64_t half = hd / 2, B = int64_t(ids.size());
    const int64_t qDim = H * hd, kvDim = KV * hd, qkvDim = qDim + 2 * kvDim;
    // Scratch, one row per sequence: x, h, q|k|v, attention output, gate|up. Attention scores are per thread.
    std::vector<float> x(static_cast<size_t>(B * D)), h(static_cast<size_t>(B * D)),
        qkv(static_cast<size_t>(B * qkvDim)), att(static_cast<size_t>(B * qDim)), gu(static_cast<size_t>(B * 2 * I));
    for (int64_t b = 0; b < B; ++b) {
        if (embed_.quantized()) {
            embed_.decodeRow(ids[size_t(b)], &x[size_t(b * D)]);
        } else {
            const T *emb = embed_.dense.data_ptr<T>() + int64_t(ids[size_t(b)]) * D;
            std::transform(emb, emb + D, x.begin() + b * D, [](T v) { return float(v); });
        }
    }
    const T *cosBase = cos_.data_ptr<T>(), *sinBase = sin_.data_ptr<T>();

    for (int64_t l = 0; l < c.numLayers; ++l) {
        const Layer &L = layers_[size_t(l)];
        forEachSequence(B, [&](int64_t b) {
            rmsNormInto(&x[size_t(b * D)], L.attnNorm.data_ptr<T>(), &h[size_t(b * D)], D, c.rmsNormEps);
        });
        float *q0 = qkv.data();
        projectSideBySide<T>({&L.wq, &L.wk, &L.wv}, h.data(), D, q0, qkvDim, B);
        forEachSequence(B, [&](int64_t b) {
            KvCache &cache = *caches[size_t(b)];
            const int64_t pos = cache.length, total = pos + 1;
            float *q = q0 + b * qkvDim, *k = q + qDim, *v = k + kvDim;
            if (L.bq.defined()) {
                const T *bias[3] = {L.bq.data_ptr<T>(), L.bk.data_ptr<T>(), L.bv.data_ptr<T>()};
                const int64_t sizes[3] = {qDim, kvDim, kvDim};
                float *outs[3] = {q, k, v};
                for (int j = 0; j < 3; ++j)
                    for (int64_t i = 0; i < sizes[j]; ++i)
                        outs[j][i] += float(bias[j][i]);
            }
            // Per thread (sequences may run in parallel), kept between steps to spare allocations.
            thread_local std::vector<float> scores, cosBuf, sinBuf;
            scores.resize(static_cast<size_t>(total));
            const float *cosP = asFloat(cosBase + pos * half, half, cosBuf);
            const float *sinP = asFloat(sinBase + pos * half, half, sinBuf);
            for (int64_t i = 0; i < H; ++i)
                ropeInPlace(q + i * hd, cosP, sinP, half);
            for (int64_t j = 0; j < KV; ++j)
                ropeInPlace(k + j * hd, cosP, sinP, half);
            T *kc = cache.k[size_t(l)].data_ptr<T>(), *vc = cache.v[size_t(l)].data_ptr<T>();
            // The shared attention routine; float32 keeps its eight-lane sums (see AttnSum).
            constexpr AttnSum kSum = kFloat ? AttnSum::Lanes8 : AttnSum::Sequential;
            attendOne<kSum>(q, k, v, kc, vc, cache.capacity, pos, H, KV, hd, scores.data(), &att[size_t(b * qDim)]);
        });
        project<T>(L.wo, att.data(), qDim, x.data(), D, B, /*accumulate=*/true);
        forEachSequence(B, [&](int64_t b) {
            rmsNormInto(&x[size_t(b * D)], L.mlpNorm.data_ptr<T>(), &h[size_t(b * D)], D, c.rmsNormEps);
        });
        projectSideBySide<T>({&L.wgate, &L.wup}, h.data(), D, gu.data(), 2 * I, B);
        forEachSequence(B, [&](int64_t b) {
            float *row = &gu[size_t(b * 2 * I)];
            for (int64_t i = 0; i < I; ++i) {
                const float g = row[i];
                row[i] = g / (1.0f + std::exp(-g)) * row[I + i];
            }
        });
        project<T>(L.wdown, gu.data(), 2 * I, x.data(), D, B, /*accumulate=*/true);
    }
    for (KvCache *cache : caches)
        cache->length += 1;
    forEachSequence(B, [&](int64_t b) {
        rmsNormInto(&x[size_t(b * D)], finalNorm_.data_ptr<T>(), &h[size_t(b * D)], D, c.rmsNormEps);
    });
    auto logits = torch::empty({B, c.vocabSize}, torch::kFloat32);
    project<T>(lmHead_, h.data(), D, logits.data_ptr<float>(), c.vocabSize, B);
    return logits;
}

template torch::Tensor LlamaModel::stepBatchCpu<float>(const std::vector<int32_t> &,
                                                       const std::vector<KvCache *> &) const;
template torch::Tensor LlamaModel::stepBatchCpu<c10::BFloat16>(const std::vector<int32_t> &,
                                                               const std::vector<KvCache *> &) const;

} // namespace smartbot::engine
