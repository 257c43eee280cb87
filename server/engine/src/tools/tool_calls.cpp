#include "smartbot/engine/tool_calls.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"
#include "grammar/json_schema.h"

namespace smartbot::engine {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kHermesClose = "</tool_call>";
constexpr int kMaxJsonDepth = 128; // model output and requests: deeper JSON is not a call we accept

// Deepest [ / { nesting, strings skipped: checked before parsing text a model or a client wrote.
int nesting(std::string_view text)
{
    int depth = 0, deepest = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
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
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

bool parse(std::string_view text, ojson &out)
{
    if (nesting(text) > kMaxJsonDepth)
        return false;
    out = ojson::parse(text, nullptr, /*allow_exceptions=*/false);
    return !out.is_discarded();
}

std::string trimmed(std::string_view s)
{
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos)
        return {};
    const size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

bool validName(const std::string &name)
{
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

struct Tool {
    std::string name;
    ojson parameters; // a JSON Schema object
};

// The tools array, checked. Throws std::runtime_error naming the entry.
std::vector<Tool> readTools(std::string_view toolsJson)
{
    ojson list;
    if (!parse(toolsJson, list) || !list.is_array())
        throw std::runtime_error("tools must be a JSON array");
    std::vector<Tool> tools;
    std::set<std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string at = "tools[" + std::to_string(i) + "]";
        const ojson &t = list[i];
        if (!t.is_object() || t.value("type", std::string()) != "function")
            throw std::runtime_error(at + ": only {\"type\": \"function\", \"function\": {...}} tools are supported");
        // Chat Completions nest the function; the Responses API writes its fields beside "type".
        const ojson *fn = nullptr;
        if (const auto f = t.find("function"); f != t.end())
            fn = &*f;
        else if (t.contains("name"))
            fn = &t;
        if (!fn || !fn->is_object())
            throw std::runtime_error(at + ".function must be an object");
        const auto name = fn->find("name");
        if (name == fn->end() || !name->is_string() || !validName(name->get<std::string>()))
            throw std::runtime_error(at + ".function.name must be 1 to 64 letters, digits, '_' or '-'");
        if (!seen.insert(name->get<std::string>()).second)
            throw std::runtime_error(at + ".function.name '" + name->get<std::string>() + "' is given twice");
        Tool tool{name->get<std::string>(), ojson::object()};
        if (const auto p = fn->find("parameters"); p != fn->end() && !p->is_null()) {
            if (!p->is_object())
                throw std::runtime_error(at + ".function.parameters must be a JSON Schema object");
            tool.parameters = *p;
        }
        if (tool.parameters.empty()) // no parameters: an object with none (OpenAI's reading)
            tool.parameters = ojson{{"type", "object"}, {"properties", ojson::object()}};
        tools.push_back(std::move(tool));
    }
    return tools;
}

// Arguments as a compact JSON object: an object, or a string holding one (some models and templates quote them).
bool argumentsOf(const ojson &call, const char *key, std::string &out)
{
    const auto a = call.find(key);
    if (a == call.end())
        return false;
    if (a->is_object()) {
        out = a->dump();
        return true;
    }
    ojson inner;
    if (a->is_string() && parse(a->get<std::string>(), inner) && inner.is_object()) {
        out = inner.dump();
        return true;
    }
    return false;
}

bool readCall(const ojson &j, const std::set<std::string> &known, ToolCall &out)
{
    if (!j.is_object())
        return false;
    const auto name = j.find("name");
    if (name == j.end() || !name->is_string() || !known.count(name->get<std::string>()))
        return false;
    out.name = name->get<std::string>();
    return argumentsOf(j, "arguments", out.arguments) || argumentsOf(j, "parameters", out.arguments);
}

ToolOutput parseHermes(std::string_view text, const std::set<std::string> &known)
{
    ToolOutput out;
    std::string content;
    size_t pos = 0;
    for (;;) {
        const size_t open = text.find(kHermesOpen, pos);
        if (open == std::string_view::npos) {
            // After calls, the start of one more cut off by the token budget is not text the model meant to say.
            const std::string tail = trimmed(text.substr(pos));
            const bool cutCall = !out.calls.empty() && !tail.empty() && tail.size() < kHermesOpen.size() &&
                                 kHermesOpen.compare(0, tail.size(), tail) == 0;
            if (!cutCall)
                content += text.substr(pos);
            break;
        }
        content += text.substr(pos, open - pos);
        const size_t bodyStart = open + kHermesOpen.size();
        size_t close = text.find(kHermesClose, bodyStart);
        const size_t bodyEnd = close == std::string_view::npos ? text.size() : close; // ended by EOS: fine
        ojson j;
        ToolCall call;
        if (!parse(trimmed(text.substr(bodyStart, bodyEnd - bodyStart)), j) || !readCall(j, known, call)) {
            // A last block cut off by the token budget, after whole calls: those calls stand.
            if (close == std::string_view::npos && !out.calls.empty())
                break;
            return {std::string(text), {}};
        }
        out.calls.push_back(std::move(call));
        pos = close == std::string_view::npos ? text.size() : close + kHermesClose.size();
    }
    out.content = trimmed(content);
    return out;
}

// Llama 3: the whole reply is one call object, or several separated by ';'.
ToolOutput parseLlama3(std::string_view text, const std::set<std::string> &known)
{
    const std::string t = trimmed(text);
    if (t.empty() || t.front() != '{')
        return {std::string(text), {}};
    ToolOutput out;
    ojson j;
    ToolCall call;
    if (parse(t, j) && readCall(j, known, call)) {
        out.calls.push_back(std::move(call));
        return out;
    }
    size_t pos = 0;
    while (pos < t.size()) {
        const size_t semi = t.find(';', pos);
        const std::string part =
            trimmed(std::string_view(t).substr(pos, semi == std::string::npos ? t.npos : semi - pos));
        if (!parse(part, j) || !readCall(j, known, call))
            return {std::string(text), {}};
        out.calls.push_back(std::move(call));
        pos = semi == std::string::npos ? t.size() : semi + 1;
    }
    return out;
}

// Mistral: a JSON array of calls (after the [TOOL_CALLS] special token, which decoded text does not hold).
ToolOutput parseMistral(std::string_view text, const std::set<std::string> &known)
{
    std::string t = trimmed(text);
    if (t.rfind("[TOOL_CALLS]", 0) == 0) // written as text by a model without the special token
        t = trimmed(std::string_view(t).substr(12));
    ojson j;
    if (t.empty() || t.front() != '[' || !parse(t, j) || !j.is_array() || j.empty())
        return {std::string(text), {}};
    ToolOutput out;
    for (const ojson &c : j) {
        ToolCall call;
        if (!readCall(c, known, call))
            return {std::string(text), {}};
        out.calls.push_back(std::move(call));
    }
    return out;
}

} // namespace

const char *toolCallFormatName(ToolCallFormat format)
{
    switch (format) {
    case ToolCallFormat::Hermes:
        return "hermes";
    case ToolCallFormat::Llama3:
        return "llama3";
    case ToolCallFormat::Mistral:
        return "mistral";
    }
    return "hermes";
}

ToolCallFormat detectToolCallFormat(std::string_view source)
{
    // Most specific first: a Llama 3.1 template also mentions JSON and "parameters".
    static const std::vector<std::pair<std::string_view, ToolCallFormat>> markers = {
        {"[TOOL_CALLS]", ToolCallFormat::Mistral},
        {"<|python_tag|>", ToolCallFormat::Llama3},
        {"<tool_call>", ToolCallFormat::Hermes},
    };
    for (const auto &[marker, format] : markers)
        if (source.find(marker) != std::string_view::npos)
            return format;
    return ToolCallFormat::Hermes;
}

Result<std::string> chatTools(std::string_view toolsJson)
{
    ojson list;
    if (!parse(toolsJson, list) || !list.is_array())
        return makeError("tools must be a JSON array", ErrorCode::InvalidArgument);
    ojson out = ojson::array();
    for (ojson &t : list) {
        if (t.is_object() && !t.contains("function") && t.contains("name")) {
            ojson fn = ojson::object();
            for (auto it = t.begin(); it != t.end(); ++it)
                if (it.key() != "type")
                    fn[it.key()] = it.value();
            t = ojson{{"type", "function"}, {"function", std::move(fn)}};
        }
        out.push_back(std::move(t));
    }
    return out.dump();
}

Result<void> checkTools(std::string_view toolsJson)
{
    try {
        grammar::SchemaGrammar builder;
        for (const Tool &t : readTools(toolsJson))
            try {
                builder.add(t.parameters);
            } catch (const grammar::SchemaError &e) {
                return makeError("tools: function '" + t.name + "': " + e.what(), ErrorCode::InvalidArgument);
            }
    } catch (const std::exception &e) {
        return makeError(e.what(), ErrorCode::InvalidArgument);
    }
    return {};
}

// Short on purpose: it shares the context with the conversation (small models have little).
std::string toolsSystemBlock(std::string_view toolsJson)
{
    std::string block = "# Tools\nYou may call these functions (JSON Schema signatures):\n<tools>";
    ojson list;
    if (parse(toolsJson, list) && list.is_array())
        for (const ojson &t : list)
            block += "\n" + (t.contains("function") ? t["function"] : t).dump();
    block += "\n</tools>\nTo call one, reply with <tool_call>{\"name\": <name>, \"arguments\": <object>}</tool_call> "
             "(one block per call).";
    return block;
}

Result<std::string> toolCallGrammar(ToolCallFormat format, std::string_view toolsJson, const ToolChoice &choice)
{
    try {
        const std::vector<Tool> tools = readTools(toolsJson);
        grammar::SchemaGrammar g;
        // The call's own syntax takes at most a space between tokens (a model drifting into blank lines spends its
        // budget there); the arguments are JSON with the schema's usual whitespace; calls are a line apart.
        const std::string ws = "\" \"?";
        const std::string between = g.primitive("ws");
        const std::string argsKey = format == ToolCallFormat::Llama3 ? "parameters" : "arguments";
        std::string alternatives;
        for (const Tool &t : tools) {
            if (choice.mode == ToolChoice::Mode::Function && t.name != choice.function)
                continue;
            const std::string args = g.add(t.parameters);
            alternatives += (alternatives.empty() ? "" : " | ") + g.literal("\"" + t.name + "\"") + " " + ws +
                            " \",\" " + ws + " " + g.literal("\"" + argsKey + "\"") + " " + ws + " \":\" " + ws + " " +
                            args;
        }
        if (alternatives.empty())
            return makeError(choice.mode == ToolChoice::Mode::Function
                                 ? "tool_choice names '" + choice.function + "', which is not among the tools"
                                 : std::string("tool_choice 'required' needs at least one tool"),
                             ErrorCode::InvalidArgument);
        const std::string object =
            "\"{\" " + ws + " \"\\\"name\\\"\" " + ws + " \":\" " + ws + " ( " + alternatives + " ) " + ws + " \"}\"";
        std::string root;
        switch (format) {
        case ToolCallFormat::Hermes: {
            const std::string call = "\"<tool_call>\" " + ws + " " + object + " " + ws + " \"</tool_call>\"";
            root = choice.parallel ? call + " ( " + between + " " + call + " )*" : call;
            break;
        }
        case ToolCallFormat::Llama3:
            root = object;
            break;
        case ToolCallFormat::Mistral:
            root = "\"[\" " + ws + " " + object +
                   (choice.parallel ? " ( " + ws + " \",\" " + between + " " + object + " )*" : std::string()) + " " +
                   ws + " \"]\"";
            break;
        }
        return g.finish(root);
    } catch (const grammar::SchemaError &e) {
        return makeError(std::string("tools: ") + e.what(), ErrorCode::InvalidArgument);
    } catch (const std::exception &e) {
        return makeError(e.what(), ErrorCode::InvalidArgument);
    }
}

ToolOutput parseToolCalls(ToolCallFormat format, std::string_view text, std::string_view toolsJson)
{
    std::set<std::string> known;
    try {
        for (const Tool &t : readTools(toolsJson))
            known.insert(t.name);
    } catch (const std::exception &) {
        return {std::string(text), {}};
    }
    switch (format) {
    case ToolCallFormat::Hermes:
        return parseHermes(text, known);
    case ToolCallFormat::Llama3:
        return parseLlama3(text, known);
    case ToolCallFormat::Mistral:
        return parseMistral(text, known);
    }
    return {std::string(text), {}};
}

ToolCallStream::ToolCallStream(ToolCallFormat format) : format_(format) {}

std::string ToolCallStream::push(std::string_view piece)
{
    text_ += piece;
    if (inCall_)
        return {};
    size_t safe = text_.size();
    if (format_ == ToolCallFormat::Hermes) {
        if (const size_t at = text_.find(kHermesOpen, released_); at != std::string::npos) {
            inCall_ = true;
            safe = at;
        } else { // hold back a tail that may be the start of "<tool_call>"
            for (size_t n = std::min(kHermesOpen.size() - 1, text_.size() - released_); n > 0; --n)
                if (kHermesOpen.compare(0, n, std::string_view(text_).substr(text_.size() - n)) == 0) {
                    safe = text_.size() - n;
                    break;
                }
        }
    } else { // Llama 3 / Mistral: a reply that is a call starts with it ('{' / '[' after blanks)
        const size_t first = text_.find_first_not_of(" \t\r\n");
        if (first == std::string::npos)
            safe = released_; // only blanks so far: undecided
        else if (released_ == 0 && (text_[first] == '{' || text_[first] == '['))
            inCall_ = true, safe = 0;
    }
    std::string out = safe > released_ ? text_.substr(released_, safe - released_) : std::string();
    released_ = std::max(released_, safe);
    return out;
}

std::string ToolCallStream::finish(const ToolOutput &parsed)
{
    if (!parsed.calls.empty())
        return {};
    std::string rest = text_.substr(std::min(released_, text_.size()));
    released_ = text_.size();
    return rest;
}

} // namespace smartbot::engine
