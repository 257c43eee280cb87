// Log-probabilities of tokens from a row of logits, for OpenAI's logprobs / top_logprobs and for scoring prompts.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "smartbot/engine/engine.h"

namespace smartbot::engine {

// The log-softmax of logits at id, with the top most likely tokens (ties by lower id), texts from tokenizer.
// O(vocab) per call, plus O(vocab log top) when top > 0.
TokenLogprob tokenLogprob(const float *logits, int64_t vocab, int32_t id, int top, const Tokenizer &tokenizer);

// The same for many positions at once (scoring a prompt): rows [m, vocab] float32 on the CPU, row i scoring ids[i];
// the log-softmax and top-k run vectorised over the whole slice (a 4k-token prompt over a 150k vocabulary is 600 M
// terms). Ties among the alternatives come in libtorch's order.
std::vector<TokenLogprob> tokenLogprobs(const torch::Tensor &rows, const int32_t *ids, int top,
                                        const Tokenizer &tokenizer);

// A token's text for logprobs: its bytes as the decoder writes them mid-text (a leading space kept), special tokens
// by their name (decoding skips them, but a client wants to see "</s>" among the alternatives).
std::string tokenBytes(const Tokenizer &tokenizer, int32_t id);

} // namespace smartbot::engine
