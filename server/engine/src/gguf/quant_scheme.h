// QuantScheme: which GGUF type each weight matrix of a Llama-family model gets in a file type (F32, F16, BF16, Q8_0,
// Q4_0, Q4_K_M). One table for the two places that quantize: `smartbotd model quantize` writing a GGUF file
// (gguf_export.cpp) and a safetensors model quantized as it loads ([model] quantize, model/llama_model.cpp), so the
// two give the same blocks for the same weights.
// Torch-free; pure functions over a constant table.
#pragma once

#include <cstdint>
#include <string>

#include "gguf/ggml_type.h"

namespace smartbot::engine::gguf {

struct QuantScheme {
    const char *option; // as the command line and server.conf spell it: "q4_k_m"
    const char *name;   // as llama.cpp names the file type: "Q4_K_M"
    uint32_t fileType;  // general.file_type (llama.cpp's LLAMA_FTYPE_*)
    GgmlType matrix;    // most matrices
    GgmlType output;    // the output projection (lm_head) when it is its own tensor
    bool kMixture;      // Q6_K for attn_v / ffn_down in the layers llama.cpp's Q4_K_M gives more bits
};

// The scheme an option names ("q4_k" is taken for "q4_k_m"); null when none does.
const QuantScheme *findQuantScheme(const std::string &option);
// The options, for messages: "f32, f16, bf16, q8_0, q4_0 or q4_k_m".
std::string quantSchemeOptions();

// The type of one matrix whose rows hold cols values: output for the lm_head, wide for attn_v / ffn_down, layer its
// block (-1 outside the blocks) of layers. Falls back to Q8_0, then F32, when a row is not whole blocks of the type.
GgmlType matrixType(const QuantScheme &scheme, bool output, bool wide, int64_t layer, int64_t layers, int64_t cols);

} // namespace smartbot::engine::gguf
