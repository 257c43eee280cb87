// The request body of POST /v1/chat/completions beyond the sampling fields (request_helpers.h: parseSampling):
// what SmartBot refuses, and the messages. Pure functions of the JSON; any thread.
#pragma once

#include <QJsonObject>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/protocol/api_error.h"

namespace smartbot::http {

// Options SmartBot does not implement are refused (400 unsupported_parameter naming the field), never silently
// ignored: n > 1, tools, functions, logit_bias, logprobs, audio, prediction, a non-text response_format or modality.
std::optional<ApiError> refuseUnsupported(const QJsonObject &body);

// messages: [{role, content}] with content a string or a list of {"type":"text","text":...} parts; "developer" is
// read as "system". Appends (role, text) pairs to `out`; a 400 naming the bad message and field otherwise.
std::optional<ApiError> parseMessages(const QJsonObject &body, std::vector<std::pair<std::string, std::string>> &out);

} // namespace smartbot::http
