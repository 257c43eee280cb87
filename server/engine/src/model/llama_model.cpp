#include "model/llama_model.h"

#include <cmath>

#include "gguf/ggml_type.h"
#include "gguf/llama_tensor_map.h"

namespace smartbot::engine {
namespace {

torch::ScalarType torchType(DType d)
{
    switch (d) {
    case DType::F32:
        return torch::kFloat32;
    case DType::F16:
        return torch::kFloat16;
    case DType::BF16:
        return torch::kBFloat16;
    }
    return torch::kFloat32;
}

std::string shapeString(const std::vector<int64_t> &s)
{
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

// Looks up a tensor, checks its shape and returns it in the compute dtype on the device.
// F32 on the CPU stays zero-copy over the mapping (the caller keeps the file alive); quantized GGUF blocks are
// decoded here (a quantized matrix that stays quantized goes through fetchWeight()).
Result<torch::Tensor> fetch(const WeightSet &f, const std::string &name, std::vector<int64_t> shape,
                            torch::ScalarType dtype, torch::Device device)
{
    const TensorView *v = f.find(name);
    if (!v)
        return makeError("model.safetensors: tensor '" + name + "' is missing");
    if (v->shape != shape)
        return makeError("model.safetensors: tensor '" + name + "' has shape " + shapeString(v->shape) +
                         ", config.json implies " + shapeString(shape));
    if (v->quantized) {
        const gguf::GgmlTypeInfo *info = gguf::ggmlTypeInfo(v->ggmlType);
        const int64_t cols = shape.back(), rows = v->numel() / cols;
        auto t = torch::empty(shape, torch::kFloat32);
        for (int64_t r = 0; r < rows; ++r)
            info->dequantize(v->data + uint64_t(r) * v->rowBytes, t.data_ptr<float>() + r * cols,
                             cols / info->blockSize);
        return t.to(device, dtype);
    }
    auto t = torch::from_blob(const_cast<uint8_t *>(v->data), shape, torch::TensorOptions().dtype(torchType(v->dtype)));
    const bool aligned = reinterpret_cast<uintptr_t>(v->data) % dtypeSize(v->dtype) == 0;
    if (t.scalar_type() == dtype && device.is_cpu() && aligned)
        return t;
    return t.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
}

// Where a matrix sits in the model, for the quantization scheme's choice of its type ([model] quantize).
struct MatrixRole {
    bool output = false; // the lm_head
    bool wide = false;   // attn_v / ffn_down (more bits in some layers under Q4_K_M)
    int64_t layer = -1;  // its block; -1 outside the blocks
};

// A weight matrix: quantized blocks stay in place on the CPU (read by the quantized kernels); float weights are a
// dense tensor as fetch() gives it, or with a scheme (CPU, float32) quantized here to the type it gives the matrix.
Result<Weight> fetchWeight(const WeightSet &f, const std::string &name, std::vector<int64_t> shape, MatrixRole role,
                           const gguf::QuantScheme *scheme, int64_t layers, torch::ScalarType dtype,
                           torch::Device device)
{
    Weight w;
    w.rows = shape[0];
    w.cols = shape[1];
    const TensorView *v = f.find(name);
    if (v && v->quantized && v->shape == shape && device.is_cpu() && kernels::quantKernelSupports(v->ggmlType)) {
        w.blocks = v->data;
        w.type = v->ggmlType;
        w.rowBytes = v->rowBytes;
        return w;
    }
    auto t = fetch(f, name, std::move(shape), dtype, device);
    if (!t)
        return t.failure();
    if (scheme && !(v && v->quantized) && device.is_cpu() && dtype == torch::kFloat32) {
        const gguf::GgmlType type = gguf::matrixType(*scheme, role.output, role.wide, role.layer, layers, w.cols);
        if (type != gguf::GgmlType::F32 && kernels::quantKernelSupports(uint32_t(type)))
            return Weight::quantize(t.value(), uint32_t(type));
    }
    w.dense = t.value();
    return w;
}

} // namespace

Result<std::unique_ptr<LlamaModel>> LlamaModel::load(const WeightSet &w, const ModelConfig &c, torch::Device device,
                                                     torch::ScalarType dtype, bool fusedCpuDecode,
                                                     const std::function<void(double)> &onLayer,
                                                     const gguf::QuantScheme *quantize)
{
    std::unique_ptr<LlamaModel> m(new LlamaModel);
    m->config_ = c;
    m->device_ = device;
    m->fusedCpuDecode_ = fusedCpuDecode;
    m->dtype_ = dtype;
    const auto dt = m->dtype_;
    const int64_t D = c.hiddenSize, I = c.intermediateSize, hd = c.headDim;
    const int64_t qDim = c.numHeads * hd, kvDim = c.numKvHeads * hd;

#define SB_FETCH_WITH(fn, var, name, ...)                                                                              \
    std::decay_t<decltype(fn(w, name, __VA_ARGS__, dt, device).value())> var;                                          \
    {                                                                                                                  \
        auto r = fn(w, name, __VA_ARGS__, dt, device);                                                                 \
        if (!r)                                                                                                        \
            return r.failure();                                                                                        \
        var = r.value();                                                                                               \
    }
#define SB_FETCH(var, name, ...) SB_FETCH_WITH(fetch, var, name, __VA_ARGS__)
    const int64_t L = c.numLayers;
#define SB_MATRIX(var, name, shape, ...)                                                                               \
    SB_FETCH_WITH(fetchWeight, var, name, shape, MatrixRole{__VA_ARGS__}, quantize, L)
    SB_MATRIX(embed, "model.embed_tokens.weight", (std::vector<int64_t>{c.vocabSize, D}));
    SB_FETCH(norm, "model.norm.weight", {D});
    m->embed_ = embed;
    m->finalNorm_ = norm;
    if (c.tieWordEmbeddings) {
        m->lmHead_ = embed;
    } else {
        SB_MATRIX(head, "lm_head.weight", (std::vector<int64_t>{c.vocabSize, D}), true);
        m->lmHead_ = head;
    }
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        SB_FETCH(an, p + "input_layernorm.weight", {D});
        SB_FETCH(mn, p + "post_attention_layernorm.weight", {D});
        SB_MATRIX(q, p + "self_attn.q_proj.weight", (std::vector<int64_t>{qDim, D}), false, false, l);
        SB_MATRIX(k, p + "self_attn.k_proj.weight", (std::vector<int64_t>{kvDim, D}), false, false, l);
        SB_MATRIX(v, p + "self_attn.v_proj.weight", (std::vector<int64_t>{kvDim, D}), false, true, l);
        SB_MATRIX(o, p + "self_attn.o_proj.weight", (std::vector<int64_t>{D, qDim}), false, false, l);
        SB_MATRIX(g, p + "mlp.gate_proj.weight", (std::vector<int64_t>{I, D}), false, false, l);
        SB_MATRIX(u, p + "mlp.up_proj.weight", (std::vector<int64_t>{I, D}), false, false, l);
        SB_MATRIX(dn, p + "mlp.down_proj.weight", (std::vector<int64_t>{D, I}), false, true, l);
        torch::Tensor bq, bk, bv;
        if (c.qkvBias) {
            SB_FETCH(qb, p + "self_attn.q_proj.bias", {qDim});
            SB_FETCH(kb, p + "self_attn.k_proj.bias", {kvDim});
            SB_FETCH(vb, p + "self_attn.v_proj.bias", {kvDim});
            bq = qb, bk = kb, bv = vb;
        }
        Layer layer;
        layer.attnNorm = an;
        layer.mlpNorm = mn;
        layer.bq = bq, layer.bk = bk, layer.bv = bv;
        layer.wq = q, layer.wk = k, layer.wv = v, layer.wo = o;
        layer.wgate = g, layer.wup = u, layer.wdown = dn;
        m->layers_.push_back(std::move(layer));
        if (onLayer)
            onLayer(double(l + 1) / double(c.numLayers));
    }
#undef SB_MATRIX
#undef SB_FETCH_WITH
#undef SB_FETCH

