// The batched decode step in libtorch operators: the path for CUDA (bfloat16) and for anything the fused CPU
// kernel does not cover. Projections, MLP and the LM head run once for the whole batch ([B, D] matrices, so
// the weights are read once per step); attention runs per sequence over its own KV cache, whose lengths differ.
#include "model/llama_attention.h"
#include "model/llama_model.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace smartbot::engine {

namespace {

template <typename T>
void attendBatch(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
                 const std::vector<KvCache *> &caches, const std::vector<int64_t> &positions, int64_t layer,
                 torch::Tensor &out)
{
    const int64_t B = q.size(0), H = q.size(1), hd = q.size(2), KV = k.size(1);
    const T *qp = q.data_ptr<T>(), *kp = k.data_ptr<T>(), *vp = v.data_ptr<T>();
    T *op = out.data_ptr<T>();
    forEachSequence(B, [&](int64_t b) {
        thread_local std::vector<float> scores;
        KvCache &cache = *caches[size_t(b)];
        scores.resize(size_t(H * (positions[size_t(b)] + 1)));
        attendOne(qp + b * H * hd, kp + b * KV * hd, vp + b * KV * hd, cache.k[size_t(layer)].data_ptr<T>(),
                  cache.v[size_t(layer)].data_ptr<T>(), cache.capacity, positions[size_t(b)], H, KV, hd, scores.data(),
                  op + b * H * hd);
    });
}

} // namespace

torch::Tensor LlamaModel::attendCpu(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
                                    const std::vector<KvCache *> &caches, const std::vector<int64_t> &positions,
                                    int64_t layer) const
{
    auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
    auto out = torch::empty({q.size(0), q.size(1) * q.size(2)}, q.options());
    if (dtype_ == torch::kBFloat16)
        attendBatch<c10::BFloat16>(qc, kc, vc, caches, positions, layer, out);
    else
        attendBatch<float>(qc, kc, vc, caches, positions, layer, out);
    return out;
}

torch::Tensor LlamaModel::stepBatchTorch(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const
{
    const auto &c = config_;
    const int64_t H = c.numHeads, KV = c.numKvHeads, hd = c.headDim, G = H / KV, B = int64_t(ids.size());
    std::vector<int64_t> positions;
    for (const KvCache *cache : caches) // inputs checked by stepBatch()
        positions.push_back(cache->length);
    const auto onDevice = torch::TensorOptions().dtype(torch::kInt64);
    auto idx = torch::from_blob(const_cast<int32_t *>(ids.data()), {B}, torch::kInt32).to(device_, torch::kInt64);
    auto pos = torch::from_blob(positions.data(), {B}, onDevice).to(device_);
    auto x = embed_.select(idx, dtype_);                                   // [B, D]
    auto cos = cos_.index_select(0, pos), sin = sin_.index_select(0, pos); // [B, hd/2]
    const double scale = 1.0 / std::sqrt(double(hd));

    for (int64_t l = 0; l < c.numLayers; ++l) {
        const Layer &L = layers_[size_t(l)];
        auto [q, k, v] = projectQkv(x, L, B, cos, sin);
        torch::Tensor attn;
        if (device_.is_cpu()) {
            attn = attendCpu(q, k, v, caches, positions, l);
        } else {
            std::vector<torch::Tensor> outs;
            outs.reserve(size_t(B));
            for (int64_t b = 0; b < B; ++b) {
                KvCache &cache = *caches[size_t(b)];
                const int64_t p = positions[size_t(b)];
                cache.k[size_t(l)].select(1, p).copy_(k[b]);
                cache.v[size_t(l)].select(1, p).copy_(v[b]);
                auto keys = cache.k[size_t(l)].narrow(1, 0, p + 1);                                 // [KV, total, hd]
                auto values = cache.v[size_t(l)].narrow(1, 0, p + 1);                               // [KV, total, hd]
                auto scores = torch::bmm(q[b].view({KV, G, hd}), keys.transpose(1, 2)).mul_(scale); // [KV, G, total]
                auto probs = torch::softmax(scores.to(torch::kFloat32), -1).to(dtype_);
                outs.push_back(torch::bmm(probs, values).reshape({H * hd}));
            }
            attn = torch::stack(outs);
        }
        x = finishLayer(x, attn, L);
    }
    for (KvCache *cache : caches)
        cache->length += 1;
    auto logits = lmHead_.apply(rmsNorm(x, finalNorm_));
    return logits.to(torch::kCPU, torch::kFloat32).contiguous();
}

} // namespace smartbot::engine
