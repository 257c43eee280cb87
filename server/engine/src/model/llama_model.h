// LlamaModel: weights and the forward pass (RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU)
// with a KV cache. Private to the engine; torch types stay behind this header's users.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kv/kv_cache.h"
#include "model/config.h"
#include "gguf/quant_scheme.h"
#include "model/weight.h"
#include "model/weight_set.h"

namespace smartbot::engine {

class LlamaModel {
public:
    // fusedCpuDecode: decode float32 or bfloat16 on the CPU with the hand-fused kernel (llama_decode_cpu.cpp);
    // false runs the libtorch-operator path that CUDA uses (for tests and comparisons).
    // quantize: float weight matrices are quantized to the scheme's types as they load (CPU, float32 compute; a
    // GGUF file's blocks stay as they are), in the blocks `smartbotd model quantize` would write for them.
    static Result<std::unique_ptr<LlamaModel>> load(const WeightSet &weights, const ModelConfig &config,
                                                    torch::Device device, torch::ScalarType dtype,
                                                    bool fusedCpuDecode = true,
                                                    const std::function<void(double)> &onLayer = {},
                                                    const gguf::QuantScheme *quantize = nullptr);

    const ModelConfig &config() const { return config_; }
    torch::Device device() const { return device_; }
    torch::ScalarType dtype() const { return dtype_; }
    int64_t parameterCount() const { return parameters_; }
    int64_t weightBytes() const; // every weight as held in memory (matrices in their blocks or dtype, norms, biases)

