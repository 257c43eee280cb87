#include "tokenizer/unicode.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

using namespace unicode_data;

namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;
// Marks an invalid byte in the code point buffer (its value is in the low 8 bits).
constexpr char32_t kRawByte = 0x80000000u;

uint8_t combiningClass(char32_t c)
{
    if (c < 0x300 || c >= kRawByte)
        return 0;
    const CombiningClassRange *end = kCombiningClasses + kCombiningClassCount;
    const auto *it = std::upper_bound(kCombiningClasses, end, c,
                                      [](char32_t v, const CombiningClassRange &r) { return v < r.first; });
    if (it == kCombiningClasses)
        return 0;
    --it;
    return c <= it->last ? it->ccc : 0;
}

const Decomposition *findDecomposition(char32_t c)
{
    if (c < 0xC0 || c >= kRawByte)
        return nullptr;
    const Decomposition *end = kDecompositions + kDecompositionCount;
    const auto *it =
        std::lower_bound(kDecompositions, end, c, [](const Decomposition &d, char32_t v) { return d.cp < v; });
    return it != end && it->cp == c ? it : nullptr;
}

void decompose(char32_t c, std::vector<char32_t> &out)
{
    if (c >= kSBase && c < kSBase + kSCount) {
        const char32_t s = c - kSBase;
        out.push_back(kLBase + s / kNCount);
        out.push_back(kVBase + (s % kNCount) / kTCount);
        if (s % kTCount != 0)
            out.push_back(kTBase + s % kTCount);
        return;
    }
    const Decomposition *d = findDecomposition(c);
    if (!d) {
        out.push_back(c);
        return;
    }
    decompose(d->first, out);
    if (d->second != 0)
        decompose(d->second, out);
}

// Full canonical decomposition followed by the canonical ordering of combining marks.
std::vector<char32_t> decomposeText(std::string_view text)
{
    std::vector<char32_t> cps;
    cps.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        char32_t cp = 0;
        const std::size_t len = decodeUtf8(text, pos, cp);
        if (cp == kInvalidCodePoint)
            cps.push_back(kRawByte | static_cast<unsigned char>(text[pos]));
        else
            decompose(cp, cps);
        pos += len;
    }
    for (std::size_t i = 0; i < cps.size();) {
        if (combiningClass(cps[i]) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < cps.size() && combiningClass(cps[j]) != 0)
            ++j;
        std::stable_sort(cps.begin() + static_cast<std::ptrdiff_t>(i), cps.begin() + static_cast<std::ptrdiff_t>(j),
                         [](char32_t a, char32_t b) { return combiningClass(a) < combiningClass(b); });
        i = j;
    }
    return cps;
}

uint64_t pairKey(char32_t a, char32_t b)
{
    return (static_cast<uint64_t>(a) << 32) | b;
}

const std::unordered_map<uint64_t, char32_t> &compositions()
{
    static const std::unordered_map<uint64_t, char32_t> map = [] {
        std::unordered_map<uint64_t, char32_t> m;
        for (std::size_t i = 0; i < kDecompositionCount; ++i)
            if (kDecompositions[i].composes)
                m.emplace(pairKey(kDecompositions[i].first, kDecompositions[i].second), kDecompositions[i].cp);
        return m;
    }();
    return map;
}

// 0 when the two do not compose.
char32_t compose(char32_t a, char32_t b)
{
    if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
        return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
    if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
        return a + (b - kTBase);
    const auto &m = compositions();
    const auto it = m.find(pairKey(a, b));
    return it == m.end() ? 0 : it->second;
}

std::string encode(const std::vector<char32_t> &cps, std::size_t count)
{
    std::string out;
    out.reserve(count + count / 2);
    for (std::size_t i = 0; i < count; ++i) {
        if (cps[i] & kRawByte)
            out += static_cast<char>(cps[i] & 0xFF);
        else
            appendUtf8(out, cps[i]);
    }
    return out;
}

bool isAscii(std::string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// NFC quick check (UAX #15): true when every character is NFC_QC=Yes and the combining marks are in canonical
// order, i.e. NFC would not change the text. Invalid bytes count as starters.
bool quickCheckNfc(std::string_view text)
{
    const CodePointRange *end = kNfcQuickCheckNoOrMaybe + kNfcQuickCheckCount;
    uint8_t lastClass = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (static_cast<unsigned char>(text[pos]) < 0xCC) { // below U+0300: NFC_QC=Yes, class 0
            ++pos;
            lastClass = 0;
            continue;
        }
        char32_t cp = 0;
        pos += decodeUtf8(text, pos, cp);
        if (cp == kInvalidCodePoint) {
            lastClass = 0;
            continue;
        }
        const auto *it = std::upper_bound(kNfcQuickCheckNoOrMaybe, end, cp,
                                          [](char32_t v, const CodePointRange &r) { return v < r.first; });
        if (it != kNfcQuickCheckNoOrMaybe && cp <= (it - 1)->last)
            return false;
        const uint8_t cc = combiningClass(cp);
        if (cc != 0 && lastClass > cc)
            return false;
        lastClass = cc;
    }
    return true;
}

} // namespace

std::string toNfd(std::string_view text)
{
    if (isAscii(text))
        return std::string(text);
    const std::vector<char32_t> cps = decomposeText(text);
    return encode(cps, cps.size());
}

// Canonical composition (UAX #15): each character composes with the last starter unless a character in
// between is blocked (same or higher combining class, or a starter).
std::string toNfc(std::string_view text)
{
    if (quickCheckNfc(text))
        return std::string(text);
    std::vector<char32_t> cps = decomposeText(text);
    std::size_t out = 0;
    std::size_t starter = 0;
    bool haveStarter = false;
    int lastClass = -1; // class of the last character kept after the starter (-1: none)
    for (std::size_t i = 0; i < cps.size(); ++i) {
        const char32_t c = cps[i];
        const int cc = combiningClass(c);
        if (haveStarter && (lastClass < cc || (lastClass == -1 && cc == 0)) && !(c & kRawByte)) {
            if (const char32_t composed = compose(cps[starter], c)) {
                cps[starter] = composed;
                continue;
            }
        }
        if (cc == 0) {
            starter = out;
            haveStarter = !(c & kRawByte);
            lastClass = -1;
        } else {
            lastClass = cc;
        }
        cps[out++] = c;
    }
    return encode(cps, out);
}

} // namespace smartbot::engine::tokenizer_detail
