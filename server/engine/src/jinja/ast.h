// Internal: the Jinja syntax tree (mirrors @huggingface/jinja's AST classes in one node type).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace smartbot::engine::jinja {

enum class NodeKind {
    // statements
    Program, // body
    If,      // a: test, body, alternate
    For,     // a: loop variable (Identifier / TupleLiteral), b: iterable, body, alternate: else block
    Break,
    Continue,
    Set,             // a: assignee, b: value (null: block set, value is body)
    Macro,           // str: name, items: parameters (Identifier / KeywordArgument), body
    FilterStatement, // a: filter (Identifier / Call), body
    Comment,
    // expressions
    Text,            // str (template text; evaluates like a string literal)
    StringLiteral,   // str
    IntegerLiteral,  // number
    FloatLiteral,    // number
    ArrayLiteral,    // items
    TupleLiteral,    // items
    ObjectLiteral,   // items: key, value, key, value ...
    Identifier,      // str
    Member,          // a: object, b: property, flag: computed ([...])
    Call,            // a: callee, items: arguments
    Binary,          // str: operator, a, b
    Unary,           // str: operator, a
    Filter,          // a: operand, b: filter (Identifier / Call)
    Test,            // a: operand, str: test name, flag: negated
    Select,          // a: value, b: condition ("x if c" without else)
    Ternary,         // a: condition, b: if true, c: if false
    Slice,           // a: start, b: stop, c: step (each may be null)
    KeywordArgument, // str: name, a: value
    Spread,          // a (*args)
    KeywordSpread,   // a (**kwargs)
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
    NodeKind kind;
    std::size_t pos = 0; // byte offset in the template source
    std::string str;
    double number = 0;
    bool flag = false;
    NodePtr a, b, c;
    std::vector<NodePtr> items;
    std::vector<NodePtr> body;
    std::vector<NodePtr> alternate;

    Node(NodeKind k, std::size_t p) : kind(k), pos(p) {}
};

} // namespace smartbot::engine::jinja
