// Fuzzes structured outputs' three parsers with one input: as GBNF text (Grammar::parse), as a JSON Schema
// (grammarFromJsonSchema) and as a string schema's pattern (a regular expression). Invariants: a parsed grammar's
// matcher takes any bytes without crashing and its state stays well-formed; a schema the compiler accepts always yields
// a grammar that parses (never an internal error).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "grammar/grammar.h"
#include "grammar/grammar_matcher.h"
#include "smartbot/engine/structured_output.h"

using namespace smartbot::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    auto g = grammar::Grammar::parse(text);
    if (g) {
        auto shared = std::make_shared<const grammar::Grammar>(std::move(g.value()));
        grammar::GrammarMatcher m(shared);
        // Feed the input's own bytes (literals in it are likely matches), one by one, until refused.
        for (size_t i = 0; i < size && i < 512; ++i) {
            if (!m.accept(text.substr(i, 1)))
                break;
            FUZZ_CHECK(!m.state().empty(), "an accepted byte left no way on");
        }
    } else {
        FUZZ_CHECK(g.error().rfind("grammar: ", 0) == 0, "grammar error without its prefix: " + g.error());
    }
    auto schema = grammarFromJsonSchema(text);
    if (schema) {
        auto again = grammar::Grammar::parse(schema.value());
        FUZZ_CHECK(again.ok(), "a compiled schema's grammar does not parse");
    } else {
        FUZZ_CHECK(schema.error().rfind("json_schema: internal grammar error", 0) != 0, schema.error());
        FUZZ_CHECK(schema.error().rfind("json_schema: ", 0) == 0, "schema error without its prefix: " + schema.error());
    }
    // As a pattern: invalid UTF-8 is replaced (a pattern arrives in a JSON string).
    const std::string patterned = nlohmann::json{{"type", "string"}, {"pattern", std::string(text)}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto fromPattern = grammarFromJsonSchema(patterned);
    if (fromPattern) {
        auto again = grammar::Grammar::parse(fromPattern.value());
        FUZZ_CHECK(again.ok(), "a pattern's grammar does not parse: " + (again ? std::string() : again.error()));
    } else {
        FUZZ_CHECK(fromPattern.error().rfind("json_schema: 'pattern' at the root", 0) == 0,
                   "a pattern refused without naming it: " + fromPattern.error());
    }
    return 0;
}
