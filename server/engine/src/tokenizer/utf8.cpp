#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

std::size_t decodeUtf8(std::string_view s, std::size_t pos, char32_t &cp)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t extra = 0;
    char32_t value = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        extra = 1;
        value = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        extra = 2;
        value = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        extra = 3;
        value = b0 & 0x07u;
    } else {
        cp = kInvalidCodePoint;
        return 1;
    }
    if (s.size() - pos <= extra) {
        cp = kInvalidCodePoint;
        return 1;
    }
    for (std::size_t i = 1; i <= extra; ++i) {
        const auto b = static_cast<unsigned char>(s[pos + i]);
        if ((b & 0xC0u) != 0x80u) {
            cp = kInvalidCodePoint;
            return 1;
        }
        value = (value << 6) | (b & 0x3Fu);
    }
    const bool bad = (extra == 2 && (value < 0x800 || (value >= 0xD800 && value <= 0xDFFF))) ||
                     (extra == 3 && (value < 0x10000 || value > 0x10FFFF));
    if (bad) {
        cp = kInvalidCodePoint;
        return 1;
    }
    cp = value;
    return extra + 1;
}

bool isValidUtf8(std::string_view s)
{
    std::size_t pos = 0;
    while (pos < s.size()) {
        char32_t cp = 0;
        pos += decodeUtf8(s, pos, cp);
        if (cp == kInvalidCodePoint)
            return false;
    }
    return true;
}

void appendUtf8(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool singleCodePoint(std::string_view s, char32_t &cp)
{
    if (s.empty())
        return false;
    const std::size_t len = decodeUtf8(s, 0, cp);
    return cp != kInvalidCodePoint && len == s.size();
}

bool isUnicodeWhitespace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool isWordChar(char32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    if (c == kInvalidCodePoint || isUnicodeWhitespace(c))
        return false;
    // Latin-1 punctuation and symbols, except the letters ª µ º.
    if (c <= 0xBF)
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7 || c == 0xFEFF)
        return false;
    // Connector punctuation and joiners count as word characters.
    if (c == 0x200C || c == 0x200D || c == 0x203F || c == 0x2040 || c == 0x2054 || c == 0xFE33 || c == 0xFE34 ||
        (c >= 0xFE4D && c <= 0xFE4F) || c == 0xFF3F)
        return true;
    // Punctuation / symbol / private-use blocks (coarse: \w only needs letters, marks, digits).
    if ((c >= 0x2000 && c <= 0x206F) || (c >= 0x20A0 && c <= 0x20CF) || (c >= 0x2190 && c <= 0x2BFF) ||
        (c >= 0x3000 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3020) || (c >= 0xE000 && c <= 0xF8FF) ||
        (c >= 0xFE10 && c <= 0xFE1F) || (c >= 0xFE30 && c <= 0xFE6F) || (c >= 0xFF01 && c <= 0xFF0F) ||
        (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF3E) || c == 0xFF40 || (c >= 0xFF5B && c <= 0xFF65) ||
        (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0xFFF0 && c <= 0xFFFF))
        return false;
    return true;
}

namespace {

// Start of the character that ends at `end` (exclusive), or end-1 for invalid bytes.
std::size_t previousCharStart(std::string_view s, std::size_t end)
{
    std::size_t start = end - 1;
    for (std::size_t back = 0; back < 3 && start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0u) == 0x80u; ++back)
        --start;
    char32_t cp = 0;
    if (decodeUtf8(s, start, cp) != end - start)
        return end - 1;
    return start;
}

} // namespace

char32_t lastCodePoint(std::string_view s)
{
    if (s.empty())
        return kInvalidCodePoint;
    const std::size_t start = previousCharStart(s, s.size());
    char32_t cp = 0;
    decodeUtf8(s, start, cp);
    return cp;
}

char32_t firstCodePoint(std::string_view s)
{
    if (s.empty())
        return kInvalidCodePoint;
    char32_t cp = 0;
    decodeUtf8(s, 0, cp);
    return cp;
}

std::size_t trailingWhitespaceStart(std::string_view s)
{
    std::size_t end = s.size();
    while (end > 0) {
        const std::size_t start = previousCharStart(s, end);
        char32_t cp = 0;
        decodeUtf8(s, start, cp);
        if (!isUnicodeWhitespace(cp))
            break;
        end = start;
    }
    return end;
}

std::size_t leadingWhitespaceLength(std::string_view s)
{
    std::size_t pos = 0;
    while (pos < s.size()) {
        char32_t cp = 0;
        const std::size_t len = decodeUtf8(s, pos, cp);
        if (!isUnicodeWhitespace(cp))
            break;
        pos += len;
    }
    return pos;
}

namespace {

// Number of bytes of the well-formed prefix of the sequence at s[pos] (stops at the first byte that cannot
// continue it); `need` gets the full length the lead byte announces (0 for a byte that cannot start one).
std::size_t wellFormedPrefix(std::string_view s, std::size_t pos, std::size_t &need)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (b0 < 0x80) {
        need = 1;
        return 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        need = 0;
        return 1;
    }
    std::size_t n = 1;
    while (n < need && pos + n < s.size()) {
        const auto b = static_cast<unsigned char>(s[pos + n]);
        if (b < (n == 1 ? lo : 0x80) || b > (n == 1 ? hi : 0xBF))
            break;
        ++n;
    }
    return n;
}

} // namespace

void appendUtf8Lossy(std::string &out, std::string_view bytes)
{
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        std::size_t need = 0;
        const std::size_t n = wellFormedPrefix(bytes, pos, need);
        if (n == need)
            out.append(bytes.substr(pos, n));
        else
            out.append(kReplacementChar);
        pos += n;
    }
}

std::size_t incompleteUtf8Tail(std::string_view bytes)
{
    const std::size_t size = bytes.size();
    for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
        const auto b = static_cast<unsigned char>(bytes[size - back]);
        if ((b & 0xC0u) == 0x80u)
            continue; // a continuation byte: look further back for the lead
        std::size_t need = 0;
        const std::size_t n = wellFormedPrefix(bytes, size - back, need);
        return n == back && need > back ? back : 0;
    }
    return 0;
}

std::string replaceAll(std::string_view s, std::string_view from, std::string_view to)
{
    std::string out;
    out.reserve(s.size() + s.size() / 4);
    std::size_t pos = 0;
    while (true) {
        const std::size_t hit = s.find(from, pos);
        if (hit == std::string_view::npos)
            break;
        out.append(s.substr(pos, hit - pos));
        out.append(to);
        pos = hit + from.size();
    }
    out.append(s.substr(pos));
    return out;
}

} // namespace smartbot::engine::tokenizer_detail
