// Sequence: one generation in flight: its KV cache, sampler, incremental decoder, stop matcher and result.
#pragma once

#include <memory>

#include "grammar/token_constraint.h"
#include "model/llama_model.h"
#include "sampling/sampler.h"
#include "smartbot/engine/engine.h"
#include "sampling/stop_matcher.h"

namespace smartbot::engine {

struct Sequence {
    Sequence(Engine::SequenceId id, const GenerationParams &params, const std::vector<int32_t> &promptIds,
             const Tokenizer &tokenizer, KvCache cache)
        : id(id), sampler(params, promptIds), stream(tokenizer), stops(params.stop), cache(std::move(cache)),
          logprobs(params.logprobs)
    {
    }
    Engine::SequenceId id;
    GenerationResult out;
    Sampler sampler;
    Tokenizer::StreamDecoder stream;
    StopMatcher stops;
    KvCache cache;
    int64_t maxNew = 0;
    int64_t reservedBytes = 0;  // KV memory counted against the budget while the sequence runs
    int32_t next = -1;          // the sampled token to feed at the next step
    bool promptPending = false; // its prompt runs in the next step's pass (LlamaModel::foldsPrompt)
    bool cancelled = false;
    bool done = false;
    double decodeSeconds = 0;
    std::unique_ptr<grammar::TokenConstraint> constraint; // GenerationParams::grammar
    std::vector<float> masked;                            // scratch: logits with the refused tokens at -inf
    int logprobs = -1;                                    // GenerationParams::logprobs
    TokenLogprob drawn;                                   // the last picked token's, until advance() keeps it
    size_t logprobsSent = 0;                              // out.logprobs already attached to an event
};

} // namespace smartbot::engine
