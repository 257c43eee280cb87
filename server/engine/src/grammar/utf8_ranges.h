// Code-point ranges as UTF-8 byte-range sequences: what lets a byte-level grammar hold a Unicode character class.
// [U+0400, U+04FF] becomes [D0-D3][80-BF]; a range that crosses a lead-byte boundary splits into several sequences.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smartbot::engine::grammar {

struct CodeRange {
    char32_t lo = 0, hi = 0; // inclusive
};

// The code points (U+0000..U+10FFFF, surrogates excluded) not in ranges, as sorted ranges.
std::vector<CodeRange> complement(std::vector<CodeRange> ranges);

// Each sequence is one byte range per byte of the encoding; together they match exactly the UTF-8 encodings of the
// code points in ranges (surrogates excluded).
std::vector<std::vector<std::pair<uint8_t, uint8_t>>> utf8Sequences(const std::vector<CodeRange> &ranges);

// The length of the character at s[pos] (0 when the bytes there are not valid UTF-8), and the character.
size_t decodeUtf8(std::string_view s, size_t pos, char32_t &cp);
void appendUtf8(std::string &out, char32_t cp);

} // namespace smartbot::engine::grammar
