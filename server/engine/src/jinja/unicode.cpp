#include "jinja/unicode.h"

#include "tokenizer/utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace smartbot::engine::jinja {

std::size_t decodeChar(std::string_view s, std::size_t pos, char32_t &cp)
{
    // The tokenizer's decoder, with invalid bytes read as U+FFFD (one per byte), as JavaScript strings show them.
    const std::size_t n = tokenizer_detail::decodeUtf8(s, pos, cp);
    if (cp == tokenizer_detail::kInvalidCodePoint)
        cp = 0xFFFD;
    return n;
}

void appendChar(std::string &out, char32_t cp)
{
    if (cp >= 0xD800 && cp <= 0xDFFF) // a lone surrogate cannot be written in UTF-8
        cp = 0xFFFD;
    tokenizer_detail::appendUtf8(out, cp);
}

std::vector<std::string> splitChars(std::string_view s)
{
    std::vector<std::string> out;
    for (std::size_t pos = 0; pos < s.size();) {
        char32_t cp = 0;
        const std::size_t len = decodeChar(s, pos, cp);
        out.emplace_back(s.substr(pos, len));
        pos += len;
    }
    return out;
}

bool isJsSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

std::size_t jsSpaceAt(std::string_view s, std::size_t pos)
{
    if (pos >= s.size())
        return 0;
    char32_t cp = 0;
    const std::size_t len = decodeChar(s, pos, cp);
    return isJsSpace(cp) ? len : 0;
}

std::string_view trimStart(std::string_view s)
{
    std::size_t pos = 0;
    while (std::size_t len = jsSpaceAt(s, pos))
        pos += len;
    return s.substr(pos);
}

std::string_view trimEnd(std::string_view s)
{
    std::size_t end = s.size();
    while (end > 0) {
        std::size_t start = end - 1;
        while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0u) == 0x80u)
            --start;
        if (jsSpaceAt(s, start) != end - start)
            break;
        end = start;
    }
    return s.substr(0, end);
}

std::size_t utf16Length(std::string_view s)
{
    std::size_t n = 0;
    for (std::size_t pos = 0; pos < s.size();) {
        char32_t cp = 0;
        pos += decodeChar(s, pos, cp);
        n += cp >= 0x10000 ? 2 : 1;
    }
    return n;
}

std::optional<std::string> utf16At(std::string_view s, double index)
{
    const double length = static_cast<double>(utf16Length(s));
    double i = std::trunc(std::isnan(index) ? 0 : index);
    if (i < 0)
        i += length;
    if (i < 0 || i >= length)
        return std::nullopt;
    std::size_t unit = 0;
    for (std::size_t pos = 0; pos < s.size();) {
        char32_t cp = 0;
        const std::size_t len = decodeChar(s, pos, cp);
        const std::size_t width = cp >= 0x10000 ? 2 : 1;
        if (static_cast<double>(unit + width) > i) {
            if (width == 2)
                return std::string("\xEF\xBF\xBD"); // half of a surrogate pair
            return std::string(s.substr(pos, len));
        }
        unit += width;
        pos += len;
    }
    return std::nullopt;
}

int utf16Compare(std::string_view a, std::string_view b)
{
    // Code point order, except that supplementary characters (surrogates in UTF-16) sort below U+E000..U+FFFF.
    auto key = [](char32_t c) -> char32_t {
        return c >= 0x10000 ? 0xD800 + ((c - 0x10000) >> 10) : c >= 0xE000 ? c + 0x10000 : c;
    };
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        char32_t ca = 0, cb = 0;
        i += decodeChar(a, i, ca);
        j += decodeChar(b, j, cb);
        if (ca != cb) {
            const char32_t ka = key(ca), kb = key(cb);
            if (ka != kb)
                return ka < kb ? -1 : 1;
            return ca < cb ? -1 : 1;
        }
    }
    if (i < a.size())
        return 1;
    if (j < b.size())
        return -1;
    return 0;
}

