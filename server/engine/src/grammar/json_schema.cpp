// JSON Schema -> GBNF. Each schema becomes an expression over shared rules (the JSON primitives below, and one
// rule per object, array and $ref target); the texts of the root expression are exactly the JSON documents that
// validate. Property order is the schema's (ordered_json keeps it), as OpenAI's strict mode does.
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"
#include "grammar/json_schema.h"
#include "grammar/regex_pattern.h"
#include "smartbot/engine/structured_output.h"

namespace smartbot::engine {

namespace {

using ojson = nlohmann::ordered_json;

// maxLength / maxItems above this are clamped (each unit becomes a grammar rule; clamping only narrows what is
// generated), minLength / minItems above it are refused.
constexpr int kMaxRepeat = 1024;
constexpr int kMaxDepth = 64; // schemas nested deeper are refused (compiling recurses)
// The largest integer part a number may have (the "integer" primitive's 15 digits, within JavaScript's safe range).
constexpr int64_t kMaxMagnitude = 999'999'999'999'999;
constexpr int64_t kMaxBoundedMagnitude = 999'999'999; // integer part of a bounded number (compileNumberRange)

// Whitespace between JSON tokens: nothing, a space, or one line break and indentation. Unbounded whitespace lets a
// weak model spend its whole budget on blank lines.
const std::map<std::string, std::string> kPrimitives = {
    {"ws", R"(( " " | "\n" [ \t]{0,20} )?)"},
    {"value", "object | array | string | number | boolean | null"},
    {"object", R"("{" ws ( member ( ws "," ws member )* )? ws "}")"},
    {"member", R"(string ws ":" ws value)"},
    {"array", R"("[" ws ( value ( ws "," ws value )* )? ws "]")"},
    {"string", R"("\"" char* "\"")"},
    {"char", R"([^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" hex{4} ))"},
    {"hex", "[0-9a-fA-F]"},
    // Numbers every consumer can hold: integers of up to 15 digits (within JavaScript's safe range), exponents of up
    // to two digits (within a double's).
    {"number", R"(integer ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?)"},
    {"integer", R"("-"? ( "0" | [1-9] [0-9]{0,14} ))"},
    {"boolean", R"("true" | "false")"},
    {"null", R"("null")"},
    {"date", R"([0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ))"},
    {"time", R"(( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,9} )? )"
             R"(( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ))"},
    {"date-time", R"(date "T" time)"},
    {"uuid", R"(hex{8} "-" hex{4} "-" hex{4} "-" hex{4} "-" hex{12})"},
};

// Which primitives each one uses (so only what is needed is written out).
const std::map<std::string, std::vector<std::string>> kPrimitiveUses = {
    {"value", {"object", "array", "string", "number", "boolean", "null"}},
    {"object", {"ws", "member"}},
    {"member", {"string", "ws", "value"}},
    {"array", {"ws", "value"}},
    {"string", {"char"}},
    {"char", {"hex"}},
    {"number", {"integer"}},
    {"date-time", {"date", "time"}},
    {"uuid", {"hex"}},
};

// Keywords that only describe: they never change which documents validate.
const std::set<std::string> kAnnotations = {
    "title",    "description", "default", "examples",    "$schema", "$id",     "$comment",         "deprecated",
    "readOnly", "writeOnly",   "$defs",   "definitions", "strict",  "$anchor", "contentMediaType", "contentEncoding"};

std::string literal(const std::string &text)
{
    static const char *hex = "0123456789ABCDEF";
    std::string out = "\"";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

} // namespace

class grammar::SchemaGrammar::Compiler {
public:
    std::string add(const ojson &schema)
    {
        root_ = &schema;
        refRules_.clear(); // "#/..." points into the schema being added
        return compile(schema, "");
    }

    std::string finish(const std::string &rootBody)
    {
        std::string out = "root ::= " + rootBody + "\n";
        for (const auto &[name, body] : rules_)
            out += name + " ::= " + body + "\n";
        std::set<std::string> written;
        for (const std::string &p : std::set<std::string>(used_.begin(), used_.end()))
            writePrimitive(p, out, written);
        return out;
    }

