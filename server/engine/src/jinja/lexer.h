// Internal: Jinja template lexer, a port of @huggingface/jinja's (preprocess with lstrip_blocks + trim_blocks,
// the transformers `generation` tag removed, whitespace control by {%- -%} {{- -}} {#- -#}).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace smartbot::engine::jinja {

enum class TokenType {
    Text,
    NumericLiteral,
    StringLiteral,
    Identifier,
    Equals,
    OpenParen,
    CloseParen,
    OpenStatement,
    CloseStatement,
    OpenExpression,
    CloseExpression,
    OpenSquareBracket,
    CloseSquareBracket,
    OpenCurlyBracket,
    CloseCurlyBracket,
    Comma,
    Dot,
    Colon,
    Pipe,
    AdditiveBinaryOperator,
    MultiplicativeBinaryOperator,
    ExponentiationBinaryOperator,
    ComparisonBinaryOperator,
    UnaryOperator,
    Comment,
};

const char *tokenTypeName(TokenType type);

struct Token {
    TokenType type;
    std::string value;
    std::size_t pos; // byte offset in the original template source
};

// Throws JinjaError (with the position in `source`) on a lexical error.
std::vector<Token> tokenize(const std::string &source);

} // namespace smartbot::engine::jinja
