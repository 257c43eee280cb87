// Fuzzes the JSON request parsing of the chat routes: the body as QJsonDocument::fromJson reads it, then
//   - parseSampling (request_helpers.h; /api/v1/chat and /v1/chat/completions),
//   - refuseUnsupported, parseLogprobs, parseChoiceCount, parseResponseFormat, parseTools and parseMessages of
//     /v1/chat/completions (openai_request.h),
//   - parseEmbeddingsRequest of /v1/embeddings (embeddings_request.h),
//   - parseResponsesRequest of /v1/responses (responses_request.h),
//   - AddressList::parse of an "allow" string (POST /admin/keys; core/address_list.h).
// Invariants: an accepted request's values are inside the documented ranges; every refusal is a 400 naming its field;
// an accepted address list prints canonically (parse(toString()) gives the same text back).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cmath>

#include "core/address_list.h"
#include "fuzz_check.h"
#include "http/protocol/embeddings_request.h"
#include "http/protocol/openai_request.h"
#include "http/protocol/responses_request.h"
#include "smartbot/engine/structured_output.h"
#include "smartbot/engine/tool_calls.h"
#include "http/protocol/request_helpers.h"

using namespace smartbot;
using namespace smartbot::http;

namespace {

void checkError(const ApiError &e, const std::string &where)
{
    FUZZ_CHECK(e.status == 400, where + ": status " + std::to_string(e.status));
    FUZZ_CHECK(!e.code.isEmpty() && !e.message.isEmpty(), where);
    FUZZ_CHECK(!e.param.isEmpty(), where + ": a 400 that names no field: " + e.message.toStdString());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (!doc.isObject())
        return 0;
    const QJsonObject body = doc.object();

    const ServerConfig config; // defaults: max_tokens 256, max_tokens_limit 4096
    engine::GenerationParams params;
    if (auto e = parseSampling(body, config, 1.0, params)) {
        checkError(*e, "parseSampling");
    } else {
        FUZZ_CHECK(params.maxTokens >= 1 && params.maxTokens <= config.maxTokensLimit, "max_tokens");
        FUZZ_CHECK(params.temperature >= 0 && params.temperature <= 2, "temperature");
        FUZZ_CHECK(params.topP > 0 && params.topP <= 1, "top_p");
        FUZZ_CHECK(params.topK >= 0, "top_k");
        FUZZ_CHECK(std::abs(params.presencePenalty) <= 2 && std::abs(params.frequencyPenalty) <= 2, "penalties");
        FUZZ_CHECK(params.repetitionPenalty > 0 && params.repetitionPenalty <= 10, "repetition_penalty");
        FUZZ_CHECK(params.stop.size() <= 4, "stop");
        for (const std::string &s : params.stop)
            FUZZ_CHECK(!s.empty(), "an empty stop string was accepted");
        if (body.value(QStringLiteral("seed")).isDouble()) // any integer, a negative one as its two's complement
            FUZZ_CHECK(double(int64_t(params.seed)) == body.value(QStringLiteral("seed")).toDouble(), "seed");
        if (body.value(QStringLiteral("top_p")) == QJsonValue(0)) // OpenAI's top_p 0: the likeliest token only
            FUZZ_CHECK(params.topK == 1, "top_p 0");
    }

    if (auto e = refuseUnsupported(body))
        checkError(*e, "refuseUnsupported");

    engine::GenerationParams withLogprobs;
    if (auto e = parseLogprobs(body, withLogprobs))
        checkError(*e, "parseLogprobs");
    else
        FUZZ_CHECK(withLogprobs.logprobs >= -1 && withLogprobs.logprobs <= kMaxTopLogprobs, "top_logprobs");
    int n = 0;
    if (auto e = parseChoiceCount(body, n))
        checkError(*e, "parseChoiceCount");
    else
        FUZZ_CHECK(n >= 1 && n <= kMaxChoices, "n");

    EmbeddingsRequest embeddings;
    if (auto e = parseEmbeddingsRequest(body, embeddings)) {
        checkError(*e, "parseEmbeddingsRequest");
    } else {
        FUZZ_CHECK(!embeddings.inputs.empty() && embeddings.inputs.size() <= size_t(kMaxEmbeddingInputs), "inputs");
        for (const auto &input : embeddings.inputs) {
            const auto *text = std::get_if<std::string>(&input);
            const auto *ids = std::get_if<std::vector<int32_t>>(&input);
            FUZZ_CHECK(text ? !text->empty() : !ids->empty(), "an empty input was accepted");
            if (ids)
                for (int32_t id : *ids)
                    FUZZ_CHECK(id >= 0, "a negative token id was accepted");
        }
        FUZZ_CHECK(embeddings.dimensions >= 0, "dimensions");
    }

    engine::GenerationParams structured;
    const QByteArray raw = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    if (auto e = parseResponseFormat(body, raw, structured))
        checkError(*e, "parseResponseFormat");
    else if (!structured.grammar.empty())
        FUZZ_CHECK(engine::checkGrammar(structured.grammar).ok(), "an accepted response_format's grammar fails");

    std::string toolsJson;
    engine::ToolChoice choice;
    if (auto e = parseTools(body, raw, toolsJson, choice))
        checkError(*e, "parseTools");
    else if (!toolsJson.empty())
        FUZZ_CHECK(engine::checkTools(toolsJson).ok(), "accepted tools the engine refuses");

    ResponsesRequest responses;
    if (auto e = parseResponsesRequest(body, raw, config, responses)) {
        checkError(*e, "parseResponsesRequest");
    } else {
        FUZZ_CHECK(!responses.job.messages.empty() || body.value(QStringLiteral("input")).isArray(), "input");
        if (!responses.job.toolsJson.empty())
            FUZZ_CHECK(engine::checkTools(responses.job.toolsJson).ok(), "responses tools the engine refuses");
    }

    std::vector<engine::ChatMessage> messages;
    if (auto e = parseMessages(body, messages)) {
        checkError(*e, "parseMessages");
    } else {
        const QJsonArray list = body.value(QStringLiteral("messages")).toArray();
        FUZZ_CHECK(!messages.empty() && qsizetype(messages.size()) == list.size(), "messages");
        for (const auto &m : messages)
            FUZZ_CHECK(m.role == "system" || m.role == "user" || m.role == "assistant" || m.role == "tool",
                       "role " + m.role);
    }

    const QJsonValue allow = body.value(QStringLiteral("allow"));
    if (allow.isString()) {
        auto list = AddressList::parse(allow.toString());
        if (list.ok()) {
            const QString canonical = list->toString();
            auto again = AddressList::parse(canonical);
            FUZZ_CHECK(again.ok(), "canonical address list refused: " + canonical.toStdString());
            FUZZ_CHECK(again->toString() == canonical, "address list not canonical: " + canonical.toStdString());
        } else {
            FUZZ_CHECK(!list.error().empty(), "an address list refused without a message");
        }
    }
    return 0;
}
