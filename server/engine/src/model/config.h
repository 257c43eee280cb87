// ModelConfig: the fields of a Hugging Face config.json that the Llama forward pass uses, validated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

struct ModelConfig {
    std::string architecture;
    int64_t hiddenSize = 0;
    int64_t intermediateSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKvHeads = 0;
    int64_t headDim = 0;
    int64_t vocabSize = 0;
    int64_t maxPositions = 0;
    double rmsNormEps = 1e-6;
    double ropeTheta = 10000.0;
    bool tieWordEmbeddings = false;
    bool qkvBias = false; // Qwen2: q/k/v projections carry a bias
    // rope_scaling: "none", "linear" (positions / factor) or "llama3" (frequency-dependent, Llama 3.1+).
    std::string ropeScaling = "none";
    double ropeFactor = 1.0, ropeLowFreqFactor = 1.0, ropeHighFreqFactor = 4.0;
    int64_t ropeOriginalMaxPositions = 0;
    // Per-frequency divisors (headDim / 2 of them) applied after rope_scaling: a GGUF file's rope_freqs.weight, which
    // is how llama.cpp's converter stores Llama 3.1's frequency-dependent scaling. Empty: none.
    std::vector<double> ropeFreqFactors;
    int64_t slidingWindow = 0; // Mistral/Qwen2; 0 = none. The usable context is capped to it.
    std::string torchDtype;    // informational
    int32_t bosTokenId = -1;
    std::vector<int32_t> eosTokenIds;

    static Result<ModelConfig> parse(const std::string &jsonText);
    static Result<ModelConfig> load(const std::string &path);
    // The RoPE inverse frequencies (headDim / 2 of them) after rope_scaling.
    std::vector<double> ropeInverseFrequencies() const;
};

} // namespace smartbot::engine
