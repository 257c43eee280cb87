#include "jinja/parser.h"

#include <cstdlib>
#include <initializer_list>
#include <set>
#include <string_view>

#include "jinja/error.h"

namespace smartbot::engine::jinja {

namespace {

constexpr int kMaxNesting = 128;

class Parser {
public:
    explicit Parser(const std::vector<Token> &tokens) : t_(tokens) {}

    NodePtr program()
    {
        auto p = std::make_unique<Node>(NodeKind::Program, 0);
        while (cur_ < t_.size())
            p->body.push_back(parseAny());
        return p;
    }

private:
    using Names = std::initializer_list<std::string_view>;

    struct DepthGuard {
        explicit DepthGuard(Parser &p) : parser(p)
        {
            if (++parser.depth_ > kMaxNesting)
                parser.error("template nesting is too deep (more than " + std::to_string(kMaxNesting) + " levels)");
        }
        ~DepthGuard() { --parser.depth_; }
        Parser &parser;
    };
    // Loops that build left-deep chains (a + b + c ..., x|f|g, a.b.c) nest the tree as deeply as recursion does.
    struct ChainGuard {
        explicit ChainGuard(Parser &p) : parser(p) {}
        void step()
        {
            ++added;
            if (++parser.depth_ > kMaxNesting)
                parser.error("template nesting is too deep (more than " + std::to_string(kMaxNesting) + " levels)");
        }
        ~ChainGuard() { parser.depth_ -= added; }
        Parser &parser;
        int added = 0;
    };

    std::size_t here() const
    {
        if (cur_ < t_.size())
            return t_[cur_].pos;
        return t_.empty() ? 0 : t_.back().pos + t_.back().value.size();
    }
    [[noreturn]] void error(const std::string &message) const { throw JinjaError(message, here()); }
    [[noreturn]] void errorAt(const std::string &message, std::size_t pos) const { throw JinjaError(message, pos); }

    bool is(TokenType type) const { return cur_ < t_.size() && t_[cur_].type == type; }
    bool isIdentifier(std::string_view name) const
    {
        return cur_ < t_.size() && t_[cur_].type == TokenType::Identifier && t_[cur_].value == name;
    }
    bool isIdentifier(std::string_view a, std::string_view b) const
    {
        return cur_ + 1 < t_.size() && t_[cur_].type == TokenType::Identifier && t_[cur_].value == a &&
               t_[cur_ + 1].type == TokenType::Identifier && t_[cur_ + 1].value == b;
    }
    bool isStatement(Names names) const
    {
        if (cur_ + 1 >= t_.size() || t_[cur_].type != TokenType::OpenStatement ||
            t_[cur_ + 1].type != TokenType::Identifier)
            return false;
        for (std::string_view n : names)
            if (t_[cur_ + 1].value == n)
                return true;
        return false;
    }
    const Token &expect(TokenType type, const char *what)
    {
        if (cur_ >= t_.size())
            error(std::string("unexpected end of template: expected ") + what);
        const Token &tok = t_[cur_++];
        if (tok.type != type)
            errorAt(std::string("expected ") + what + ", got " + tokenTypeName(tok.type) +
                        (tok.value.empty() || tok.type == TokenType::Text ? "" : " '" + tok.value + "'"),
                    tok.pos);
        return tok;
    }
    void expectIdentifier(std::string_view name)
    {
        if (!isIdentifier(name))
            error("expected '" + std::string(name) + "'");
        ++cur_;
    }
    // Statements up to (not including) one of `names`; the end of the template is an error naming the block.
    void parseBody(std::vector<NodePtr> &body, Names names, const char *block, std::size_t openedAt)
    {
        while (!isStatement(names)) {
            if (cur_ >= t_.size())
                errorAt(std::string("unexpected end of template: missing {% ") + block + " %}", openedAt);
            body.push_back(parseAny());
        }
    }
    static NodePtr make(NodeKind kind, std::size_t pos) { return std::make_unique<Node>(kind, pos); }

