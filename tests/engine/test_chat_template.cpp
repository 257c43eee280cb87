// Chat template tests: the Jinja interpreter against prompts rendered by @huggingface/jinja (the shared
// chat_vectors.jsonl of qwen2 / phi-3-mini, and tests/engine/data/*.jsonl made by data/gen_chat_vectors.mjs).
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include "require_data.h"

#include <atomic>
#include <filesystem>
#include <map>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "smartbot/engine/chat_template.h"
#include "smartbot/engine/tokenizer.h"

using smartbot::engine::ChatMessage;
using smartbot::engine::ChatTemplate;
using smartbot::engine::Tokenizer;
using ojson = nlohmann::ordered_json;

namespace {

const std::string kShared = SMARTBOT_SHARED_DIR;
const std::string kData = std::string(SMARTBOT_SOURCE_DIR) + "/tests/engine/data";

std::string show(const std::string &s)
{
    return ojson(s).dump(-1, ' ', false, ojson::error_handler_t::replace);
}

std::vector<ojson> readJsonLines(const std::string &path)
{
    std::vector<ojson> lines;
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            lines.push_back(ojson::parse(line));
    return lines;
}

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFile(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// JSON messages -> ChatMessage: role and string content as fields, everything else through extraJson.
std::vector<ChatMessage> toMessages(const ojson &messages)
{
    std::vector<ChatMessage> out;
    for (const ojson &m : messages) {
        ChatMessage cm;
        cm.role = m.at("role").get<std::string>();
        ojson extra = ojson::object();
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (it.key() == "role")
                continue;
            if (it.key() == "content" && it->is_string())
                cm.content = it->get<std::string>();
            else
                extra[it.key()] = it.value();
        }
        if (!extra.empty())
            cm.extraJson = extra.dump();
        out.push_back(std::move(cm));
    }
    return out;
}

std::string firstDifference(const std::string &got, const std::string &expected)
{
    std::size_t i = 0;
    while (i < got.size() && i < expected.size() && got[i] == expected[i])
        ++i;
    return "differs at byte " + std::to_string(i) + ": got " + show(got.substr(i, 60)) + ", expected " +
           show(expected.substr(i, 60));
}

} // namespace

class TestChatTemplate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sharedChatVectors_data();
    void sharedChatVectors();
    void officialTemplateVectors();
    void languageVectors();
    void loadForms();
    void plainFallback();
    void messageExtraFields();
    void errorMessages();
    void runawayTemplatesStop();
    void concurrentRendering();

private:
    static QStringList checkChatVectors(const std::string &family, int *passed, int *total);
};

void TestChatTemplate::sharedChatVectors_data()
{
    QTest::addColumn<QString>("family");
    QTest::newRow("qwen2") << "qwen2";
    QTest::newRow("phi-3-mini") << "phi-3-mini";
}

