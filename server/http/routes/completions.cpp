// OpenAI's legacy text completions: POST /v1/completions (JSON or SSE streaming). The prompt is continued as it is
// written (BOS added as the tokenizer says, no chat template), through the same engine, authentication, limits,
// usage accounting and metrics as chat.
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QTcpSocket>

#include "core/secret_files.h"
#include "http/protocol/request_helpers.h"
#include "http/protocol/sse_stream.h"
#include "http/routes/chat_dispatch.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

constexpr int kDefaultMaxTokens = 16; // OpenAI's default for /v1/completions (not [model] max_tokens)

ApiError unsupported(const QString &field, const QString &what)
{
    return badRequest(QStringLiteral("%1 is not supported by SmartBot").arg(what),
                      QStringLiteral("unsupported_parameter"), field);
}

// The one prompt: a string, or a list holding one string. Several prompts (one choice each) and token-id prompts
// are refused by name.
std::optional<ApiError> parsePrompt(const QJsonObject &body, QString &out)
{
    const QJsonValue p = body.value(QStringLiteral("prompt"));
    if (p.isString()) {
        out = p.toString();
    } else if (p.isArray() && p.toArray().size() == 1 && p.toArray().first().isString()) {
        out = p.toArray().first().toString();
    } else if (p.isArray() && p.toArray().size() > 1 && p.toArray().first().isString()) {
        return unsupported(QStringLiteral("prompt"), QStringLiteral("a list of several prompts"));
    } else if (p.isArray() && !p.toArray().isEmpty() && p.toArray().first().isDouble()) {
        return unsupported(QStringLiteral("prompt"), QStringLiteral("a prompt of token ids"));
    } else {
        return badRequest(QStringLiteral("field 'prompt' must be a non-empty string"),
                          QStringLiteral("invalid_request"), QStringLiteral("prompt"));
    }
    if (out.isEmpty())
        return badRequest(QStringLiteral("field 'prompt' must be a non-empty string"),
                          QStringLiteral("invalid_request"), QStringLiteral("prompt"));
    return std::nullopt;
}

// What OpenAI accepts here that SmartBot does not do: refused by name rather than ignored.
std::optional<ApiError> refuseUnsupportedCompletion(const QJsonObject &body)
{
    const auto given = [&](const char *field) {
        const QJsonValue v = body.value(QLatin1String(field));
        return !v.isUndefined() && !v.isNull();
    };
    if (given("suffix") && !body.value(QStringLiteral("suffix")).toString().isEmpty())
        return unsupported(QStringLiteral("suffix"), QStringLiteral("'suffix' (insertion)"));
    if (given("logprobs") && body.value(QStringLiteral("logprobs")).toInt(-1) != 0)
        return unsupported(QStringLiteral("logprobs"), QStringLiteral("logprobs"));
    for (const char *field : {"n", "best_of"})
        if (given(field) && body.value(QLatin1String(field)).toDouble(1) != 1)
            return unsupported(QLatin1String(field), QStringLiteral("'%1' other than 1").arg(QLatin1String(field)));
    if (given("stream_options") && !body.value(QStringLiteral("stream")).toBool())
        return badRequest(QStringLiteral("'stream_options' is only allowed when 'stream' is true"),
                          QStringLiteral("invalid_request"), QStringLiteral("stream_options"));
    return std::nullopt;
}

