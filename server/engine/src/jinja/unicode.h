// Internal: the JavaScript string semantics @huggingface/jinja inherits, on UTF-8 strings: JS whitespace (trim,
// \s), UTF-16 lengths and indexing, toUpperCase/toLowerCase, Number#toString and JSON.stringify of strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smartbot::engine::jinja {

// Decodes the character at s[pos]; invalid bytes decode as U+FFFD with length 1.
std::size_t decodeChar(std::string_view s, std::size_t pos, char32_t &cp);
void appendChar(std::string &out, char32_t cp);
// The characters (as UTF-8 strings) of s, like Array.from(str).
std::vector<std::string> splitChars(std::string_view s);

// JS WhiteSpace + LineTerminator (String#trim, regex \s).
bool isJsSpace(char32_t cp);
// Byte length of the JS whitespace character at s[pos] (0 if none).
std::size_t jsSpaceAt(std::string_view s, std::size_t pos);
std::string_view trimStart(std::string_view s);
std::string_view trimEnd(std::string_view s);
inline std::string_view trim(std::string_view s)
{
    return trimStart(trimEnd(s));
}

std::size_t utf16Length(std::string_view s);
// String#at(index) in UTF-16 units (negative counts from the end); a lone surrogate becomes U+FFFD.
std::optional<std::string> utf16At(std::string_view s, double index);
// JS comparison of strings (UTF-16 code unit order): <0, 0, >0.
int utf16Compare(std::string_view a, std::string_view b);

std::string toUpper(std::string_view s);
std::string toLower(std::string_view s);

// Number#toString / String(number) (shortest round trip; exponent form outside 1e-7..1e21).
std::string jsNumber(double v);
// JSON.stringify(string); ensureAscii additionally escapes U+007F and above as \uXXXX (UTF-16 units).
std::string jsonQuote(std::string_view s, bool ensureAscii);

namespace case_data {
struct CaseRun {
    char32_t first, last;
    int32_t delta;
    uint8_t stride;
};
struct SpecialCase {
    char32_t cp;
    char32_t to[3];
};
extern const CaseRun kUpperRuns[];
extern const std::size_t kUpperRunCount;
extern const CaseRun kLowerRuns[];
extern const std::size_t kLowerRunCount;
extern const SpecialCase kSpecialUpper[];
extern const std::size_t kSpecialUpperCount;
extern const SpecialCase kSpecialLower[];
extern const std::size_t kSpecialLowerCount;
} // namespace case_data

} // namespace smartbot::engine::jinja
