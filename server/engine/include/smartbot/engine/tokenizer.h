// Tokenizer: reads a Hugging Face tokenizer.json (+ optional tokenizer_config.json).
// Supported: BPE models of two kinds:
//  - SentencePiece style with byte fallback (Llama-2 / stories260K / Phi-3): normalizers Prepend, Replace, Strip;
//    Metaspace pre-tokenizer; decoders Replace, ByteFallback, Fuse, Strip, Metaspace.
//  - byte-level (GPT-2 / Qwen2 / Llama-3): normalizers NFC, NFD; pre-tokenizers ByteLevel, Split (PCRE2 regex or
//    string; Isolated/Removed/MergedWithPrevious/MergedWithNext/Contiguous; invert), Digits, in any Sequence;
//    decoder ByteLevel (invalid UTF-8 becomes U+FFFD per maximal subpart, like from_utf8_lossy).
// Post-processors: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence.
// Anything else is reported by load() as "unsupported ... type '...'".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

class Tokenizer {
public:
    // tokenizerJson: path to tokenizer.json. tokenizerConfig: path to tokenizer_config.json or "" (optional).
    static Result<std::unique_ptr<Tokenizer>> load(const std::string &tokenizerJson,
                                                   const std::string &tokenizerConfig);
    // The same from JSON texts in memory (tokenizerConfigJson may be empty); origin names them in errors (a GGUF
    // file's vocabulary, translated to the tokenizer.json it is equivalent to).
    static Result<std::unique_ptr<Tokenizer>>
    fromJson(const std::string &tokenizerJson, const std::string &tokenizerConfigJson, const std::string &origin);
    ~Tokenizer();
    Tokenizer(const Tokenizer &) = delete;
    Tokenizer &operator=(const Tokenizer &) = delete;

    // addSpecial: apply the post-processor (e.g. prepend BOS when tokenizer_config says add_bos_token).
    // Added/special tokens written in the text are always matched as tokens (as HF does).
    std::vector<int32_t> encode(std::string_view text, bool addSpecial) const;
    std::string decode(const std::vector<int32_t> &ids, bool skipSpecial) const;

    int32_t vocabSize() const;
    int32_t bosId() const; // -1 if none
    int32_t eosId() const; // -1 if none
    bool isSpecial(int32_t id) const;
    std::string tokenString(int32_t id) const; // raw vocabulary string ("" if out of range)
    // The bytes id adds to decoded text, unvalidated (a byte token may be part of a character); "" for special
    // tokens and ids out of range. atStart: as the first token of a text (decoders strip or prepend there).
    // For constrained decoding, which follows a grammar byte by byte.
    std::string pieceBytes(int32_t id, bool atStart) const;

    // Incremental decoding for streaming: emits only complete UTF-8 characters.
    class StreamDecoder {
    public:
        explicit StreamDecoder(const Tokenizer &tok, bool skipSpecial = true);
        std::string push(int32_t id); // text that became complete with this token (may be empty)
        std::string flush();          // whatever is left (invalid bytes become U+FFFD)
    private:
        const Tokenizer &tok_;
        bool skipSpecial_;
        std::vector<int32_t> ids_;
        std::string emitted_;
    };

    struct Impl; // tokenizer.cpp
    static std::unique_ptr<Tokenizer> fromImpl(std::unique_ptr<Impl> impl);

private:
    Tokenizer();
    std::unique_ptr<Impl> d_;
};

} // namespace smartbot::engine