    m->parameters_ = w.parameterCount();

    // Where q and k rows are in GGUF's interleaved order (every layer's alike: gguf/llama_tensor_map.cpp).
    const auto order = [&](const std::string &name, int64_t rows, std::vector<int64_t> &from, torch::Tensor &index) {
        const TensorView *v = w.find(name);
        if (!v || v->interleavedHeads <= 0)
            return;
        for (int64_t r = 0; r < rows; ++r)
            from.push_back(gguf::interleavedRow(r, rows, v->interleavedHeads));
        index = torch::tensor(from, torch::kLong).to(device);
    };
    if (c.numLayers > 0) {
        order("model.layers.0.self_attn.q_proj.weight", qDim, m->qFrom_, m->qIndex_);
        order("model.layers.0.self_attn.k_proj.weight", kvDim, m->kFrom_, m->kIndex_);
    }

    // RoPE tables (rotate-half convention, after rope_scaling), computed in float64, stored in the compute dtype.
    const int64_t half = hd / 2;
    const std::vector<double> freqs = c.ropeInverseFrequencies();
    auto inv = torch::from_blob(const_cast<double *>(freqs.data()), {half}, torch::kFloat64).clone();
    auto pos = torch::arange(c.maxPositions, torch::kFloat64).unsqueeze(1);
    auto ang = pos * inv.unsqueeze(0);
    m->cos_ = ang.cos().to(device, dt);
    m->sin_ = ang.sin().to(device, dt);
    return m;
}

int64_t LlamaModel::weightBytes() const
{
    auto bytes = [](const torch::Tensor &t) { return t.defined() ? t.numel() * int64_t(t.element_size()) : 0; };
    const bool tied = lmHead_.quantized() ? lmHead_.blocks == embed_.blocks : lmHead_.dense.is_same(embed_.dense);
    int64_t n = embed_.bytes() + (tied ? 0 : lmHead_.bytes()) + bytes(finalNorm_);
    for (const Layer &l : layers_) {
        for (const Weight *w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.wgate, &l.wup, &l.wdown})
            n += w->bytes();
        for (const torch::Tensor *t : {&l.attnNorm, &l.mlpNorm, &l.bq, &l.bk, &l.bv})
            n += bytes(*t);
    }
    return n;
}

