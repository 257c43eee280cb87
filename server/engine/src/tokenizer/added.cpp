#include "tokenizer/added.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

void AddedTokenMatcher::add(std::string pattern, const AddedToken &token)
{
    if (pattern.empty())
        return;
    for (const Entry &e : entries_)
        if (e.pattern == pattern)
            return;
    const auto index = static_cast<uint32_t>(entries_.size());
    auto &bucket = byFirstByte_[static_cast<unsigned char>(pattern[0])];
    entries_.push_back(Entry{std::move(pattern), token.id, token.singleWord, token.lstrip, token.rstrip});
    bucket.push_back(index);
    std::stable_sort(bucket.begin(), bucket.end(), [this](uint32_t a, uint32_t b) {
        return entries_[a].pattern.size() > entries_[b].pattern.size();
    });
}

bool AddedTokenMatcher::findNext(std::string_view text, std::size_t from, std::size_t &pos, std::size_t &entry) const
{
    for (std::size_t p = from; p < text.size(); ++p) {
        for (const uint32_t index : byFirstByte_[static_cast<unsigned char>(text[p])]) {
            const std::string &pattern = entries_[index].pattern;
            if (pattern.size() <= text.size() - p &&
                std::memcmp(text.data() + p, pattern.data(), pattern.size()) == 0) {
                pos = p;
                entry = index;
                return true;
            }
        }
    }
    return false;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment> &out) const
{
    out.clear();
    std::size_t startOffset = 0; // end of the last emitted segment
    std::size_t searchFrom = 0;  // the matcher resumes after each raw match, like aho-corasick's find_iter
    std::size_t matchPos = 0;
    std::size_t index = 0;
    while (!entries_.empty() && findNext(text, searchFrom, matchPos, index)) {
        const Entry &e = entries_[index];
        std::size_t start = matchPos;
        std::size_t stop = matchPos + e.pattern.size();
        searchFrom = stop;
        // A match may start inside whitespace the previous token's rstrip swallowed (a token beginning with
        // whitespace); HF still emits it, with overlapping offsets. Only the ids matter here, so do the same.
        if (e.singleWord) {
            const bool startOk = start == 0 || !isWordChar(lastCodePoint(text.substr(0, start)));
            const bool stopOk = stop == text.size() || !isWordChar(firstCodePoint(text.substr(stop)));
            if (!startOk || !stopOk)
                continue;
        }
        if (e.lstrip) // swallow the whitespace before it, but not what an earlier segment already covers
            start = start > startOffset
                        ? startOffset + trailingWhitespaceStart(text.substr(startOffset, start - startOffset))
                        : startOffset;
        if (e.rstrip)
            stop += leadingWhitespaceLength(text.substr(stop));
        if (startOffset < start)
            out.push_back(Segment{startOffset, start, -1});
        out.push_back(Segment{start, stop, e.id});
        startOffset = stop;
    }
    if (startOffset != text.size())
        out.push_back(Segment{startOffset, text.size(), -1});
}

} // namespace smartbot::engine::tokenizer_detail
