#include "jinja/lexer.h"

#include <array>
#include <utility>

#include "jinja/error.h"
#include "jinja/unicode.h"

namespace smartbot::engine::jinja {

namespace {

// Template text plus, for every byte, its offset in the original source (preprocessing deletes bytes).
struct Mapped {
    std::string text;
    std::vector<std::size_t> origin;
    void copy(const Mapped &from, std::size_t begin, std::size_t end)
    {
        text.append(from.text, begin, end - begin);
        origin.insert(origin.end(), from.origin.begin() + static_cast<std::ptrdiff_t>(begin),
                      from.origin.begin() + static_cast<std::ptrdiff_t>(end));
    }
};

bool isLineTerminatorBefore(const std::string &s, std::size_t i)
{
    if (i == 0)
        return true;
    if (s[i - 1] == '\n' || s[i - 1] == '\r')
        return true;
    return i >= 3 && s.compare(i - 3, 2, "\xE2\x80") == 0 && (s[i - 1] == '\xA8' || s[i - 1] == '\xA9');
}

// lstrip_blocks: /^[ \t]*({[#%-])/gm -> "$1"
Mapped lstripBlocks(const Mapped &in)
{
    Mapped out;
    const std::string &s = in.text;
    for (std::size_t i = 0; i < s.size();) {
        if (isLineTerminatorBefore(s, i)) {
            std::size_t j = i;
            while (j < s.size() && (s[j] == ' ' || s[j] == '\t'))
                ++j;
            if (j + 1 < s.size() && s[j] == '{' && (s[j + 1] == '#' || s[j + 1] == '%' || s[j + 1] == '-')) {
                out.copy(in, j, j + 2);
                i = j + 2;
                continue;
            }
        }
        out.copy(in, i, i + 1);
        ++i;
    }
    return out;
}

// trim_blocks: /([#%-]})\n/g -> "$1"
Mapped trimBlocks(const Mapped &in)
{
    Mapped out;
    const std::string &s = in.text;
    for (std::size_t i = 0; i < s.size();) {
        if ((s[i] == '#' || s[i] == '%' || s[i] == '-') && i + 2 < s.size() && s[i + 1] == '}' && s[i + 2] == '\n') {
            out.copy(in, i, i + 2);
            i += 3;
            continue;
        }
        out.copy(in, i, i + 1);
        ++i;
    }
    return out;
}

// /(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs -> (lstrip ? "" : before) + (rstrip ? "" : after)
Mapped removeGenerationTags(const Mapped &in)
{
    const std::string &s = in.text;
    Mapped out;
    std::size_t copied = 0;
    for (std::size_t q = s.find("{%"); q != std::string::npos; q = s.find("{%", q + 2)) {
        if (q < copied)
            continue;
        std::size_t p = q + 2;
        const bool lstrip = p < s.size() && s[p] == '-';
        p += lstrip ? 1 : 0;
        while (std::size_t n = jsSpaceAt(s, p))
            p += n;
        if (s.compare(p, 13, "endgeneration") == 0)
            p += 13;
        else if (s.compare(p, 10, "generation") == 0)
            p += 10;
        else
            continue;
        while (std::size_t n = jsSpaceAt(s, p))
            p += n;
        const bool rstrip = p < s.size() && s[p] == '-';
        p += rstrip ? 1 : 0;
        if (s.compare(p, 2, "%}") != 0)
            continue;
        const std::size_t tagEnd = p + 2;
        std::size_t before = q; // start of the whitespace run right before the tag
        while (before > copied) {
            std::size_t start = before - 1;
            while (start > copied && before - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0u) == 0x80u)
                --start;
            if (jsSpaceAt(s, start) != before - start)
                break;
            before = start;
        }
        std::size_t after = tagEnd;
        while (std::size_t n = jsSpaceAt(s, after))
            after += n;
        out.copy(in, copied, before);
        if (!lstrip)
            out.copy(in, before, q);
        if (!rstrip)
            out.copy(in, tagEnd, after);
        copied = after;
        q = after >= 2 ? after - 2 : 0;
    }
    out.copy(in, copied, s.size());
    return out;
}

Mapped preprocess(const std::string &source)
{
    Mapped m;
    m.text = source;
    m.origin.resize(source.size());
    for (std::size_t i = 0; i < source.size(); ++i)
        m.origin[i] = i;
    if (!m.text.empty() && m.text.back() == '\n') { // a single trailing newline is dropped
        m.text.pop_back();
        m.origin.pop_back();
    }
    return removeGenerationTags(trimBlocks(lstripBlocks(m)));
}

const std::array<std::pair<const char *, TokenType>, 29> kMapping = {{
    {"{%", TokenType::OpenStatement},
    {"%}", TokenType::CloseStatement},
    {"{{", TokenType::OpenExpression},
    {"}}", TokenType::CloseExpression},
    {"(", TokenType::OpenParen},
    {")", TokenType::CloseParen},
    {"{", TokenType::OpenCurlyBracket},
    {"}", TokenType::CloseCurlyBracket},
    {"[", TokenType::OpenSquareBracket},
    {"]", TokenType::CloseSquareBracket},
    {",", TokenType::Comma},
    {".", TokenType::Dot},
    {":", TokenType::Colon},
    {"|", TokenType::Pipe},
    {"<=", TokenType::ComparisonBinaryOperator},
    {">=", TokenType::ComparisonBinaryOperator},
    {"==", TokenType::ComparisonBinaryOperator},
    {"!=", TokenType::ComparisonBinaryOperator},
    {"<", TokenType::ComparisonBinaryOperator},
    {">", TokenType::ComparisonBinaryOperator},
    {"+", TokenType::AdditiveBinaryOperator},
    {"-", TokenType::AdditiveBinaryOperator},
    {"~", TokenType::AdditiveBinaryOperator},
    {"**", TokenType::ExponentiationBinaryOperator},
    {"*", TokenType::MultiplicativeBinaryOperator},
    {"//", TokenType::MultiplicativeBinaryOperator},
    {"/", TokenType::MultiplicativeBinaryOperator},
    {"%", TokenType::MultiplicativeBinaryOperator},
    {"=", TokenType::Equals},
}};

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
bool isWordByte(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

int hexValue(char c)
{
    if (isDigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

class Lexer {
public:
    explicit Lexer(Mapped m) : m_(std::move(m)), s_(m_.text) {}
    std::vector<Token> run();

private:
    char at(std::size_t i) const { return i < s_.size() ? s_[i] : '\0'; }
    bool has(const char *seq) const { return s_.compare(cur_, std::char_traits<char>::length(seq), seq) == 0; }
    std::size_t origin(std::size_t i) const
    {
        return i < m_.origin.size() ? m_.origin[i] : (m_.origin.empty() ? 0 : m_.origin.back() + 1);
    }
    [[noreturn]] void error(const std::string &message) const { throw JinjaError(message, origin(cur_)); }
    TokenType lastType() const { return tokens_.back().type; }
    void push(TokenType type, std::string value, std::size_t start)
    {
        tokens_.push_back(Token{type, std::move(value), origin(start)});
    }

    // consumeWhile for digits / word characters / whitespace: the end of input right after a consumed
    // character is an error, as in the original.
    template <typename Pred> std::string consumeWhile(Pred pred)
    {
        std::string str;
        while (std::size_t n = pred(cur_)) {
            str.append(s_, cur_, n);
            cur_ += n;
            if (cur_ >= s_.size())
                error("Unexpected end of input");
        }
        return str;
    }
    std::string consumeString(char quote);
    void stripTrailingWhitespace();
    void skipLeadingWhitespace()
    {
        while (std::size_t n = jsSpaceAt(s_, cur_))
            cur_ += n;
    }

    Mapped m_;
    const std::string &s_;
    std::size_t cur_ = 0;
    int curlyDepth_ = 0;
    std::vector<Token> tokens_;
};

std::string Lexer::consumeString(char quote)
{
    std::string str;
    while (true) {
        if (cur_ >= s_.size())
            error("Unexpected end of input (unterminated string)");
        const char c = s_[cur_];
        if (c == quote)
            return str;
        if (c != '\\') {
            str += c;
            if (++cur_ >= s_.size())
                error("Unexpected end of input (unterminated string)");
            continue;
        }
        if (++cur_ >= s_.size())
            error("Unexpected end of input");
        const char e = s_[cur_++];
        if (e == 'x' || e == 'u') {
            const std::size_t len = e == 'x' ? 2 : 4;
            char32_t unit = 0;
            for (std::size_t k = 0; k < len; ++k) {
                const int h = hexValue(at(cur_ + k));
                if (h < 0 || cur_ + k >= s_.size())
                    error(std::string("Invalid hexadecimal escape sequence: \\") + e + s_.substr(cur_, len));
                unit = unit * 16 + static_cast<char32_t>(h);
            }
            cur_ += len;
            // A \uD8xx\uDCxx pair is one character; a lone surrogate cannot be UTF-8 (U+FFFD).
            if (unit >= 0xD800 && unit <= 0xDBFF && at(cur_) == '\\' && at(cur_ + 1) == 'u') {
                char32_t low = 0;
                bool ok = true;
                for (std::size_t k = 0; k < 4 && ok; ++k) {
                    const int h = hexValue(at(cur_ + 2 + k));
                    ok = h >= 0;
                    low = low * 16 + static_cast<char32_t>(h < 0 ? 0 : h);
                }
                if (ok && low >= 0xDC00 && low <= 0xDFFF) {
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    cur_ += 6;
                }
            }
            appendChar(str, unit);
            continue;
        }
        switch (e) {
        case 'n':
            str += '\n';
            break;
        case 't':
            str += '\t';
            break;
        case 'r':
            str += '\r';
            break;
        case 'b':
            str += '\b';
            break;
        case 'f':
            str += '\f';
            break;
        case 'v':
            str += '\v';
            break;
        case '\'':
            str += '\'';
            break;
        case '"':
            str += '"';
            break;
        case '\\':
            str += '\\';
            break;
        default:
            --cur_;
            error(std::string("Unexpected escaped character: ") + e);
        }
    }
}

void Lexer::stripTrailingWhitespace()
{
    if (!tokens_.empty() && tokens_.back().type == TokenType::Text) {
        std::string &v = tokens_.back().value;
        v.resize(trimEnd(v).size());
        if (v.empty())
            tokens_.pop_back();
    }
}

std::vector<Token> Lexer::run()
{
    while (cur_ < s_.size()) {
        if (tokens_.empty() || lastType() == TokenType::CloseStatement || lastType() == TokenType::CloseExpression ||
            lastType() == TokenType::Comment) {
            const std::size_t start = cur_;
            while (cur_ < s_.size() &&
                   !(s_[cur_] == '{' && (at(cur_ + 1) == '%' || at(cur_ + 1) == '{' || at(cur_ + 1) == '#')))
                ++cur_;
            if (cur_ > start) {
                push(TokenType::Text, s_.substr(start, cur_ - start), start);
                continue;
            }
        }
        if (has("{#")) {
            const std::size_t start = cur_;
            cur_ += 2;
            const bool stripBefore = at(cur_) == '-';
            if (stripBefore)
                ++cur_;
            const std::size_t begin = cur_;
            while (at(cur_) != '#' || at(cur_ + 1) != '}') {
                if (cur_ + 2 >= s_.size()) {
                    cur_ = start;
                    error("Missing end of comment tag");
                }
                ++cur_;
            }
            std::string comment = s_.substr(begin, cur_ - begin);
            const bool stripAfter = !comment.empty() && comment.back() == '-';
            if (stripAfter)
                comment.pop_back();
            if (stripBefore)
                stripTrailingWhitespace();
            push(TokenType::Comment, std::move(comment), start);
            cur_ += 2;
            if (stripAfter)
                skipLeadingWhitespace();
            continue;
        }
        if (has("{%-")) {
            stripTrailingWhitespace();
            push(TokenType::OpenStatement, "{%", cur_);
            cur_ += 3;
            continue;
        }
        if (has("{{-")) {
            stripTrailingWhitespace();
            push(TokenType::OpenExpression, "{{", cur_);
            curlyDepth_ = 0;
            cur_ += 3;
            continue;
        }
        consumeWhile([this](std::size_t pos) { return jsSpaceAt(s_, pos); });
        if (has("-%}")) {
            push(TokenType::CloseStatement, "%}", cur_);
            cur_ += 3;
            skipLeadingWhitespace();
            continue;
        }
        if (has("-}}")) {
            push(TokenType::CloseExpression, "}}", cur_);
            cur_ += 3;
            skipLeadingWhitespace();
            continue;
        }
        const char c = at(cur_);
        const std::size_t start = cur_;
        auto digits = [this](std::size_t pos) -> std::size_t { return isDigit(at(pos)) ? 1 : 0; };
        if (c == '-' || c == '+') {
            if (tokens_.empty() || lastType() == TokenType::Text)
                error(std::string("Unexpected character: ") + c);
            const TokenType t = lastType();
            if (t != TokenType::Identifier && t != TokenType::NumericLiteral && t != TokenType::StringLiteral &&
                t != TokenType::CloseParen && t != TokenType::CloseSquareBracket) {
                ++cur_;
                std::string num = consumeWhile(digits);
                if (!num.empty() && at(cur_) == '.' && isDigit(at(cur_ + 1))) {
                    ++cur_;
                    num += "." + consumeWhile(digits);
                }
                const bool numeric = !num.empty();
                push(numeric ? TokenType::NumericLiteral : TokenType::UnaryOperator, std::string(1, c) + num, start);
                continue;
            }
        }
        bool matched = false;
        for (const auto &[seq, type] : kMapping) {
            if (std::string_view(seq) == "}}" && curlyDepth_ > 0)
                continue;
            if (has(seq)) {
                push(type, seq, start);
                if (type == TokenType::OpenExpression)
                    curlyDepth_ = 0;
                else if (type == TokenType::OpenCurlyBracket)
                    ++curlyDepth_;
                else if (type == TokenType::CloseCurlyBracket)
                    --curlyDepth_;
                cur_ += std::char_traits<char>::length(seq);
                matched = true;
                break;
            }
        }
        if (matched)
            continue;
        if (c == '\'' || c == '"') {
            ++cur_;
            std::string str = consumeString(c);
            push(TokenType::StringLiteral, std::move(str), start);
            ++cur_;
            continue;
        }
        if (isDigit(c)) {
            std::string num = consumeWhile(digits);
            if (lastType() != TokenType::Dot && at(cur_) == '.' && isDigit(at(cur_ + 1))) {
                ++cur_;
                num += "." + consumeWhile(digits);
            }
            push(TokenType::NumericLiteral, std::move(num), start);
            continue;
        }
        if (isWordByte(c)) {
            std::string word =
                consumeWhile([this](std::size_t pos) -> std::size_t { return isWordByte(at(pos)) ? 1 : 0; });
            push(TokenType::Identifier, std::move(word), start);
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = decodeChar(s_, cur_, cp);
        error("Unexpected character: " + s_.substr(cur_, len));
    }
    return std::move(tokens_);
}

} // namespace

const char *tokenTypeName(TokenType type)
{
    switch (type) {
    case TokenType::Text:
        return "text";
    case TokenType::NumericLiteral:
        return "number";
    case TokenType::StringLiteral:
        return "string";
    case TokenType::Identifier:
        return "identifier";
    case TokenType::Equals:
        return "'='";
    case TokenType::OpenParen:
        return "'('";
    case TokenType::CloseParen:
        return "')'";
    case TokenType::OpenStatement:
        return "'{%'";
    case TokenType::CloseStatement:
        return "'%}'";
    case TokenType::OpenExpression:
        return "'{{'";
    case TokenType::CloseExpression:
        return "'}}'";
    case TokenType::OpenSquareBracket:
        return "'['";
    case TokenType::CloseSquareBracket:
        return "']'";
    case TokenType::OpenCurlyBracket:
        return "'{'";
    case TokenType::CloseCurlyBracket:
        return "'}'";
    case TokenType::Comma:
        return "','";
    case TokenType::Dot:
        return "'.'";
    case TokenType::Colon:
        return "':'";
    case TokenType::Pipe:
        return "'|'";
    case TokenType::AdditiveBinaryOperator:
        return "additive operator";
    case TokenType::MultiplicativeBinaryOperator:
        return "multiplicative operator";
    case TokenType::ExponentiationBinaryOperator:
        return "'**'";
    case TokenType::ComparisonBinaryOperator:
        return "comparison operator";
    case TokenType::UnaryOperator:
        return "unary operator";
    case TokenType::Comment:
        return "comment";
    }
    return "token";
}

std::vector<Token> tokenize(const std::string &source)
{
    return Lexer(preprocess(source)).run();
}

} // namespace smartbot::engine::jinja
