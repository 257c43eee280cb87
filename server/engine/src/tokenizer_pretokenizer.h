// Internal: tokenizer.json "pre_tokenizer" (null, Metaspace, or a Sequence of Metaspace).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenizer_json.h"

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
    enum class Prepend { Always, First, Never };
    struct Metaspace {
        std::string replacement;
        Prepend prepend = Prepend::Always;
        bool split = true;
    };
    void parse(const json &j, const std::string &where);

    std::vector<Metaspace> steps_;
};

} // namespace smartbot::engine::tokenizer_detail
