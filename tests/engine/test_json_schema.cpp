// grammarFromJsonSchema: which documents a schema's grammar takes (tables of valid and invalid documents), what it
// refuses (naming the keyword and where), and random documents drawn from the grammar parse as JSON.
#include <QtTest>

#include <random>

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
    }
    void documents()
    {
        QFETCH(std::string, schema);
        QFETCH(std::string, document);
        QFETCH(bool, valid);
        QCOMPARE(whole(compiled(schema), document), valid);
    }

    void refusals_data()
    {
        QTest::addColumn<std::string>("schema");
        QTest::addColumn<QString>("error");
        QTest::newRow("not JSON") << std::string("{") << "json_schema: not JSON";
        QTest::newRow("pattern")
            << std::string("{\"type\":\"object\",\"properties\":{\"z\":{\"type\":\"string\",\"pattern\":\"^a\"}}}")
            << "'pattern' at /properties/z is not supported";
        QTest::newRow("minimum") << std::string("{\"type\":\"integer\",\"minimum\":0}")
                                 << "'minimum' at the root is not supported";
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
