// Grammar (GBNF parsing), GrammarMatcher (byte-level matching), the UTF-8 range compiler and TokenConstraint (which
// tokens a grammar allows), against tables of texts and against brute force.
#include <QtTest>

#include "require_data.h"

#include <random>

#include "grammar/grammar.h"
#include "grammar/grammar_matcher.h"
#include "grammar/token_constraint.h"
#include "grammar/utf8_ranges.h"
#include "smartbot/engine/structured_output.h"
#include "smartbot/engine/tokenizer.h"

using namespace smartbot::engine;
using namespace smartbot::engine::grammar;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(std::vector<CodeRange>)

namespace {
const std::string kModelDir = std::string(SMARTBOT_SHARED_DIR) + "/models/stories260K";

std::shared_ptr<const Grammar> parsed(const std::string &gbnf)
{
    auto g = Grammar::parse(gbnf);
    if (!g)
        qFatal("%s", g.error().c_str());
    return std::make_shared<const Grammar>(std::move(g.value()));
}

// "whole": the text is a complete sentence of the grammar; "prefix": it can still be continued into one.
QString classify(const std::string &gbnf, const std::string &text)
{
    GrammarMatcher m(parsed(gbnf));
    if (!m.accept(text))
        return "refused";
    return m.canEnd() ? "whole" : "prefix";
}
} // namespace

