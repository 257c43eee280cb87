// The GGUF side of a Llama-family model: which general.architecture names which Hugging Face architecture, and the
// tensor names of each format (token_embd.weight = model.embed_tokens.weight, blk.N.attn_q.weight =
// model.layers.N.self_attn.q_proj.weight, ...). Shared by the reader (gguf_model.cpp) and the writer
// (gguf_export.cpp), so the two cannot disagree.
//
// llama.cpp stores a llama model's q and k rows in interleaved-pair RoPE order: within each head, Hugging Face row
// i x half + j (i in {0, 1}, j < half) is GGUF row 2j + i.
#pragma once

#include <string>
#include <vector>

#include "model/config.h"

namespace smartbot::engine::gguf {

struct Architecture {
    const char *gguf;   // general.architecture
    const char *hf;     // the Hugging Face architecture it stands for
    bool interleavedQk; // q/k rows in interleaved-pair RoPE order
    bool qkvBias;
};
// nullptr for a name neither table entry carries. MistralForCausalLM maps to llama (llama.cpp's converter does so).
const Architecture *architectureByGguf(const std::string &name);
const Architecture *architectureByHf(const std::string &name);

// A tensor the forward pass uses: its Hugging Face name and its GGUF name.
struct TensorName {
    std::string hf, gguf;
    std::vector<int64_t> shape; // Hugging Face order: [rows, columns]
    int permuteHeads = 0;       // rows in interleaved order over this many heads in GGUF (0: the same order)
};
std::vector<TensorName> tensorNames(const ModelConfig &c, const Architecture &arch);

// The GGUF row that holds Hugging Face row r of a q or k matrix of `rows` rows over `heads` heads.
int64_t interleavedRow(int64_t r, int64_t rows, int heads);

} // namespace smartbot::engine::gguf
