// Conversations with tools, for chat templates that know nothing of them (base models, Llama 2, Phi-3): the tools go
// into the system message (toolsSystemBlock), an assistant's calls become <tool_call> blocks in its text, and tool
// results become user turns wrapped in <tool_response> (consecutive ones merged, for templates that insist on
// alternating roles). Templates that render `tools` and `tool_calls` themselves get the messages as they are.
#pragma once

#include <string>
#include <vector>

#include "smartbot/engine/chat_template.h"

namespace smartbot::engine {

struct ToolRendering {
    bool templateRendersTools = false; // the template reads `tools`
    bool templateRendersCalls = false; // ... and assistant `tool_calls` / `tool` messages
};
ToolRendering toolRendering(const std::string &templateSource);

// messages prepared for the template; toolsJson ("" = no tools) either stays for the template (returned) or moves
// into the system message (then "" is returned).
std::string prepareToolMessages(std::vector<ChatMessage> &messages, const std::string &toolsJson,
                                const ToolRendering &rendering);

} // namespace smartbot::engine
