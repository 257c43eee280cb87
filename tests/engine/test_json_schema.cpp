// grammarFromJsonSchema: which documents a schema's grammar takes (tables of valid and invalid documents), what it
// refuses (naming the keyword and where), and random documents drawn from the grammar parse as JSON.
#include <QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <regex>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"
#include "grammar/grammar_matcher.h"
#include "smartbot/engine/structured_output.h"

using namespace smartbot::engine;
using json = nlohmann::json;

Q_DECLARE_METATYPE(std::string)

namespace {
std::shared_ptr<const grammar::Grammar> compiled(const std::string &schema)
{
    auto gbnf = grammarFromJsonSchema(schema);
    if (!gbnf)
        qFatal("%s", gbnf.error().c_str());
    auto g = grammar::Grammar::parse(gbnf.value());
    if (!g)
        qFatal("%s\n%s", g.error().c_str(), gbnf.value().c_str());
    return std::make_shared<const grammar::Grammar>(std::move(g.value()));
}

bool whole(const std::shared_ptr<const grammar::Grammar> &g, const std::string &text)
{
    grammar::GrammarMatcher m(g);
    return m.accept(text) && m.canEnd();
}

const char *kPerson =
    "{\"type\": \"object\", \"properties\": { "
    "    \"name\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 5}, "
    "    \"age\": {\"type\": \"integer\"}, "
    "    \"email\": {\"type\": [\"string\", \"null\"]}, "
    "    \"tags\": {\"type\": \"array\", \"items\": {\"enum\": [\"a\", \"b\"]}, \"minItems\": 1, \"maxItems\": 2}}, "
    "  \"required\": [\"name\", \"age\"], \"additionalProperties\": false}";
} // namespace

