// Internal: tokenizer.json "pre_tokenizer": null, or a Sequence of Metaspace, ByteLevel, Split and Digits.
// Each step splits every current piece further (HF PreTokenizedString::split), dropping empty pieces.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json.h"
#include "tokenizer/regex.h"

namespace smartbot::engine::tokenizer_detail {

class PreTokenizer {
public:
    // `j` may be null (the whole normalized segment is one word). Throws LoadError.
    static PreTokenizer fromJson(const json &j);

    bool empty() const { return steps_.empty(); }
    // Splits one normalized segment into words. `atTextStart`: the segment begins the original text
    // (Metaspace prepend_scheme "first").
    void split(std::string_view segment, bool atTextStart, std::vector<std::string> &words) const;

private:
    enum class Kind { Metaspace, ByteLevel, Split, Digits };
    enum class Prepend { Always, First, Never };
    enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
    struct Step {
        Kind kind = Kind::Metaspace;
        std::string replacement;                // Metaspace
        Prepend prepend = Prepend::Always;      // Metaspace
        bool split = true;                      // Metaspace
        bool addPrefixSpace = false;            // ByteLevel
        bool useRegex = false;                  // ByteLevel
        Regex regex;                            // ByteLevel (use_regex), Split (Regex pattern), Digits
        std::string literal;                    // Split (String pattern); empty: regex
        Behavior behavior = Behavior::Isolated; // Split, Digits
        bool invert = false;                    // Split
    };
    struct Piece {
        std::string text;
        bool atTextStart;
    };
    void parse(const json &j, const std::string &where);
    static void parseMetaspace(const json &j, const std::string &where, Step &s);
    void applyStep(const Step &step, Piece &piece, std::vector<Piece> &out) const;
    static void splitByMatches(const Step &step, Piece &piece, std::vector<Piece> &out);

    std::vector<Step> steps_;
};

} // namespace smartbot::engine::tokenizer_detail
