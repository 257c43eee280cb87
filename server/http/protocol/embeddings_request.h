// The request body of POST /v1/embeddings. A pure function of the JSON; any thread.
#pragma once

#include <QJsonObject>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "http/protocol/api_error.h"

namespace smartbot::http {

struct EmbeddingsRequest {
    std::vector<std::variant<std::string, std::vector<int32_t>>> inputs; // texts or token ids, in order
    bool base64 = false; // encoding_format "base64": little-endian float32s, base64-encoded
    int dimensions = 0;  // keep the first this many components (then L2-normalise again); 0 = all
};

constexpr int kMaxEmbeddingInputs = 2048; // OpenAI's limit

// input: a string, a list of strings, a list of token ids or a list of such lists (at most 2,048 inputs, none
// empty); encoding_format "float" (default) or "base64"; dimensions a whole number from 1 (the route checks it
// against the model). A 400 naming the field (and the input's index) otherwise.
std::optional<ApiError> parseEmbeddingsRequest(const QJsonObject &body, EmbeddingsRequest &out);

} // namespace smartbot::http
