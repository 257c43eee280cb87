// The vocabulary of a GGUF file (tokenizer.ggml.*) as the Hugging Face tokenizer.json and tokenizer_config.json it
// is equivalent to, so that one tokenizer implementation serves both formats:
//  - `llama` (SentencePiece): tokens with scores and types; byte tokens <0xNN> become byte fallback, and the merges
//    are derived from the scores: a piece that two others concatenate to is their merge, ranked by its score, which
//    is the order in which SentencePiece's BPE joins pieces.
//  - `gpt2` (byte-level BPE): tokens, merges, and the pre-tokenizer named by tokenizer.ggml.pre (a table of the
//    expressions each name stands for; an unknown name is refused by name).
// Special tokens are the tokens typed control (3) or user-defined (4); add_bos/add_eos and add_space_prefix follow
// the metadata with llama.cpp's defaults.
#pragma once

#include <string>

#include "gguf/gguf_file.h"

namespace smartbot::engine::gguf {

struct VocabJson {
    std::string tokenizerJson;
    std::string tokenizerConfigJson;
    std::string bosToken, eosToken; // texts, for the chat template ("" when none)
};

Result<VocabJson> vocabJson(const File &file);

// The tokenizer.ggml.pre name for a byte-level pre-tokenizer's split expression (nullptr when none matches), the
// reverse of the table vocabJson() reads; GPT-2's own expression (ByteLevel with use_regex) is "gpt2".
const char *preTokenizerName(const std::string &splitRegex);

} // namespace smartbot::engine::gguf
