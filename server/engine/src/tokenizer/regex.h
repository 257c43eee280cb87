// Internal: the regular expressions of tokenizer.json (Split / ByteLevel pre-tokenizers), compiled with PCRE2
// (UTF + UCP, JIT when available). Matches are iterated the way HF's onig wrapper does (find_iter).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smartbot::engine::tokenizer_detail {

class Regex {
public:
    // Throws LoadError with PCRE2's message and the offset on a bad pattern.
    static Regex compile(const std::string &pattern);

    // All non-overlapping matches as [begin, end) byte offsets, left to right. An empty match right after the
    // previous match is skipped (onig FindMatches). Invalid UTF-8 in `text` never matches anything.
    // Thread-safe (the compiled pattern is shared read-only; match data is per call).
    void findAll(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>> &out) const;

private:
    struct Code;
    std::shared_ptr<const Code> code_;
};

} // namespace smartbot::engine::tokenizer_detail
