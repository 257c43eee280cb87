#include "grammar/grammar.h"

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>

#include "grammar/utf8_ranges.h"

namespace smartbot::engine::grammar {

namespace {

constexpr int kMaxRepetition = 4096; // {m,n} bounds: each unit of n - m becomes a rule
// Limits for grammars from requests: nested groups recurse in the parser, and every bounded repetition adds a rule
// per optional unit (a repeated group is one rule however often it is used).
constexpr int kMaxNesting = 128;
constexpr size_t kMaxRules = 100'000;

struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Item {
    bool bytes = true;
    uint32_t index = 0; // byte set or rule
};
using Sequence = std::vector<Item>;
using Alternatives = std::vector<Sequence>;

class Parser {
public:
    explicit Parser(std::string_view src) : src_(src) {}

    Grammar run()
    {
        skipSpace();
        while (pos_ < src_.size()) {
            const size_t at = pos_;
            const std::string name = parseName();
            skipSpace();
            if (src_.substr(pos_, 3) != "::=")
                fail("expected '::=' after the rule name '" + name + "'");
            pos_ += 3;
            const uint32_t id = ruleId(name);
            if (defined_[id])
                fail("rule '" + name + "' is defined twice", at);
            defined_[id] = true;
            rules_[id] = parseAlternatives(name, /*nested=*/false);
            skipSpace();
        }
        return finish();
    }

private:
    std::string_view src_;
    size_t pos_ = 0;
    int depth_ = 0; // open groups
    std::vector<Alternatives> rules_;
    std::vector<std::string> names_;
    std::vector<bool> defined_;
    std::map<std::string, uint32_t> ids_;
    std::vector<ByteSet> sets_;
    std::map<ByteSet, uint32_t> setIds_;

