// The forward pass on the CPU, fused by hand, over rows of tokens: a decode step for a batch of sequences (one row
// each), or a short prompt's positions (consecutive rows of one sequence). Float32 models, and bfloat16 ones (bfloat16
// weights, embeddings, norms and KV cache, read with exact widening; float32 activations and arithmetic, except
// that their matrix products take the activations rounded to bfloat16, as VDPBF16PS does: see matmul.h), and the
// quantized matrices of either. For small and medium models libtorch's per-operator overhead (~2-3 us x ~30 ops per
// layer) dominates a step; this path does the same arithmetic as LlamaModel::hidden() in plain loops. Matrix products
// go through the register-tiled kernels of matmul.h and quant_matmul.h: weights stream from memory once per pass for
// all rows and each loaded weight vector serves several rows, so a batch costs far less than B single steps. Every
// output element is computed the same way whatever the rows are (see the kernels' determinism contract), so results do
// not depend on the batch; a lone sequence goes through the very same code (step() is stepBatch() of one), and a
// prompt run through here gives the bits its positions would get as decode steps one at a time.
#include "model/llama_attention.h"
#include "model/llama_model.h"
#include "kernels/exp_kernels.h"
#include "kernels/matmul.h"
#include "model/row_split.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <type_traits>

namespace smartbot::engine {

namespace {

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

// Y[b, rows] (+)= W[rows, cols] X[b, cols] for b < B, for one weight or for several over the same input whose outputs
// lie side by side in each y row (q|k|v, gate|up); X rows are xStride apart, Y rows yStride apart. Quantized blocks
// take the activations quantized to 8 bits, once for all parts and all B rows; dense weights (T: float or
// c10::BFloat16) go through the register-tiled kernels of matmul.h. The parts' rows are split over the intra-op
// threads together (splitRows): where a call per weight quantized the same input again and woke the thread pool once
// per weight, a single-stream step of the 768x12 model woke it 85 times; with q|k|v and gate|up taken together, 49.
// Each output row is computed by the same kernel call on the same inputs whatever the split, so the results are the
// same bits.
template <typename T>
void project(std::initializer_list<const Weight *> parts, const float *x, int64_t xStride, float *y, int64_t yStride,
             int64_t B, bool accumulate = false)
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
                    quantKernel(w->type, w->blocks, w->rowBytes, xq, y + start, yStride, b, e, accumulate);
                else
                    denseKernel(weights<T>(w->dense), cols, x, xStride, B, y + start, yStride, b, e, accumulate);
            }
            start += w->rows;
        }
    });
}

// The fused pass's activations: kept between passes on the calling thread (the engine's worker), so that a step does
// not allocate and zero them afresh (a decode step of the seed model allocated five vectors per pass); a buffer
// larger than kKeptFloats (a long prompt of a large model) is freed after its pass rather than held. Each region
// starts on a 64-byte boundary: a head's 8 query values must not straddle two cache lines (with the regions packed
// end to end, the seed model's attention scores took 20% longer).
class PassScratch {
public:
    static constexpr size_t kMaxRegions = 8;
    explicit PassScratch(std::initializer_list<int64_t> sizes)
    {
        int64_t total = kAlign;
        for (int64_t n : sizes)
            total += roundUp(n);
        float *base = nullptr;
        if (total <= kKeptFloats) {
            thread_local std::unique_ptr<float[]> kept;
            thread_local int64_t keptSize = 0;
            if (keptSize < total) {
                kept.reset(new float[size_t(total)]);
                keptSize = total;
            }
            base = kept.get();
        } else {
            own_.reset(new float[size_t(total)]);
            base = own_.get();
        }
        base += (kAlign - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % kAlign) % kAlign;
        size_t i = 0;
        for (int64_t n : sizes) {
            regions_.at(i++) = base;
            base += roundUp(n);
        }
    }
    float *operator[](size_t i) const { return regions_[i]; }

private:
    static constexpr int64_t kAlign = 64 / sizeof(float);
    static constexpr int64_t kKeptFloats = int64_t(4) << 20; // 16 MiB
    static int64_t roundUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
    std::array<float *, kMaxRegions> regions_{};
    std::unique_ptr<float[]> own_;
};

} // namespace

bool LlamaModel::fusedCpu() const
{
    return device_.is_cpu() && fusedCpuDecode_ && (dtype_ == torch::kFloat32 || dtype_ == torch::kBFloat16);
}

torch::Tensor LlamaModel::forwardRows(const CpuRows &rows) const
{
    return dtype_ == torch::kFloat32 ? forwardRowsCpu<float>(rows) : forwardRowsCpu<c10::BFloat16>(rows);
}

void LlamaModel::checkAppend(const int32_t *ids, int64_t n, const KvCache &cache) const
{
    TORCH_CHECK(cache.length + n <= cache.capacity && cache.length + n <= config_.maxPositions,
                "context length exceeded");
    for (int64_t i = 0; i < n; ++i)
        TORCH_CHECK(ids[i] >= 0 && ids[i] < config_.vocabSize, "token id out of range");
}