namespace {

using namespace case_data;

void mapCase(std::string_view s, std::string &out, const CaseRun *runs, std::size_t runCount,
             const SpecialCase *special, std::size_t specialCount)
{
    out.reserve(s.size());
    for (std::size_t pos = 0; pos < s.size();) {
        const auto b = static_cast<unsigned char>(s[pos]);
        if (b < 0x80) { // fast path
            char c = s[pos++];
            if (runs == kUpperRuns && c >= 'a' && c <= 'z')
                c = static_cast<char>(c - 32);
            else if (runs == kLowerRuns && c >= 'A' && c <= 'Z')
                c = static_cast<char>(c + 32);
            out += c;
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = decodeChar(s, pos, cp);
        if (cp == 0xFFFD) {
            out.append(s.substr(pos, len));
            pos += len;
            continue;
        }
        pos += len;
        const SpecialCase *sp = std::lower_bound(special, special + specialCount, cp,
                                                 [](const SpecialCase &x, char32_t v) { return x.cp < v; });
        if (sp != special + specialCount && sp->cp == cp) {
            for (const char32_t t : sp->to)
                if (t)
                    appendChar(out, t);
            continue;
        }
        const CaseRun *end = runs + runCount;
        const CaseRun *r = std::upper_bound(runs, end, cp, [](char32_t v, const CaseRun &x) { return v < x.first; });
        if (r != runs) {
            --r;
            if (cp <= r->last && (cp - r->first) % r->stride == 0)
                cp = static_cast<char32_t>(static_cast<int64_t>(cp) + r->delta);
        }
        appendChar(out, cp);
    }
}

} // namespace

std::string toUpper(std::string_view s)
{
    std::string out;
    mapCase(s, out, kUpperRuns, kUpperRunCount, kSpecialUpper, kSpecialUpperCount);
    return out;
}

std::string toLower(std::string_view s)
{
    std::string out;
    mapCase(s, out, kLowerRuns, kLowerRunCount, kSpecialLower, kSpecialLowerCount);
    return out;
}

std::string jsNumber(double v)
{
    if (std::isnan(v))
        return "NaN";
    if (std::isinf(v))
        return v < 0 ? "-Infinity" : "Infinity";
    if (v == 0)
        return "0";
    std::string sign = v < 0 ? "-" : "";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
    const std::string sci(buf, res.ptr);
    const std::size_t e = sci.find('e');
    std::string digits = sci.substr(0, e);
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    const int exp10 = std::stoi(sci.substr(e + 1));
    const int k = static_cast<int>(digits.size());
    const int n = exp10 + 1; // value = 0.digits * 10^n
    std::string out;
    if (k <= n && n <= 21) {
        out = digits + std::string(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out = digits.substr(0, static_cast<std::size_t>(n)) + "." + digits.substr(static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out = "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
    } else {
        const int x = n - 1;
        out = digits.substr(0, 1);
        if (k > 1)
            out += "." + digits.substr(1);
        out += (x < 0 ? "e-" : "e+") + std::to_string(std::abs(x));
    }
    return sign + out;
}

std::string jsonQuote(std::string_view s, bool ensureAscii)
{
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    char hex[16];
    for (std::size_t pos = 0; pos < s.size();) {
        char32_t cp = 0;
        const std::size_t len = decodeChar(s, pos, cp);
        pos += len;
        switch (cp) {
        case '"':
            out += "\\\"";
            continue;
        case '\\':
            out += "\\\\";
            continue;
        case '\b':
            out += "\\b";
            continue;
        case '\f':
            out += "\\f";
            continue;
        case '\n':
            out += "\\n";
            continue;
        case '\r':
            out += "\\r";
            continue;
        case '\t':
            out += "\\t";
            continue;
        default:
            break;
        }
        if (cp < 0x20 || (ensureAscii && cp >= 0x7F)) {
            if (cp >= 0x10000) {
                const char32_t v = cp - 0x10000;
                std::snprintf(hex, sizeof hex, "\\u%04x\\u%04x", 0xD800u + (v >> 10), 0xDC00u + (v & 0x3FFu));
            } else {
                std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(cp));
            }
            out += hex;
        } else {
            appendChar(out, cp);
        }
    }
    out += '"';
    return out;
}

} // namespace smartbot::engine::jinja
