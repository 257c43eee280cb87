#include "tools/tool_messages.h"

#include <nlohmann/json.hpp>

#include "smartbot/engine/tool_calls.h"

namespace smartbot::engine {

namespace {

using ojson = nlohmann::ordered_json;

// An assistant message's tool_calls (in its extraJson) as the Hermes blocks the model would have written.
std::string callsAsText(const std::string &extraJson)
{
    const ojson extra = ojson::parse(extraJson, nullptr, false);
    std::string text;
    if (extra.is_discarded() || !extra.is_object() || !extra.contains("tool_calls") || !extra["tool_calls"].is_array())
        return text;
    for (const ojson &call : extra["tool_calls"]) {
        const ojson &fn = call.contains("function") ? call["function"] : call;
        ojson shown = {{"name", fn.value("name", std::string())},
                       {"arguments", fn.contains("arguments") ? fn["arguments"] : ojson::object()}};
        text += "\n<tool_call>\n" + shown.dump() + "\n</tool_call>";
    }
    return text;
}

} // namespace

ToolRendering toolRendering(const std::string &source)
{
    ToolRendering r;
    r.templateRendersTools = source.find("tools") != std::string::npos;
    r.templateRendersCalls = source.find("tool_calls") != std::string::npos;
    return r;
}

std::string prepareToolMessages(std::vector<ChatMessage> &messages, const std::string &toolsJson,
                                const ToolRendering &rendering)
{
    if (!rendering.templateRendersCalls) {
        std::vector<ChatMessage> out;
        for (ChatMessage &m : messages) {
            if (m.role == "tool") {
                const std::string wrapped = "<tool_response>\n" + m.content + "\n</tool_response>";
                if (!out.empty() && out.back().role == "user" && out.back().extraJson == "{\"tool_response\":true}")
                    out.back().content += "\n" + wrapped;
                else
                    out.push_back({"user", wrapped, "{\"tool_response\":true}"});
                continue;
            }
            if (m.role == "assistant" && !m.extraJson.empty()) {
                m.content += callsAsText(m.extraJson);
                if (!m.content.empty() && m.content.front() == '\n')
                    m.content.erase(0, 1);
            }
            m.extraJson.clear();
            out.push_back(std::move(m));
        }
        for (ChatMessage &m : out)
            if (m.extraJson == "{\"tool_response\":true}")
                m.extraJson.clear();
        messages = std::move(out);
    }
    if (toolsJson.empty() || rendering.templateRendersTools)
        return toolsJson;
    const std::string block = toolsSystemBlock(toolsJson);
    if (!messages.empty() && messages.front().role == "system")
        messages.front().content += "\n\n" + block;
    else
        messages.insert(messages.begin(), ChatMessage{"system", block, {}});
    return {};
}

} // namespace smartbot::engine