torch::Tensor LlamaModel::step(int32_t id, KvCache &cache) const
{
    return stepBatch({id}, {&cache});
}

torch::Tensor LlamaModel::stepBatch(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const
{
    TORCH_CHECK(ids.size() == caches.size(), "one id per cache");
    std::vector<Span> spans;
    spans.reserve(ids.size());
    for (size_t b = 0; b < ids.size(); ++b)
        spans.push_back({&ids[b], 1, caches[b]});
    return stepSpans(spans);
}

torch::Tensor LlamaModel::stepSpans(const std::vector<Span> &spans) const
{
    CpuRows rows;
    for (const Span &span : spans) {
        TORCH_CHECK(span.n > 0 && (span.n == 1 || foldsPrompt(span.n)), "a span the fused pass does not take");
        checkAppend(span.ids, span.n, *span.cache);
        for (int64_t i = 0; i < span.n; ++i) {
            rows.ids.push_back(span.ids[i]);
            rows.caches.push_back(span.cache);
            rows.positions.push_back(span.cache->length + i);
        }
        rows.logitRows.push_back(int64_t(rows.ids.size()) - 1);
    }
    // Without the fused pass every span is a decode row (checked above): one row per cache.
    return fusedCpu() ? forwardRows(rows) : stepBatchTorch(rows.ids, rows.caches);
}

torch::Tensor LlamaModel::prefillCpu(const int32_t *ids, int64_t n, KvCache &cache, bool allLogits) const
{
    TORCH_CHECK(n > 0, "nothing to run");
    checkAppend(ids, n, cache);
    CpuRows rows{.ids = std::vector<int32_t>(ids, ids + n), .caches = std::vector<KvCache *>(size_t(n), &cache)};
    for (int64_t i = 0; i < n; ++i) {
        rows.positions.push_back(cache.length + i);
        if (allLogits || i == n - 1)
            rows.logitRows.push_back(i);
    }
    return forwardRows(rows);
}

// T: the model's storage dtype (float or c10::BFloat16) for weights, embeddings, norms, RoPE tables and KV cache.
// Activations are float32 either way. The float32 instance is the original float32 step, operation for operation.
template <typename T> torch::Tensor LlamaModel::forwardRowsCpu(const CpuRows &rows) const
{
    static const kernels::SiluGateFn siluFn = kernels::siluGate();
    const auto &c = config_;
    const int64_t D = c.hiddenSize, I = c.intermediateSize, H = c.numHeads, KV = c.numKvHeads, hd = c.headDim;
    const int64_t half = hd / 2, R = int64_t(rows.ids.size());
    const int64_t qDim = H * hd, kvDim = KV * hd, qkvDim = qDim + 2 * kvDim;
    // Rows of one sequence lie next to each other: then every row's k and v go into the cache before any row attends
    // (a row reads the positions of the rows before it). A decode batch, one row per cache, does both in one pass.
    bool sharedCache = false;
    for (int64_t r = 1; r < R; ++r)
        sharedCache = sharedCache || rows.caches[size_t(r)] == rows.caches[size_t(r - 1)];
    // Scratch, one row each: x, h, q|k|v, attention output, gate|up; every element is written before it is read.
    // Attention scores are per thread.
    const PassScratch scratch({R * D, R * D, R * qkvDim, R * qDim, R * 2 * I});
    float *const x = scratch[0], *const h = scratch[1], *const qkv = scratch[2], *const att = scratch[3],
                 *const gu = scratch[4];
    const T *embed = embed_.quantized() ? nullptr : embed_.dense.data_ptr<T>();
    for (int64_t r = 0; r < R; ++r) {
        if (!embed) {
            embed_.decodeRow(rows.ids[size_t(r)], x + r * D);
        } else {
            const T *emb = embed + int64_t(rows.ids[size_t(r)]) * D;
            std::transform(emb, emb + D, x + r * D, [](T v) { return float(v); });
        }
    }
    const T *cosBase = cos_.data_ptr<T>(), *sinBase = sin_.data_ptr<T>();
    // Each row's cache, layer by layer: [(r * layers + l) * 2] keys, + 1 values. Resolved once per pass, once per
    // cache (a prompt's rows share theirs): data_ptr's checks per row per layer were 3% of the engine thread under
    // bench_chat_qps.
    const int64_t NL = c.numLayers;
    std::vector<T *> kv(static_cast<size_t>(R * NL * 2));
    for (int64_t r = 0; r < R; ++r) {
        T **dst = &kv[size_t(r * NL * 2)];
        if (r > 0 && rows.caches[size_t(r)] == rows.caches[size_t(r - 1)]) {
            std::copy_n(dst - NL * 2, NL * 2, dst);
            continue;
        }
        const KvCache &cache = *rows.caches[size_t(r)];
        for (int64_t l = 0; l < NL; ++l) {
            dst[2 * l] = cache.k[size_t(l)].data_ptr<T>();
            dst[2 * l + 1] = cache.v[size_t(l)].data_ptr<T>();
        }
    }

    for (int64_t l = 0; l < c.numLayers; ++l) {
        const Layer &L = layers_[size_t(l)];
        const T *attnNorm = L.attnNorm.data_ptr<T>(), *mlpNorm = L.mlpNorm.data_ptr<T>();
        const bool biased = L.bq.defined();
        const T *bias[3] = {biased ? L.bq.data_ptr<T>() : nullptr, biased ? L.bk.data_ptr<T>() : nullptr,
                            biased ? L.bv.data_ptr<T>() : nullptr};
        forEachSequence(R, [&](int64_t r) { rmsNormInto(x + r * D, attnNorm, h + r * D, D, c.rmsNormEps); });
        float *q0 = qkv;
        project<T>({&L.wq, &L.wk, &L.wv}, h, D, q0, qkvDim, R);
        // Bias, RoPE at the row's position, and its k and v into the cache.
        const auto store = [&](int64_t r) {
            const int64_t pos = rows.positions[size_t(r)];
            float *q = q0 + r * qkvDim, *k = q + qDim, *v = k + kvDim;
            if (biased) {
                const int64_t sizes[3] = {qDim, kvDim, kvDim};
                float *outs[3] = {q, k, v};
                for (int j = 0; j < 3; ++j)
                    for (int64_t i = 0; i < sizes[j]; ++i)
                        outs[j][i] += float(bias[j][i]);
            }
            if (!qFrom_.empty()) {
                toHfOrder(q, qFrom_);
                toHfOrder(k, kFrom_);
            }
            thread_local std::vector<float> cosBuf, sinBuf; // per thread: rows may run in parallel
            const float *cosP = asFloat(cosBase + pos * half, half, cosBuf);
            const float *sinP = asFloat(sinBase + pos * half, half, sinBuf);
            for (int64_t i = 0; i < H; ++i)
                ropeInPlace(q + i * hd, cosP, sinP, half);
            for (int64_t j = 0; j < KV; ++j)
                ropeInPlace(k + j * hd, cosP, sinP, half);
            T *const *cacheKv = &kv[size_t((r * NL + l) * 2)];
            storeKv(k, v, cacheKv[0], cacheKv[1], rows.caches[size_t(r)]->capacity, pos, KV, hd);
        };
        // Attention of the row's q over the cache's positions up to its own.
        const auto attend = [&](int64_t r) {
            const int64_t pos = rows.positions[size_t(r)];
            T *const *cacheKv = &kv[size_t((r * NL + l) * 2)];
            thread_local std::vector<float> scores; // per thread, kept between steps to spare allocations
            scores.resize(static_cast<size_t>(H * (pos + 1)));
            // The shared attention routine, with its eight-lane sums (see AttnSum).
            attendCached<AttnSum::Lanes8>(q0 + r * qkvDim, cacheKv[0], cacheKv[1], rows.caches[size_t(r)]->capacity,
                                          pos, H, KV, hd, scores.data(), att + r * qDim);
        };
        if (sharedCache) {
            forEachSequence(R, store);
            forEachSequence(R, attend);
        } else {
            forEachSequence(R, [&](int64_t r) {
                store(r);
                attend(r);
            });
        }
        project<T>({&L.wo}, att, qDim, x, D, R, /*accumulate=*/true);
        forEachSequence(R, [&](int64_t r) { rmsNormInto(x + r * D, mlpNorm, h + r * D, D, c.rmsNormEps); });
        project<T>({&L.wgate, &L.wup}, h, D, gu, 2 * I, R);
        forEachSequence(R, [&](int64_t r) {
            float *row = gu + r * 2 * I;
            siluFn(row, row + I, I);
        });
        project<T>({&L.wdown}, gu, 2 * I, x, D, R, /*accumulate=*/true);
    }
    for (int64_t r = 0; r < R; ++r) {
        KvCache &cache = *rows.caches[size_t(r)];
        cache.length = std::max(cache.length, rows.positions[size_t(r)] + 1);
    }
    // The output layer only for the rows asked for (a prompt needs its last position's logits).
    const int64_t N = int64_t(rows.logitRows.size());
    const T *finalNorm = finalNorm_.data_ptr<T>();
    forEachSequence(
        N, [&](int64_t i) { rmsNormInto(x + rows.logitRows[size_t(i)] * D, finalNorm, h + i * D, D, c.rmsNormEps); });
    auto logits = torch::empty({N, c.vocabSize}, torch::kFloat32);
    if (N > 0)
        project<T>({&lmHead_}, h, D, logits.data_ptr<float>(), c.vocabSize, N);
    return logits;
}

template torch::Tensor LlamaModel::forwardRowsCpu<float>(const CpuRows &) const;
template torch::Tensor LlamaModel::forwardRowsCpu<c10::BFloat16>(const CpuRows &) const;

} // namespace smartbot::engine
