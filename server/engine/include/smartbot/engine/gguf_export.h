// exportGguf: a Hugging Face model folder (safetensors) written as one GGUF file that llama.cpp and SmartBot read,
// its matrices quantized: `smartbotd model quantize`. The metadata carries the hyper-parameters, the vocabulary
// (SentencePiece-style tokenizers as tokens + scores, byte-level ones as tokens + merges + the pre-tokenizer's name),
// the special tokens and the chat template; q and k rows are written in GGUF's interleaved RoPE order.
//
// Types: "f32", "f16", "q8_0", "q4_0" (output.weight as Q6_K) and "q4_k_m" (Q4_K; Q6_K for output.weight and for
// attn_v / ffn_down in the layers llama.cpp's Q4_K_M gives more bits: the first and last eighth, and every third
// between). A matrix whose rows are not whole blocks of its type falls back to Q8_0, or F32.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

struct GgufExportOptions {
    std::string type = "q8_0";
    std::function<void(double)> onProgress; // fraction of tensors written
};

struct GgufExportReport {
    int64_t tensors = 0;
    int64_t bytes = 0;    // the file's size
    std::string fileType; // "Q4_K_M", ...
};

Result<GgufExportReport> exportGguf(const std::string &modelDir, const std::string &outPath,
                                    const GgufExportOptions &options);

} // namespace smartbot::engine