    std::string use(const std::string &primitive)
    {
        used_.insert(primitive);
        return primitive;
    }

private:
    const ojson *root_ = nullptr;
    std::vector<std::pair<std::string, std::string>> rules_; // in definition order
    std::map<std::string, std::string> byBody_;
    std::map<std::string, std::string> refRules_;
    std::set<std::string> used_;
    int counter_ = 0;
    int depth_ = 0;

    [[noreturn]] static void fail(const std::string &what) { throw grammar::SchemaError("json_schema: " + what); }
    static std::string at(const std::string &path) { return path.empty() ? "the root" : path; }

    void writePrimitive(const std::string &name, std::string &out, std::set<std::string> &written) const
    {
        if (!written.insert(name).second)
            return;
        out += name + " ::= " + kPrimitives.at(name) + "\n";
        if (auto it = kPrimitiveUses.find(name); it != kPrimitiveUses.end())
            for (const std::string &dep : it->second)
                writePrimitive(dep, out, written);
    }
    // A named rule for body (one per distinct body).
    std::string rule(const std::string &body)
    {
        if (auto it = byBody_.find(body); it != byBody_.end())
            return it->second;
        const std::string name = "s" + std::to_string(++counter_);
        rules_.emplace_back(name, body);
        byBody_.emplace(body, name);
        return name;
    }

    static void refuse(const ojson &schema, const std::string &path, std::initializer_list<const char *> keys)
    {
        for (const char *k : keys)
            if (schema.contains(k))
                fail("'" + std::string(k) + "' at " + at(path) + " is not supported");
    }
    static int64_t count(const ojson &schema, const char *key, const std::string &path, int64_t fallback)
    {
        const auto it = schema.find(key);
        if (it == schema.end())
            return fallback;
        if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
            fail("'" + std::string(key) + "' at " + at(path) + " must be a non-negative integer");
        return it->get<int64_t>();
    }
    // x{min,max} as GBNF (max < 0: unbounded); a max above the grammar's bound is clamped, which only narrows
    // what is generated.
    static std::string repeat(const std::string &x, int64_t min, int64_t max, const std::string &what)
    {
        if (min > kMaxRepeat)
            fail(what + " above " + std::to_string(kMaxRepeat) + " is not supported");
        if (max > kMaxRepeat)
            max = kMaxRepeat;
        if (max < 0)
            return min == 0 ? x + "*" : min == 1 ? x + "+" : x + "{" + std::to_string(min) + ",}";
        if (min == max)
            return min == 0 ? std::string("\"\"") : x + "{" + std::to_string(min) + "}";
        return x + "{" + std::to_string(min) + "," + std::to_string(max) + "}";
    }

    std::string compile(const ojson &schema, const std::string &path)
    {
        if (++depth_ > kMaxDepth)
            fail("the schema is nested more than " + std::to_string(kMaxDepth) + " levels deep at " + at(path));
        std::string expr = compileNested(schema, path);
        --depth_;
        return expr;
    }

    std::string compileNested(const ojson &schema, const std::string &path)
    {
        if (schema.is_boolean()) {
            if (!schema.get<bool>())
                fail("the schema false at " + at(path) + " matches nothing");
            return use("value");
        }
        if (!schema.is_object())
            fail("the schema at " + at(path) + " must be an object or a boolean");
        static const std::set<std::string> known = {"type",     "properties",      "required",  "additionalProperties",
                                                    "items",    "minItems",        "maxItems",  "enum",
                                                    "const",    "anyOf",           "oneOf",     "allOf",
                                                    "$ref",     "minLength",       "maxLength", "format",
                                                    "nullable", "minimum",         "maximum",   "exclusiveMinimum",
                                                    "pattern",  "exclusiveMaximum"};
        for (const auto &[key, v] : schema.items())
            if (!known.count(key) && !kAnnotations.count(key))
                fail("'" + key + "' at " + at(path) + " is not supported");

        std::string expr = compileAssertions(schema, path);
        if (schema.value("nullable", false))
            expr = "( " + expr + " | " + use("null") + " )";
        return expr;
    }

