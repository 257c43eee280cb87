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
// ignored: n > 1, tools, functions, logprobs, audio, prediction, a modality other than text.
std::optional<ApiError> refuseUnsupported(const QJsonObject &body);

// messages: [{role, content}] with content a string or a list of {"type":"text","text":...} parts; "developer" is
// read as "system". Appends (role, text) pairs to `out`; a 400 naming the bad message and field otherwise.
// Structured outputs: response_format {"type": "text" | "json_object" | "json_schema", "json_schema": {"name",
// "schema", "strict"}} and SmartBot's extension "grammar" (GBNF) become out.grammar. The schema is read from
// rawBody (the body as received, for its key order). A schema the compiler cannot hold is a 400 naming the keyword.
std::optional<ApiError> parseResponseFormat(const QJsonObject &body, const QByteArray &rawBody,
                                            engine::GenerationParams &out);

std::optional<ApiError> parseMessages(const QJsonObject &body, std::vector<std::pair<std::string, std::string>> &out);

} // namespace smartbot::http
