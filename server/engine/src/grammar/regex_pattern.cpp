#include "grammar/regex_pattern.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

namespace smartbot::engine::grammar {

namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr int kMaxRepeat = 1024; // as json_schema.cpp: each repetition is a grammar node
constexpr int kMaxNesting = 64;

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

[[noreturn]] void fail(const std::string &what)
{
    throw PatternError(what);
}

Ranges merged(Ranges r)
{
    std::sort(r.begin(), r.end());
    Ranges out;
    for (const auto &[lo, hi] : r) {
        if (!out.empty() && lo <= out.back().second + 1)
            out.back().second = std::max(out.back().second, hi);
        else
            out.emplace_back(lo, hi);
    }
    return out;
}

// Every code point UTF-8 can carry (not the surrogates) outside r.
Ranges complement(const Ranges &r)
{
    Ranges out;
    uint32_t next = 0;
    for (const auto &[lo, hi] : merged(r)) {
        if (lo > next)
            out.emplace_back(next, lo - 1);
        next = hi + 1;
    }
    if (next <= kMaxCodePoint)
        out.emplace_back(next, kMaxCodePoint);
    Ranges valid;
    for (const auto &[lo, hi] : out) { // cut out U+D800..U+DFFF
        if (lo < 0xD800)
            valid.emplace_back(lo, std::min(hi, uint32_t(0xD7FF)));
        if (hi > 0xDFFF)
            valid.emplace_back(std::max(lo, uint32_t(0xE000)), hi);
    }
    return valid;
}

const Ranges kDigits = {{'0', '9'}};
const Ranges kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const Ranges kSpace = {{0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680}, {0x2000, 0x200A},
                       {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
const Ranges kLineTerminators = {{0x0A, 0x0A}, {0x0D, 0x0D}, {0x2028, 0x2029}};

std::string codePointEscape(uint32_t cp)
{
    char buf[16];
    if ((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'))
        std::snprintf(buf, sizeof buf, "%c", char(cp));
    else if (cp < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02X", unsigned(cp));
    else if (cp < 0x10000)
        std::snprintf(buf, sizeof buf, "\\u%04X", unsigned(cp));
    else
        std::snprintf(buf, sizeof buf, "\\U%08X", unsigned(cp));
    return buf;
}

bool contains(const Ranges &set, uint32_t cp)
{
    return std::any_of(set.begin(), set.end(), [cp](const auto &r) { return r.first <= cp && cp <= r.second; });
}

// The characters of set as they appear inside a JSON string: plainly where JSON allows, else escaped.
std::string jsonCharacters(const Ranges &set)
{
    std::vector<std::string> alts;
    Ranges plain;
    for (const auto &[lo, hi] : merged(set)) // minus '"', '\' and the control characters
        for (const auto &[a, b] : complement({{0x00, 0x1F}, {'"', '"'}, {'\\', '\\'}}))
            if (std::max(lo, a) <= std::min(hi, b))
                plain.emplace_back(std::max(lo, a), std::min(hi, b));
    if (!plain.empty()) {
        std::string cls = "[";
        for (const auto &[lo, hi] : merged(plain))
            cls += codePointEscape(lo) + (hi > lo ? "-" + codePointEscape(hi) : "");
        alts.push_back(cls + "]");
    }
    if (contains(set, '"'))
        alts.push_back(R"("\\\"")");
    if (contains(set, '\\'))
        alts.push_back(R"("\\\\")");
    static const char *shortForms[32] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                         nullptr, "b",     "t",     "n",     nullptr, "f",     "r"};
    for (uint32_t c = 0; c < 0x20; ++c) {
        if (!contains(set, c))
            continue;
        char buf[16];
        if (shortForms[c])
            std::snprintf(buf, sizeof buf, "\"\\\\%s\"", shortForms[c]);
        else
            std::snprintf(buf, sizeof buf, "\"\\\\u%04x\"", unsigned(c));
        alts.push_back(buf);
    }
    if (alts.empty())
        fail("a character class that matches nothing");
    if (alts.size() == 1)
        return alts.front();
    std::string out = "(";
    for (size_t i = 0; i < alts.size(); ++i)
        out += (i ? " | " : " ") + alts[i];
    return out + " )";
}

class Parser {
public:
    Parser(std::string_view pattern, const std::string &anyChar) : any_(anyChar)
    {
        // UTF-8 to code points (the pattern came out of a JSON string: valid UTF-8).
        for (size_t i = 0; i < pattern.size();) {
            const auto c = static_cast<unsigned char>(pattern[i]);
            const int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
            if (len == 0 || i + size_t(len) > pattern.size())
                fail("the pattern is not valid UTF-8");
            uint32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
            for (int k = 1; k < len; ++k)
                cp = (cp << 6) | (static_cast<unsigned char>(pattern[i + size_t(k)]) & 0x3F);
            cps_.push_back(cp);
            i += size_t(len);
        }
    }

    // Each top-level alternative anchors its own ends ("^a|b$": starts with a, or ends with b).
    std::string parse()
    {
        std::vector<std::string> branches;
        for (;;) {
            const bool startAnchored = peek('^');
            if (startAnchored)
                ++pos_;
            endAnchored_ = false;
            const std::string body = sequence();
            branches.push_back((startAnchored ? "" : any_ + "* ") + body + (endAnchored_ ? "" : " " + any_ + "*"));
            if (!peek('|'))
                break;
            ++pos_;
        }
        if (pos_ < cps_.size())
            fail("unbalanced ')'");
        if (branches.size() == 1)
            return branches.front();
        std::string out = "(";
        for (size_t i = 0; i < branches.size(); ++i)
            out += (i ? " | " : " ") + branches[i];
        return out + " )";
    }

private:
    std::vector<uint32_t> cps_;
    size_t pos_ = 0;
    int depth_ = 0;
    bool endAnchored_ = false;
    bool nullable_ = false;
    const std::string &any_;

    bool peek(uint32_t c, size_t ahead = 0) const { return pos_ + ahead < cps_.size() && cps_[pos_ + ahead] == c; }
    bool atEnd() const { return pos_ >= cps_.size(); }
    uint32_t take()
    {
        if (atEnd())
            fail("the pattern ends too early");
        return cps_[pos_++];
    }

    // Each parsing function leaves in nullable_ whether what it parsed can match the empty string.
    std::string alternation()
    {
        std::vector<std::string> branches{sequence()};
        bool nullable = nullable_;
        while (peek('|')) {
            ++pos_;
            branches.push_back(sequence());
            nullable = nullable || nullable_;
        }
        nullable_ = nullable;
        if (branches.size() == 1)
            return branches.front();
        std::string out = "(";
        for (size_t i = 0; i < branches.size(); ++i)
            out += (i ? " | " : " ") + branches[i];
        return out + " )";
    }

    std::string sequence()
    {
        std::string out;
        bool nullable = true;
        while (!atEnd() && !peek('|') && !peek(')')) {
            if (peek('$')) {
                if (depth_ != 0 || (pos_ + 1 != cps_.size() && !peek('|', 1)))
                    fail("'$' is supported at the end of the pattern (or of a top-level alternative) only");
                ++pos_;
                endAnchored_ = true;
                break;
            }
            if (peek('^'))
                fail("'^' is supported at the start of the pattern (or of a top-level alternative) only");
            std::string item = atom();
            bool itemNullable = nullable_;
            if (const auto q = quantifier()) {
                const auto [min, max] = *q;
                // Repeating what can match nothing gives the matcher exponentially many ways through the empty
                // case ((a?|b?){64}), and GBNF calls x* of a nullable x left-recursive: refused with the reason.
                if (itemNullable && !(min == 0 && max == 1))
                    fail("a repetition of something that can match nothing (such as (a?)* or (a|b?)+) is not "
                         "supported: repeat the part that cannot be empty");
                item = max == 0 ? std::string("\"\"") : item + repetition(min, max);
                itemNullable = itemNullable || min == 0;
            }
            nullable = nullable && itemNullable;
            out += (out.empty() ? "" : " ") + item;
        }
        nullable_ = nullable;
        return out.empty() ? std::string("\"\"") : out;
    }

    bool quantifierAhead() const
    {
        if (peek('*') || peek('+') || peek('?'))
            return true;
        if (!peek('{'))
            return false;
        size_t i = pos_ + 1;
        bool digits = false;
        while (i < cps_.size() && cps_[i] >= '0' && cps_[i] <= '9') {
            ++i;
            digits = true;
        }
        return digits && i < cps_.size() && (cps_[i] == '}' || cps_[i] == ',');
    }

    int number()
    {
        long v = 0;
        bool any = false;
        while (!atEnd() && cps_[pos_] >= '0' && cps_[pos_] <= '9') {
            v = std::min<long>(v * 10 + long(cps_[pos_++] - '0'), 1L << 30);
            any = true;
        }
        if (!any)
            fail("a repetition count is missing");
        return int(v);
    }

    static std::string repetition(int min, int max)
    {
        if (min == 0 && max == 1)
            return "?";
        if (max < 0)
            return min == 0 ? "*" : min == 1 ? "+" : "{" + std::to_string(min) + ",}";
        if (min == max)
            return "{" + std::to_string(min) + "}";
        return "{" + std::to_string(min) + "," + std::to_string(max) + "}";
    }

    // The counts of a quantifier after an atom ({min, max}, max -1: unbounded), if there is one.
    std::optional<std::pair<int, int>> quantifier()
    {
        if (!quantifierAhead())
            return std::nullopt;
        int min = 0, max = -1;
        const uint32_t c = take();
        if (c == '*' || c == '+' || c == '?') {
            min = c == '+' ? 1 : 0;
            max = c == '?' ? 1 : -1;
        } else { // {n}, {n,}, {n,m}
            min = number();
            max = min;
            if (peek(',')) {
                ++pos_;
                max = peek('}') ? -1 : number();
            }
            if (take() != '}')
                fail("a repetition {n,m} is not closed");
            if (max >= 0 && max < min)
                fail("a repetition {n,m} with m below n");
            if (min > kMaxRepeat)
                fail("a repetition above " + std::to_string(kMaxRepeat));
            max = std::min(max, kMaxRepeat); // clamping only narrows what is generated
        }
        if (peek('?')) // lazy: the same strings
            ++pos_;
        if (quantifierAhead())
            fail("a quantifier follows another");
        return std::pair{min, max};
    }

    std::string atom()
    {
        if (quantifierAhead())
            fail("a quantifier with nothing to repeat");
        const uint32_t c = take();
        switch (c) {
        case '(': {
            if (peek('?')) {
                if (peek(':', 1)) {
                    pos_ += 2;
                } else if (peek('<', 1) && !peek('=', 2) && !peek('!', 2)) { // a named group
                    pos_ += 2;
                    while (!atEnd() && !peek('>'))
                        ++pos_;
                    if (take() != '>')
                        fail("a group name is not closed");
                } else {
                    fail("lookaround ((?=, (?!, (?<=, (?<!) is not supported");
                }
            }
            if (++depth_ > kMaxNesting)
                fail("groups nested more than " + std::to_string(kMaxNesting) + " deep");
            std::string inner = alternation(); // leaves nullable_ as the group's
            --depth_;
            if (atEnd() || take() != ')')
                fail("a group is not closed");
            return "( " + inner + " )";
        }
        case ')':
            fail("unbalanced ')'");
        }
        nullable_ = false; // one character
        switch (c) {
        case '[':
            return jsonCharacters(characterClass());
        case '.':
            return jsonCharacters(complement(kLineTerminators));
        case '\\':
            return jsonCharacters(escape(/*inClass=*/false));
        default:
            return jsonCharacters({{c, c}});
        }
    }

    uint32_t hexDigits(int n)
    {
        uint32_t v = 0;
        for (int i = 0; i < n; ++i) {
            const uint32_t h = take();
            const int d = h >= '0' && h <= '9'   ? int(h - '0')
                          : h >= 'a' && h <= 'f' ? int(h - 'a' + 10)
                          : h >= 'A' && h <= 'F' ? int(h - 'A' + 10)
                                                 : -1;
            if (d < 0)
                fail("a \\x or \\u escape needs hex digits");
            v = v * 16 + uint32_t(d);
        }
        return v;
    }

    // After a backslash: a set (\d, \w, \s and their negations) or one character.
    Ranges escape(bool inClass)
    {
        const uint32_t e = take();
        switch (e) {
        case 'd':
            return kDigits;
        case 'D':
            return complement(kDigits);
        case 'w':
            return kWord;
        case 'W':
            return complement(kWord);
        case 's':
            return kSpace;
        case 'S':
            return complement(kSpace);
        case 't':
            return {{9, 9}};
        case 'n':
            return {{10, 10}};
        case 'v':
            return {{11, 11}};
        case 'f':
            return {{12, 12}};
        case 'r':
            return {{13, 13}};
        case 'x': {
            const uint32_t v = hexDigits(2);
            return {{v, v}};
        }
        case 'u': {
            uint32_t v = 0;
            if (peek('{')) {
                ++pos_;
                while (!peek('}'))
                    v = std::min<uint32_t>(v * 16 + hexDigits(1), kMaxCodePoint + 1);
                ++pos_;
            } else {
                v = hexDigits(4);
            }
            if (v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF))
                fail("\\u escapes of surrogates or beyond U+10FFFF are not supported");
            return {{v, v}};
        }
        case 'b':
            if (inClass)
                return {{8, 8}};
            fail("word boundaries (\\b, \\B) are not supported");
        case 'B':
            fail("word boundaries (\\b, \\B) are not supported");
        case 'p':
        case 'P':
            fail("Unicode property escapes (\\p{...}) are not supported");
        case 'k':
            fail("backreferences are not supported");
        case '0':
            if (!atEnd() && cps_[pos_] >= '0' && cps_[pos_] <= '9')
                fail("octal escapes are not supported");
            return {{0, 0}};
        default:
            if (e >= '1' && e <= '9')
                fail("backreferences are not supported");
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))
                fail(std::string("unknown escape '\\") + char(e) + "'");
            return {{e, e}};
        }
    }

    Ranges classAtom()
    {
        if (peek('\\')) {
            ++pos_;
            return escape(/*inClass=*/true);
        }
        const uint32_t c = take();
        return {{c, c}};
    }

    Ranges characterClass()
    {
        const bool negated = peek('^');
        if (negated)
            ++pos_;
        Ranges set;
        while (!peek(']')) {
            if (atEnd())
                fail("a character class is not closed");
            const Ranges first = classAtom();
            const bool single = first.size() == 1 && first[0].first == first[0].second;
            if (single && peek('-') && pos_ + 1 < cps_.size() && !peek(']', 1)) {
                ++pos_;
                const Ranges last = classAtom();
                if (last.size() != 1 || last[0].first != last[0].second)
                    fail("a class range ends in a set (\\d, \\w, \\s)");
                if (last[0].first < first[0].first)
                    fail("a class range out of order");
                set.emplace_back(first[0].first, last[0].first);
            } else {
                set.insert(set.end(), first.begin(), first.end());
            }
        }
        ++pos_; // ']'
        return negated ? complement(set) : merged(set);
    }
};

} // namespace

std::string patternExpression(std::string_view pattern, const std::string &anyChar)
{
    return Parser(pattern, anyChar).parse();
}

} // namespace smartbot::engine::grammar