class TestGrammar : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matching_data()
    {
        QTest::addColumn<std::string>("gbnf");
        QTest::addColumn<std::string>("text");
        QTest::addColumn<QString>("expected");
        const std::string yesNo = "root ::= \"yes\" | \"no\"";
        QTest::newRow("literal") << yesNo << std::string("yes") << "whole";
        QTest::newRow("literal prefix") << yesNo << std::string("ye") << "prefix";
        QTest::newRow("literal refused") << yesNo << std::string("yes!") << "refused";
        QTest::newRow("empty text") << yesNo << std::string() << "prefix";
        const std::string digits = "root ::= [0-9]+ (\".\" [0-9]{2})?";
        QTest::newRow("plus") << digits << std::string("2024") << "whole";
        QTest::newRow("optional group") << digits << std::string("19.9") << "prefix";
        QTest::newRow("bounded repeat") << digits << std::string("19.99") << "whole";
        QTest::newRow("beyond the bound") << digits << std::string("19.999") << "refused";
        const std::string list = "root ::= \"[\" item (\",\" item)* \"]\"\nitem ::= [a-z]{1,3}";
        QTest::newRow("multi-line rules") << list << std::string("[ab,c,def]") << "whole";
        QTest::newRow("item too long") << list << std::string("[abcd]") << "refused";
        const std::string nested = "root ::= pair\npair ::= \"(\" pair? \")\"";
        QTest::newRow("recursion") << nested << std::string("((()))") << "whole";
        QTest::newRow("recursion open") << nested << std::string("((()") << "prefix";
        QTest::newRow("recursion unbalanced") << nested << std::string("())") << "refused";
        const std::string notQuote = "root ::= \"\\\"\" [^\"\\\\]* \"\\\"\"";
        QTest::newRow("negated class, Chinese") << notQuote << std::string("\"你好, world\"") << "whole";
        QTest::newRow("negated class refuses") << notQuote << std::string("\"a\"b") << "refused";
        QTest::newRow("half a character") << notQuote << std::string("\"\xE4\xBD") << "prefix";
        QTest::newRow("invalid UTF-8") << notQuote << std::string("\"\xC0\x80") << "refused";
        QTest::newRow("surrogate bytes") << notQuote << std::string("\"\xED\xA0\x80") << "refused";
        const std::string han = "root ::= [一-龥]{2}";
        QTest::newRow("class of Chinese") << han << std::string("中文") << "whole";
        QTest::newRow("outside the class") << han << std::string("中a") << "refused";
        QTest::newRow("any char") << std::string("root ::= . . \"!\"") << std::string("é😀!") << "whole";
        QTest::newRow("escapes") << std::string("root ::= \"\\x41\\u00e9\\n\\t\"") << std::string("Aé\n\t") << "whole";
        QTest::newRow("comment") << std::string("# greeting\nroot ::= \"hi\" # trailing\n") << std::string("hi")
                                 << "whole";
        QTest::newRow("empty alternative") << std::string("root ::= \"a\" | ") << std::string() << "whole";
        QTest::newRow("exact count") << std::string("root ::= \"ab\"{3}") << std::string("ababab") << "whole";
        // Ambiguity that doubles the parallel stacks with every byte stops at GrammarMatcher::kMaxStacks.
        QTest::newRow("runaway ambiguity") << std::string("root ::= . | . root+") << std::string(40, 'a') << "refused";
        QTest::newRow("at least") << std::string("root ::= \"x\"{2,}") << std::string("x") << "prefix";
    }
    void matching()
    {
        QFETCH(std::string, gbnf);
        QFETCH(std::string, text);
        QFETCH(QString, expected);
        QCOMPARE(classify(gbnf, text), expected);
    }

    // Expansion through rules that can match nothing is capped (kMaxExpandSteps): 2^64 ways past this repetition
    // would otherwise hang the worker. Such a grammar refuses input; one just under the cap still works.
    void emptyPathsAreCapped()
    {
        GrammarMatcher runaway(parsed("root ::= ( \"a\"? | \"b\"? ){64} \"c\""));
        QVERIFY(runaway.state().empty());
        QVERIFY(!runaway.accept("c"));
        QCOMPARE(classify("root ::= ( \"a\"? | \"b\"? ){8} \"c\"", "abc"), QString("whole"));
    }

    void parseErrors_data()
    {
        QTest::addColumn<std::string>("gbnf");
        QTest::addColumn<QString>("error");
        QTest::newRow("no root") << std::string("start ::= \"a\"") << "no 'root' rule";
        QTest::newRow("undefined") << std::string("root ::= item") << "rule 'item' is used but not defined";
        QTest::newRow("defined twice") << std::string("root ::= \"a\"\nroot ::= \"b\"") << "defined twice";
        QTest::newRow("left recursion") << std::string("root ::= root \"a\" | \"b\"") << "left-recursive";
        QTest::newRow("hidden left recursion")
            << std::string("root ::= opt root \"a\" | \"b\"\nopt ::= \"x\"?") << "left-recursive";
        QTest::newRow("unterminated literal") << std::string("root ::= \"abc") << "line 1, column 14";
        QTest::newRow("unterminated class") << std::string("root ::= [a-z") << "unterminated character class";
        QTest::newRow("backwards range") << std::string("root ::= [z-a]") << "backwards";
        QTest::newRow("missing ::=") << std::string("root = \"a\"") << "expected '::='";
        QTest::newRow("bad escape") << std::string("root ::= \"\\q\"") << "unknown escape";
        QTest::newRow("unbalanced") << std::string("root ::= (\"a\"") << "expected ')'";
        QTest::newRow("n below m") << std::string("root ::= \"a\"{3,2}") << "n < m";
        QTest::newRow("huge repeat") << std::string("root ::= \"a\"{99999}") << "above 4096";
        QTest::newRow("nested too deep") << "root ::= " + std::string(200, '(') + "\"a\"" + std::string(200, ')')
                                         << "nested more than 128 deep";
        std::string many = "root ::=";
        for (int i = 0; i < 30; ++i)
            many += " \"a\"{0,4000}";
        QTest::newRow("too many rules") << many << "too large";
        QTest::newRow("line numbers") << std::string("root ::= x\nx ::= \"a\" @") << "line 2, column 11";
    }
    void parseErrors()
    {
        QFETCH(std::string, gbnf);
        QFETCH(QString, error);
        auto g = Grammar::parse(gbnf);
        QVERIFY(!g);
        QVERIFY2(QString::fromStdString(g.error()).contains(error), g.error().c_str());
        QVERIFY(!checkGrammar(gbnf));
    }

    // Every code point's encoding is accepted exactly when the code point is in the class.
    void utf8RangesExhaustive_data()
    {
        QTest::addColumn<std::vector<CodeRange>>("ranges");
        QTest::newRow("one range per length boundary") << std::vector<CodeRange>{{0x70, 0x90}, {0x7F0, 0x810}};
        QTest::newRow("across surrogates") << std::vector<CodeRange>{{0xD000, 0xE100}};
        QTest::newRow("odd edges") << std::vector<CodeRange>{{0x1234, 0x5678}, {0x10FFF0, 0x10FFFF}};
        QTest::newRow("complement of ASCII") << complement({{0, 0x7F}});
        QTest::newRow("everything") << std::vector<CodeRange>{{0, 0x10FFFF}};
    }
    void utf8RangesExhaustive()
    {
        QFETCH(std::vector<CodeRange>, ranges);
        const auto seqs = utf8Sequences(ranges);
        auto inClass = [&](char32_t cp) {
            for (const auto &r : ranges)
                if (cp >= r.lo && cp <= r.hi)
                    return !(cp >= 0xD800 && cp <= 0xDFFF);
            return false;
        };
        for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            std::string bytes;
            appendUtf8(bytes, cp);
            bool matched = false;
            for (const auto &seq : seqs) {
                if (seq.size() != bytes.size())
                    continue;
                bool all = true;
                for (size_t i = 0; i < seq.size() && all; ++i)
                    all = uint8_t(bytes[i]) >= seq[i].first && uint8_t(bytes[i]) <= seq[i].second;
                matched = matched || all;
            }
            if (matched != inClass(cp))
                QFAIL(qPrintable(QString("U+%1: matched %2").arg(uint(cp), 0, 16).arg(matched)));
        }
    }

    // The mask TokenConstraint builds over the trie equals asking allows() of every token, at every step of
    // random walks through a JSON grammar with the real stories260K vocabulary (byte-fallback tokens included).
    void maskEqualsBruteForce()
    {
        REQUIRE_DATA(kModelDir + "/tokenizer.json");
        auto tok = Tokenizer::load(kModelDir + "/tokenizer.json", kModelDir + "/tokenizer_config.json");
        QVERIFY(tok.ok());
        const std::vector<int32_t> stops{tok.value()->eosId()};
        auto table = std::make_shared<const TokenTable>(*tok.value(), tok.value()->vocabSize(), stops);
        const auto g = parsed(jsonGrammar(true));
        std::mt19937 rng(5);
        int steps = 0, ended = 0;
        for (int walk = 0; walk < 20; ++walk) {
            TokenConstraint c(g, table);
            std::string text;
            for (int i = 0; i < 60; ++i, ++steps) {
                const std::vector<uint64_t> bits = c.mask();
                std::vector<int32_t> allowed;
                for (int32_t id = 0; id < int32_t(table->vocab()); ++id) {
                    const bool inMask = (bits[size_t(id) >> 6] >> (id & 63)) & 1;
                    if (inMask != c.allows(id))
                        QFAIL(qPrintable(
                            QString("walk %1 step %2 token %3: mask %4").arg(walk).arg(i).arg(id).arg(inMask)));
                    if (inMask)
                        allowed.push_back(id);
                }
                QVERIFY(!allowed.empty());
                const int32_t id = allowed[std::uniform_int_distribution<size_t>(0, allowed.size() - 1)(rng)];
                if (table->kind(id) == TokenTable::Kind::Stop)
                    break;
                text += table->bytes(id, text.empty());
                c.accept(id);
                if (c.mustEnd()) {
                    ++ended;
                    break;
                }
            }
        }
        QVERIFY(steps > 200);
        qInfo("%d steps checked, %d walks completed a JSON object", steps, ended);
    }
};

QTEST_GUILESS_MAIN(TestGrammar)
#include "test_grammar.moc"
