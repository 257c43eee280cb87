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

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"

namespace smartbot::engine::gguf {

// The tokenizer.json and tokenizer_config.json a GGUF vocabulary is equivalent to, as JSON values. Every string in
// them is valid UTF-8: a token text that is not (a vocabulary may hold partial characters) is replaced by what
// writing it out as JSON text would give (U+FFFD for each bad sequence), so the values equal their text's parse.
struct VocabJson {
    nlohmann::json tokenizer, config;
    std::string bosToken, eosToken;    // texts, for the chat template ("" when none)
    std::string tokenizerJson() const; // the texts
    std::string tokenizerConfigJson() const;
};

Result<VocabJson> vocabJson(const File &file);

// The tokenizer.ggml.pre name for a byte-level pre-tokenizer's split expression (nullptr when none matches), the
// reverse of the table vocabJson() reads; GPT-2's own expression (ByteLevel with use_regex) is "gpt2".
const char *preTokenizerName(const std::string &splitRegex);

} // namespace smartbot::engine::gguf