    std::string compileAssertions(const ojson &schema, const std::string &path)
    {
        // A grammar for a pattern or bounds is built from the string or number rule; beside a $ref, enum, const or
        // combinator they would need an intersection of grammars.
        for (const char *combined : {"$ref", "const", "enum", "anyOf", "oneOf", "allOf"})
            for (const char *held : {"pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
                if (schema.contains(combined) && schema.contains(held))
                    fail("'" + std::string(held) + "' beside '" + combined + "' at " + at(path) + " is not supported");
        if (schema.contains("$ref"))
            return compileRef(schema, path);
        if (const auto c = schema.find("const"); c != schema.end())
            return literal(c->dump());
        if (const auto e = schema.find("enum"); e != schema.end()) {
            if (!e->is_array() || e->empty())
                fail("'enum' at " + at(path) + " must be a non-empty array");
            std::string alts;
            for (const ojson &v : *e)
                alts += (alts.empty() ? "" : " | ") + literal(v.dump());
            return "( " + alts + " )";
        }
        for (const char *key : {"anyOf", "oneOf"}) {
            const auto list = schema.find(key);
            if (list == schema.end())
                continue;
            if (!list->is_array() || list->empty())
                fail("'" + std::string(key) + "' at " + at(path) + " must be a non-empty array");
            // oneOf as anyOf: a document matching two branches would be invalid; branches that overlap are rare in
            // generated schemas and are the schema author's ambiguity.
            std::string alts;
            for (size_t i = 0; i < list->size(); ++i)
                alts += (alts.empty() ? "" : " | ") + compile((*list)[i], path + "/" + key + "/" + std::to_string(i));
            return "( " + alts + " )";
        }
        if (const auto all = schema.find("allOf"); all != schema.end()) {
            if (!all->is_array() || all->size() != 1)
                fail("'allOf' at " + at(path) + " is supported with one schema only");
            return compile((*all)[0], path + "/allOf/0");
        }
        const auto type = schema.find("type");
        if (type == schema.end()) {
            if (schema.contains("properties") || schema.contains("required") || schema.contains("additionalProperties"))
                return compileObject(schema, path);
            if (schema.contains("items") || schema.contains("minItems") || schema.contains("maxItems"))
                return compileArray(schema, path);
            if (schema.contains("minLength") || schema.contains("maxLength") || schema.contains("format") ||
                schema.contains("pattern"))
                return compileString(schema, path);
            for (const char *bound : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
                if (schema.contains(bound))
                    return compileType("number", schema, path);
            return use("value");
        }
        if (type->is_array()) {
            std::string alts;
            for (const ojson &t : *type) {
                if (!t.is_string())
                    fail("'type' at " + at(path) + " must be a string or a list of strings");
                alts += (alts.empty() ? "" : " | ") + compileType(t.get<std::string>(), schema, path);
            }
            if (alts.empty())
                fail("'type' at " + at(path) + " is an empty list");
            return "( " + alts + " )";
        }
        if (!type->is_string())
            fail("'type' at " + at(path) + " must be a string or a list of strings");
        return compileType(type->get<std::string>(), schema, path);
    }

    std::string compileType(const std::string &type, const ojson &schema, const std::string &path)
    {
        if (type == "object")
            return compileObject(schema, path);
        if (type == "array")
            return compileArray(schema, path);
        if (type == "string")
            return compileString(schema, path);
        if (type == "number" || type == "integer") {
            refuse(schema, path, {"multipleOf"});
            const Bound lo = bound(schema, "minimum", "exclusiveMinimum", path, true);
            const Bound hi = bound(schema, "maximum", "exclusiveMaximum", path, false);
            if (!lo.set && !hi.set)
                return use(type);
            return type == "integer" ? compileIntegerRange(lo, hi, path) : compileNumberRange(lo, hi, path);
        }
        if (type == "boolean" || type == "null")
            return use(type);
        fail("unknown type '" + type + "' at " + at(path));
    }

    // minimum / exclusiveMinimum (or the maximum pair): the tighter of the two; draft 4's boolean exclusiveMinimum
    // makes minimum exclusive.
    struct Bound {
        bool set = false;
        double value = 0;
        bool exclusive = false;
    };
    static Bound bound(const ojson &schema, const char *inclusiveKey, const char *exclusiveKey, const std::string &path,
                       bool lower)
    {
        Bound b;
        const auto inc = schema.find(inclusiveKey);
        const auto exc = schema.find(exclusiveKey);
        if (inc != schema.end()) {
            if (!inc->is_number())
                fail("'" + std::string(inclusiveKey) + "' at " + at(path) + " must be a number");
            b = {true, inc->get<double>(), exc != schema.end() && exc->is_boolean() && exc->get<bool>()};
        }
        if (exc != schema.end() && !exc->is_boolean()) {
            if (!exc->is_number())
                fail("'" + std::string(exclusiveKey) + "' at " + at(path) + " must be a number");
            const double v = exc->get<double>();
            if (!b.set || (lower ? v >= b.value : v <= b.value))
                b = {true, v, true};
        }
        return b;
    }

    // The digit strings (no leading zeros) of the integers in [lo, hi], 0 <= lo <= hi: one alternative per length.
    static std::string digitsRange(int64_t lo, int64_t hi)
    {
        std::string alts;
        const std::string a = std::to_string(lo), b = std::to_string(hi);
        int64_t first = 1;
        for (size_t len = 1; len < a.size(); ++len)
            first *= 10;
        for (size_t len = a.size(); len <= b.size(); ++len, first *= 10) {
            const int64_t from = std::max(lo, len == 1 ? 0 : first), to = std::min(hi, first * 10 - 1);
            alts += (alts.empty() ? "" : " | ") + sameLength(std::to_string(from), std::to_string(to));
        }
        return "( " + alts + " )";
    }
    // The digit strings of one length from a to b (a <= b), split at the first digit: a's own first digit with the
    // rest from a's rest up, the digits between with anything after, b's first digit with the rest up to b's rest.
    static std::string sameLength(const std::string &a, const std::string &b)
    {
        if (a == b)
            return literal(a);
        if (a.size() == 1)
            return std::string("[") + a[0] + "-" + b[0] + "]";
        const std::string restA = a.substr(1), restB = b.substr(1);
        if (a[0] == b[0])
            return literal(a.substr(0, 1)) + " " + sameLength(restA, restB);
        const size_t n = restA.size();
        const bool fromZero = restA == std::string(n, '0'), toNine = restB == std::string(n, '9');
        const char lowest = fromZero ? a[0] : char(a[0] + 1), highest = toNine ? b[0] : char(b[0] - 1);
        std::string alts;
        if (!fromZero)
            alts = literal(a.substr(0, 1)) + " " + sameLength(restA, std::string(n, '9'));
        if (lowest <= highest)
            alts += (alts.empty() ? "" : " | ") + std::string("[") + lowest + "-" + highest + "] [0-9]{" +
                    std::to_string(n) + "}";
        if (!toNine)
            alts +=
                (alts.empty() ? "" : " | ") + literal(b.substr(0, 1)) + " " + sameLength(std::string(n, '0'), restB);
        return "( " + alts + " )";
    }

    // Integers within the bounds (and within the 15 digits every integer here has).
    std::string compileIntegerRange(const Bound &lo, const Bound &hi, const std::string &path)
    {
        // Rounded to whole numbers first, then checked against the 15 digits integers have here, then clamped.
        const double fromValue =
            lo.set ? (lo.exclusive ? std::floor(lo.value) + 1 : std::ceil(lo.value)) : -double(kMaxMagnitude);
        const double toValue =
            hi.set ? (hi.exclusive ? std::ceil(hi.value) - 1 : std::floor(hi.value)) : double(kMaxMagnitude);
        if (fromValue > toValue || fromValue > double(kMaxMagnitude) || toValue < -double(kMaxMagnitude))
            fail("no integer of at most 15 digits is within the bounds at " + at(path));
        const int64_t from = int64_t(std::max(fromValue, -double(kMaxMagnitude)));
        const int64_t to = int64_t(std::min(toValue, double(kMaxMagnitude)));
        std::string alts;
        if (to >= 0)
            alts = digitsRange(std::max<int64_t>(from, 0), to);
        if (from < 0)
            alts += (alts.empty() ? "" : " | ") + std::string("\"-\" ") + digitsRange(std::max<int64_t>(-to, 1), -from);
        return rule(alts);
    }

    // Numbers within bounds that are whole numbers (0, 1, 100: what schemas say; zod's positive() is
    // exclusiveMinimum 0), written without an exponent, with at most 9 integer and 6 fraction digits: 15 significant
    // digits, so that no text rounds onto a bound it must not reach ("5.9999999999999999" is 6.0 as a double). Other
    // bounds are refused by name.
    std::string compileNumberRange(const Bound &lo, const Bound &hi, const std::string &path)
    {
        for (const auto &[b, key] : {std::pair{lo, "minimum"}, std::pair{hi, "maximum"}})
            if (b.set && (b.value != std::floor(b.value) || std::abs(b.value) > double(kMaxBoundedMagnitude)))
                fail("'" + std::string(key) + "' at " + at(path) +
                     " is supported for numbers as a whole number up to " + std::to_string(kMaxBoundedMagnitude) +
                     " only");
        if (lo.set && hi.set && (lo.value > hi.value || (lo.value == hi.value && (lo.exclusive || hi.exclusive))))
            fail("no number is within the bounds at " + at(path));
        std::string alts;
        // x >= 0, written as a magnitude: from max(lo, 0) up to hi.
        if (!hi.set || hi.value > 0 || (hi.value == 0 && !hi.exclusive)) {
            const bool fromLo = lo.set && lo.value >= 0;
            alts = magnitude(fromLo ? int64_t(lo.value) : 0, fromLo && lo.exclusive,
                             hi.set ? std::optional<int64_t>(int64_t(hi.value)) : std::nullopt, hi.exclusive);
        }
        // x < 0: "-" and a magnitude above 0 (and at least -hi when hi < 0), up to -lo.
        if (!lo.set || lo.value < 0) {
            const bool fromHi = hi.set && hi.value < 0;
            alts += (alts.empty() ? "" : " | ") + std::string("\"-\" ") +
                    magnitude(fromHi ? int64_t(-hi.value) : 0, fromHi ? hi.exclusive : true,
                              lo.set ? std::optional<int64_t>(int64_t(-lo.value)) : std::nullopt, lo.exclusive);
        }
        return rule(alts);
    }
    // Decimal magnitudes m with low <= m (low < m when lowExclusive) and m <= high (m < high), high absent = none.
    std::string magnitude(int64_t low, bool lowExclusive, std::optional<int64_t> high, bool highExclusive)
    {
        const std::string anyFraction = R"(( "." [0-9]{1,6} )?)", zeroFraction = R"(( "." "0"{1,6} )?)",
                          nonzeroFraction = R"("." [0-9]{0,5} [1-9])";
        std::string alts;
        const auto add = [&alts](const std::string &alt) { alts += (alts.empty() ? "" : " | ") + alt; };
        const int64_t between = low + 1, upTo = high ? *high - 1 : kMaxBoundedMagnitude;
        if (between <= upTo)
            add(digitsRange(between, upTo) + " " + anyFraction);
        if (!high || low < *high)
            add(literal(std::to_string(low)) + " " + (lowExclusive ? nonzeroFraction : anyFraction));
        else if (!lowExclusive && !highExclusive)
            add(literal(std::to_string(low)) + " " + zeroFraction);
        if (high && *high > low && !highExclusive)
            add(literal(std::to_string(*high)) + " " + zeroFraction);
        return "( " + alts + " )";
    }

    std::string compileRef(const ojson &schema, const std::string &path)
    {
        const auto &ref = schema["$ref"];
        if (!ref.is_string())
            fail("'$ref' at " + at(path) + " must be a string");
        const std::string target = ref.get<std::string>();
        if (auto it = refRules_.find(target); it != refRules_.end())
            return it->second;
        if (target.empty() || target[0] != '#')
            fail("'$ref' at " + at(path) + " must point into this schema (\"#/$defs/...\"), not to '" + target + "'");
        const ojson *node = nullptr;
        try {
            node = &root_->at(ojson::json_pointer(target.substr(1)));
        } catch (const ojson::exception &) {
            fail("'$ref' at " + at(path) + " points to '" + target + "', which is not in the schema");
        }
        // Named before it is compiled, so a schema can refer to itself (trees, linked lists).
        const std::string name = "s" + std::to_string(++counter_);
        refRules_.emplace(target, name);
        const size_t slot = rules_.size();
        rules_.emplace_back(name, "");
        rules_[slot].second = compile(*node, target.substr(1));
        return name;
    }

    std::string compileString(const ojson &schema, const std::string &path)
    {
        std::string format;
        if (const auto f = schema.find("format"); f != schema.end() && f->is_string())
            format = f->get<std::string>();
        if (const auto p = schema.find("pattern"); p != schema.end()) {
            // A grammar holds one of pattern, a length or a held format, not their intersection.
            for (const char *other : {"minLength", "maxLength"})
                if (schema.contains(other))
                    fail("'pattern' with '" + std::string(other) + "' at " + at(path) + " is not supported");
            if (format == "date" || format == "time" || format == "date-time" || format == "uuid")
                fail("'pattern' with format '" + format + "' at " + at(path) + " is not supported");
            if (!p->is_string())
                fail("'pattern' at " + at(path) + " must be a string");
            try {
                return rule("\"\\\"\" " + grammar::patternExpression(p->get<std::string>(), use("char")) + " \"\\\"\"");
            } catch (const grammar::PatternError &e) {
                fail("'pattern' at " + at(path) + ": " + e.what());
            }
        }
        // Formats are annotations unless a validator is asked to assert them; the ones a grammar can hold are
        // held, any other is a plain string (as validators treat formats they do not know).
        if (format == "date" || format == "time" || format == "date-time" || format == "uuid")
            return rule("\"\\\"\" " + use(format) + " \"\\\"\"");
        const int64_t min = count(schema, "minLength", path, 0);
        const int64_t max = count(schema, "maxLength", path, -1);
        if (max >= 0 && max < min)
            fail("'maxLength' at " + at(path) + " is below 'minLength'");
        if (min == 0 && max < 0)
            return use("string");
        use("char");
        return rule("\"\\\"\" " + repeat("char", min, max, "'minLength' at " + at(path)) + " \"\\\"\"");
    }

    std::string compileArray(const ojson &schema, const std::string &path)
    {
        refuse(schema, path,
               {"prefixItems", "contains", "minContains", "maxContains", "uniqueItems", "unevaluatedItems"});
        const auto items = schema.find("items");
        const std::string item = items != schema.end() ? compile(*items, path + "/items") : use("value");
        const int64_t min = count(schema, "minItems", path, 0);
        const int64_t max = count(schema, "maxItems", path, -1);
        if (max >= 0 && max < min)
            fail("'maxItems' at " + at(path) + " is below 'minItems'");
        use("ws");
        if (max == 0)
            return rule("\"[\" ws \"]\"");
        const std::string next = rule("ws \",\" ws " + item);
        std::string list =
            item + " " +
            repeat(next, std::max<int64_t>(min - 1, 0), max < 0 ? -1 : max - 1, "'minItems' at " + at(path));
        if (min == 0)
            list = "( " + list + " )?";
        return rule("\"[\" ws " + list + " ws \"]\"");
    }

    std::string compileObject(const ojson &schema, const std::string &path)
    {
        refuse(schema, path,
               {"patternProperties", "propertyNames", "minProperties", "maxProperties", "dependentRequired",
                "dependentSchemas", "unevaluatedProperties"});
        std::vector<std::pair<std::string, const ojson *>> props;
        static const ojson anything = true;
        if (const auto p = schema.find("properties"); p != schema.end()) {
            if (!p->is_object())
                fail("'properties' at " + at(path) + " must be an object");
            for (const auto &[name, sub] : p->items())
                props.emplace_back(name, &sub);
        }
        std::set<std::string> required;
        if (const auto r = schema.find("required"); r != schema.end()) {
            if (!r->is_array())
                fail("'required' at " + at(path) + " must be an array of names");
            for (const ojson &n : *r) {
                if (!n.is_string())
                    fail("'required' at " + at(path) + " must be an array of names");
                const std::string name = n.get<std::string>();
                required.insert(name);
                const bool declared =
                    std::any_of(props.begin(), props.end(), [&](const auto &p) { return p.first == name; });
                if (!declared)
                    props.emplace_back(name, &anything);
            }
        }
        use("ws");
        const auto extra = schema.find("additionalProperties");
        if (props.empty()) {
            if (extra != schema.end() && extra->is_boolean() && !extra->get<bool>())
                return rule("\"{\" ws \"}\"");
            if (extra == schema.end() || extra->is_boolean())
                return use("object");
            // A map: any keys, values of one schema.
            const std::string value = compile(*extra, path + "/additionalProperties");
            const std::string member = rule(use("string") + " ws \":\" ws " + value);
            return rule("\"{\" ws ( " + member + " ( ws \",\" ws " + member + " )* )? ws \"}\"");
        }
        // Only the declared properties are written (extra ones are never required), in order; optional ones may be
        // left out. first(i): the first property written is i or later; rest(i): properties i.. after a comma.
        const size_t n = props.size();
        std::vector<std::string> kv(n);
        for (size_t i = 0; i < n; ++i)
            kv[i] = rule(literal(ojson(props[i].first).dump()) + " ws \":\" ws " +
                         compile(*props[i].second, path + "/properties/" + props[i].first));
        std::vector<std::string> rest(n + 1), first(n + 1);
        rest[n] = first[n] = "";
        for (size_t i = n; i-- > 0;) {
            const bool req = required.count(props[i].first) > 0;
            const std::string withThis = "ws \",\" ws " + kv[i] + (rest[i + 1].empty() ? "" : " " + rest[i + 1]);
            rest[i] = req                   ? rule(withThis)
                      : rest[i + 1].empty() ? rule("( " + withThis + " )?")
                                            : rule(withThis + " | " + rest[i + 1]);
            const std::string startHere = kv[i] + (rest[i + 1].empty() ? "" : " " + rest[i + 1]);
            if (req)
                first[i] = rule(startHere);
            else
                first[i] =
                    first[i + 1].empty() ? rule("( " + startHere + " )?") : rule(startHere + " | " + first[i + 1]);
        }
        return rule("\"{\" ws " + first[0] + " ws \"}\"");
    }
};

namespace grammar {

SchemaGrammar::SchemaGrammar() : d_(std::make_unique<Compiler>()) {}
SchemaGrammar::~SchemaGrammar() = default;

std::string SchemaGrammar::add(const ojson &schema)
{
    return d_->add(schema);
}
std::string SchemaGrammar::primitive(const std::string &name)
{
    return d_->use(name);
}
std::string SchemaGrammar::finish(const std::string &rootBody)
{
    return d_->finish(rootBody);
}
std::string SchemaGrammar::literal(const std::string &text)
{
    return engine::literal(text);
}

} // namespace grammar

std::string jsonGrammar(bool objectOnly)
{
    std::string out = std::string("root ::= ") + (objectOnly ? "object" : "value") + "\n";
    for (const auto &[name, body] : kPrimitives)
        if (name != "date" && name != "time" && name != "date-time" && name != "uuid")
            out += name + " ::= " + body + "\n";
    return out;
}

Result<std::string> grammarFromJsonSchema(std::string_view document, std::string_view pointer)
{
    ojson schema;
    try {
        schema = ojson::parse(document);
        if (!pointer.empty())
            schema = ojson(schema.at(ojson::json_pointer(std::string(pointer))));
    } catch (const ojson::exception &e) {
        return makeError(std::string("json_schema: not JSON: ") + e.what(), ErrorCode::InvalidArgument);
    }
    try {
        grammar::SchemaGrammar builder;
        const std::string expr = builder.add(schema);
        std::string gbnf = builder.finish(expr);
        if (auto parsed = grammar::Grammar::parse(gbnf); !parsed) // a schema the compiler got wrong, not the user
            return makeError("json_schema: internal grammar error: " + parsed.error());
        return gbnf;
    } catch (const grammar::SchemaError &e) {
        return makeError(e.what(), ErrorCode::InvalidArgument);
    } catch (const ojson::exception &e) { // a keyword of the wrong JSON type
        return makeError(std::string("json_schema: ") + e.what(), ErrorCode::InvalidArgument);
    }
}

Result<std::string> jsonAt(std::string_view document, std::string_view pointer)
{
    try {
        const ojson whole = ojson::parse(document);
        return (pointer.empty() ? whole : whole.at(ojson::json_pointer(std::string(pointer)))).dump();
    } catch (const ojson::exception &e) {
        return makeError(std::string("not JSON: ") + e.what(), ErrorCode::InvalidArgument);
    }
}

Result<void> checkGrammar(std::string_view gbnf)
{
    auto parsed = grammar::Grammar::parse(gbnf);
    if (!parsed)
        return makeError(parsed.error(), ErrorCode::InvalidArgument);
    return {};
}

} // namespace smartbot::engine