KvShape LlamaModel::kvShape() const
{
    return {.layers = config_.numLayers,
            .kvHeads = config_.numKvHeads,
            .headDim = config_.headDim,
            .dtype = dtype_,
            .device = device_};
}

torch::Tensor LlamaModel::rmsNorm(const torch::Tensor &x, const torch::Tensor &w) const
{
    auto xf = x.to(torch::kFloat32);
    auto r = torch::rsqrt(xf.pow(2).mean(-1, true) + config_.rmsNormEps);
    return (xf * r).to(dtype_) * w;
}

// x: [T, heads, hd]; cos/sin: [T, hd/2]
torch::Tensor LlamaModel::rope(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin) const
{
    const int64_t half = config_.headDim / 2;
    auto x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
    auto c = cos.unsqueeze(1), s = sin.unsqueeze(1);
    return torch::cat({x1 * c - x2 * s, x2 * c + x1 * s}, -1);
}

LlamaModel::Qkv LlamaModel::projectQkv(const torch::Tensor &x, const Layer &L, int64_t n, const torch::Tensor &cos,
                                       const torch::Tensor &sin) const
{
    const int64_t H = config_.numHeads, KV = config_.numKvHeads, hd = config_.headDim;
    auto h = rmsNorm(x, L.attnNorm);
    const auto hfOrder = [](torch::Tensor t, const torch::Tensor &index) {
        return index.defined() ? t.index_select(-1, index) : t;
    };
    return {rope(hfOrder(L.wq.apply(h, L.bq), qIndex_).view({n, H, hd}), cos, sin),
            rope(hfOrder(L.wk.apply(h, L.bk), kIndex_).view({n, KV, hd}), cos, sin),
            L.wv.apply(h, L.bv).view({n, KV, hd})};
}

