// Shared request checks for the route handlers: JSON bodies, typed fields, credentials.
#pragma once

#include <QByteArray>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonObject>
#include <optional>

#include "core/server_config.h"
#include "core/token_service.h"
#include "http/protocol/api_error.h"
#include "smartbot/engine/engine.h"

namespace smartbot::http {

// A client-supplied value quoted in an error message: at most maxChars, then "… (N characters)".
QString forMessage(const QString &value, qsizetype maxChars = 64);
// Parses a JSON object body; checks the content type first (415), then the syntax (400), then that every string is
// valid UTF-16 (400 naming the field holding an unpaired surrogate escape).
std::optional<ApiError> jsonBody(const QHttpServerRequest &request, QJsonObject &out);
// Optional numeric field within [lo, hi]; integral when asked. The error names the field.
std::optional<ApiError> number(const QJsonObject &o, const QString &field, double lo, double hi, bool integral,
                               double &out);
// Optional true/false field: out keeps its value (the default) when the field is absent or null. The error names
// the field.
std::optional<ApiError> boolean(const QJsonObject &o, const QString &field, bool &out);
// A list of token ids (whole numbers from 0 to 2^31-1; the vocabulary is the worker's to check), or nullopt.
std::optional<std::vector<int32_t>> tokenIdList(const QJsonArray &list);
// The token of "Authorization: Bearer <token>", or empty.
QByteArray bearerToken(const QHttpServerRequest &request);

// Sampling fields shared by the chat routes: max_tokens / max_completion_tokens, temperature, top_p, top_k,
// seed, presence_penalty, frequency_penalty, repetition_penalty, stop (a string or up to 4 strings).
std::optional<ApiError> parseSampling(const QJsonObject &body, const ServerConfig &config, double defaultTemperature,
                                      engine::GenerationParams &out);

} // namespace smartbot::http
