// Tool calling (tool_calls.h, tools/tool_messages.h): the format each real chat template teaches, reading calls out of
// text, the grammar that forces calls (every text it allows reads back as calls whose arguments fit the schema),
// streaming hold-back, and conversations with tools rendered by real templates.
#include <QtTest>

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"
#include "grammar/grammar_matcher.h"
#include "smartbot/engine/chat_template.h"
#include "smartbot/engine/tool_calls.h"
#include "tools/tool_messages.h"

using namespace smartbot::engine;
using json = nlohmann::json;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(ToolCallFormat)

namespace {

// JSON written with single quotes (readable in C++ strings): every ' becomes ".
std::string q(std::string s)
{
    std::replace(s.begin(), s.end(), char(39), char(34)); // ' -> "
    return s;
}

const std::string kTools =
    q("[{'type': 'function', 'function': {'name': 'get_weather', 'description': 'Weather in a city', 'parameters': "
      "{'type': 'object', 'properties': {'city': {'type': 'string', 'maxLength': 12}, 'unit': {'enum': ['c', 'f']}}, "
      "'required': ['city', 'unit']}}}, {'type': 'function', 'function': {'name': 'add', 'parameters': {'type': "
      "'object', 'properties': {'a': {'type': 'integer'}, 'b': {'type': 'integer'}}, 'required': ['a', 'b']}}}]");

std::string templateSource(const std::string &name)
{
    std::ifstream in(std::string(SMARTBOT_SOURCE_DIR) + "/tests/engine/data/chat_templates/" + name + ".jinja");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

class TestToolCalls : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void detectFormat_data()
    {
        QTest::addColumn<std::string>("templateName");
        QTest::addColumn<ToolCallFormat>("format");
        QTest::newRow("Qwen2.5") << std::string("qwen2.5-instruct") << ToolCallFormat::Hermes;
        QTest::newRow("Llama 3.1") << std::string("llama-3.1-instruct") << ToolCallFormat::Llama3;
        QTest::newRow("Mistral v0.3") << std::string("mistral-7b-instruct-v0.3") << ToolCallFormat::Mistral;
        QTest::newRow("Llama 2 (no tools)") << std::string("llama-2-chat") << ToolCallFormat::Hermes;
        QTest::newRow("Phi-3 (no tools)") << std::string("phi-3-mini-instruct") << ToolCallFormat::Hermes;
    }
    void detectFormat()
    {
        QFETCH(std::string, templateName);
        QFETCH(ToolCallFormat, format);
        const std::string source = templateSource(templateName);
        QVERIFY2(!source.empty(), templateName.c_str());
        QCOMPARE(detectToolCallFormat(source), format);
    }

    void parse_data()
    {
        QTest::addColumn<ToolCallFormat>("format");
        QTest::addColumn<std::string>("text");
        QTest::addColumn<std::string>("calls"); // name(arguments);...
        QTest::addColumn<std::string>("content");
        const auto H = ToolCallFormat::Hermes;
        QTest::newRow("hermes one call")
            << H << q("<tool_call>\n{'name': 'add', 'arguments': {'a': 1, 'b': 2}}\n</tool_call>")
            << q("add({'a':1,'b':2})") << std::string();
        QTest::newRow("hermes text then two calls")
            << H
            << q("Let me check.\n<tool_call>{'name':'add','arguments':{'a':1,'b':2}}</tool_call>\n<tool_call>{'name':"
                 "'get_weather','arguments':'{\\'city\\':\\'Oslo\\',\\'unit\\':\\'c\\'}'}</tool_call>")
            << q("add({'a':1,'b':2});get_weather({'city':'Oslo','unit':'c'})") << std::string("Let me check.");
        QTest::newRow("hermes unclosed at the end (EOS)")
            << H << q("<tool_call>{'name':'add','arguments':{'a':1,'b':2}}") << q("add({'a':1,'b':2})")
            << std::string();
        QTest::newRow("hermes cut off after a whole call")
            << H << q("<tool_call>{'name':'add','arguments':{'a':1,'b':2}}</tool_call><tool_call>{'name':'ad")
            << q("add({'a':1,'b':2})") << std::string();
        QTest::newRow("hermes cut off at the next marker")
            << H << q("<tool_call>{'name':'add','arguments':{'a':1,'b':2}}</tool_call>\n<tool_")
            << q("add({'a':1,'b':2})") << std::string();
        QTest::newRow("hermes unknown tool: plain text")
            << H << q("<tool_call>{'name':'rm','arguments':{}}</tool_call>") << std::string()
            << q("<tool_call>{'name':'rm','arguments':{}}</tool_call>");
        QTest::newRow("hermes broken JSON: plain text")
            << H << q("<tool_call>{'name':'add','arguments':{'a':</tool_call>") << std::string()
            << q("<tool_call>{'name':'add','arguments':{'a':</tool_call>");
        QTest::newRow("hermes no call") << H << std::string("Just an answer.") << std::string()
                                        << std::string("Just an answer.");
        QTest::newRow("llama3 call") << ToolCallFormat::Llama3 << q(" {'name': 'add', 'parameters': {'a': 5, 'b': 6}}")
                                     << q("add({'a':5,'b':6})") << std::string();
        QTest::newRow("llama3 two calls") << ToolCallFormat::Llama3
                                          << q("{'name':'add','parameters':{'a':1,'b':1}}; {'name':'add','parameters':"
                                               "{'a':2,'b':2}}")
                                          << q("add({'a':1,'b':1});add({'a':2,'b':2})") << std::string();
        QTest::newRow("llama3 JSON that is no call")
            << ToolCallFormat::Llama3 << q("{'answer': 42}") << std::string() << q("{'answer': 42}");
        QTest::newRow("mistral array") << ToolCallFormat::Mistral
                                       << q("[{'name':'get_weather','arguments':{'city':'Rome','unit':'c'}}]")
                                       << q("get_weather({'city':'Rome','unit':'c'})") << std::string();
        QTest::newRow("mistral marker as text")
            << ToolCallFormat::Mistral << q("[TOOL_CALLS] [{'name':'add','arguments':{'a':0,'b':0}}]")
            << q("add({'a':0,'b':0})") << std::string();
        QTest::newRow("too deep") << H << "<tool_call>" + std::string(300, '[') + "</tool_call>" << std::string()
                                  << "<tool_call>" + std::string(300, '[') + "</tool_call>";
    }
    void parse()
    {
        QFETCH(ToolCallFormat, format);
        QFETCH(std::string, text);
        QFETCH(std::string, calls);
        QFETCH(std::string, content);
        const ToolOutput out = parseToolCalls(format, text, kTools);
        QStringList got;
        for (const ToolCall &c : out.calls)
            got << QString::fromStdString(c.name + "(" + c.arguments + ")");
        QCOMPARE(got.join(';').toStdString(), calls);
        QCOMPARE(out.content, content);
    }

    void checkTools_data()
    {
        QTest::addColumn<std::string>("tools");
        QTest::addColumn<QString>("error");
        QTest::newRow("fine") << kTools << QString();
        QTest::newRow("no parameters") << q("[{'type':'function','function':{'name':'now'}}]") << QString();
        QTest::newRow("not a list") << q("{'type':'function'}") << "must be a JSON array";
        QTest::newRow("not a function") << q("[{'type':'code_interpreter'}]") << "tools[0]: only";
        QTest::newRow("bad name") << q("[{'type':'function','function':{'name':'a b'}}]") << "tools[0].function.name";
        QTest::newRow("twice") << q("[{'type':'function','function':{'name':'a'}},{'type':'function','function':"
                                    "{'name':'a'}}]")
                               << "given twice";
        QTest::newRow("schema not held")
            << q("[{'type':'function','function':{'name':'a','parameters':{'type':'object','properties':{'x':"
                 "{'type':'string','pattern':'^(?!z)'}}}}}]")
            << "function 'a': json_schema: 'pattern' at /properties/x: lookaround";
    }
    void checkTools()
    {
        QFETCH(std::string, tools);
        QFETCH(QString, error);
        auto r = smartbot::engine::checkTools(tools);
        QCOMPARE(r.ok(), error.isEmpty());
        if (!r)
            QVERIFY2(QString::fromStdString(r.error()).contains(error), r.error().c_str());
    }

    // Random texts of the forcing grammar read back as calls of the allowed tools, arguments inside their schemas.
    void grammarTextsAreCalls_data()
    {
        QTest::addColumn<ToolCallFormat>("format");
        QTest::addColumn<int>("mode");
        QTest::addColumn<bool>("parallel");
        QTest::newRow("hermes required") << ToolCallFormat::Hermes << int(ToolChoice::Mode::Required) << true;
        QTest::newRow("hermes named") << ToolCallFormat::Hermes << int(ToolChoice::Mode::Function) << false;
        QTest::newRow("llama3 required") << ToolCallFormat::Llama3 << int(ToolChoice::Mode::Required) << false;
        QTest::newRow("mistral required") << ToolCallFormat::Mistral << int(ToolChoice::Mode::Required) << true;
    }
    void grammarTextsAreCalls()
    {
        QFETCH(ToolCallFormat, format);
        QFETCH(int, mode);
        QFETCH(bool, parallel);
        ToolChoice choice;
        choice.mode = ToolChoice::Mode(mode);
        choice.function = "get_weather";
        choice.parallel = parallel;
        auto gbnf = toolCallGrammar(format, kTools, choice);
        QVERIFY2(gbnf.ok(), gbnf.ok() ? "" : gbnf.error().c_str());
        auto g = grammar::Grammar::parse(gbnf.value());
        QVERIFY2(g.ok(), g.ok() ? "" : g.error().c_str());
        auto shared = std::make_shared<const grammar::Grammar>(std::move(g.value()));
        std::mt19937 rng(9);
        for (int doc = 0; doc < 100; ++doc) {
            grammar::GrammarMatcher m(shared);
            std::string text;
            while (text.size() < 20000) {
                std::vector<uint8_t> options;
                const size_t mark = m.mark();
                grammar::GrammarMatcher::State next;
                for (int b = 0; b < 256; ++b) {
                    m.advance(m.state(), uint8_t(b), next);
                    if (!next.empty())
                        options.push_back(uint8_t(b));
                }
                m.rollback(mark);
                if (m.canEnd() && (options.empty() || text.size() > 300 || rng() % 8 == 0))
                    break;
                QVERIFY(!options.empty());
                uint8_t pick = options[rng() % options.size()];
                for (const char closer : std::string_view("\"}]<"))
                    if (text.size() > 30 && rng() % 2 &&
                        std::find(options.begin(), options.end(), uint8_t(closer)) != options.end())
                        pick = uint8_t(closer);
                QVERIFY(m.accept(std::string(1, char(pick))));
                text += char(pick);
            }
            QVERIFY2(m.canEnd(), text.c_str());
            const ToolOutput out = parseToolCalls(format, text, kTools);
            QVERIFY2(!out.calls.empty(), text.c_str());
            QVERIFY2(parallel || out.calls.size() == 1, text.c_str());
            for (const ToolCall &c : out.calls) {
                const json args = json::parse(c.arguments);
                if (c.name == "get_weather") {
                    QVERIFY2(args["city"].is_string() && (args["unit"] == "c" || args["unit"] == "f"), text.c_str());
                } else {
                    QVERIFY(choice.mode != ToolChoice::Mode::Function);
                    QVERIFY2(args["a"].is_number_integer() && args["b"].is_number_integer(), text.c_str());
                }
            }
        }
    }

    void grammarRefusals()
    {
        ToolChoice named;
        named.mode = ToolChoice::Mode::Function;
        named.function = "nope";
        auto r = toolCallGrammar(ToolCallFormat::Hermes, kTools, named);
        QVERIFY(!r);
        QVERIFY(QString::fromStdString(r.error()).contains("'nope', which is not among the tools"));
        ToolChoice required;
        required.mode = ToolChoice::Mode::Required;
        QVERIFY(!toolCallGrammar(ToolCallFormat::Hermes, "[]", required));
    }

    void stream_data()
    {
        QTest::addColumn<ToolCallFormat>("format");
        QTest::addColumn<QStringList>("pieces");
        QTest::addColumn<QString>("streamedBeforeEnd");
        QTest::newRow("plain text passes")
            << ToolCallFormat::Hermes << QStringList{"Hel", "lo <b", "> there"} << "Hello <b> there";
        QTest::newRow("held at a possible marker") << ToolCallFormat::Hermes << QStringList{"Sure. <tool_"} << "Sure. ";
        QTest::newRow("call withheld") << ToolCallFormat::Hermes
                                       << QStringList{"Ok ", "<tool_c", "all>{\"name\"", ":\"add\"}"} << "Ok ";
        QTest::newRow("llama3 blank start waits") << ToolCallFormat::Llama3 << QStringList{"  ", "\n"} << "";
        QTest::newRow("llama3 call withheld") << ToolCallFormat::Llama3 << QStringList{" ", "{\"name\": 1"} << "";
        QTest::newRow("llama3 text flows") << ToolCallFormat::Llama3 << QStringList{" ", "Hi {x}"} << " Hi {x}";
    }
    void stream()
    {
        QFETCH(ToolCallFormat, format);
        QFETCH(QStringList, pieces);
        QFETCH(QString, streamedBeforeEnd);
        ToolCallStream s(format);
        std::string sent, all;
        for (const QString &p : pieces) {
            sent += s.push(p.toStdString());
            all += p.toStdString();
        }
        QCOMPARE(QString::fromStdString(sent), streamedBeforeEnd);
        // Not a call after all: the rest comes out at the end, and the whole text was sent exactly once.
        sent += s.finish(ToolOutput{all, {}});
        QCOMPARE(sent, all);
    }

    // A conversation with a call and its result, through real templates: natively where the template knows tools,
    // as text (and a system block) where it does not.
    void render_data()
    {
        QTest::addColumn<std::string>("templateName");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("Qwen2.5 renders tools itself")
            << std::string("qwen2.5-instruct")
            << QStringList{"<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"",
                           "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>",
                           "<tool_response>\n3\n</tool_response>"};
        QTest::newRow("Llama 2 gets them as text")
            << std::string("llama-2-chat")
            << QStringList{"# Tools", "{\"name\":\"add\"",
                           "<tool_call>\n{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}\n</tool_call>",
                           "<tool_response>\n3\n</tool_response>"};
    }
    void render()
    {
        QFETCH(std::string, templateName);
        QFETCH(QStringList, expected);
        auto t = ChatTemplate::parse(templateSource(templateName));
        QVERIFY(t.ok());
        std::vector<ChatMessage> messages = {
            {"user", "What is 1 + 2?", {}},
            {"assistant", "",
             q("{'tool_calls': [{'id': 'c1', 'type': 'function', 'function': {'name': 'add', "
               "'arguments': {'a': 1, 'b': 2}}}]}")},
            {"tool", "3", q("{'tool_call_id': 'c1'}")},
        };
        const std::string tools = prepareToolMessages(messages, kTools, toolRendering(t->source()));
        auto prompt = t->render(messages, true, "<s>", "</s>", tools);
        QVERIFY2(prompt.ok(), prompt.ok() ? "" : prompt.error().c_str());
        for (const QString &e : expected)
            QVERIFY2(QString::fromStdString(prompt.value()).contains(e), prompt.value().c_str());
    }
};

QTEST_GUILESS_MAIN(TestToolCalls)
#include "test_tool_calls.moc"