void LlamaModel::toHfOrder(float *values, const std::vector<int64_t> &from)
{
    thread_local std::vector<float> product; // per thread: rows run in parallel
    product.assign(values, values + from.size());
    for (size_t i = 0; i < from.size(); ++i)
        values[i] = product[size_t(from[i])];
}

torch::Tensor LlamaModel::finishLayer(const torch::Tensor &x, const torch::Tensor &attn, const Layer &L) const
{
    auto y = x + L.wo.apply(attn);
    auto h = rmsNorm(y, L.mlpNorm);
    return y + L.wdown.apply(torch::silu(L.wgate.apply(h)) * L.wup.apply(h));
}

torch::Tensor LlamaModel::attendDense(const torch::Tensor &q, const torch::Tensor &keys, const torch::Tensor &values,
                                      const torch::Tensor &mask) const
{
    // Query rows go in chunks whose score matrices stay under kScoresBytes. Row i of the n new ones is position
    // total - n + i, so a chunk only needs the keys up to its last row's position: a causal prompt does half the
    // work of one [n, total] product. Measured on the 768x12x32000 model, a 2,000-token prefill in one piece made
    // 192 MB score tensors per layer (over the allocator's mmap threshold: page-faulted afresh in every layer,
    // and then zeroed, added to, soft-maxed): 95 tokens/s, against 681 at 512 tokens.
    constexpr int64_t kScoresBytes = 8 << 20;
    const int64_t n = q.size(0), total = keys.size(1);
    const int64_t rowBytes = config_.numHeads * total * int64_t(q.element_size());
    const int64_t chunk = std::max<int64_t>(16, kScoresBytes / rowBytes);
    if (n <= chunk)
        return attendChunk(q, keys, values, mask);
    auto out = torch::empty({n, q.size(1) * q.size(2)}, q.options());
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        const int64_t c = std::min(chunk, n - i0), visible = total - n + i0 + c;
        out.narrow(0, i0, c).copy_(attendChunk(q.narrow(0, i0, c), keys.narrow(1, 0, visible),
                                               values.narrow(1, 0, visible),
                                               mask.defined() ? mask.narrow(0, i0, c).narrow(1, 0, visible) : mask));
    }
    return out;
}

torch::Tensor LlamaModel::attendChunk(const torch::Tensor &q, const torch::Tensor &keys, const torch::Tensor &values,
                                      const torch::Tensor &mask) const
{
    const auto &c = config_;
    const int64_t H = c.numHeads, KV = c.numKvHeads, hd = c.headDim, G = H / KV;
    const int64_t n = q.size(0), total = keys.size(1);
    const double scale = 1.0 / std::sqrt(double(hd));
    // Group query heads by their KV head: [KV, G*n, hd]
    auto qg = q.view({n, KV, G, hd}).permute({1, 2, 0, 3}).reshape({KV, G * n, hd});
    auto scores = torch::bmm(qg, keys.transpose(1, 2)).mul_(scale); // [KV, G*n, total]
    if (mask.defined())
        scores = (scores.view({KV, G, n, total}) + mask).view({KV, G * n, total});
    auto probs = torch::softmax(scores.to(torch::kFloat32), -1).to(dtype_);
    return torch::bmm(probs, values) // [KV, G*n, hd]
        .view({KV, G, n, hd})
        .permute({2, 0, 1, 3})
        .reshape({n, H * hd});
}

