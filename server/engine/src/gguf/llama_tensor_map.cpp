#include "gguf/llama_tensor_map.h"

namespace smartbot::engine::gguf {

namespace {
constexpr Architecture kArchitectures[] = {
    {"llama", "LlamaForCausalLM", true, false},
    {"qwen2", "Qwen2ForCausalLM", false, true},
};

} // namespace

const Architecture *architectureByGguf(const std::string &name)
{
    for (const auto &a : kArchitectures)
        if (name == a.gguf)
            return &a;
    return nullptr;
}

const Architecture *architectureByHf(const std::string &name)
{
    if (name == "MistralForCausalLM")
        return &kArchitectures[0];
    for (const auto &a : kArchitectures)
        if (name == a.hf)
            return &a;
    return nullptr;
}

std::vector<TensorName> tensorNames(const ModelConfig &c, const Architecture &arch)
{
    const int64_t D = c.hiddenSize, I = c.intermediateSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
    const int qHeads = arch.interleavedQk ? int(c.numHeads) : 0, kHeads = arch.interleavedQk ? int(c.numKvHeads) : 0;
    std::vector<TensorName> out = {
        {"model.embed_tokens.weight", "token_embd.weight", {c.vocabSize, D}},
        {"model.norm.weight", "output_norm.weight", {D}},
    };
    if (!c.tieWordEmbeddings)
        out.push_back({"lm_head.weight", "output.weight", {c.vocabSize, D}});
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const std::string hf = "model.layers." + std::to_string(l) + ".", g = "blk." + std::to_string(l) + ".";
        out.push_back({hf + "input_layernorm.weight", g + "attn_norm.weight", {D}});
        out.push_back({hf + "post_attention_layernorm.weight", g + "ffn_norm.weight", {D}});
        out.push_back({hf + "self_attn.q_proj.weight", g + "attn_q.weight", {q, D}, qHeads});
        out.push_back({hf + "self_attn.k_proj.weight", g + "attn_k.weight", {kv, D}, kHeads});
        out.push_back({hf + "self_attn.v_proj.weight", g + "attn_v.weight", {kv, D}});
        out.push_back({hf + "self_attn.o_proj.weight", g + "attn_output.weight", {D, q}});
        out.push_back({hf + "mlp.gate_proj.weight", g + "ffn_gate.weight", {I, D}});
        out.push_back({hf + "mlp.up_proj.weight", g + "ffn_up.weight", {I, D}});
        out.push_back({hf + "mlp.down_proj.weight", g + "ffn_down.weight", {D, I}});
        if (c.qkvBias) {
            out.push_back({hf + "self_attn.q_proj.bias", g + "attn_q.bias", {q}, qHeads});
            out.push_back({hf + "self_attn.k_proj.bias", g + "attn_k.bias", {kv}, kHeads});
            out.push_back({hf + "self_attn.v_proj.bias", g + "attn_v.bias", {kv}});
        }
    }
    return out;
}

// The source row of Hugging Face row r when rows are in interleaved-pair order over `heads` heads.
int64_t interleavedRow(int64_t r, int64_t rows, int heads)
{
    const int64_t hd = rows / heads, half = hd / 2;
    const int64_t head = r / hd, within = r % hd;
    return head * hd + 2 * (within % half) + within / half;
}

} // namespace smartbot::engine::gguf
