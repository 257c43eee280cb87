// Internal UTF-8 helpers for the tokenizer (strict decoding as Rust's str does).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace smartbot::engine::tokenizer_detail {

inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFFu;
inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD"; // U+FFFD

// Decodes the character starting at s[pos] (pos < s.size()). Returns its length in bytes.
// An invalid, overlong, surrogate or truncated sequence yields length 1 and kInvalidCodePoint.
std::size_t decodeUtf8(std::string_view s, std::size_t pos, char32_t &cp);
bool isValidUtf8(std::string_view s);
void appendUtf8(std::string &out, char32_t cp);
// True when s is exactly one valid UTF-8 character; stores it in cp.
bool singleCodePoint(std::string_view s, char32_t &cp);

// Unicode White_Space (Rust char::is_whitespace, regex \s).
bool isUnicodeWhitespace(char32_t cp);
// Approximation of Unicode regex \w (letters, marks, digits, connector punctuation).
bool isWordChar(char32_t cp);

// Byte offset where the run of whitespace ending s begins (s.size() when s does not end in whitespace).
std::size_t trailingWhitespaceStart(std::string_view s);
// Byte length of the run of whitespace starting s.
std::size_t leadingWhitespaceLength(std::string_view s);
// Last / first character of s (kInvalidCodePoint if s is empty or the bytes are invalid).
char32_t lastCodePoint(std::string_view s);
char32_t firstCodePoint(std::string_view s);

// Appends `bytes` with each ill-formed part replaced by U+FFFD, one per maximal subpart (Rust's
// String::from_utf8_lossy, the Unicode "substitution of maximal subparts").
void appendUtf8Lossy(std::string &out, std::string_view bytes);
// Length of the tail of `bytes` that is a valid but unfinished UTF-8 sequence (0..3): more bytes could
// still complete it, so a streaming decoder must hold it back.
std::size_t incompleteUtf8Tail(std::string_view bytes);

// Replaces every non-overlapping occurrence of `from` (non-empty) in s, scanning left to right.
std::string replaceAll(std::string_view s, std::string_view from, std::string_view to);

} // namespace smartbot::engine::tokenizer_detail