torch::Tensor LlamaModel::hidden(const int32_t *ids, int64_t n, KvCache &cache) const
{
    const auto &c = config_;
    const int64_t start = cache.length, total = start + n;
    TORCH_CHECK(total <= cache.capacity && total <= c.maxPositions, "context length exceeded");

    auto idx = torch::from_blob(const_cast<int32_t *>(ids), {n}, torch::kInt32).to(device_, torch::kInt64);
    auto x = embed_.select(idx, dtype_); // [n, D]
    auto cos = cos_.narrow(0, start, n), sin = sin_.narrow(0, start, n);

    torch::Tensor mask; // [n, total] additive causal mask, only needed when n > 1
    if (n > 1) {
        auto q = torch::arange(start, total, torch::TensorOptions().dtype(torch::kInt64).device(device_)).unsqueeze(1);
        auto k = torch::arange(0, total, torch::TensorOptions().dtype(torch::kInt64).device(device_)).unsqueeze(0);
        mask = torch::zeros({n, total}, torch::TensorOptions().dtype(dtype_).device(device_))
                   .masked_fill(k > q, -std::numeric_limits<float>::infinity());
    }

    for (int64_t l = 0; l < c.numLayers; ++l) {
        const Layer &L = layers_[size_t(l)];
        auto [q, k, v] = projectQkv(x, L, n, cos, sin);
        cache.k[size_t(l)].narrow(1, start, n).copy_(k.transpose(0, 1));
        cache.v[size_t(l)].narrow(1, start, n).copy_(v.transpose(0, 1));
        x = finishLayer(
            x, attendDense(q, cache.k[size_t(l)].narrow(1, 0, total), cache.v[size_t(l)].narrow(1, 0, total), mask), L);
    }
    cache.length = total;
    return rmsNorm(x, finalNorm_);
}

torch::Tensor LlamaModel::head(const torch::Tensor &hidden) const
{
    return lmHead_.apply(hidden).to(torch::kCPU, torch::kFloat32).contiguous();
}

int64_t LlamaModel::fusedPrefillMax() const
{
    if (dtype_ != torch::kFloat32)
        return kFusedPrefillMaxBf16;
    return !layers_.empty() && layers_.front().wq.quantized() ? kFusedPrefillMaxQuantized : kFusedPrefillMax;
}

torch::Tensor LlamaModel::forward(const int32_t *ids, int64_t n, KvCache &cache, bool allLogits) const
{
    if (fusedCpu() && n <= fusedPrefillMax())
        return prefillCpu(ids, n, cache, allLogits);
    const torch::Tensor h = hidden(ids, n, cache);
    return head(allLogits ? h : h.narrow(0, n - 1, 1));
}

torch::Tensor LlamaModel::hiddenPacked(const std::vector<std::vector<int32_t>> &inputs) const
{
    std::vector<int32_t> ids;
    std::vector<int64_t> positions, segments;
    for (size_t s = 0; s < inputs.size(); ++s)
        for (size_t i = 0; i < inputs[s].size(); ++i) {
            ids.push_back(inputs[s][i]);
            positions.push_back(int64_t(i));
            segments.push_back(int64_t(s));
        }
    const int64_t n = int64_t(ids.size());
    TORCH_CHECK(n > 0, "nothing to embed");
    const auto longs = torch::TensorOptions().dtype(torch::kInt64);
    auto idx = torch::from_blob(ids.data(), {n}, torch::kInt32).to(device_, torch::kInt64);
    auto pos = torch::from_blob(positions.data(), {n}, longs).to(device_);
    auto seg = torch::from_blob(segments.data(), {n}, longs).to(device_);
    auto cos = cos_.index_select(0, pos), sin = sin_.index_select(0, pos);
    // Row i may see column j when both belong to the same sequence and j is not after i (rows are in order).
    auto order = torch::arange(n, longs.device(device_));
    auto visible = (seg.unsqueeze(1) == seg.unsqueeze(0)) & (order.unsqueeze(0) <= order.unsqueeze(1));
    auto mask = torch::zeros({n, n}, torch::TensorOptions().dtype(dtype_).device(device_))
                    .masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());

    auto x = embed_.select(idx, dtype_);
    for (const Layer &L : layers_) {
        auto [q, k, v] = projectQkv(x, L, n, cos, sin);
        x = finishLayer(x, attendDense(q, k.transpose(0, 1), v.transpose(0, 1), mask), L);
    }
    return rmsNorm(x, finalNorm_).to(torch::kCPU, torch::kFloat32).contiguous();
}

} // namespace smartbot::engine
