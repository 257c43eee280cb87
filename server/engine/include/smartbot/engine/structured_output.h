// Structured outputs: the grammars generation can be held to (GenerationParams::grammar), in GBNF
// (see src/grammar/grammar.h for the notation). Qt-free, cheap: the HTTP layer calls these to check a request
// before it queues.
#pragma once

#include <string>
#include <string_view>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

// Any JSON value (objectOnly: any JSON object, OpenAI's response_format json_object). Whitespace between tokens is
// bounded (a model that drifts into blank lines cannot fill its budget with them).
std::string jsonGrammar(bool objectOnly);

// A JSON Schema as a grammar whose texts are exactly JSON documents that validate against it (draft 2020-12 and
// the subset OpenAI's strict mode accepts): type (and lists of types), properties/required/additionalProperties,
// items/minItems/maxItems, enum, const, anyOf/oneOf, $ref to $defs/definitions (recursion allowed), string
// minLength/maxLength, pattern (ECMAScript regular expressions without lookaround or backreferences, see
// grammar/regex_pattern.h) and format date, time, date-time, uuid, integer minimum/maximum/exclusiveMinimum/
// exclusiveMaximum (exactly, digit by digit), the same on numbers when the bounds are whole numbers (bounded numbers
// are then written without an exponent); annotations (title, description, ...) are ignored. Properties come in the
// schema's order. A keyword it cannot guarantee (multipleOf, uniqueItems, a pattern with lookahead, a bound of 0.5 on
// a number, ...) is refused naming it and where it is: "json_schema: 'multipleOf' at /properties/n is not
// supported".
// pointer: where the schema is inside document (a JSON Pointer, "" = the whole document), so callers can pass a
// request body as received: key order matters (properties are written in it) and Qt's JSON objects do not keep it.
Result<std::string> grammarFromJsonSchema(std::string_view document, std::string_view pointer = "");

// The JSON value at pointer inside document, as compact text with its key order kept ("" pointer: the whole).
Result<std::string> jsonAt(std::string_view document, std::string_view pointer);

// Whether gbnf parses (the GBNF extension field of requests); the error names line and column.
Result<void> checkGrammar(std::string_view gbnf);

} // namespace smartbot::engine
