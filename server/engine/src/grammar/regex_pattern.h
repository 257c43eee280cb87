// JSON Schema's "pattern" (an ECMAScript regular expression) as a GBNF expression over the content of a JSON string:
// its texts are the JSON-escaped strings whose value the pattern matches. Search semantics, as JSON Schema has them:
// an end without its anchor (^ or $) matches anything there.
// What a grammar cannot hold is refused: lookaround, backreferences, word boundaries, Unicode property escapes,
// anchors inside the pattern. Written here from ECMA-262's pattern grammar; a pure function, any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace smartbot::engine::grammar {

struct PatternError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// anyChar: the rule for one JSON string character (escaped or not), used at unanchored ends. The expression writes
// characters plainly where JSON allows and escapes '"', '\' and control characters (\n, \t, ... or \u00xx): it does
// not take other characters written as \u escapes, which only narrows what a model may write. Throws PatternError.
std::string patternExpression(std::string_view pattern, const std::string &anyChar);

} // namespace smartbot::engine::grammar
