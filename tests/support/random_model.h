// Test and benchmark support (Qt-free): writes a Llama-family model folder in Hugging Face layout with random
// weights (config.json, model.safetensors or shards + index, the stories260K tokenizer files), and keeps the
// exact weight values (after F16/BF16 rounding) for an independent float64 reference forward pass.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace smartbot::testsupport {

struct RandomModelSpec {
    std::string architecture = "LlamaForCausalLM";
    int hidden = 64, intermediate = 128, layers = 2, heads = 4, kvHeads = 2, headDim = 0, vocab = 512;
    int maxPositions = 256;
    bool tie = false;
    bool qkvBias = false;       // written for Qwen2 (which always has it) or with attention_bias
    std::string dtype = "F32";  // F32, F16, BF16
    nlohmann::json ropeScaling; // null or an object
    nlohmann::json extraConfig = nlohmann::json::object(); // merged into config.json last
    double ropeTheta = 10000.0;
    int shards = 1; // >1: model-0000i-of-0000n.safetensors + model.safetensors.index.json
    uint64_t seed = 1;
    std::string tokenizerDir; // folder with tokenizer.json (+ tokenizer_config.json) to copy
    bool keepValues = true;   // false for big benchmark models
};

struct RandomModel {
    nlohmann::json config;
    std::map<std::string, std::vector<double>> tensors; // name -> values (row-major), when keepValues
};

// Writes the folder (created if needed). Throws std::runtime_error on I/O failure.
RandomModel writeRandomModel(const std::string &dir, const RandomModelSpec &spec);

// Float64 reference: logits for every position of ids (teacher forcing), straight from the formulas.
std::vector<std::vector<double>> referenceLogits(const RandomModel &model, const std::vector<int32_t> &ids);

} // namespace smartbot::testsupport