    NodePtr parseAny();
    NodePtr parseStatement();
    NodePtr parseSet(std::size_t pos);
    NodePtr parseIf(std::size_t pos);
    NodePtr parseMacro(std::size_t pos);
    NodePtr parseFor(std::size_t pos);
    NodePtr parseExpressionSequence(bool primary = false);
    NodePtr parseExpression();
    NodePtr parseLogicalOr();
    NodePtr parseLogicalAnd();
    NodePtr parseLogicalNot();
    NodePtr parseComparison();
    NodePtr parseAdditive();
    NodePtr parseMultiplicative();
    NodePtr parsePower();
    NodePtr parseTest();
    NodePtr parseFilter();
    NodePtr parseUnarySign();
    NodePtr parseCallMember();
    NodePtr parseCall(NodePtr callee);
    void parseArgs(std::vector<NodePtr> &args, bool parameters);
    NodePtr parseMember(NodePtr object);
    NodePtr parseSubscript();
    NodePtr parsePrimary();

    const std::vector<Token> &t_;
    std::size_t cur_ = 0;
    int depth_ = 0;
};

NodePtr Parser::parseAny()
{
    const Token &tok = t_[cur_];
    switch (tok.type) {
    case TokenType::Comment:
        ++cur_;
        return make(NodeKind::Comment, tok.pos);
    case TokenType::Text: {
        auto n = make(NodeKind::Text, tok.pos);
        n->str = tok.value;
        ++cur_;
        return n;
    }
    case TokenType::OpenStatement:
        return parseStatement();
    case TokenType::OpenExpression: {
        ++cur_;
        NodePtr e = parseExpression();
        expect(TokenType::CloseExpression, "'}}'");
        return e;
    }
    default:
        error(std::string("unexpected ") + tokenTypeName(tok.type));
    }
}

NodePtr Parser::parseStatement()
{
    DepthGuard guard(*this);
    const std::size_t pos = t_[cur_].pos;
    expect(TokenType::OpenStatement, "'{%'");
    if (!is(TokenType::Identifier))
        error(cur_ < t_.size() ? std::string("unknown statement, got ") + tokenTypeName(t_[cur_].type)
                               : std::string("unexpected end of template"));
    const std::string name = t_[cur_].value;
    NodePtr result;
    if (name == "set") {
        ++cur_;
        result = parseSet(pos);
    } else if (name == "if") {
        ++cur_;
        result = parseIf(pos);
        expect(TokenType::OpenStatement, "'{%'");
        expectIdentifier("endif");
        expect(TokenType::CloseStatement, "'%}'");
    } else if (name == "macro") {
        ++cur_;
        result = parseMacro(pos);
        expect(TokenType::OpenStatement, "'{%'");
        expectIdentifier("endmacro");
        expect(TokenType::CloseStatement, "'%}'");
    } else if (name == "for") {
        ++cur_;
        result = parseFor(pos);
        expect(TokenType::OpenStatement, "'{%'");
        expectIdentifier("endfor");
        expect(TokenType::CloseStatement, "'%}'");
    } else if (name == "break" || name == "continue") {
        ++cur_;
        expect(TokenType::CloseStatement, "'%}'");
        result = make(name == "break" ? NodeKind::Break : NodeKind::Continue, pos);
    } else if (name == "filter") {
        ++cur_;
        result = make(NodeKind::FilterStatement, pos);
        result->a = parsePrimary();
        if (result->a->kind == NodeKind::Identifier && is(TokenType::OpenParen))
            result->a = parseCall(std::move(result->a));
        expect(TokenType::CloseStatement, "'%}'");
        parseBody(result->body, {"endfilter"}, "endfilter", pos);
        expect(TokenType::OpenStatement, "'{%'");
        expectIdentifier("endfilter");
        expect(TokenType::CloseStatement, "'%}'");
    } else if (name == "call") {
        error("the {% call %} statement is not supported");
    } else {
        error("unknown statement type '" + name + "'");
    }
    return result;
}

NodePtr Parser::parseSet(std::size_t pos)
{
    auto n = make(NodeKind::Set, pos);
    n->a = parseExpressionSequence();
    if (is(TokenType::Equals)) {
        ++cur_;
        n->b = parseExpressionSequence();
    } else {
        expect(TokenType::CloseStatement, "'%}' or '='");
        parseBody(n->body, {"endset"}, "endset", pos);
        expect(TokenType::OpenStatement, "'{%'");
        expectIdentifier("endset");
    }
    expect(TokenType::CloseStatement, "'%}'");
    return n;
}

NodePtr Parser::parseIf(std::size_t pos)
{
    DepthGuard guard(*this);
    auto n = make(NodeKind::If, pos);
    n->a = parseExpression();
    expect(TokenType::CloseStatement, "'%}'");
    parseBody(n->body, {"elif", "else", "endif"}, "endif", pos);
    if (isStatement({"elif"})) {
        const std::size_t elifPos = t_[cur_].pos;
        cur_ += 2;
        n->alternate.push_back(parseIf(elifPos));
    } else if (isStatement({"else"})) {
        cur_ += 2;
        expect(TokenType::CloseStatement, "'%}'");
        parseBody(n->alternate, {"endif"}, "endif", pos);
    }
    return n;
}

NodePtr Parser::parseMacro(std::size_t pos)
{
    auto n = make(NodeKind::Macro, pos);
    NodePtr name = parsePrimary();
    if (name->kind != NodeKind::Identifier)
        errorAt("expected an identifier after 'macro'", name->pos);
    n->str = name->str;
    parseArgs(n->items, true);
    expect(TokenType::CloseStatement, "'%}'");
    parseBody(n->body, {"endmacro"}, "endmacro", pos);
    return n;
}

NodePtr Parser::parseFor(std::size_t pos)
{
    auto n = make(NodeKind::For, pos);
    n->a = parseExpressionSequence(true);
    if (n->a->kind != NodeKind::Identifier && n->a->kind != NodeKind::TupleLiteral)
        errorAt("expected an identifier or a tuple as the loop variable", n->a->pos);
    if (!isIdentifier("in"))
        error("expected 'in' after the loop variable");
    ++cur_;
    n->b = parseExpression();
    expect(TokenType::CloseStatement, "'%}'");
    parseBody(n->body, {"endfor", "else"}, "endfor", pos);
    if (isStatement({"else"})) {
        cur_ += 2;
        expect(TokenType::CloseStatement, "'%}'");
        parseBody(n->alternate, {"endfor"}, "endfor", pos);
    }
    return n;
}

NodePtr Parser::parseExpressionSequence(bool primary)
{
    const std::size_t pos = here();
    std::vector<NodePtr> exprs;
    exprs.push_back(primary ? parsePrimary() : parseExpression());
    const bool isTuple = is(TokenType::Comma);
    while (isTuple) {
        ++cur_;
        exprs.push_back(primary ? parsePrimary() : parseExpression());
        if (!is(TokenType::Comma))
            break;
    }
    if (!isTuple)
        return std::move(exprs[0]);
    auto n = make(NodeKind::TupleLiteral, pos);
    n->items = std::move(exprs);
    return n;
}

NodePtr Parser::parseExpression()
{
    DepthGuard guard(*this);
    NodePtr a = parseLogicalOr();
    if (isIdentifier("if")) {
        const std::size_t pos = t_[cur_].pos;
        ++cur_;
        NodePtr test = parseLogicalOr();
        if (isIdentifier("else")) {
            ++cur_;
            auto n = make(NodeKind::Ternary, pos);
            n->a = std::move(test);
            n->b = std::move(a);
            n->c = parseExpression();
            return n;
        }
        auto n = make(NodeKind::Select, pos);
        n->a = std::move(a);
        n->b = std::move(test);
        return n;
    }
    return a;
}

NodePtr Parser::parseLogicalOr()
{
    NodePtr left = parseLogicalAnd();
    ChainGuard chain(*this);
    while (isIdentifier("or")) {
        chain.step();
        auto n = make(NodeKind::Binary, t_[cur_].pos);
        n->str = "or";
        ++cur_;
        n->a = std::move(left);
        n->b = parseLogicalAnd();
        left = std::move(n);
    }
    return left;
}

NodePtr Parser::parseLogicalAnd()
{
    NodePtr left = parseLogicalNot();
    ChainGuard chain(*this);
    while (isIdentifier("and")) {
        chain.step();
        auto n = make(NodeKind::Binary, t_[cur_].pos);
        n->str = "and";
        ++cur_;
        n->a = std::move(left);
        n->b = parseLogicalNot();
        left = std::move(n);
    }
    return left;
}

NodePtr Parser::parseLogicalNot()
{
    NodePtr right;
    while (isIdentifier("not")) {
        DepthGuard guard(*this);
        auto n = make(NodeKind::Unary, t_[cur_].pos);
        n->str = "not";
        ++cur_;
        n->a = parseLogicalNot();
        right = std::move(n);
    }
    return right ? std::move(right) : parseComparison();
}

NodePtr Parser::parseComparison()
{
    NodePtr left = parseAdditive();
    ChainGuard chain(*this);
    while (true) {
        std::string op;
        const std::size_t pos = here();
        if (isIdentifier("not", "in")) {
            op = "not in";
            cur_ += 2;
        } else if (isIdentifier("in") || is(TokenType::ComparisonBinaryOperator)) {
            op = t_[cur_++].value;
        } else {
            break;
        }
        chain.step();
        auto n = make(NodeKind::Binary, pos);
        n->str = op;
        n->a = std::move(left);
        n->b = parseAdditive();
        left = std::move(n);
    }
    return left;
}

NodePtr Parser::parseAdditive()
{
    NodePtr left = parseMultiplicative();
    ChainGuard chain(*this);
    while (is(TokenType::AdditiveBinaryOperator)) {
        chain.step();
        auto n = make(NodeKind::Binary, t_[cur_].pos);
        n->str = t_[cur_++].value;
        n->a = std::move(left);
        n->b = parseMultiplicative();
        left = std::move(n);
    }
    return left;
}

NodePtr Parser::parseMultiplicative()
{
    NodePtr left = parsePower();
    ChainGuard chain(*this);
    while (is(TokenType::MultiplicativeBinaryOperator)) {
        chain.step();
        auto n = make(NodeKind::Binary, t_[cur_].pos);
        n->str = t_[cur_++].value;
        n->a = std::move(left);
        n->b = parsePower();
        left = std::move(n);
    }
    return left;
}

NodePtr Parser::parsePower()
{
    NodePtr left = parseTest();
    ChainGuard chain(*this);
    while (is(TokenType::ExponentiationBinaryOperator)) {
        chain.step();
        auto n = make(NodeKind::Binary, t_[cur_].pos);
        n->str = t_[cur_++].value;
        n->a = std::move(left);
        n->b = parseTest();
        left = std::move(n);
    }
    return left;
}

NodePtr Parser::parseTest()
{
    NodePtr operand = parseFilter();
    ChainGuard chain(*this);
    while (isIdentifier("is")) {
        chain.step();
        auto n = make(NodeKind::Test, t_[cur_].pos);
        ++cur_;
        n->flag = isIdentifier("not");
        if (n->flag)
            ++cur_;
        NodePtr test = parsePrimary();
        if (test->kind != NodeKind::Identifier)
            errorAt("expected the name of a test after 'is'", test->pos);
        n->str = test->str;
        n->a = std::move(operand);
        operand = std::move(n);
    }
    return operand;
}

NodePtr Parser::parseFilter()
{
    NodePtr operand = parseUnarySign();
    ChainGuard chain(*this);
    while (is(TokenType::Pipe)) {
        chain.step();
        auto n = make(NodeKind::Filter, t_[cur_].pos);
        ++cur_;
        NodePtr filter = parsePrimary();
        if (filter->kind != NodeKind::Identifier)
            errorAt("expected the name of a filter after '|'", filter->pos);
        if (is(TokenType::OpenParen))
            filter = parseCall(std::move(filter));
        n->a = std::move(operand);
        n->b = std::move(filter);
        operand = std::move(n);
    }
    return operand;
}

NodePtr Parser::parseUnarySign()
{
    if (cur_ < t_.size() &&
        (t_[cur_].type == TokenType::UnaryOperator || t_[cur_].type == TokenType::AdditiveBinaryOperator) &&
        (t_[cur_].value == "-" || t_[cur_].value == "+")) {
        DepthGuard guard(*this);
        auto n = make(NodeKind::Unary, t_[cur_].pos);
        n->str = t_[cur_++].value;
        n->a = parseUnarySign();
        return n;
    }
    return parseCallMember();
}

NodePtr Parser::parseCallMember()
{
    NodePtr member = parseMember(parsePrimary());
    if (is(TokenType::OpenParen))
        return parseCall(std::move(member));
    return member;
}

NodePtr Parser::parseCall(NodePtr callee)
{
    DepthGuard guard(*this);
    auto n = make(NodeKind::Call, callee->pos);
    n->a = std::move(callee);
    parseArgs(n->items, false);
    NodePtr expr = parseMember(std::move(n));
    if (is(TokenType::OpenParen))
        expr = parseCall(std::move(expr));
    return expr;
}

void Parser::parseArgs(std::vector<NodePtr> &args, bool parameters)
{
    expect(TokenType::OpenParen, "'('");
    std::set<std::string> names;
    bool sawKeyword = false, sawSpread = false;
    while (!is(TokenType::CloseParen)) {
        const std::size_t pos = here();
        const bool keywordSpread = is(TokenType::ExponentiationBinaryOperator);
        const bool positionalSpread = is(TokenType::MultiplicativeBinaryOperator) && t_[cur_].value == "*";
        if (parameters && (keywordSpread || positionalSpread))
            error("argument unpacking is not allowed in parameter declarations");
        if (keywordSpread) {
            ++cur_;
            auto n = make(NodeKind::KeywordSpread, pos);
            n->a = parseExpression();
            args.push_back(std::move(n));
            if (is(TokenType::Comma))
                ++cur_;
            if (!is(TokenType::CloseParen))
                error("expected ')': '**' must be applied to the final argument");
            break;
        }
        NodePtr arg;
        if (positionalSpread) {
            if (sawSpread)
                error("only one '*' argument unpacking is allowed");
            sawSpread = true;
            ++cur_;
            arg = make(NodeKind::Spread, pos);
            arg->a = parseExpression();
        } else {
            arg = parseExpression();
            if (is(TokenType::Equals)) {
                ++cur_;
                if (arg->kind != NodeKind::Identifier)
                    errorAt(parameters ? "expected an identifier for a parameter"
                                       : "expected an identifier for a keyword argument",
                            arg->pos);
                auto kw = make(NodeKind::KeywordArgument, arg->pos);
                kw->str = arg->str;
                kw->a = parseExpression();
                arg = std::move(kw);
            }
            if (parameters) {
                if (arg->kind != NodeKind::Identifier && arg->kind != NodeKind::KeywordArgument)
                    errorAt("expected an identifier for a parameter", arg->pos);
                if (!names.insert(arg->str).second)
                    errorAt("duplicate parameter name: " + arg->str, arg->pos);
            }
            if (arg->kind == NodeKind::KeywordArgument)
                sawKeyword = true;
            else if (sawKeyword)
                errorAt(parameters ? "non-default argument follows default argument"
                                   : "positional arguments must come before keyword arguments",
                        arg->pos);
            else if (sawSpread)
                errorAt("positional arguments must not follow '*' argument unpacking", arg->pos);
        }
        args.push_back(std::move(arg));
        if (is(TokenType::Comma))
            ++cur_;
    }
    expect(TokenType::CloseParen, "')'");
}

NodePtr Parser::parseSubscript()
{
    const std::size_t pos = here();
    std::vector<NodePtr> slices;
    bool isSlice = false;
    while (!is(TokenType::CloseSquareBracket)) {
        if (is(TokenType::Colon)) {
            slices.push_back(nullptr);
            ++cur_;
            isSlice = true;
        } else {
            slices.push_back(parseExpression());
            if (is(TokenType::Colon)) {
                ++cur_;
                isSlice = true;
            }
        }
    }
    if (slices.empty())
        error("expected at least one argument for a subscript or slice");
    if (!isSlice)
        return std::move(slices[0]);
    if (slices.size() > 3)
        errorAt("a slice takes at most 3 arguments", pos);
    auto n = make(NodeKind::Slice, pos);
    n->a = std::move(slices[0]);
    if (slices.size() > 1)
        n->b = std::move(slices[1]);
    if (slices.size() > 2)
        n->c = std::move(slices[2]);
    return n;
}

NodePtr Parser::parseMember(NodePtr object)
{
    ChainGuard chain(*this);
    while (is(TokenType::Dot) || is(TokenType::OpenSquareBracket)) {
        chain.step();
        auto n = make(NodeKind::Member, t_[cur_].pos);
        n->flag = t_[cur_].type == TokenType::OpenSquareBracket;
        ++cur_;
        if (n->flag) {
            n->b = parseSubscript();
            expect(TokenType::CloseSquareBracket, "']'");
        } else {
            n->b = parsePrimary();
            if (n->b->kind != NodeKind::Identifier && n->b->kind != NodeKind::IntegerLiteral)
                errorAt("expected an identifier or an integer after '.'", n->b->pos);
        }
        n->a = std::move(object);
        object = std::move(n);
    }
    return object;
}

NodePtr Parser::parsePrimary()
{
    DepthGuard guard(*this);
    if (cur_ >= t_.size())
        error("unexpected end of template: expected an expression");
    const Token &tok = t_[cur_++];
    switch (tok.type) {
    case TokenType::NumericLiteral: {
        auto n =
            make(tok.value.find('.') != std::string::npos ? NodeKind::FloatLiteral : NodeKind::IntegerLiteral, tok.pos);
        n->number = std::strtod(tok.value.c_str(), nullptr);
        return n;
    }
    case TokenType::StringLiteral: {
        auto n = make(NodeKind::StringLiteral, tok.pos);
        n->str = tok.value;
        while (is(TokenType::StringLiteral)) // adjacent literals concatenate
            n->str += t_[cur_++].value;
        return n;
    }
    case TokenType::Identifier: {
        auto n = make(NodeKind::Identifier, tok.pos);
        n->str = tok.value;
        return n;
    }
    case TokenType::OpenParen: {
        NodePtr e = parseExpressionSequence();
        expect(TokenType::CloseParen, "')'");
        return e;
    }
    case TokenType::OpenSquareBracket: {
        auto n = make(NodeKind::ArrayLiteral, tok.pos);
        while (!is(TokenType::CloseSquareBracket)) {
            n->items.push_back(parseExpression());
            if (is(TokenType::Comma))
                ++cur_;
        }
        ++cur_;
        return n;
    }
    case TokenType::OpenCurlyBracket: {
        auto n = make(NodeKind::ObjectLiteral, tok.pos);
        while (!is(TokenType::CloseCurlyBracket)) {
            n->items.push_back(parseExpression());
            expect(TokenType::Colon, "':' between key and value");
            n->items.push_back(parseExpression());
            if (is(TokenType::Comma))
                ++cur_;
        }
        ++cur_;
        return n;
    }
    default:
        errorAt(std::string("unexpected ") + tokenTypeName(tok.type) +
                    (tok.type == TokenType::Text ? "" : " '" + tok.value + "'"),
                tok.pos);
    }
}

} // namespace

NodePtr parse(const std::vector<Token> &tokens)
{
    return Parser(tokens).program();
}

} // namespace smartbot::engine::jinja
