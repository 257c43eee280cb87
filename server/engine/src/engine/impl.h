// Engine::Impl: the engine's private state, shared by engine.cpp (loading, single requests) and
// engine_batch.cpp (continuous batching).
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "model/llama_model.h"
#include "model/config.h"
#include "kv/prefix_cache.h"
#include "smartbot/engine/chat_template.h"
#include "engine/sequence.h"
#include "grammar/grammar.h"
#include "smartbot/engine/engine.h"
#include "model/weight_set.h"

namespace smartbot::engine {

struct Engine::Impl {
    ModelInfo info;
    LoadOptions options;
    ModelConfig config;
    WeightSet weights; // keeps the mappings alive for zero-copy tensors
    std::unique_ptr<LlamaModel> model;
    std::unique_ptr<Tokenizer> tokenizer;
    std::optional<ChatTemplate> chatTemplate; // the model's, or the plain fallback
    std::vector<int32_t> stopIds;
    int64_t context = 0; // usable positions: max_position_embeddings, capped by a sliding window

    bool isStop(int32_t id) const { return std::find(stopIds.begin(), stopIds.end(), id) != stopIds.end(); }

    // Continuous batching state (engine_batch.cpp).
    std::map<SequenceId, std::unique_ptr<Sequence>> active;
    SequenceId nextId = 1;
    void advance(Sequence &seq, int32_t token, std::vector<StepEvent> &events);
    int32_t pick(Sequence &seq, const float *logits, int64_t vocab); // sample (draw()), noting its logprob if asked
    int32_t draw(Sequence &seq, const float *logits, int64_t vocab); // sample, within the grammar if there is one
    std::vector<TokenLogprob> unsentLogprobs(Sequence &seq);         // out.logprobs not yet attached to an event
    // The prompt's forward pass when its tokens' logprobs are wanted: all of it, scored in slices; returns the last
    // position's logits.
    std::vector<float> prefillScored(Sequence &seq, const GenerationParams &params);

    // Constrained decoding: the vocabulary as bytes, built on the first request with a grammar.
    std::shared_ptr<const grammar::TokenTable> tokenTable;
    void finish(Sequence &seq, FinishReason reason, std::vector<StepEvent> &events);

    // KV memory (engine_batch.cpp): running sequences reserve capacity x bytesPerToken; the prefix cache holds
    // finished sequences' caches in what is left and gives it back, least recently used first.
    int64_t kvBudget = 0;
    int64_t sequenceBytes = 0;
    std::optional<PrefixCache> prefix; // absent when LoadOptions::prefixCache is off
    uint64_t prefixLookups = 0, prefixHits = 0, reusedTokens = 0;
    int64_t cacheCapacity(size_t promptTokens, const GenerationParams &params) const; // positions to reserve
    void trimPrefixCache(int64_t extra, const KvCache *keep = nullptr); // until sequences + extra + prefix fit
};

// 1_Pooling/config.json of a sentence-transformers folder (embed.cpp); Mean when there is none.
Result<Pooling> readPooling(const std::string &modelDir);

} // namespace smartbot::engine