class TestJsonSchema : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void documents_data()
    {
        QTest::addColumn<std::string>("schema");
        QTest::addColumn<std::string>("document");
        QTest::addColumn<bool>("valid");
        const std::string person = kPerson;
        QTest::newRow("required only") << person << std::string("{\"name\":\"Ann\",\"age\":30}") << true;
        QTest::newRow("all, in order") << person
                                       << std::string(
                                              "{\"name\":\"Ann\",\"age\":-3,\"email\":null,\"tags\":[\"a\",\"b\"]}")
                                       << true;
        QTest::newRow("whitespace") << person << std::string("{ \"name\": \"Bo\",\n  \"age\": 0 }") << true;
        QTest::newRow("skip a middle optional")
            << person << std::string("{\"name\":\"Ann\",\"age\":1,\"tags\":[\"b\"]}") << true;
        QTest::newRow("missing required") << person << std::string("{\"name\":\"Ann\"}") << false;
        QTest::newRow("name too long") << person << std::string("{\"name\":\"Annabel\",\"age\":1}") << false;
        QTest::newRow("empty name") << person << std::string("{\"name\":\"\",\"age\":1}") << false;
        QTest::newRow("float for integer") << person << std::string("{\"name\":\"A\",\"age\":1.5}") << false;
        QTest::newRow("leading zero") << person << std::string("{\"name\":\"A\",\"age\":01}") << false;
        QTest::newRow("too many tags") << person
                                       << std::string("{\"name\":\"A\",\"age\":1,\"tags\":[\"a\",\"a\",\"a\"]}")
                                       << false;
        QTest::newRow("no tags in list") << person << std::string("{\"name\":\"A\",\"age\":1,\"tags\":[]}") << false;
        QTest::newRow("not in enum") << person << std::string("{\"name\":\"A\",\"age\":1,\"tags\":[\"c\"]}") << false;
        QTest::newRow("extra property") << person << std::string("{\"name\":\"A\",\"age\":1,\"x\":1}") << false;
        QTest::newRow("escaped string") << person << std::string("{\"name\":\"\\\"\\u00e9\\n\",\"age\":1}") << true;
        QTest::newRow("raw newline in string") << person << std::string("{\"name\":\"a\nb\",\"age\":1}") << false;

        const std::string tree = "{\"$defs\": {\"node\": {\"type\": \"object\", \"properties\": { "
                                 "            \"v\": {\"type\": \"number\"}, \"kids\": {\"type\": \"array\", "
                                 "\"items\": {\"$ref\": \"#/$defs/node\"}}}, "
                                 "            \"required\": [\"v\", \"kids\"]}}, \"$ref\": \"#/$defs/node\"}";
        QTest::newRow("recursive $ref") << tree << std::string("{\"v\":1.5e3,\"kids\":[{\"v\":2,\"kids\":[]}]}")
                                        << true;
        QTest::newRow("recursive $ref, bad leaf") << tree << std::string("{\"v\":1,\"kids\":[{\"v\":2}]}") << false;

        const std::string any = "{\"anyOf\": [{\"type\": \"boolean\"}, {\"const\": {\"k\": [1, \"x\"]}}]}";
        QTest::newRow("anyOf boolean") << any << std::string("false") << true;
        QTest::newRow("anyOf const") << any << std::string("{\"k\":[1,\"x\"]}") << true;
        QTest::newRow("anyOf neither") << any << std::string("1") << false;

        const std::string dates = "{\"type\": \"array\", \"items\": {\"type\": \"string\", \"format\": \"date-time\"}}";
        QTest::newRow("date-time") << dates << std::string("[\"2026-12-01T23:59:07.5Z\",\"2026-01-31T00:00:00+08:00\"]")
                                   << true;
        QTest::newRow("date-time, month 13") << dates << std::string("[\"2026-13-01T00:00:00Z\"]") << false;
        const std::string uuid = "{\"type\": \"string\", \"format\": \"uuid\"}";
        QTest::newRow("uuid") << uuid << std::string("\"123e4567-e89b-12d3-a456-426614174000\"") << true;
        QTest::newRow("uuid, short") << uuid << std::string("\"123e4567\"") << false;
        QTest::newRow("unknown format is a string")
            << std::string("{\"type\":\"string\",\"format\":\"email\"}") << std::string("\"not an email\"") << true;
        QTest::newRow("map") << std::string("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}")
                             << std::string("{\"a\":1,\"b\":2}") << true;
        QTest::newRow("map, wrong value")
            << std::string("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}")
            << std::string("{\"a\":\"x\"}") << false;
        QTest::newRow("empty schema: any value") << std::string("{}") << std::string("[1,{\"a\":null},\"s\"]") << true;
        QTest::newRow("nullable") << std::string("{\"type\":\"integer\",\"nullable\":true}") << std::string("null")
                                  << true;
        // Named groups (std::regex, the reference of patterns(), has none) and a non-ASCII class.
        const std::string named = "{\"type\":\"string\",\"pattern\":\"^(?<id>[ab]{2})-[\u00e9-\u00ea]$\"}";
        QTest::newRow("pattern, no type") << std::string("{\"pattern\":\"^a+$\"}") << std::string("\"aa\"") << true;
        QTest::newRow("pattern, no type, mismatch")
            << std::string("{\"pattern\":\"^a+$\"}") << std::string("\"ab\"") << false;
        QTest::newRow("bound, no type") << std::string("{\"minimum\":5}") << std::string("7.5") << true;
        QTest::newRow("bound, no type, below") << std::string("{\"minimum\":5}") << std::string("3") << false;
        QTest::newRow("named group") << named << std::string("\"ab-\\u00e9\"") << false; // an escape: narrowed away
        QTest::newRow("named group, plain") << named << std::string("\"ab-\xc3\xa9\"") << true;
        QTest::newRow("named group, outside") << named << std::string("\"ab-e\"") << false;
    }
    void documents()
    {
        QFETCH(std::string, schema);
        QFETCH(std::string, document);
        QFETCH(bool, valid);
        QCOMPARE(whole(compiled(schema), document), valid);
    }

    // Bounds on integers, checked against their definition for every integer from -2,500 to 2,500 and some large
    // ones: the grammar takes exactly those within the bounds.
    void integerBounds_data()
    {
        QTest::addColumn<std::string>("bounds"); // JSON members added to {"type": "integer"}
        QTest::addColumn<double>("lo");          // inclusive; +-inf: none
        QTest::addColumn<double>("hi");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("minimum 0") << std::string("\"minimum\":0") << 0.0 << inf;
        QTest::newRow("maximum 10") << std::string("\"maximum\":10") << -inf << 10.0;
        QTest::newRow("-5..5") << std::string("\"minimum\":-5,\"maximum\":5") << -5.0 << 5.0;
        QTest::newRow("positive (zod)") << std::string("\"exclusiveMinimum\":0") << 1.0 << inf;
        QTest::newRow("below 100") << std::string("\"exclusiveMaximum\":100") << -inf << 99.0;
        QTest::newRow("just 7") << std::string("\"minimum\":7,\"maximum\":7") << 7.0 << 7.0;
        QTest::newRow("-1000..-10") << std::string("\"minimum\":-1000,\"maximum\":-10") << -1000.0 << -10.0;
        QTest::newRow("99..1001") << std::string("\"minimum\":99,\"maximum\":1001") << 99.0 << 1001.0;
        QTest::newRow("123..2099") << std::string("\"minimum\":123,\"maximum\":2099") << 123.0 << 2099.0;
        QTest::newRow("fractional bounds") << std::string("\"minimum\":2.5,\"maximum\":9.5") << 3.0 << 9.0;
        QTest::newRow("draft 4 exclusive") << std::string("\"minimum\":3,\"exclusiveMinimum\":true") << 4.0 << inf;
        QTest::newRow("tighter of two") << std::string("\"minimum\":3,\"exclusiveMinimum\":10") << 11.0 << inf;
        QTest::newRow("zod int (safe range)")
            << std::string("\"minimum\":-9007199254740991,\"maximum\":9007199254740991") << -inf << inf;
    }
    void integerBounds()
    {
        QFETCH(std::string, bounds);
        QFETCH(double, lo);
        QFETCH(double, hi);
        const auto g = compiled("{\"type\":\"integer\"," + bounds + "}");
        std::vector<int64_t> values;
        for (int64_t v = -2500; v <= 2500; ++v)
            values.push_back(v);
        for (int64_t v : {int64_t(10000), int64_t(-99999), int64_t(123456789), int64_t(999999999999999)})
            values.push_back(v);
        for (int64_t v : values) {
            const bool within = double(v) >= lo && double(v) <= hi;
            QVERIFY2(whole(g, std::to_string(v)) == within, std::to_string(v).c_str());
        }
        QVERIFY(!whole(g, "1.0"));
        QVERIFY(!whole(g, "007") || lo > 7 || hi < 7); // no leading zeros either way
    }

    // Bounds on numbers (whole-number bounds), against their definition over decimals -12.75 .. 12.75 in steps of
    // a quarter and a few with many digits. Excluded from the check, because the grammar narrows them away: a
    // fraction with trailing zeros at an exclusive bound ("0.10" for > 0) and negative zero.
    void numberBounds_data()
    {
        QTest::addColumn<std::string>("bounds");
        QTest::addColumn<double>("lo");
        QTest::addColumn<bool>("loExclusive");
        QTest::addColumn<double>("hi");
        QTest::addColumn<bool>("hiExclusive");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("minimum 0") << std::string("\"minimum\":0") << 0.0 << false << inf << false;
        QTest::newRow("0..1") << std::string("\"minimum\":0,\"maximum\":1") << 0.0 << false << 1.0 << false;
        QTest::newRow("positive") << std::string("\"exclusiveMinimum\":0") << 0.0 << true << inf << false;
        QTest::newRow("-1..1") << std::string("\"minimum\":-1,\"maximum\":1") << -1.0 << false << 1.0 << false;
        QTest::newRow("-10..<-2") << std::string("\"minimum\":-10,\"exclusiveMaximum\":-2") << -10.0 << false << -2.0
                                  << true;
        QTest::newRow("maximum 0") << std::string("\"maximum\":0") << -inf << false << 0.0 << false;
        QTest::newRow("negative") << std::string("\"exclusiveMaximum\":0") << -inf << false << 0.0 << true;
        QTest::newRow(">3..<5") << std::string("\"exclusiveMinimum\":3,\"exclusiveMaximum\":5") << 3.0 << true << 5.0
                                << true;
    }
    void numberBounds()
    {
        QFETCH(std::string, bounds);
        QFETCH(double, lo);
        QFETCH(bool, loExclusive);
        QFETCH(double, hi);
        QFETCH(bool, hiExclusive);
        const auto g = compiled("{\"type\":\"number\"," + bounds + "}");
        std::vector<std::string> texts;
        for (int q = -51; q <= 51; ++q) {
            const int whole4 = std::abs(q) / 4, frac = std::abs(q) % 4;
            const std::string sign = q < 0 ? "-" : "";
            const char *fractions[] = {"", ".25", ".5", ".75"};
            texts.push_back(sign + std::to_string(whole4) + fractions[frac]);
            if (frac == 0)
                texts.push_back(sign + std::to_string(whole4) + ".0");
        }
        for (const char *t : {"0.000001", "4.999999", "-2.000001", "1000000", "-1000000", "0.123456"})
            texts.push_back(t);
        for (const std::string &t : texts) {
            const double v = std::stod(t);
            if (v == 0 && t[0] == '-')
                continue; // negative zero
            const bool aboveLo = loExclusive ? v > lo : v >= lo, belowHi = hiExclusive ? v < hi : v <= hi;
            QVERIFY2(whole(g, t) == (aboveLo && belowHi), t.c_str());
        }
        QVERIFY(!whole(g, "1e2"));       // bounded numbers are written without an exponent,
        QVERIFY(!whole(g, "0.1234567")); // nor more than 6 fraction digits (never rounding onto a bound)
    }

    // Patterns, checked against std::regex's ECMAScript search (JSON Schema's semantics) on every string of up to
    // three characters over an alphabet that includes what JSON escapes, plus chosen longer ones: the grammar takes a
    // JSON string exactly when its value matches.
    void patterns_data()
    {
        QTest::addColumn<std::string>("pattern");
        for (const char *p : {"^[a-z]+$",
                              "^\\d{3}-\\d{2}$",
                              "ab",
                              "^(foo|ba[rz])*$",
                              "^[^a\"]{0,3}$",
                              "^\\w+@\\w+\\.com$",
                              "^.?x",
                              "\\s",
                              "^a{2,}b?$",
                              "^(?:[0-9a-f]{2})+$",
                              "c$",
                              "^[-.\\\\]+$",
                              "^\"\\n?$",
                              "^\\S\\S$",
                              "^(?:[ab]{2})$",
                              "^[\\d.]*$",
                              "^$",
                              "a|^b|c$",
                              "^\\x41\\u0062?$",
                              "^[^\\n]+$",
                              "^\\D*$",
                              "x+?y*?$"})
            QTest::newRow(p) << std::string(p);
    }
    void patterns()
    {
        QFETCH(std::string, pattern);
        const auto g = compiled(json{{"type", "string"}, {"pattern", pattern}}.dump());
        const std::regex re(pattern, std::regex::ECMAScript);
        const std::string alphabet[] = {"a", "b", "x", "f", "0", "-", ".", "\"", "\\", "\n", " ", "@"};
        std::vector<std::string> texts{"",    "foo",  "bar", "baz", "foobarbaz", "123-45", "ab@cd.com", "deadbeef",
                                       "aab", "aaaa", "Ab",  "A",   "xyz",       "bbbc",   "a b",       "x\ny"};
        std::vector<std::string> layer{""};
        for (int len = 1; len <= 3; ++len) {
            std::vector<std::string> longer;
            for (const std::string &s : layer)
                for (const std::string &c : alphabet)
                    longer.push_back(s + c);
            texts.insert(texts.end(), longer.begin(), longer.end());
            layer = std::move(longer);
        }
        for (const std::string &text : texts) {
            const bool expected = std::regex_search(text, re);
            QVERIFY2(whole(g, json(text).dump()) == expected, (json(text).dump() + " vs " + pattern).c_str());
        }
    }

    void refusals_data()
    {
        QTest::addColumn<std::string>("schema");
        QTest::addColumn<QString>("error");
        QTest::newRow("not JSON") << std::string("{") << "json_schema: not JSON";
        QTest::newRow("pattern with lookahead")
            << std::string("{\"type\":\"object\",\"properties\":{\"z\":{\"type\":\"string\",\"pattern\":\"^(?=a)\"}}}")
            << "'pattern' at /properties/z: lookaround";
        const auto pattern = [](const char *p) { return json{{"type", "string"}, {"pattern", p}}.dump(); };
        QTest::newRow("backreference") << pattern("(a)\\1") << "backreferences";
        QTest::newRow("word boundary") << pattern("\\bx") << "word boundaries";
        QTest::newRow("property escape") << pattern("\\p{L}") << "Unicode property";
        QTest::newRow("inner anchor") << pattern("a^b") << "'^' is supported at the start";
        QTest::newRow("anchor in a group") << pattern("(^a)") << "'^' is supported at the start";
        QTest::newRow("inner end anchor") << pattern("(a$)") << "'$' is supported at the end";
        QTest::newRow("range out of order") << pattern("[z-a]") << "out of order";
        QTest::newRow("nothing to repeat") << pattern("*a") << "nothing to repeat";
        QTest::newRow("open group") << pattern("(ab") << "not closed";
        QTest::newRow("stray paren") << pattern("ab)") << "unbalanced";
        QTest::newRow("empty class") << pattern("[]") << "matches nothing";
        QTest::newRow("pattern and maxLength")
            << std::string("{\"type\":\"string\",\"pattern\":\"a\",\"maxLength\":3}") << "'pattern' with 'maxLength'";
        QTest::newRow("multipleOf") << std::string("{\"type\":\"integer\",\"multipleOf\":3}")
                                    << "'multipleOf' at the root is not supported";
        QTest::newRow("fractional number bound") << std::string("{\"type\":\"number\",\"minimum\":0.5}")
                                                 << "'minimum' at the root is supported for numbers as a whole number";
        QTest::newRow("empty integer range") << std::string("{\"type\":\"integer\",\"minimum\":5,\"maximum\":4.5}")
                                             << "no integer of at most 15 digits is within the bounds";
        QTest::newRow("empty number range")
            << std::string("{\"type\":\"number\",\"minimum\":1,\"exclusiveMaximum\":1}") << "no number is within";
        QTest::newRow("integer bound past 15 digits")
            << std::string("{\"type\":\"integer\",\"minimum\":1e16}") << "no integer of at most 15 digits";
        QTest::newRow("exclusive bound at 15 digits")
            << std::string("{\"type\":\"integer\",\"exclusiveMinimum\":999999999999999}")
            << "no integer of at most 15 digits";
        QTest::newRow("bound beside enum")
            << std::string("{\"enum\":[1,2],\"minimum\":2}") << "'minimum' beside 'enum' at the root";
        QTest::newRow("pattern beside anyOf")
            << std::string("{\"anyOf\":[{\"type\":\"string\"}],\"pattern\":\"a\"}") << "'pattern' beside 'anyOf'";
        QTest::newRow("empty-matching repetition") << pattern("^(a?|b?){64}$") << "can match nothing";
        QTest::newRow("empty-matching star") << pattern("^([a-z]*,?)*$") << "can match nothing";
        QTest::newRow("bound not a number")
            << std::string("{\"type\":\"integer\",\"maximum\":\"9\"}") << "'maximum' at the root must be a number";
        QTest::newRow("uniqueItems") << std::string("{\"type\":\"array\",\"uniqueItems\":true}") << "'uniqueItems'";
        QTest::newRow("not") << std::string("{\"not\":{\"type\":\"null\"}}") << "'not' at the root is not supported";
        QTest::newRow("remote $ref") << std::string("{\"$ref\":\"other.json#/$defs/x\"}")
                                     << "must point into this schema";
        QTest::newRow("dangling $ref") << std::string("{\"$ref\":\"#/$defs/nope\"}") << "not in the schema";
        QTest::newRow("false") << std::string("false") << "matches nothing";
        QTest::newRow("unknown type") << std::string("{\"type\":\"float\"}") << "unknown type 'float'";
        QTest::newRow("allOf of two") << std::string("{\"allOf\":[{},{}]}") << "one schema only";
        QTest::newRow("min above max") << std::string("{\"type\":\"string\",\"minLength\":3,\"maxLength\":2}")
                                       << "below 'minLength'";
        QTest::newRow("negative count") << std::string("{\"type\":\"array\",\"maxItems\":-1}")
                                        << "'maxItems' at the root must be a non-negative integer";
        std::string deep = "{\"type\":\"string\"}";
        for (int i = 0; i < 70; ++i)
            deep = "{\"type\":\"array\",\"items\":" + deep + "}";
        QTest::newRow("too deep") << deep << "nested more than 64 levels deep";
        QTest::newRow("nullable not bool")
            << std::string("{\"type\":\"string\",\"nullable\":\"yes\"}") << "json_schema";
    }
    void refusals()
    {
        QFETCH(std::string, schema);
        QFETCH(QString, error);
        auto gbnf = grammarFromJsonSchema(schema);
        QVERIFY(!gbnf);
        QVERIFY2(QString::fromStdString(gbnf.error()).contains(error), gbnf.error().c_str());
    }

    // Byte-by-byte random walks through the grammar: every text it lets end is JSON with the required keys.
    void randomDocumentsParse()
    {
        for (const std::string &schema : {std::string(kPerson), jsonGrammar(true)}) {
            const bool isSchema = schema.rfind("root ::=", 0) != 0; // a schema, not jsonGrammar()'s GBNF
            std::shared_ptr<const grammar::Grammar> g;
            if (isSchema) {
                g = compiled(schema);
            } else {
                auto p = grammar::Grammar::parse(schema);
                QVERIFY(p.ok());
                g = std::make_shared<const grammar::Grammar>(std::move(p.value()));
            }
            std::mt19937 rng(11);
            for (int doc = 0; doc < 200; ++doc) {
                grammar::GrammarMatcher m(g);
                std::string text;
                while (text.size() < 4000) {
                    if (m.canEnd() && (text.size() > 60 || rng() % 4 == 0))
                        break;
                    std::vector<uint8_t> options;
                    const size_t mark = m.mark();
                    grammar::GrammarMatcher::State next;
                    for (int b = 0; b < 256; ++b) {
                        m.advance(m.state(), uint8_t(b), next);
                        if (!next.empty())
                            options.push_back(uint8_t(b));
                    }
                    m.rollback(mark);
                    if (options.empty() && m.canEnd()) // complete, and nothing may follow
                        break;
                    QVERIFY2(!options.empty(), text.c_str());
                    // Lean towards closing once the text is long, so walks end.
                    uint8_t pick = options[rng() % options.size()];
                    if (text.size() > 40)
                        for (const char closer : std::string_view("\"}]"))
                            if (std::find(options.begin(), options.end(), uint8_t(closer)) != options.end() &&
                                rng() % 2)
                                pick = uint8_t(closer);
                    QVERIFY(m.accept(std::string(1, char(pick))));
                    text += char(pick);
                }
                QVERIFY2(m.canEnd(), text.c_str());
                json parsedDoc;
                try {
                    parsedDoc = json::parse(text);
                } catch (const json::exception &e) {
                    QFAIL(qPrintable(QString::fromStdString(text + ": " + e.what())));
                }
                QVERIFY(parsedDoc.is_object());
                if (isSchema) {
                    QVERIFY2(parsedDoc.contains("name") && parsedDoc["name"].is_string(), text.c_str());
                    QVERIFY2(parsedDoc.contains("age") && parsedDoc["age"].is_number_integer(), text.c_str());
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestJsonSchema)
#include "test_json_schema.moc"