void handleCompletions(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                       QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitGeneration(ctx, request, responder, who, body))
        return;
    if (auto e = refuseUnsupportedCompletion(body))
        return writeError(responder, *e);
    QString prompt;
    if (auto e = parsePrompt(body, prompt))
        return writeError(responder, *e);
    service::InferenceWorker::Request job;
    job.prompt = prompt.toStdString();
    ServerConfig config = *ctx.config;
    config.maxTokens = std::min(kDefaultMaxTokens, config.maxTokensLimit);
    if (auto e = parseSampling(body, config, 1.0, job.params))
        return writeError(responder, *e);
    const QJsonValue streamValue = body.value(QStringLiteral("stream"));
    if (!streamValue.isUndefined() && !streamValue.isNull() && !streamValue.isBool())
        return writeError(responder, badRequest(QStringLiteral("field 'stream' must be true or false"),
                                                QStringLiteral("invalid_request"), QStringLiteral("stream")));
    const QJsonValue echoValue = body.value(QStringLiteral("echo"));
    if (!echoValue.isUndefined() && !echoValue.isNull() && !echoValue.isBool())
        return writeError(responder, badRequest(QStringLiteral("field 'echo' must be true or false"),
                                                QStringLiteral("invalid_request"), QStringLiteral("echo")));
    if (auto e = checkModelAvailable(ctx, body.value(QStringLiteral("model"))))
        return writeError(responder, *e);

    const bool stream = streamValue.toBool(), echo = echoValue.toBool();
    const bool includeUsage =
        body.value(QStringLiteral("stream_options")).toObject().value(QStringLiteral("include_usage")).toBool();
    const QString id = QStringLiteral("cmpl-") + QString::fromLatin1(randomBytes(12).toHex());
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const QString model = QString::fromStdString(ctx.worker->modelInfo().name);
    // One text_completion object; choices holds the one choice, or none for the usage chunk.
    auto completion = [id, created, model](const QJsonArray &choices) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("object"), QStringLiteral("text_completion")},
                           {QStringLiteral("created"), created},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("system_fingerprint"), QStringLiteral("smartbot")},
                           {QStringLiteral("choices"), choices}};
    };
    auto choice = [](const QString &text, const QJsonValue &finish) {
        return QJsonObject{{QStringLiteral("text"), text},
                           {QStringLiteral("index"), 0},
                           {QStringLiteral("logprobs"), QJsonValue()},
                           {QStringLiteral("finish_reason"), finish}};
    };
    auto sse = std::make_shared<SseStream>(std::move(responder));

    if (!stream) {
        dispatch(ctx, who, std::move(job), socket, sse,
                 [sse, completion, choice, echo, prompt](const service::InferenceWorker::Reply &reply) {
                     if (!reply.ok)
                         return writeError(sse->responder(), replyError(reply));
                     const QString text = (echo ? prompt : QString()) + QString::fromStdString(reply.result.text);
                     QJsonObject o = completion(
                         QJsonArray{choice(text, QString::fromLatin1(engine::finishReasonName(reply.result.finish)))});
                     o.insert(QStringLiteral("usage"), usageJson(reply.result));
                     writeJson(sse->responder(), 200, o);
                 });
        return;
    }

    auto chunk = [completion, choice, includeUsage](const QString &text, const QJsonValue &finish) {
        QJsonObject o = completion(QJsonArray{choice(text, finish)});
        if (includeUsage)
            o.insert(QStringLiteral("usage"), QJsonValue());
        return o;
    };
    auto first = std::make_shared<bool>(true);
    job.onPiece = [sse, chunk, first, echo, prompt](const std::string &piece) {
        const QString text = (echo && *first ? prompt : QString()) + QString::fromStdString(piece);
        *first = false;
        sse->send(chunk(text, QJsonValue()));
    };
    dispatch(ctx, who, std::move(job), socket, sse,
             [sse, chunk, completion, first, echo, prompt, includeUsage](const service::InferenceWorker::Reply &reply) {
                 if (!reply.ok)
                     return failStream(*sse, reply);
                 if (*first && echo) // nothing was generated: the echoed prompt still arrives
                     sse->send(chunk(prompt, QJsonValue()));
                 sse->send(chunk(QString(), QString::fromLatin1(engine::finishReasonName(reply.result.finish))));
                 if (includeUsage) {
                     QJsonObject u = completion(QJsonArray());
                     u.insert(QStringLiteral("usage"), usageJson(reply.result));
                     sse->send(u);
                 }
                 sse->sendRaw("[DONE]");
                 sse->end();
             });
}

} // namespace

void installCompletionRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/v1/completions"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleCompletions(ctx, req, std::move(r), socket);
                 });
}

} // namespace smartbot::http
