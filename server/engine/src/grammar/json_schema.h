// SchemaGrammar: one grammar from several JSON Schemas (a tool call's arguments, one schema per function). Each
// add() returns the GBNF expression whose texts validate against that schema; finish() writes the grammar with
// `root ::= rootBody`, the rules the schemas needed and the JSON primitives (ws, string, ...) used.
// structured_output.h's grammarFromJsonSchema is add() + finish() of one schema.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace smartbot::engine::grammar {

// What add() throws for a schema it cannot hold: "json_schema: 'pattern' at /properties/x is not supported".
struct SchemaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class SchemaGrammar {
public:
    SchemaGrammar();
    ~SchemaGrammar();
    std::string add(const nlohmann::ordered_json &schema); // throws SchemaError, nlohmann's exceptions
    std::string primitive(const std::string &name);        // "ws", "string", "value", ...: marked used, its rule name
    std::string finish(const std::string &rootBody);
    static std::string literal(const std::string &text); // text as a GBNF string literal

private:
    class Compiler;
    std::unique_ptr<Compiler> d_;
};

} // namespace smartbot::engine::grammar
