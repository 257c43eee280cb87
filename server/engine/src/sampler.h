// Sampler: picks the next token from a row of logits (greedy, or temperature / top-k / top-p with a seed).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "smartbot/engine/engine.h"

namespace smartbot::engine {

class Sampler {
public:
    explicit Sampler(const GenerationParams &params);
    int32_t sample(const float *logits, int64_t vocab);

private:
    GenerationParams params_;
    std::mt19937_64 rng_;
    std::vector<std::pair<float, int32_t>> scratch_;
};

int32_t argmax(const float *logits, int64_t n);

} // namespace smartbot::engine