// prompt == render(messages [, tools]) with the family's template; ids == encode(prompt, false).
void TestChatTemplate::sharedChatVectors()
{
    QFETCH(QString, family);
    const std::string dir = kShared + "/tokenizers/" + family.toStdString();
    REQUIRE_DATA(dir + "/chat_vectors.jsonl");
    auto tmpl = ChatTemplate::load(dir + "/tokenizer_config.json");
    QVERIFY2(tmpl.ok(), tmpl.ok() ? "" : tmpl.error().c_str());
    QVERIFY(!tmpl->isPlainFallback());
    auto tok = Tokenizer::load(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
    QVERIFY2(tok.ok(), tok.ok() ? "" : tok.error().c_str());
    QStringList failures;
    int rendered = 0, encoded = 0;
    const auto lines = readJsonLines(dir + "/chat_vectors.jsonl");
    QVERIFY(!lines.empty());
    for (const ojson &v : lines) {
        const std::string name = v.at("name").get<std::string>();
        const std::string expected = v.at("prompt").get<std::string>();
        const std::string tools = v.contains("tools") ? v["tools"].dump() : std::string();
        auto prompt = tmpl->render(toMessages(v.at("messages")), v.at("add_generation_prompt").get<bool>(),
                                   tmpl->bosToken(), tmpl->eosToken(), tools);
        if (!prompt.ok()) {
            failures << QString::fromStdString(name + ": " + prompt.error());
            continue;
        }
        if (*prompt != expected) {
            failures << QString::fromStdString(name + ": prompt " + firstDifference(*prompt, expected));
            continue;
        }
        ++rendered;
        // The same through renderContext with the messages as JSON.
        ojson context = {{"messages", v.at("messages")},
                         {"add_generation_prompt", v.at("add_generation_prompt")},
                         {"bos_token", tmpl->bosToken()},
                         {"eos_token", tmpl->eosToken()}};
        if (v.contains("tools"))
            context["tools"] = v["tools"];
        auto viaContext = tmpl->renderContext(context.dump());
        if (!viaContext.ok() || *viaContext != expected)
            failures << QString::fromStdString(name + ": renderContext differs");
        if (tok.value()->encode(*prompt, false) == v.at("ids").get<std::vector<int32_t>>())
            ++encoded;
        else
            failures << QString::fromStdString(name + ": encode(prompt, false) differs from ids");
    }
    qInfo("%s chat_vectors.jsonl: %d/%d prompts rendered identically, %d/%d ids identical", qPrintable(family),
          rendered, int(lines.size()), encoded, int(lines.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void TestChatTemplate::officialTemplateVectors()
{
    const std::string path = kData + "/chat_template_vectors.jsonl";
    REQUIRE_DATA(path);
    const auto lines = readJsonLines(path);
    QVERIFY(lines.size() >= 50);
    std::map<std::string, std::pair<int, int>> perTemplate; // passed, total
    QStringList failures;
    for (const ojson &v : lines) {
        const std::string file = v.at("template").get<std::string>();
        const std::string label = file + " / " + v.at("name").get<std::string>() +
                                  (v.at("add_generation_prompt").get<bool>() ? "" : " (no generation prompt)");
        auto &count = perTemplate[file];
        ++count.second;
        auto tmpl = ChatTemplate::parse(readText(kData + "/chat_templates/" + file));
        if (!tmpl.ok()) {
            failures << QString::fromStdString(label + ": " + tmpl.error());
            continue;
        }
        auto prompt = tmpl->render(toMessages(v.at("messages")), v.at("add_generation_prompt").get<bool>(),
                                   v.at("bos_token").get<std::string>(), v.at("eos_token").get<std::string>(),
                                   v.contains("tools") ? v["tools"].dump() : std::string());
        if (v.contains("error")) {
            // The reference raised an exception (e.g. roles must alternate): so must we, with its message.
            const std::string expected = v["error"].get<std::string>();
            if (prompt.ok())
                failures << QString::fromStdString(label + ": rendered, but the reference failed with " + expected);
            else if (prompt.error().find(expected) == std::string::npos)
                failures << QString::fromStdString(label + ": error " + show(prompt.error()) + " lacks " +
                                                   show(expected));
            else
                ++count.first;
            continue;
        }
        if (!prompt.ok())
            failures << QString::fromStdString(label + ": " + prompt.error());
        else if (*prompt != v.at("prompt").get<std::string>())
            failures << QString::fromStdString(label + ": " + firstDifference(*prompt, v["prompt"].get<std::string>()));
        else
            ++count.first;
    }
    for (const auto &[file, count] : perTemplate)
        qInfo("%s: %d/%d vectors identical", file.c_str(), count.first, count.second);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void TestChatTemplate::languageVectors()
{
    const std::string path = kData + "/jinja_vectors.jsonl";
    REQUIRE_DATA(path);
    const auto lines = readJsonLines(path);
    QVERIFY(lines.size() >= 50);
    QStringList failures;
    int passed = 0;
    for (const ojson &v : lines) {
        const std::string name = v.at("name").get<std::string>();
        auto tmpl = ChatTemplate::parse(v.at("template").get<std::string>());
        const bool expectError = v.contains("error");
        if (!tmpl.ok()) {
            if (expectError)
                ++passed;
            else
                failures << QString::fromStdString(name + ": " + tmpl.error());
            continue;
        }
        auto out = tmpl->renderContext(v.at("context").get<std::string>());
        if (expectError) {
            if (out.ok())
                failures << QString::fromStdString(name + ": rendered " + show(*out) +
                                                   ", the reference failed: " + v["error"].get<std::string>());
            else
                ++passed;
        } else if (!out.ok()) {
            failures << QString::fromStdString(name + ": " + out.error());
        } else if (*out != v.at("output").get<std::string>()) {
            failures << QString::fromStdString(name + ": " + firstDifference(*out, v["output"].get<std::string>()));
        } else {
            ++passed;
        }
    }
    qInfo("jinja_vectors.jsonl: %d/%d identical to @huggingface/jinja", passed, int(lines.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void TestChatTemplate::loadForms()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string dir = tmp.path().toStdString();
    const std::string cfg = dir + "/tokenizer_config.json";
    const std::vector<ChatMessage> msgs = {{"user", "hi", ""}};

    writeFile(
        cfg,
        R"({"chat_template": "[{{ messages[0].content }}]", "bos_token": {"content": "<s>"}, "eos_token": "</s>"})");
    auto s = ChatTemplate::load(cfg);
    QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
    QCOMPARE(s->bosToken(), std::string("<s>"));
    QCOMPARE(s->eosToken(), std::string("</s>"));
    QCOMPARE(*s->render(msgs, true), std::string("[hi]"));

    writeFile(
        cfg,
        R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ bos_token }}"}],
                       "bos_token": "<b>"})");
    auto list = ChatTemplate::load(cfg);
    QVERIFY2(list.ok(), list.ok() ? "" : list.error().c_str());
    QCOMPARE(*list->render(msgs, true), std::string("D<b>"));

    writeFile(cfg, R"({"chat_template": [{"name": "tool_use", "template": "T"}]})");
    auto noDefault = ChatTemplate::load(cfg);
    QVERIFY(!noDefault.ok());
    QVERIFY2(noDefault.error().find("no chat template named 'default'") != std::string::npos &&
                 noDefault.error().find("tool_use") != std::string::npos,
             noDefault.error().c_str());

    writeFile(cfg, R"({"chat_template": "{% if %}"})");
    auto bad = ChatTemplate::load(cfg);
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().find("syntax error") != std::string::npos, bad.error().c_str());

    // No chat_template in the config: chat_template.jinja next to it (newer transformers), then chat_template.json.
    writeFile(cfg, R"({"bos_token": null, "eos_token": "<e>"})");
    writeFile(dir + "/chat_template.json", R"({"chat_template": "J{{ eos_token }}"})");
    auto fromJson = ChatTemplate::load(cfg);
    QVERIFY2(fromJson.ok(), fromJson.ok() ? "" : fromJson.error().c_str());
    QCOMPARE(*fromJson->render(msgs, true), std::string("J<e>"));
    writeFile(dir + "/chat_template.jinja", "{{ messages | length }} messages\n");
    auto fromJinja = ChatTemplate::load(cfg);
    QVERIFY2(fromJinja.ok(), fromJinja.ok() ? "" : fromJinja.error().c_str());
    QCOMPARE(*fromJinja->render(msgs, true), std::string("1 messages"));

    auto missing = ChatTemplate::load(dir + "/nope/tokenizer_config.json");
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error().find("cannot read") != std::string::npos, missing.error().c_str());
    writeFile(cfg, "{not json");
    auto notJson = ChatTemplate::load(cfg);
    QVERIFY(!notJson.ok());
    QVERIFY2(notJson.error().find("not valid JSON") != std::string::npos, notJson.error().c_str());
}

void TestChatTemplate::plainFallback()
{
    const std::string cfg = kShared + "/tokenizers/stories260K/tokenizer_config.json";
    REQUIRE_DATA(cfg);
    auto tmpl = ChatTemplate::load(cfg); // stories260K has no chat template
    QVERIFY2(tmpl.ok(), tmpl.ok() ? "" : tmpl.error().c_str());
    QVERIFY(tmpl->isPlainFallback());
    const std::vector<ChatMessage> msgs = {{"system", "Tell a story.", ""}, {"user", "Once upon a time", ""}};
    auto prompt = tmpl->render(msgs, true);
    QVERIFY(prompt.ok());
    QCOMPARE(*prompt, tmpl->bosToken() + "Tell a story.\n\nOnce upon a time");
    QCOMPARE(*ChatTemplate::plain().render({{"user", "x", ""}}, false, "", ""), std::string("x"));
    QCOMPARE(*ChatTemplate::plain().render({}, true, "<s>", ""), std::string("<s>"));
    // The fallback prompt encodes like the plain text with add_special_tokens (the bos token is written out).
    const std::string dir = kShared + "/tokenizers/stories260K";
    auto tok = Tokenizer::load(dir + "/tokenizer.json", cfg);
    QVERIFY(tok.ok());
    QCOMPARE(tok.value()->encode(*tmpl->render({{"user", "Once upon a time", ""}}, true), false),
             tok.value()->encode("Once upon a time", true));
}

void TestChatTemplate::messageExtraFields()
{
    auto tmpl = ChatTemplate::parse("{% for m in messages %}{{ m.role }}:{{ m.content }}:{{ m.tool_calls | tojson }}:"
                                    "{{ m | tojson }};{% endfor %}{{ tools | length }}");
    QVERIFY(tmpl.ok());
    const std::vector<ChatMessage> msgs = {
        {"assistant", "", R"({"tool_calls": [{"name": "f", "arguments": {"b": 1, "a": 2}}], "content": null})"},
        {"user", "hi", ""}};
    auto out = tmpl->render(msgs, false, "", "", R"([{"type": "function"}, {"type": "function"}])");
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().c_str());
    QCOMPARE(*out, std::string("assistant::[{\"name\": \"f\", \"arguments\": {\"b\": 1, \"a\": 2}}]:"
                               "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"name\": \"f\", "
                               "\"arguments\": {\"b\": 1, \"a\": 2}}]};"
                               "user:hi:null:{\"role\": \"user\", \"content\": \"hi\"};2"));
    auto badExtra = tmpl->render({{"user", "x", "[1]"}}, false, "", "");
    QVERIFY(!badExtra.ok());
    QVERIFY2(badExtra.error().find("extraJson") != std::string::npos, badExtra.error().c_str());
    auto badTools = tmpl->render({}, false, "", "", "{oops");
    QVERIFY(!badTools.ok());
    QVERIFY2(badTools.error().find("tools") != std::string::npos, badTools.error().c_str());
    // Template variables that collide with the language's globals are refused, as by the reference.
    auto clash = tmpl->renderContext(R"({"messages": [], "range": 1})");
    QVERIFY(!clash.ok());
    QVERIFY2(clash.error().find("'range'") != std::string::npos, clash.error().c_str());
}

void TestChatTemplate::errorMessages()
{
    struct Case {
        const char *source;
        const char *context;
        const char *expected; // substrings of the error
        const char *expected2;
    };
    const std::vector<Case> cases = {
        {"line one\n{% if x %}\n  {{ x + }}\n{% endif %}", "{}", "syntax error at line 3", "column"},
        {"{% for x in xs %}\nno end", "{}", "syntax error at line 1, column 1", "endfor"},
        {"{{ 'abc' | frobnicate }}", "{}", "unknown filter 'frobnicate'", "line 1"},
        {"{{ [1] | frobnicate(2) }}", "{}", "unknown filter 'frobnicate'", "list"},
        {"{{ x is frob }}", "{}", "unknown test 'frob'", ""},
        {"{% if messages | length > 1 %}{{ raise_exception('Only one message, please') }}{% endif %}",
         R"({"messages": [1, 2]})", "raised an exception", "Only one message, please"},
        {"\n\n   {{ nope() }}", "{}", "line 3, column 7", "'nope' is not a function"},
        {"{{ 'a' < 1 }}", "{}", "unknown operator '<'", "string"},
        {"{{ x.y + 1 }}", "{}", "undefined", ""},
        {"{% call foo() %}{% endcall %}", "{}", "not supported", ""},
        {"{{ 'x' ~ }}", "{}", "syntax error", ""},
        {"{{ \"\\q\" }}", "{}", "escaped character", ""},
    };
    for (const Case &c : cases) {
        auto tmpl = ChatTemplate::parse(c.source);
        std::string error;
        if (!tmpl.ok()) {
            error = tmpl.error();
        } else {
            auto out = tmpl->renderContext(c.context);
            QVERIFY2(!out.ok(), c.source);
            error = out.error();
        }
        QVERIFY2(error.find(c.expected) != std::string::npos && error.find(c.expected2) != std::string::npos,
                 qPrintable(QString::fromStdString(std::string(c.source) + " -> " + error)));
    }
    auto notObject = ChatTemplate::plain().renderContext("[1]");
    QVERIFY(!notObject.ok());
    auto notJson = ChatTemplate::plain().renderContext("{");
    QVERIFY(!notJson.ok());
}

void TestChatTemplate::runawayTemplatesStop()
{
    struct Case {
        std::string source;
        const char *expected;
    };
    std::string deep;
    for (int i = 0; i < 500; ++i)
        deep += "(";
    deep = "{{ " + deep + "1" + std::string(500, ')') + " }}";
    std::string chain = "{{ 1";
    for (int i = 0; i < 1000; ++i)
        chain += " + 1";
    chain += " }}";
    std::string deepIf;
    for (int i = 0; i < 300; ++i)
        deepIf += "{% if true %}";
    const std::vector<Case> cases = {
        {"{% for i in range(100000000) %}{% endfor %}", "too many loop iterations"},
        {"{% for a in range(2000) %}{% for b in range(2000) %}{% endfor %}{% endfor %}", "too many loop iterations"},
        {"{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor "
         "%}",
         "output too large"},
        {"{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor "
         "%}",
         "output too large"},
        {"{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "nested too deeply"},
        {deep, "nesting is too deep"},
        {deepIf, "nesting is too deep"},
        {chain, "nesting is too deep"},
        {"{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", "contains itself"},
        {"{% set ns = namespace(a=[]) %}{% for i in range(10000) %}{% set ns.a = [ns.a] %}{% endfor %}",
         "nested too deeply"},
        {"{% set ns = namespace(a=[1]) %}{% for i in range(40) %}{% set ns.a = ns.a + ns.a %}{% endfor %}",
         "list too large"},
        {"{% set big = range(300000) | join %}{{ big.replace('', big) }}", "too large"},
        {"{% set big = range(200000) | join %}{{ range(1000) | join(big) }}", "too large"},
        {"{{ 'a\nb' | indent(100000) }}", "indent width"},
    };
    for (const Case &c : cases) {
        auto tmpl = ChatTemplate::parse(c.source);
        std::string error;
        if (!tmpl.ok()) {
            error = tmpl.error();
        } else {
            auto out = tmpl->renderContext("{}");
            QVERIFY2(!out.ok(), c.source.substr(0, 80).c_str());
            error = out.error();
        }
        QVERIFY2(error.find(c.expected) != std::string::npos, qPrintable(QString::fromStdString(error)));
    }
    // Message JSON from API users nested absurdly deep: a clean error, not a stack overflow.
    std::string nested = std::string(100000, '[') + std::string(100000, ']');
    auto deepInput = ChatTemplate::plain().render({{"user", "x", "{\"tool_calls\": " + nested + "}"}}, true, "", "");
    QVERIFY(!deepInput.ok());
    QVERIFY2(deepInput.error().find("nested too deeply") != std::string::npos, deepInput.error().c_str());
    auto deepContext = ChatTemplate::plain().renderContext("{\"messages\": " + nested + "}");
    QVERIFY(!deepContext.ok());
    // Limits are generous enough for real conversations: 2000 long messages render fine.
    auto qwen = ChatTemplate::parse(readText(kData + "/chat_templates/qwen2.5-instruct.jinja"));
    QVERIFY(qwen.ok());
    std::vector<ChatMessage> many;
    for (int i = 0; i < 2000; ++i)
        many.push_back({i % 2 ? "assistant" : "user", std::string(1000, 'a' + i % 26), ""});
    auto big = qwen->render(many, true, "", "<|im_end|>");
    QVERIFY2(big.ok(), big.ok() ? "" : big.error().c_str());
    QVERIFY(big->size() > 2000 * 1000);
}

void TestChatTemplate::concurrentRendering()
{
    auto tmpl = ChatTemplate::parse(readText(kData + "/chat_templates/llama-3.1-instruct.jinja"));
    QVERIFY2(tmpl.ok(), tmpl.ok() ? "" : tmpl.error().c_str());
    const std::vector<ChatMessage> msgs = {{"system", "sys", ""}, {"user", "hello", ""}};
    const std::string expected = *tmpl->render(msgs, true, "<|begin_of_text|>", "<|eot_id|>");
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            const ChatTemplate copy = *tmpl; // copies share the compiled template
            for (int i = 0; i < 200; ++i) {
                auto out = copy.render(msgs, true, "<|begin_of_text|>", "<|eot_id|>");
                if (!out.ok() || *out != expected)
                    ++mismatches;
            }
        });
    for (std::thread &th : threads)
        th.join();
    QCOMPARE(mismatches.load(), 0);
}

QTEST_APPLESS_MAIN(TestChatTemplate)
#include "test_chat_template.moc"
