// GgufModel: a Llama-family model read from one GGUF file: the hyper-parameters from `<arch>.*` metadata, the
// tensors under the Hugging Face names the forward pass uses, the tokenizer (gguf_vocab.h) and the chat template
// from tokenizer.chat_template. Architectures: llama (Llama 1-3, Mistral-style), qwen2.
//
// llama.cpp's converters store a llama model's q and k rows in interleaved-pair RoPE order (each head's pairs
// (2j, 2j + 1)); the forward pass here rotates halves (j, j + half), so those rows are put back in that order on
// load. A row permutation moves whole rows, so it needs no arithmetic even on quantized rows. qwen2 files keep
// Hugging Face's order.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gguf/gguf_file.h"
#include "model/config.h"
#include "model/weight_set.h"
#include "smartbot/engine/chat_template.h"
#include "smartbot/engine/tokenizer.h"

namespace smartbot::engine::gguf {

struct Model {
    ModelConfig config;
    WeightSet weights; // quantized tensors as quantized views (TensorView::quantized), in the mapping
    std::unique_ptr<Tokenizer> tokenizer;
    std::optional<ChatTemplate> chatTemplate; // absent when the file has none
    std::string quantization;                 // "Q4_K_M", "Q8_0", "F32", ... from general.file_type
    int64_t fileBytes = 0;
};

// Reads the hyper-parameters; every missing or inconsistent key is an error naming it.
Result<ModelConfig> modelConfig(const File &file);
// What loadModel() checks before decoding anything: the hyper-parameters, every tensor's name, shape and type, and
// the vocabulary. Returns the hyper-parameters.
Result<ModelConfig> checkModel(const File &file);
// The whole model; tensors are checked (names, shapes, types) before any is read.
Result<Model> loadModel(const std::string &path);
// The GGUF file a model path names: the path itself when it is a file ending in .gguf, the one .gguf file in a
// folder without config.json, or "" when the path is a Hugging Face folder. A folder with several .gguf files is an
// error listing them.
Result<std::string> ggufPath(const std::string &modelPath);

} // namespace smartbot::engine::gguf
