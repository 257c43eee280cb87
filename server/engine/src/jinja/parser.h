// Internal: Jinja parser, a port of @huggingface/jinja's recursive-descent parser (same precedence and quirks).
#pragma once

#include <vector>

#include "jinja/ast.h"
#include "jinja/lexer.h"

namespace smartbot::engine::jinja {

// Throws JinjaError with the position of the offending token. Nesting deeper than a fixed limit is an error
// (no stack exhaustion on hostile templates).
NodePtr parse(const std::vector<Token> &tokens);

} // namespace smartbot::engine::jinja
