// Internal: tokenizer.json "normalizer" (Sequence, Prepend, Replace with a String pattern, Strip, NFC, NFD).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json.h"

namespace smartbot::engine::tokenizer_detail {

class Normalizer {
public:
    // `j` may be null (no normalizer). Throws LoadError naming an unsupported type.
    static Normalizer fromJson(const json &j);

    bool empty() const { return steps_.empty(); }
    std::string apply(std::string_view text) const;

private:
    enum class Kind { Prepend, Replace, Strip, Nfc, Nfd };
    struct Step {
        Kind kind;
        std::string a;                    // Prepend: text; Replace: pattern
        std::string b;                    // Replace: content
        bool left = false, right = false; // Strip
    };
    void parse(const json &j, const std::string &where);

    std::vector<Step> steps_;
};

} // namespace smartbot::engine::tokenizer_detail
