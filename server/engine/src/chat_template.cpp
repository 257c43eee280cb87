#include "smartbot/engine/chat_template.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jinja/error.h"
#include "jinja/interpreter.h"
#include "jinja/lexer.h"
#include "jinja/parser.h"

namespace smartbot::engine {

using ojson = nlohmann::ordered_json;

namespace {

constexpr const char *kPlainSource =
    "{{ bos_token }}{% for message in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}"
    "{{ message.content }}{% endfor %}";

// Deepest [ / { nesting of JSON text (strings skipped). Checked before every ordered_json::parse: nlohmann copies
// object members recursively when an ordered object grows, so very deep input would exhaust the stack.
std::size_t jsonNesting(const std::string &text)
{
    std::size_t depth = 0, deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// ordered_json::parse after the nesting check; false with the reason in `error`.
bool parseJson(const std::string &text, ojson &out, std::string &error)
{
    if (jsonNesting(text) > jinja::kMaxValueNesting) {
        error = "nested too deeply (more than " + std::to_string(jinja::kMaxValueNesting) + " levels)";
        return false;
    }
    try {
        out = ojson::parse(text);
        return true;
    } catch (const ojson::parse_error &e) {
        error = e.what();
        return false;
    }
}

bool readFile(const std::string &path, std::string &out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    out = buffer.str();
    return !in.bad();
}

std::string tokenText(const ojson &config, const char *key)
{
    const auto it = config.find(key);
    if (it == config.end())
        return {};
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
        return (*it)["content"].get<std::string>();
    return {};
}

// The template text of a `chat_template` value: a string, or [{name, template}] / {name: template} (the default).
Result<std::string> templateText(const ojson &value, const std::string &where)
{
    if (value.is_string())
        return value.get<std::string>();
    std::vector<std::string> names;
    if (value.is_array()) {
        for (const ojson &entry : value) {
            if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
                !entry["name"].is_string() || !entry["template"].is_string())
                return makeError(where + ": chat_template list entries must be {\"name\": ..., \"template\": ...}");
            if (entry["name"] == "default")
                return entry["template"].get<std::string>();
            names.push_back(entry["name"].get<std::string>());
        }
    } else if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (it.key() == "default" && it->is_string())
                return it->get<std::string>();
            names.push_back(it.key());
        }
    } else {
        return makeError(where + ": chat_template must be a string or a list of named templates");
    }
    std::string list;
    for (const std::string &n : names)
        list += (list.empty() ? "" : ", ") + n;
    return makeError(where + ": no chat template named 'default' (available: " + list + ")");
}

} // namespace

struct ChatTemplate::Impl {
    std::string source;
    jinja::NodePtr program;
    std::string bos, eos;
    bool plain = false;

    Result<std::string> renderJson(const ojson &context) const;
};

ChatTemplate::ChatTemplate(std::shared_ptr<const Impl> impl) : d_(std::move(impl)) {}

Result<ChatTemplate> ChatTemplate::parse(const std::string &jinjaSource)
{
    return parse(jinjaSource, {}, {});
}

Result<ChatTemplate> ChatTemplate::parse(const std::string &jinjaSource, const std::string &bosToken,
                                         const std::string &eosToken)
{
    auto impl = std::make_shared<Impl>();
    impl->source = jinjaSource;
    try {
        impl->program = jinja::parse(jinja::tokenize(jinjaSource));
    } catch (const jinja::JinjaError &e) {
        return makeError("chat template syntax error at " + jinja::describePosition(jinjaSource, e.pos) + ": " +
                         e.what());
    }
    impl->bos = bosToken;
    impl->eos = eosToken;
    return ChatTemplate(std::move(impl));
}

ChatTemplate ChatTemplate::plain()
{
    static const ChatTemplate t = [] {
        auto impl = std::make_shared<Impl>();
        impl->source = kPlainSource;
        impl->program = jinja::parse(jinja::tokenize(impl->source));
        impl->plain = true;
        return ChatTemplate(std::move(impl));
    }();
    return t;
}

