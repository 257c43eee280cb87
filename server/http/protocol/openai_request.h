// The request body of POST /v1/chat/completions beyond the sampling fields (request_helpers.h: parseSampling):
// what SmartBot refuses, and the messages. Pure functions of the JSON; any thread.
#pragma once

#include <QByteArray>
#include <QJsonObject>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/protocol/api_error.h"
#include "smartbot/engine/engine.h"

namespace smartbot::http {

// Options SmartBot does not implement are refused (400 unsupported_parameter naming the field), never silently
// ignored: the legacy functions/function_call, audio, prediction, a modality other than text.
std::optional<ApiError> refuseUnsupported(const QJsonObject &body);

// n: how many choices to generate for the prompt, 1..kMaxChoices; each is a generation of its own (seed + index).
constexpr int kMaxChoices = 16;
std::optional<ApiError> parseChoiceCount(const QJsonObject &body, int &n);

// logprobs (true/false) and top_logprobs (0..20, only with logprobs true) into out.logprobs (-1 = off).
constexpr int kMaxTopLogprobs = 20;
std::optional<ApiError> parseLogprobs(const QJsonObject &body, engine::GenerationParams &out);

// messages: [{role, content}] with content a string or a list of {"type":"text","text":...} parts; "developer" is
// read as "system". Appends (role, text) pairs to `out`; a 400 naming the bad message and field otherwise.
// Structured outputs: response_format {"type": "text" | "json_object" | "json_schema", "json_schema": {"name",
// "schema", "strict"}} and SmartBot's extension "grammar" (GBNF) become out.grammar. The schema is read from
// rawBody (the body as received, for its key order). A schema the compiler cannot hold is a 400 naming the keyword.
std::optional<ApiError> parseResponseFormat(const QJsonObject &body, const QByteArray &rawBody,
                                            engine::GenerationParams &out);

// Also "tool" messages (tool_call_id required) and assistant messages with tool_calls (content may then be null);
// their extra fields go to ChatMessage::extraJson as chat templates read them (arguments as an object).
std::optional<ApiError> parseMessages(const QJsonObject &body, std::vector<engine::ChatMessage> &out);

// tools, tool_choice (none / auto / required / a named function) and parallel_tool_calls. toolsJson stays "" when
// the model is not to see tools (none given, or tool_choice none). The tools are read from rawBody (key order) and
// checked by the engine (names, parameters the grammar compiler holds); a 400 names the field.
std::optional<ApiError> parseTools(const QJsonObject &body, const QByteArray &rawBody, std::string &toolsJson,
                                   engine::ToolChoice &choice);

} // namespace smartbot::http
