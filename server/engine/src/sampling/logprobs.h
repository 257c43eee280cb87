// Log-probabilities of tokens from a row of logits, for OpenAI's logprobs / top_logprobs and for scoring prompts.
#pragma once

#include <cstdint>

#include "smartbot/engine/engine.h"

namespace smartbot::engine {

// The log-softmax of logits at id, with the top most likely tokens (ties by lower id), texts from tokenizer.
// O(vocab) per call, plus O(vocab log top) when top > 0.
TokenLogprob tokenLogprob(const float *logits, int64_t vocab, int32_t id, int top, const Tokenizer &tokenizer);

// A token's text for logprobs: its bytes as the decoder writes them mid-text (a leading space kept), special tokens
// by their name (decoding skips them, but a client wants to see "</s>" among the alternatives).
std::string tokenBytes(const Tokenizer &tokenizer, int32_t id);

} // namespace smartbot::engine
