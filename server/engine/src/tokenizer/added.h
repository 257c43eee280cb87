// Internal: matching added tokens in text (HF AddedVocabulary::find_matches, leftmost-longest).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smartbot::engine::tokenizer_detail {

struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = true;
    bool special = false;
};

// A piece of the text: an added token (id >= 0, possibly with swallowed whitespace) or plain text (id -1).
struct Segment {
    std::size_t begin;
    std::size_t end;
    int32_t id;
};

class AddedTokenMatcher {
public:
    // `pattern`: the text to find (the content, or its normalized form for normalized tokens).
    // A pattern already present is ignored (the first token added wins, as in HF).
    void add(std::string pattern, const AddedToken &token);
    bool empty() const { return entries_.empty(); }

    // Covers all of `text` with segments, in order. Empty text yields no segments.
    void split(std::string_view text, std::vector<Segment> &out) const;

private:
    struct Entry {
        std::string pattern;
        int32_t id;
        bool singleWord, lstrip, rstrip;
    };
    // Leftmost, then longest, match starting at or after `from`; false if none.
    bool findNext(std::string_view text, std::size_t from, std::size_t &pos, std::size_t &entry) const;

    std::vector<Entry> entries_;
    std::array<std::vector<uint32_t>, 256> byFirstByte_; // entry indices, longest pattern first
};

} // namespace smartbot::engine::tokenizer_detail