Result<ChatTemplate> ChatTemplate::load(const std::string &tokenizerConfigPath)
{
    std::string text;
    if (!readFile(tokenizerConfigPath, text))
        return makeError("cannot read tokenizer_config.json '" + tokenizerConfigPath + "'");
    ojson config;
    std::string error;
    if (!parseJson(text, config, error))
        return makeError("tokenizer_config.json '" + tokenizerConfigPath + "' is not valid JSON: " + error);
    if (!config.is_object())
        return makeError("tokenizer_config.json '" + tokenizerConfigPath + "' must be a JSON object");
    std::string source;
    bool found = false;
    if (const auto it = config.find("chat_template"); it != config.end() && !it->is_null()) {
        Result<std::string> t = templateText(*it, tokenizerConfigPath);
        if (!t.ok())
            return makeError(t.error());
        source = std::move(t).value();
        found = true;
    } else {
        const std::filesystem::path dir = std::filesystem::path(tokenizerConfigPath).parent_path();
        const std::string jinjaFile = (dir / "chat_template.jinja").string();
        const std::string jsonFile = (dir / "chat_template.json").string();
        std::string other;
        if (readFile(jinjaFile, source)) {
            found = true;
        } else if (readFile(jsonFile, other)) {
            ojson j;
            if (!parseJson(other, j, error))
                return makeError(jsonFile + " is not valid JSON: " + error);
            if (!j.is_object() || !j.contains("chat_template"))
                return makeError(jsonFile + ": expected {\"chat_template\": ...}");
            Result<std::string> t = templateText(j["chat_template"], jsonFile);
            if (!t.ok())
                return makeError(t.error());
            source = std::move(t).value();
            found = true;
        }
    }
    auto impl = std::make_shared<Impl>();
    impl->source = found ? source : std::string(kPlainSource);
    impl->plain = !found;
    try {
        impl->program = jinja::parse(jinja::tokenize(impl->source));
    } catch (const jinja::JinjaError &e) {
        return makeError(tokenizerConfigPath + ": chat template syntax error at " +
                         jinja::describePosition(impl->source, e.pos) + ": " + e.what());
    }
    impl->bos = tokenText(config, "bos_token");
    impl->eos = tokenText(config, "eos_token");
    return ChatTemplate(std::move(impl));
}

Result<std::string> ChatTemplate::render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt,
                                         const std::string &bosToken, const std::string &eosToken,
                                         const std::string &toolsJson) const
{
    // Built and converted without dump() or copies (both recurse; message JSON comes from API users).
    ojson context = ojson::object();
    context.get_ref<ojson::object_t &>().reserve(5);
    ojson list = ojson::array();
    for (std::size_t i = 0; i < messages.size(); ++i) {
        ojson m = ojson::object();
        m["role"] = messages[i].role;
        m["content"] = messages[i].content;
        if (!messages[i].extraJson.empty()) {
            ojson extra;
            std::string error;
            if (!parseJson(messages[i].extraJson, extra, error))
                return makeError("messages[" + std::to_string(i) + "].extraJson is not valid JSON: " + error);
            if (!extra.is_object())
                return makeError("messages[" + std::to_string(i) + "].extraJson must be a JSON object");
            m.get_ref<ojson::object_t &>().reserve(2 + extra.size()); // growing would copy members
            for (auto it = extra.begin(); it != extra.end(); ++it)
                m[it.key()] = std::move(it.value());
        }
        list.push_back(std::move(m));
    }
    context["messages"] = std::move(list);
    context["add_generation_prompt"] = addGenerationPrompt;
    context["bos_token"] = bosToken;
    context["eos_token"] = eosToken;
    if (!toolsJson.empty()) {
        ojson tools;
        std::string error;
        if (!parseJson(toolsJson, tools, error))
            return makeError("tools JSON is not valid: " + error);
        context["tools"] = std::move(tools);
    }
    return d_->renderJson(context);
}

Result<std::string> ChatTemplate::render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt) const
{
    return render(messages, addGenerationPrompt, d_->bos, d_->eos);
}

Result<std::string> ChatTemplate::renderContext(const std::string &contextJson) const
{
    ojson context;
    std::string error;
    if (!parseJson(contextJson, context, error))
        return makeError("chat template context is not valid JSON: " + error);
    if (!context.is_object())
        return makeError("chat template context must be a JSON object");
    return d_->renderJson(context);
}

Result<std::string> ChatTemplate::Impl::renderJson(const ojson &context) const
{
    try {
        jinja::Interpreter interpreter;
        const jinja::EnvPtr globals = jinja::makeGlobals(interpreter, jinja::fromJson(context));
        return interpreter.render(*program, globals);
    } catch (const jinja::JinjaError &e) {
        const std::string message = e.what();
        if (e.pos == jinja::kNoPosition)
            return makeError("chat template error: " + message);
        const std::string where = jinja::describePosition(source, e.pos);
        if (message.rfind("raise_exception: ", 0) == 0)
            return makeError("chat template raised an exception (" + where + "): " + message.substr(17));
        return makeError("chat template error at " + where + ": " + message);
    } catch (const std::bad_alloc &) {
        return makeError("chat template rendering ran out of memory");
    }
}

const std::string &ChatTemplate::source() const
{
    return d_->source;
}
const std::string &ChatTemplate::bosToken() const
{
    return d_->bos;
}
const std::string &ChatTemplate::eosToken() const
{
    return d_->eos;
}
bool ChatTemplate::isPlainFallback() const
{
    return d_->plain;
}

} // namespace smartbot::engine
