#include "grammar/utf8_ranges.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace smartbot::engine::grammar {

namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr CodeRange kSurrogates{0xD800, 0xDFFF};

std::vector<CodeRange> normalized(std::vector<CodeRange> ranges)
{
    std::sort(ranges.begin(), ranges.end(), [](const CodeRange &a, const CodeRange &b) { return a.lo < b.lo; });
    std::vector<CodeRange> out;
    for (const CodeRange &r : ranges) {
        if (!out.empty() && r.lo <= out.back().hi + 1)
            out.back().hi = std::max(out.back().hi, r.hi);
        else
            out.push_back(r);
    }
    return out;
}

// Encoded length of cp (1..4).
int encodedLength(char32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

void encode(char32_t cp, uint8_t out[4])
{
    std::string s;
    tokenizer_detail::appendUtf8(s, cp);
    for (size_t i = 0; i < s.size(); ++i)
        out[i] = uint8_t(s[i]);
}

// lo..hi share one encoded length. Splits until every piece is a product of byte ranges: a piece qualifies when, at
// every continuation position, lo's and hi's lower bits span the full 6-bit block or their higher parts agree.
void split(char32_t lo, char32_t hi, std::vector<std::vector<std::pair<uint8_t, uint8_t>>> &out)
{
    const int n = encodedLength(lo);
    for (int i = 1; i < n; ++i) {
        const char32_t m = (char32_t(1) << (6 * i)) - 1;
        if ((lo & ~m) != (hi & ~m)) {
            if ((lo & m) != 0) {
                split(lo, lo | m, out);
                split((lo | m) + 1, hi, out);
                return;
            }
            if ((hi & m) != m) {
                split(lo, (hi & ~m) - 1, out);
                split(hi & ~m, hi, out);
                return;
            }
        }
    }
    uint8_t a[4], b[4];
    encode(lo, a);
    encode(hi, b);
    std::vector<std::pair<uint8_t, uint8_t>> seq;
    for (int i = 0; i < n; ++i)
        seq.emplace_back(a[i], b[i]);
    out.push_back(std::move(seq));
}

} // namespace

std::vector<CodeRange> complement(std::vector<CodeRange> ranges)
{
    ranges = normalized(std::move(ranges));
    std::vector<CodeRange> out;
    char32_t next = 0;
    for (const CodeRange &r : ranges) {
        if (r.lo > next)
            out.push_back({next, r.lo - 1});
        next = std::max<char32_t>(next, r.hi + 1);
    }
    if (next <= kMaxCodePoint)
        out.push_back({next, kMaxCodePoint});
    return out;
}

std::vector<std::vector<std::pair<uint8_t, uint8_t>>> utf8Sequences(const std::vector<CodeRange> &ranges)
{
    std::vector<std::vector<std::pair<uint8_t, uint8_t>>> out;
    static constexpr char32_t kLengthEnds[] = {0x7F, 0x7FF, 0xFFFF, kMaxCodePoint};
    for (CodeRange r : normalized(ranges)) {
        r.hi = std::min(r.hi, kMaxCodePoint);
        // Without the surrogates: they have no UTF-8 encoding.
        std::vector<CodeRange> parts;
        if (r.hi < kSurrogates.lo || r.lo > kSurrogates.hi) {
            parts.push_back(r);
        } else {
            if (r.lo < kSurrogates.lo)
                parts.push_back({r.lo, kSurrogates.lo - 1});
            if (r.hi > kSurrogates.hi)
                parts.push_back({kSurrogates.hi + 1, r.hi});
        }
        for (CodeRange p : parts) {
            for (char32_t end : kLengthEnds) {
                if (p.lo > p.hi || p.lo > end)
                    continue;
                const char32_t top = std::min(p.hi, end);
                split(p.lo, top, out);
                if (top == p.hi)
                    break;
                p.lo = top + 1;
            }
        }
    }
    return out;
}

size_t decodeUtf8(std::string_view s, size_t pos, char32_t &cp)
{
    const size_t n = tokenizer_detail::decodeUtf8(s, pos, cp);
    return cp == tokenizer_detail::kInvalidCodePoint ? 0 : n;
}

void appendUtf8(std::string &out, char32_t cp)
{
    tokenizer_detail::appendUtf8(out, cp);
}

} // namespace smartbot::engine::grammar
