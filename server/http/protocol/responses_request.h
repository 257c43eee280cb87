// The request body of POST /v1/responses (OpenAI's Responses API) as an inference job: input (a string, or items:
// messages with text parts, function_call and function_call_output), instructions, max_output_tokens, temperature,
// top_p, tools (functions, written flat), tool_choice, parallel_tool_calls, text.format (text / json_object /
// json_schema). Pure functions of the JSON; any thread.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <optional>
#include <vector>

#include "core/server_config.h"
#include "http/protocol/api_error.h"
#include "service/inference_worker.h"

namespace smartbot::http {

struct ResponsesRequest {
    service::InferenceWorker::Request job;         // messages from the input only (no instructions, no history)
    std::vector<engine::ChatMessage> instructions; // a system message when instructions are given
    QString previousResponseId;
    bool store = true;
    bool stream = false;
};

// Fills out; a 400 naming the field (input[2].type, text.format.schema, ...) otherwise. Unknown fields are ignored
// as OpenAI ignores them; what SmartBot cannot do (images and files in the input, hosted tools) is refused by name.
std::optional<ApiError> parseResponsesRequest(const QJsonObject &body, const QByteArray &rawBody,
                                              const ServerConfig &config, ResponsesRequest &out);

} // namespace smartbot::http
