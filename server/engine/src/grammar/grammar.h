// Grammar: a context-free grammar over bytes, parsed from GBNF text (the notation llama.cpp made common):
//
//   root   ::= "{" ws pair ( "," ws pair )* "}"    # rules; `root` is where matching starts
//   pair   ::= [a-z]+ ":" ws ( "true" | "false" )  # literals, character classes, groups, alternatives
//   ws     ::= [ \t\n]{0,4}                        # repetition: * + ? {m} {m,} {m,n}
//
// Character classes and `.` name Unicode code points; they are compiled to the UTF-8 byte sequences that encode
// them, so matching runs byte by byte and follows tokens that end inside a character (byte-fallback pieces,
// byte-level BPE). Left recursion is refused at parse time (a byte-driven matcher could loop on it).
// Immutable once parsed; shared by the matchers of many sequences.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smartbot/engine/result.h"

namespace smartbot::engine::grammar {

using ByteSet = std::array<uint64_t, 4>;

inline bool contains(const ByteSet &set, uint8_t byte)
{
    return (set[byte >> 6] >> (byte & 63)) & 1;
}

// Flattened: every alternative of every rule is a run of elements in `elements` closed by an End element; a rule is
// the list of its alternatives' first positions. A position in `elements` is what the matcher's stacks hold.
struct Element {
    enum class Kind : uint8_t { Bytes, Rule, End };
    Kind kind = Kind::End;
    uint32_t index = 0; // Bytes: into byteSets; Rule: into rules
};

struct Grammar {
    std::vector<Element> elements;
    std::vector<ByteSet> byteSets;
    std::vector<std::vector<uint32_t>> rules; // alternatives' first positions
    std::vector<std::string> ruleNames;       // generated rules are named after the rule they came from
    uint32_t root = 0;

    // Errors name the line and column, or the rule (undefined, unused is fine, left-recursive).
    static Result<Grammar> parse(std::string_view gbnf);
};

} // namespace smartbot::engine::grammar
