// Sampler: picks the next token from a row of logits (greedy, or temperature / top-k / top-p with a seed).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "smartbot/engine/engine.h"

namespace smartbot::engine {

class Sampler {
public:
    // promptIds feed the repetition penalty.
    Sampler(const GenerationParams &params, const std::vector<int32_t> &promptIds);
    int32_t sample(const float *logits, int64_t vocab);
    // Records a chosen token (for the penalties).
    void accept(int32_t id);

private:
    bool penalised() const; // a penalty applies (accept() keeps counts)
    bool adjusted() const;  // the logits are changed before sampling (penalties or logit_bias)
    GenerationParams params_;
    std::mt19937_64 rng_;
    std::vector<std::pair<float, int32_t>> scratch_;
    std::vector<float> adjusted_;
    std::vector<int32_t> generatedCount_; // per token id, grown on demand
    std::vector<int32_t> seen_;           // ids in prompt + generated (for the repetition penalty)
};

int32_t argmax(const float *logits, int64_t n);

} // namespace smartbot::engine
