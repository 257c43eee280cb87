#include "smartbot/engine/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jinja_error.h"
#include "jinja_interpreter.h"
#include "jinja_lexer.h"
#include "jinja_parser.h"

namespace smartbot::engine {

using ojson = nlohmann::ordered_json;

namespace {

constexpr const char *kPlainSource =
    "{{ bos_token }}{% for message in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}"
    "{{ message.content }}{% endfor %}";

bool readFile(const std::string &path, std::string &out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    out = buffer.str();
    return !in.bad();
}

std::string tokenText(const ojson &config, const char *key) {
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
Result<std::string> templateText(const ojson &value, const std::string &where) {
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
};

ChatTemplate::ChatTemplate(std::shared_ptr<const Impl> impl) : d_(std::move(impl)) {}

Result<ChatTemplate> ChatTemplate::parse(const std::string &jinjaSource) {
    auto impl = std::make_shared<Impl>();
    impl->source = jinjaSource;
    try {
        impl->program = jinja::parse(jinja::tokenize(jinjaSource));
    } catch (const jinja::JinjaError &e) {
        return makeError("chat template syntax error at " + jinja::describePosition(jinjaSource, e.pos) + ": " + e.what());
    }
    return ChatTemplate(std::move(impl));
}

ChatTemplate ChatTemplate::plain() {
    static const ChatTemplate t = [] {
        auto impl = std::make_shared<Impl>();
        impl->source = kPlainSource;
        impl->program = jinja::parse(jinja::tokenize(impl->source));
        impl->plain = true;
        return ChatTemplate(std::move(impl));
    }();
    return t;
}

Result<ChatTemplate> ChatTemplate::load(const std::string &tokenizerConfigPath) {
    std::string text;
    if (!readFile(tokenizerConfigPath, text))
        return makeError("cannot read tokenizer_config.json '" + tokenizerConfigPath + "'");
    ojson config;
    try {
        config = ojson::parse(text);
    } catch (const ojson::parse_error &e) {
        return makeError("tokenizer_config.json '" + tokenizerConfigPath + "' is not valid JSON: " + e.what());
    }
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
            try {
                const ojson j = ojson::parse(other);
                if (!j.is_object() || !j.contains("chat_template"))
                    return makeError(jsonFile + ": expected {\"chat_template\": ...}");
                Result<std::string> t = templateText(j["chat_template"], jsonFile);
                if (!t.ok())
                    return makeError(t.error());
                source = std::move(t).value();
                found = true;
            } catch (const ojson::parse_error &e) {
                return makeError(jsonFile + " is not valid JSON: " + e.what());
            }
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
                                         const std::string &toolsJson) const {
    ojson context = ojson::object();
    ojson list = ojson::array();
    for (std::size_t i = 0; i < messages.size(); ++i) {
        ojson m = {{"role", messages[i].role}, {"content", messages[i].content}};
        if (!messages[i].extraJson.empty()) {
            try {
                const ojson extra = ojson::parse(messages[i].extraJson);
                if (!extra.is_object())
                    return makeError("messages[" + std::to_string(i) + "].extraJson must be a JSON object");
                for (auto it = extra.begin(); it != extra.end(); ++it)
                    m[it.key()] = it.value();
            } catch (const ojson::parse_error &e) {
                return makeError("messages[" + std::to_string(i) + "].extraJson is not valid JSON: " + e.what());
            }
        }
        list.push_back(std::move(m));
    }
    context["messages"] = std::move(list);
    context["add_generation_prompt"] = addGenerationPrompt;
    context["bos_token"] = bosToken;
    context["eos_token"] = eosToken;
    if (!toolsJson.empty()) {
        try {
            context["tools"] = ojson::parse(toolsJson);
        } catch (const ojson::parse_error &e) {
            return makeError(std::string("tools JSON is not valid: ") + e.what());
        }
    }
    return renderContext(context.dump());
}

Result<std::string> ChatTemplate::render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt) const {
    return render(messages, addGenerationPrompt, d_->bos, d_->eos);
}

Result<std::string> ChatTemplate::renderContext(const std::string &contextJson) const {
    ojson context;
    try {
        context = ojson::parse(contextJson);
    } catch (const ojson::parse_error &e) {
        return makeError(std::string("chat template context is not valid JSON: ") + e.what());
    }
    if (!context.is_object())
        return makeError("chat template context must be a JSON object");
    try {
        jinja::Interpreter interpreter;
        const jinja::EnvPtr globals = jinja::makeGlobals(interpreter, jinja::fromJson(context));
        return interpreter.render(*d_->program, globals);
    } catch (const jinja::JinjaError &e) {
        const std::string message = e.what();
        const std::string where = jinja::describePosition(d_->source, e.pos);
        if (message.rfind("raise_exception: ", 0) == 0)
            return makeError("chat template raised an exception (" + where + "): " + message.substr(17));
        return makeError("chat template error at " + where + ": " + message);
    } catch (const std::bad_alloc &) {
        return makeError("chat template rendering ran out of memory");
    }
}

const std::string &ChatTemplate::source() const { return d_->source; }
const std::string &ChatTemplate::bosToken() const { return d_->bos; }
const std::string &ChatTemplate::eosToken() const { return d_->eos; }
bool ChatTemplate::isPlainFallback() const { return d_->plain; }

} // namespace smartbot::engine
