#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>

#include "tokenizer/json.h"
#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

struct Regex::Code {
    pcre2_code *re = nullptr;
    bool jit = false;
    ~Code() { pcre2_code_free(re); }
};

namespace {

std::string pcreMessage(int code)
{
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0)
        return "PCRE2 error " + std::to_string(code);
    return reinterpret_cast<const char *>(buffer);
}

struct MatchData {
    pcre2_match_data *md;
    explicit MatchData(const pcre2_code *re) : md(pcre2_match_data_create_from_pattern(re, nullptr)) {}
    ~MatchData() { pcre2_match_data_free(md); }
    MatchData(const MatchData &) = delete;
    MatchData &operator=(const MatchData &) = delete;
};

// Onig's Unicode \s is White_Space-like (tab..CR, NEL, Z) and \w is Letter|Mark|Decimal_Number|
// Connector_Punctuation; PCRE2's UCP versions differ slightly (\s also has U+180E, \w lacks marks), so the
// shorthands are spelled out. \S and \W inside a bracket class keep PCRE2's meaning.
std::string translateShorthands(const std::string &p)
{
    static const std::string space = "\\t-\\r\\x{85}\\p{Z}";
    static const std::string word = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
    std::string out;
    out.reserve(p.size() + 32);
    bool inClass = false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\' && i + 1 < p.size()) {
            const char e = p[i + 1];
            if (e == 'Q') { // \Q...\E is literal
                const std::size_t end = p.find("\\E", i + 2);
                const std::size_t stop = end == std::string::npos ? p.size() : end + 2;
                out.append(p, i, stop - i);
                i = stop - 1;
                continue;
            }
            const bool lowerS = e == 's', upperS = e == 'S', lowerW = e == 'w', upperW = e == 'W';
            if (inClass && (lowerS || lowerW))
                out += lowerS ? space : word;
            else if (!inClass && (lowerS || upperS || lowerW || upperW))
                out += std::string(upperS || upperW ? "[^" : "[") + (lowerS || upperS ? space : word) + "]";
            else
                out.append(p, i, 2);
            ++i;
            continue;
        }
        if (!inClass && c == '[') {
            inClass = true;
            out += c;
            if (i + 1 < p.size() && p[i + 1] == '^')
                out += p[++i];
            if (i + 1 < p.size() && p[i + 1] == ']') // a leading ] is literal
                out += p[++i];
            continue;
        }
        if (inClass && c == '[' && i + 1 < p.size() && p[i + 1] == ':') { // POSIX class [:name:]
            const std::size_t end = p.find(":]", i + 2);
            const std::size_t stop = end == std::string::npos ? i + 1 : end + 2;
            out.append(p, i, stop - i);
            i = stop - 1;
            continue;
        }
        if (inClass && c == ']')
            inClass = false;
        out += c;
    }
    return out;
}

} // namespace

Regex Regex::compile(const std::string &source)
{
    const std::string pattern = translateShorthands(source);
    auto code = std::make_shared<Code>();
    int error = 0;
    PCRE2_SIZE offset = 0; // refers to the translated pattern: not reported
    // MATCH_INVALID_UTF: text from callers may hold invalid UTF-8; such bytes simply never match.
    code->re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
    if (!code->re)
        fail("invalid regex: " + pcreMessage(error) + " in '" + source + "'");
    code->jit = pcre2_jit_compile(code->re, PCRE2_JIT_COMPLETE) == 0;
    Regex r;
    r.code_ = std::move(code);
    return r;
}

void Regex::findAll(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>> &out) const
{
    out.clear();
    MatchData data(code_->re);
    if (!data.md)
        throw std::bad_alloc();
    const auto *subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t lastEnd = 0;
    bool haveLastMatch = false;
    std::size_t lastMatchEnd = 0;
    uint32_t options = 0;
    while (lastEnd <= text.size()) {
        int rc = pcre2_match(code_->re, subject, text.size(), lastEnd, options, data.md, nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !(options & PCRE2_NO_JIT)) {
            options |= PCRE2_NO_JIT; // the interpreter uses the heap: retry there
            continue;
        }
        if (rc < 0)
            return; // no match (or a resource limit): the rest of the text stays unmatched
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(data.md);
        const std::size_t start = ov[0];
        const std::size_t end = ov[1];
        if (start == end && haveLastMatch && lastMatchEnd == end) {
            // Empty match right after the previous one: step over one character and search again.
            if (lastEnd >= text.size())
                return;
            char32_t cp = 0;
            lastEnd += decodeUtf8(text, lastEnd, cp);
            continue;
        }
        lastEnd = end;
        haveLastMatch = true;
        lastMatchEnd = end;
        out.emplace_back(start, end);
    }
}

} // namespace smartbot::engine::tokenizer_detail
