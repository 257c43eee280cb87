// Internal: tokenizer.json "decoder" as a streaming pipeline.
// Supported steps: Sequence, Replace (String), ByteFallback, Fuse, Strip, Metaspace, ByteLevel; null joins with " ".
// Each step consumes tokens one at a time and forwards final text only, so a whole-sequence decode and
// an incremental (streaming) decode run the very same code and always agree.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json.h"

namespace smartbot::engine::tokenizer_detail {

class DecoderPipeline {
public:
    struct StepState {
        std::string buf;       // pending bytes / carried text / held trailing characters
        std::size_t count = 0; // Strip: leading characters examined
        bool started = false;  // Strip: leading part done; Metaspace: first token seen
    };
    struct State {
        std::vector<StepState> steps;
        bool joinStarted = false; // null decoder: a token was already written
        // Bytes as the model spelled them: byte-fallback and byte-level runs pass on unvalidated (a token may end
        // in the middle of a character). For constrained decoding, which matches grammars over bytes.
        bool raw = false;
    };

    // `j` may be null. Throws LoadError naming an unsupported type.
    static DecoderPipeline fromJson(const json &j);

    // Fresh state for a new sequence, or (midStream) the state after some earlier text was fully flushed.
    State initialState(bool midStream) const;
    // Appends to `out` the text that became final with this token.
    void feed(State &state, std::string_view token, std::string &out) const
    {
        feedFrom(state, 0, std::string(token), out);
    }
    // End of sequence: flushes everything still held.
    void finish(State &state, std::string &out) const;
    // True when nothing is held and no "first token" behaviour is pending, i.e. the state equals
    // initialState(true).
    bool isClean(const State &state) const;
    // True when feeding `token` in any state only adds it to a pending byte-fallback run (no output, no other
    // state change). Lets StreamDecoder skip re-decoding its window while a run of byte tokens grows.
    bool onlyBuffersBytes(std::string_view token) const;

private:
    enum class Kind { Replace, ByteFallback, Fuse, Strip, Metaspace, ByteLevel };
    struct Step {
        Kind kind = Kind::Fuse;
        bool fused = false;              // a Fuse came earlier: this step sees one growing token
        std::string pattern;             // Replace: pattern; Strip: content char; Metaspace: replacement char
        std::string content;             // Replace: replacement
        std::size_t start = 0, stop = 0; // Strip
        bool prependNever = false;       // Metaspace
    };
    void parse(const json &j, const std::string &where, bool &fused);
    void feedFrom(State &state, std::size_t step, std::string token, std::string &out) const;
    void flushBytes(State &state, std::size_t step, std::string &out) const;

    std::vector<Step> steps_;
    bool joinWithSpace_ = false;
};

} // namespace smartbot::engine::tokenizer_detail
