// Tool (function) calling: how a model writes a call, the grammar that forces one, and reading calls back out of
// generated text. Qt-free; pure functions of their inputs, any thread.
//
// The format is the one the model's chat template teaches (detected from its source):
//   Hermes  <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>, one block per call (Qwen2.5, Hermes,
//           and SmartBot's own for models whose template knows no tools: the tools are then described to the model
//           in the system message, see toolsSystemBlock());
//   Llama3  {"name": "f", "parameters": {...}} as the whole reply (Llama 3.1/3.2 JSON tool calling; the
//           <|python_tag|> token is special and never part of decoded text);
//   Mistral [TOOL_CALLS][{"name": "f", "arguments": {...}}, ...] (the marker is a special token: the text holds the
//           JSON array).
// Tools are OpenAI's: [{"type": "function", "function": {"name", "description", "parameters", "strict"}}].
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

enum class ToolCallFormat { Hermes, Llama3, Mistral };
const char *toolCallFormatName(ToolCallFormat format); // "hermes" / "llama3" / "mistral"

// From a chat template's source; Hermes when it shows none (SmartBot then describes the tools itself).
ToolCallFormat detectToolCallFormat(std::string_view templateSource);

struct ToolChoice {
    enum class Mode { None, Auto, Required, Function };
    Mode mode = Mode::Auto;
    std::string function; // Mode::Function: the one to call
    bool parallel = true; // several calls in one reply allowed (parallel_tool_calls)
};

struct ToolCall {
    std::string name;
    std::string arguments; // a JSON object, compact
};

struct ToolOutput {
    std::string content; // the text outside the calls, trimmed
    std::vector<ToolCall> calls;
};

// The Responses API's tools ({"type": "function", "name", "parameters", ...}) in the Chat Completions form, which
// templates expect ({"type": "function", "function": {...}}); tools already in that form are kept. Key order kept.
Result<std::string> chatTools(std::string_view toolsJson);

// Checks OpenAI's tools array (JSON text): names ([a-zA-Z0-9_-], 1..64, distinct), parameters a JSON Schema object
// the grammar compiler holds (so a forced call can be generated). Errors name the entry: "tools[1].function.name ...".
Result<void> checkTools(std::string_view toolsJson);

// For templates that do not render `tools`: instructions and the tools' signatures, in the Hermes format, for the
// system message.
std::string toolsSystemBlock(std::string_view toolsJson);

// The grammar of a reply that is nothing but calls (choice Required: any of the tools; Function: that one; one call
// or, when parallel, one or more), each call's arguments held to its function's parameters schema.
Result<std::string> toolCallGrammar(ToolCallFormat format, std::string_view toolsJson, const ToolChoice &choice);

// Calls in generated text. A block that is not a well-formed call of a known tool leaves the text as plain content
// (no calls): a reply is either read as calls or returned as written. One exception: an unfinished last block after
// whole calls (the token budget ran out in the middle of another call) is dropped and the whole calls stand.
ToolOutput parseToolCalls(ToolCallFormat format, std::string_view text, std::string_view toolsJson);

// Streaming with tools on: passes content through as it comes, but holds back what may be the start of a call, and
// everything from a call's first marker on (calls are sent whole at the end, as OpenAI's deltas allow).
class ToolCallStream {
public:
    explicit ToolCallStream(ToolCallFormat format);
    std::string push(std::string_view piece); // content that is safe to send now
    // At the end: the held-back text as content when it was no call after all ("" when calls were found).
    std::string finish(const ToolOutput &parsed);

private:
    ToolCallFormat format_;
    std::string text_;    // everything so far
    size_t released_ = 0; // bytes of text_ sent as content
    bool inCall_ = false;
};

} // namespace smartbot::engine