    [[noreturn]] void fail(const std::string &what, size_t at = std::string::npos) const
    {
        const size_t where = std::min(at == std::string::npos ? pos_ : at, src_.size());
        size_t line = 1, column = 1;
        for (size_t i = 0; i < where; ++i) {
            if (src_[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw ParseError("line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what);
    }

    uint32_t ruleId(const std::string &name)
    {
        auto [it, added] = ids_.emplace(name, uint32_t(rules_.size()));
        if (added) {
            rules_.emplace_back();
            names_.push_back(name);
            defined_.push_back(false);
        }
        return it->second;
    }
    uint32_t newRule(const std::string &base, Alternatives alternatives)
    {
        if (rules_.size() >= kMaxRules)
            fail("the grammar is too large (more than " + std::to_string(kMaxRules) +
                 " rules once repetitions are expanded)");
        const uint32_t id = uint32_t(rules_.size());
        rules_.push_back(std::move(alternatives));
        names_.push_back(base + "-" + std::to_string(id));
        defined_.push_back(true);
        return id;
    }
    uint32_t setId(const ByteSet &set)
    {
        auto [it, added] = setIds_.emplace(set, uint32_t(sets_.size()));
        if (added)
            sets_.push_back(set);
        return it->second;
    }
    Item byteItem(uint8_t lo, uint8_t hi)
    {
        ByteSet set{};
        for (unsigned b = lo; b <= hi; ++b)
            set[b >> 6] |= uint64_t(1) << (b & 63);
        return {true, setId(set)};
    }

    static bool isNameChar(char c)
    {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
    void skipSpace()
    {
        while (pos_ < src_.size()) {
            const char c = src_[pos_];
            if (c == '#') {
                while (pos_ < src_.size() && src_[pos_] != '\n')
                    ++pos_;
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++pos_;
            } else {
                break;
            }
        }
    }
    std::string parseName()
    {
        const size_t start = pos_;
        while (pos_ < src_.size() && isNameChar(src_[pos_]))
            ++pos_;
        if (pos_ == start)
            fail(pos_ < src_.size() ? std::string("unexpected '") + src_[pos_] + "'" : "unexpected end");
        return std::string(src_.substr(start, pos_ - start));
    }
    // A rule definition starts here: name, blanks, "::=". Ends the previous rule's last sequence.
    bool atRuleStart() const
    {
        size_t p = pos_;
        while (p < src_.size() && isNameChar(src_[p]))
            ++p;
        if (p == pos_)
            return false;
        while (p < src_.size() && (src_[p] == ' ' || src_[p] == '\t' || src_[p] == '\n' || src_[p] == '\r'))
            ++p;
        return src_.substr(p, 3) == "::=";
    }

    Alternatives parseAlternatives(const std::string &name, bool nested)
    {
        Alternatives alts;
        alts.push_back(parseSequence(name, nested));
        while (pos_ < src_.size() && src_[pos_] == '|') {
            ++pos_;
            alts.push_back(parseSequence(name, nested));
        }
        return alts;
    }

    Sequence parseSequence(const std::string &name, bool nested)
    {
        Sequence seq;
        for (;;) {
            skipSpace();
            if (pos_ >= src_.size() || src_[pos_] == '|' || src_[pos_] == ')')
                break;
            if (!nested && atRuleStart())
                break;
            Sequence unit = parsePrimary(name);
            applyPostfix(name, unit);
            seq.insert(seq.end(), unit.begin(), unit.end());
        }
        return seq;
    }

    Sequence parsePrimary(const std::string &name)
    {
        const char c = src_[pos_];
        if (c == '"') {
            ++pos_;
            Sequence seq;
            while (pos_ < src_.size() && src_[pos_] != '"') {
                std::string bytes;
                appendUtf8(bytes, parseChar());
                for (const char b : bytes)
                    seq.push_back(byteItem(uint8_t(b), uint8_t(b)));
            }
            if (pos_ >= src_.size())
                fail("unterminated string literal");
            ++pos_;
            return seq;
        }
        if (c == '[')
            return parseClass(name);
        if (c == '.') {
            ++pos_;
            return classItems(name, {{0, 0x10FFFF}});
        }
        if (c == '(') {
            if (++depth_ > kMaxNesting)
                fail("groups nested more than " + std::to_string(kMaxNesting) + " deep");
            ++pos_;
            Alternatives alts = parseAlternatives(name, /*nested=*/true);
            --depth_;
            skipSpace();
            if (pos_ >= src_.size() || src_[pos_] != ')')
                fail("expected ')'");
            ++pos_;
            if (alts.size() == 1)
                return std::move(alts.front());
            return {{false, newRule(name, std::move(alts))}};
        }
        if (isNameChar(c))
            return {{false, ruleId(parseName())}};
        fail(std::string("unexpected '") + c + "'");
    }

    // One code point of a literal or class: plain UTF-8, or an escape.
    char32_t parseChar()
    {
        char32_t cp = 0;
        if (src_[pos_] != '\\') {
            const size_t n = decodeUtf8(src_, pos_, cp);
            if (n == 0)
                fail("invalid UTF-8");
            pos_ += n;
            return cp;
        }
        if (++pos_ >= src_.size())
            fail("unfinished escape");
        const char e = src_[pos_++];
        static const std::map<char, char32_t> simple = {{'n', '\n'}, {'r', '\r'},  {'t', '\t'}, {'\\', '\\'},
                                                        {'"', '"'},  {'\'', '\''}, {'[', '['},  {']', ']'},
                                                        {'-', '-'},  {'^', '^'},   {'/', '/'},  {'0', 0}};
        if (auto it = simple.find(e); it != simple.end())
            return it->second;
        const int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (digits == 0)
            fail(std::string("unknown escape '\\") + e + "'", pos_ - 2);
        for (int i = 0; i < digits; ++i) {
            if (pos_ >= src_.size() || !isxdigit(static_cast<unsigned char>(src_[pos_])))
                fail("expected " + std::to_string(digits) + " hex digits after '\\" + e + "'");
            cp = cp * 16 + char32_t(std::stoi(std::string(1, src_[pos_++]), nullptr, 16));
        }
        if (cp > 0x10FFFF)
            fail("code point beyond U+10FFFF");
        return cp;
    }

    Sequence parseClass(const std::string &name)
    {
        ++pos_; // [
        bool negated = false;
        if (pos_ < src_.size() && src_[pos_] == '^') {
            negated = true;
            ++pos_;
        }
        std::vector<CodeRange> ranges;
        while (pos_ < src_.size() && src_[pos_] != ']') {
            const char32_t lo = parseChar();
            char32_t hi = lo;
            if (pos_ + 1 < src_.size() && src_[pos_] == '-' && src_[pos_ + 1] != ']') {
                ++pos_;
                hi = parseChar();
                if (hi < lo)
                    fail("character range is backwards");
            }
            ranges.push_back({lo, hi});
        }
        if (pos_ >= src_.size())
            fail("unterminated character class");
        ++pos_;
        if (negated)
            ranges = complement(ranges);
        if (ranges.empty())
            fail("character class matches nothing");
        return classItems(name, ranges);
    }

    // A set of code points as items: one byte set when all are ASCII, else a rule with one alternative per UTF-8
    // byte-range sequence.
    Sequence classItems(const std::string &name, const std::vector<CodeRange> &ranges)
    {
        Alternatives alts;
        ByteSet single{};
        bool hasSingle = false;
        for (const auto &seq : utf8Sequences(ranges)) {
            if (seq.size() == 1) {
                for (unsigned b = seq[0].first; b <= seq[0].second; ++b)
                    single[b >> 6] |= uint64_t(1) << (b & 63);
                hasSingle = true;
                continue;
            }
            Sequence s;
            for (const auto &[lo, hi] : seq)
                s.push_back(byteItem(lo, hi));
            alts.push_back(std::move(s));
        }
        if (hasSingle) {
            const Item one{true, setId(single)};
            if (alts.empty())
                return {one};
            alts.insert(alts.begin(), Sequence{one});
        }
        return {{false, newRule(name, std::move(alts))}};
    }

    int parseCount()
    {
        const size_t start = pos_;
        long n = 0;
        while (pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '9') {
            n = n * 10 + (src_[pos_++] - '0');
            if (n > kMaxRepetition)
                fail("repetition count above " + std::to_string(kMaxRepetition), start);
        }
        if (pos_ == start)
            fail("expected a number");
        return int(n);
    }

    void applyPostfix(const std::string &name, Sequence &unit)
    {
        if (pos_ >= src_.size())
            return;
        const char c = src_[pos_];
        int min = 0, max = -1; // max -1: unbounded
        if (c == '*') {
            ++pos_;
        } else if (c == '+') {
            ++pos_;
            min = 1;
        } else if (c == '?') {
            ++pos_;
            max = 1;
        } else if (c == '{') {
            ++pos_;
            skipSpace();
            min = parseCount();
            skipSpace();
            max = min;
            if (pos_ < src_.size() && src_[pos_] == ',') {
                ++pos_;
                skipSpace();
                max = pos_ < src_.size() && src_[pos_] == '}' ? -1 : parseCount();
                skipSpace();
            }
            if (pos_ >= src_.size() || src_[pos_] != '}')
                fail("expected '}'");
            ++pos_;
            if (max >= 0 && max < min)
                fail("repetition {m,n} with n < m");
        } else {
            return;
        }
        const Item one = unit.size() == 1 ? unit.front() : Item{false, newRule(name, {unit})};
        Sequence out(size_t(min), one);
        if (max < 0) { // one ::= x one | ()
            const uint32_t star = newRule(name, {});
            rules_[star] = {{one, {false, star}}, {}};
            out.push_back({false, star});
        } else if (max > min) { // nested optionals: opt_k ::= x opt_{k-1} | ()
            uint32_t opt = newRule(name, {{one}, {}});
            for (int k = 1; k < max - min; ++k)
                opt = newRule(name, {{one, {false, opt}}, {}});
            out.push_back({false, opt});
        }
        unit = std::move(out);
    }

    Grammar finish()
    {
        for (size_t i = 0; i < rules_.size(); ++i)
            if (!defined_[i])
                throw ParseError("rule '" + names_[i] + "' is used but not defined");
        auto root = ids_.find("root");
        if (root == ids_.end())
            throw ParseError("the grammar has no 'root' rule");
        checkLeftRecursion();

        Grammar g;
        g.byteSets = sets_;
        g.ruleNames = names_;
        g.root = root->second;
        g.rules.resize(rules_.size());
        for (size_t r = 0; r < rules_.size(); ++r) {
            for (const Sequence &alt : rules_[r]) {
                g.rules[r].push_back(uint32_t(g.elements.size()));
                for (const Item &it : alt)
                    g.elements.push_back({it.bytes ? Element::Kind::Bytes : Element::Kind::Rule, it.index});
                g.elements.push_back({Element::Kind::End, 0});
            }
        }
        return g;
    }

    // A rule that can reach itself without consuming a byte would send the matcher round in circles.
    void checkLeftRecursion() const
    {
        std::vector<bool> nullable(rules_.size(), false);
        for (bool changed = true; changed;) {
            changed = false;
            for (size_t r = 0; r < rules_.size(); ++r) {
                if (nullable[r])
                    continue;
                for (const Sequence &alt : rules_[r]) {
                    if (std::all_of(alt.begin(), alt.end(),
                                    [&](const Item &it) { return !it.bytes && nullable[it.index]; })) {
                        nullable[r] = changed = true;
                        break;
                    }
                }
            }
        }
        std::vector<int> mark(rules_.size(), 0); // 0 new, 1 on the path, 2 done
        std::function<void(uint32_t)> visit = [&](uint32_t r) {
            mark[r] = 1;
            for (const Sequence &alt : rules_[r]) {
                for (const Item &it : alt) {
                    if (it.bytes)
                        break;
                    if (mark[it.index] == 1)
                        throw ParseError("rule '" + names_[it.index] + "' is left-recursive");
                    if (mark[it.index] == 0)
                        visit(it.index);
                    if (!nullable[it.index])
                        break;
                }
            }
            mark[r] = 2;
        };
        for (uint32_t r = 0; r < rules_.size(); ++r)
            if (mark[r] == 0)
                visit(r);
    }
};

} // namespace

Result<Grammar> Grammar::parse(std::string_view gbnf)
{
    try {
        return Parser(gbnf).run();
    } catch (const ParseError &e) {
        return makeError(std::string("grammar: ") + e.what());
    }
}

} // namespace smartbot::engine::grammar