    KvShape kvShape() const;
    KvCache newCache(int64_t capacity) const { return KvCache::allocate(kvShape(), capacity); }
    int64_t kvBytesPerToken() const { return kvShape().bytesPerPosition(); } // one position over all layers
    // Runs ids (appended at cache.length) through the model; returns float32 logits on the CPU,
    // [n, vocab] when allLogits, else [1, vocab] for the last position.
    torch::Tensor forward(const int32_t *ids, int64_t n, KvCache &cache, bool allLogits = false) const;
    // The same pass, stopping before the output layer: the final-normed hidden states [n, hidden] in the compute
    // dtype on the device. head() turns rows of them into float32 logits on the CPU (in slices, so that scoring a
    // long prompt never holds n x vocab floats at once).
    torch::Tensor hidden(const int32_t *ids, int64_t n, KvCache &cache) const;
    torch::Tensor head(const torch::Tensor &hidden) const;
    // Several sequences packed into one pass with no KV cache: each attends only to itself (block-diagonal causal
    // mask) at its own positions from 0. Returns the final-normed hidden states [total, hidden], float32 on the CPU,
    // the sequences' rows one after another.
    torch::Tensor hiddenPacked(const std::vector<std::vector<int32_t>> &inputs) const;
    // One decode step, dispatching to the fused CPU kernel when it applies (float32/bfloat16 on the CPU).
    torch::Tensor step(int32_t id, KvCache &cache) const;
    // One decode step for several sequences at once: logits [B, vocab]. Row b equals step(ids[b], *caches[b]).
    torch::Tensor stepBatch(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const;
    // A decode step and whole prompts in one pass: span s runs its n ids at the end of its cache (n = 1: a decode
    // row), and logits row s is for its last id, equal to forward()'s or stepBatch()'s for it alone. The engine folds
    // the prompts that join a step into it when foldsPrompt() says so: a prompt of a few tokens would otherwise pay a
    // pass of its own, over small-row tiles (on the seed model, prefill passes were 15% of the engine thread under
    // bench_chat_qps).
    struct Span {
        const int32_t *ids = nullptr;
        int64_t n = 0;
        KvCache *cache = nullptr;
    };
    torch::Tensor stepSpans(const std::vector<Span> &spans) const;
    // Whether stepSpans() takes an n-position prompt in the fused pass (else it must go through forward()).
    bool foldsPrompt(int64_t n) const { return fusedCpu() && n <= fusedPrefillMax(); }

private:
    struct Layer {
        // Views over the mapped file (zero-copy for float32 on the CPU, and for quantized GGUF blocks). Biases are
        // undefined without q/k/v bias.
        torch::Tensor attnNorm, bq, bk, bv, mlpNorm;
        Weight wq, wk, wv, wo, wgate, wup, wdown;
    };
    LlamaModel() = default;
    torch::Tensor rmsNorm(const torch::Tensor &x, const torch::Tensor &w) const;
    torch::Tensor rope(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin) const;
    // The layer's q, k, v for n positions ([n, heads, hd], RoPE applied to q and k) and, after attention, the
    // output projection plus the SwiGLU MLP with their residuals: shared by forward() and stepBatchTorch().
    struct Qkv {
        torch::Tensor q, k, v;
    };
    Qkv projectQkv(const torch::Tensor &x, const Layer &L, int64_t n, const torch::Tensor &cos,
                   const torch::Tensor &sin) const;
    torch::Tensor finishLayer(const torch::Tensor &x, const torch::Tensor &attn, const Layer &L) const;
    // Dense attention of q [n, H, hd] over keys/values [KV, total, hd] with an additive mask [n, total] (undefined:
    // none); returns [n, H*hd]. Shared by the cached pass and the packed one. Query row i is position total - n + i
    // and sees no key after it (the mask says so; the chunking relies on it).
    torch::Tensor attendDense(const torch::Tensor &q, const torch::Tensor &keys, const torch::Tensor &values,
                              const torch::Tensor &mask) const;
    // One chunk of query rows of attendDense, in one pair of batched products.
    torch::Tensor attendChunk(const torch::Tensor &q, const torch::Tensor &keys, const torch::Tensor &values,
                              const torch::Tensor &mask) const;
    // llama_decode_torch.cpp: the decode step for a batch in libtorch operators (CUDA, non-float32 dtypes).
    torch::Tensor stepBatchTorch(const std::vector<int32_t> &ids, const std::vector<KvCache *> &caches) const;
    // Its attention on the CPU (float32 or bfloat16 storage, float32 arithmetic), parallel over sequences:
    // q [B, H, hd], k/v [B, KV, hd] for the new positions; returns [B, H*hd].
    torch::Tensor attendCpu(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
                            const std::vector<KvCache *> &caches, const std::vector<int64_t> &positions,
                            int64_t layer) const;
    // llama_decode_cpu.cpp: the forward pass in plain loops over the weights (no per-op dispatch), for rows of
    // tokens. Row r is ids[r] at positions[r] of *caches[r]: one row per sequence in a decode step, or a prompt's
    // positions in order as consecutive rows of one cache (a row attends to the cache up to its own position, so the
    // rows before it in the same pass count). Returns float32 logits [logitRows.size(), vocab] for the rows named
    // there, in that order; every cache's length ends past its last row.
    struct CpuRows {
        std::vector<int32_t> ids;
        std::vector<KvCache *> caches;
        std::vector<int64_t> positions;
        std::vector<int64_t> logitRows;
    };
    // Throws unless n more positions fit in the cache and the model's context and every id is in the vocabulary:
    // the checks of a decode step (one id per sequence) and of a fused prompt pass alike.
    void checkAppend(const int32_t *ids, int64_t n, const KvCache &cache) const;
    // Whether the fused pass applies: float32 or bfloat16 storage on the CPU, unless the operator path was asked for.
    bool fusedCpu() const;
    torch::Tensor forwardRows(const CpuRows &rows) const;
    // T is the storage dtype, float or c10::BFloat16 (instantiated there for both).
    template <typename T> torch::Tensor forwardRowsCpu(const CpuRows &rows) const;
    // forward() takes prompts of up to fusedPrefillMax() positions through prefillCpu(), longer ones through
    // libtorch's operators. Measured on the 2-core EPYC (bench_prefill, tokens/s, operators -> fused): the seed model
    // stories260K, all per-operator overhead, went from 504 to 867 chat requests/s (bench_chat_qps); on the
    // 768x12x32000 model F32 pp16 284 -> 314-515, pp64 625 -> 643; Q8_0 pp32 700 -> 901, pp256 1007 -> 1200, pp512
    // 857 -> 750 (and on Zen 5, 1867 -> 1671 at pp256: 128 for quantized matrices). Float32 weights, once their
    // products ran in AVX-512 (matmul_avx512.cpp, Zen 5): pp256 836-886 -> 1310-1474, pp512 872-937 -> 1035-1098,
    // pp1024 695 -> 635 (the fused attention runs row by row): 512 for them (it was 128 with the AVX2 tile, where
    // OpenBLAS's sgemm pulled ahead from 256 on). BF16, once the fused products used VDPBF16PS as oneDNN's do
    // (matmul.h): pp16 507 -> 776, pp32 646 -> 1066, pp64 1173-1251 -> 1136-1335, pp96 1447 -> 1372, pp128 1438 ->
    // 1270.
    static constexpr int64_t kFusedPrefillMax = 512;          // float32 weights
    static constexpr int64_t kFusedPrefillMaxQuantized = 128; // float32 activations over quantized matrices
    static constexpr int64_t kFusedPrefillMaxBf16 = 64;
    int64_t fusedPrefillMax() const;
    // forward() in one forwardRows() pass (scratch ~35 KB a position on the 768x12 model).
    torch::Tensor prefillCpu(const int32_t *ids, int64_t n, KvCache &cache, bool allLogits) const;

    ModelConfig config_;
    torch::Device device_{torch::kCPU};
    torch::ScalarType dtype_ = torch::kFloat32;
    bool fusedCpuDecode_ = true;
    int64_t parameters_ = 0;
    Weight embed_, lmHead_;
    torch::Tensor finalNorm_;
    torch::Tensor cos_, sin_; // [maxPositions, headDim/2]
    std::vector<Layer> layers_;
    // GGUF llama files hold q and k rows (and their biases) in interleaved-pair order, read in place
    // (TensorView::interleavedHeads): value i of a q (k) product in Hugging Face order, the order RoPE and attention
    // take, is the product's value qFrom_[i] (kFrom_[i]). Empty when the rows are in that order already. The
    // products' values are only moved, so every result has the bits it had with the rows reordered at load.
    std::vector<int64_t> qFrom_, kFrom_;
    torch::Tensor qIndex_, kIndex_; // the same on the device, for projectQkv()
    // Puts a q (k) product row of qDim (kvDim) values in Hugging Face order, in place (the fused pass).
    static void toHfOrder(float *values, const std::vector<int64_t> &from);
};

} // namespace smartbot::engine
