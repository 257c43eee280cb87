// OpenAI-compatible routes: GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions (JSON or SSE streaming).
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QTcpSocket>
#include <QUrl>

#include "core/secret_files.h"
#include "http/routes/chat_dispatch.h"
#include "http/protocol/openai_request.h"
#include "http/protocol/request_helpers.h"
#include "http/protocol/sse_stream.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

// message.tool_calls (or, streamed, one delta holding each whole call with its index).
QJsonArray toolCallsJson(const std::vector<engine::ToolCall> &calls, bool delta)
{
    QJsonArray list;
    for (size_t i = 0; i < calls.size(); ++i) {
        QJsonObject call{{QStringLiteral("id"), QStringLiteral("call_") + QString::fromLatin1(randomBytes(12).toHex())},
                         {QStringLiteral("type"), QStringLiteral("function")},
                         {QStringLiteral("function"),
                          QJsonObject{{QStringLiteral("name"), QString::fromStdString(calls[i].name)},
                                      {QStringLiteral("arguments"), QString::fromStdString(calls[i].arguments)}}}};
        if (delta)
            call.insert(QStringLiteral("index"), int(i));
        list.append(call);
    }
    return list;
}

QString finishReason(const engine::GenerationResult &result, const engine::ToolOutput &out)
{
    return out.calls.empty() ? QString::fromLatin1(engine::finishReasonName(result.finish))
                             : QStringLiteral("tool_calls");
}

void handleCompletions(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                       QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitGeneration(ctx, request, responder, who, body))
        return;
    if (auto e = refuseUnsupported(body))
        return writeError(responder, *e);
    service::InferenceWorker::Request job;
    if (auto e = parseMessages(body, job.messages))
        return writeError(responder, *e);
    if (auto e = parseSampling(body, *ctx.config, 1.0, job.params)) // OpenAI's default temperature is 1
        return writeError(responder, *e);
    if (auto e = parseResponseFormat(body, request.body(), job.params))
        return writeError(responder, *e);
    if (auto e = parseTools(body, request.body(), job.toolsJson, job.toolChoice))
        return writeError(responder, *e);
    using Mode = engine::ToolChoice::Mode;
    if (!job.toolsJson.empty() && !job.params.grammar.empty() &&
        (job.toolChoice.mode == Mode::Required || job.toolChoice.mode == Mode::Function))
        return writeError(responder,
                          badRequest(QStringLiteral("a tool_choice that forces a call cannot be combined with "
                                                    "a response_format or grammar"),
                                     QStringLiteral("invalid_request"), QStringLiteral("tool_choice")));
    const QJsonValue streamValue = body.value(QStringLiteral("stream"));
    if (!streamValue.isUndefined() && !streamValue.isNull() && !streamValue.isBool())
        return writeError(responder, badRequest(QStringLiteral("field 'stream' must be true or false"),
                                                QStringLiteral("invalid_request"), QStringLiteral("stream")));
    if (auto e = checkModelAvailable(ctx, body.value(QStringLiteral("model"))))
        return writeError(responder, *e);

    const bool stream = streamValue.toBool();
    const bool includeUsage =
        body.value(QStringLiteral("stream_options")).toObject().value(QStringLiteral("include_usage")).toBool();
    const QString id = QStringLiteral("chatcmpl-") + QString::fromLatin1(randomBytes(12).toHex());
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const engine::ModelInfo info = ctx.worker->modelInfo();
    const QString model = QString::fromStdString(info.name);
    // With tools on, the reply is read for calls in the model's format (the loaded model's; tool_calls.h).
    const std::string toolsJson = job.toolsJson;
    const engine::ToolCallFormat format = info.toolCallFormat;
    auto readCalls = [toolsJson, format](const engine::GenerationResult &r) {
        return toolsJson.empty() ? engine::ToolOutput{r.text, {}} : engine::parseToolCalls(format, r.text, toolsJson);
    };
    auto envelope = [id, created, model](const QString &object) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("object"), object},
                           {QStringLiteral("created"), created},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("system_fingerprint"), QStringLiteral("smartbot")}};
    };
    auto sse = std::make_shared<SseStream>(std::move(responder));

    if (!stream) {
        dispatch(ctx, who, std::move(job), socket, sse,
                 [sse, envelope, readCalls](const service::InferenceWorker::Reply &reply) {
                     if (!reply.ok)
                         return writeError(sse->responder(), replyError(reply));
                     QJsonObject o = envelope(QStringLiteral("chat.completion"));
                     const engine::ToolOutput out = readCalls(reply.result);
                     QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                                         {QStringLiteral("content"), QString::fromStdString(out.content)},
                                         {QStringLiteral("refusal"), QJsonValue()}};
                     if (!out.calls.empty()) {
                         message.insert(QStringLiteral("tool_calls"), toolCallsJson(out.calls, false));
                         if (out.content.empty())
                             message.insert(QStringLiteral("content"), QJsonValue());
                     }
                     o.insert(
                         QStringLiteral("choices"),
                         QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                                {QStringLiteral("message"), message},
                                                {QStringLiteral("logprobs"), QJsonValue()},
                                                {QStringLiteral("finish_reason"), finishReason(reply.result, out)}}});
                     o.insert(QStringLiteral("usage"), usageJson(reply.result));
                     writeJson(sse->responder(), 200, o);
                 });
        return;
    }

    auto chunk = [envelope, includeUsage](const QJsonObject &delta, const QJsonValue &finish) {
        QJsonObject o = envelope(QStringLiteral("chat.completion.chunk"));
        o.insert(QStringLiteral("choices"), QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                                                   {QStringLiteral("delta"), delta},
                                                                   {QStringLiteral("logprobs"), QJsonValue()},
                                                                   {QStringLiteral("finish_reason"), finish}}});
        if (includeUsage) // as OpenAI: null in every chunk, the totals in a last one of their own
            o.insert(QStringLiteral("usage"), QJsonValue());
        return o;
    };
    // The role arrives with the first piece, so a job that fails before any text still gets a JSON error.
    auto first = std::make_shared<bool>(true);
    auto sendContent = [sse, chunk, first](const std::string &piece) {
        if (piece.empty())
            return;
        QJsonObject delta{{QStringLiteral("content"), QString::fromStdString(piece)}};
        if (*first)
            delta.insert(QStringLiteral("role"), QStringLiteral("assistant"));
        *first = false;
        sse->send(chunk(delta, QJsonValue()));
    };
    // With tools on, what may be a call is held back and sent as tool_calls deltas at the end.
    auto calls = toolsJson.empty() ? nullptr : std::make_shared<engine::ToolCallStream>(format);
    job.onPiece = [sendContent, calls](const std::string &piece) { sendContent(calls ? calls->push(piece) : piece); };
    dispatch(ctx, who, std::move(job), socket, sse,
             [sse, chunk, envelope, first, includeUsage, sendContent, calls,
              readCalls](const service::InferenceWorker::Reply &reply) {
                 if (!reply.ok)
                     return failStream(*sse, reply);
                 const engine::ToolOutput out = calls ? readCalls(reply.result) : engine::ToolOutput{};
                 if (calls)
                     sendContent(calls->finish(out));
                 if (*first) // nothing was sent: still announce the role
                     sse->send(
                         chunk({{QStringLiteral("role"), QStringLiteral("assistant")},
                                {QStringLiteral("content"), out.calls.empty() ? QJsonValue(QString()) : QJsonValue()}},
                               QJsonValue()));
                 if (!out.calls.empty())
                     sse->send(chunk({{QStringLiteral("tool_calls"), toolCallsJson(out.calls, true)}}, QJsonValue()));
                 sse->send(chunk({}, finishReason(reply.result, out)));
                 if (includeUsage) {
                     QJsonObject u = envelope(QStringLiteral("chat.completion.chunk"));
                     u.insert(QStringLiteral("choices"), QJsonArray());
                     u.insert(QStringLiteral("usage"), usageJson(reply.result));
                     sse->send(u);
                 }
                 sse->sendRaw("[DONE]");
                 sse->end();
             });
}

QJsonObject modelObject(const RouteContext &ctx, const QString &id)
{
    const auto info = ctx.worker->modelInfo();
    return {{QStringLiteral("id"), id},
            {QStringLiteral("object"), QStringLiteral("model")},
            {QStringLiteral("created"), ctx.worker->modelReadyAt()},
            {QStringLiteral("owned_by"), QStringLiteral("smartbot")},
            {QStringLiteral("context_length"), info.contextLength},
            {QStringLiteral("architecture"), QString::fromStdString(info.architecture)}};
}

// GET /v1/models: the loaded model, then the names [model] aliases gives it (not the * wildcard).
void handleModels(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (auto e = ctx.auth->authenticateChat(request, who))
        return writeError(responder, *e);
    QJsonArray data;
    if (ctx.worker->modelState() == service::InferenceWorker::ModelState::Ready) {
        const QString loaded = QString::fromStdString(ctx.worker->modelInfo().name);
        data.append(modelObject(ctx, loaded));
        for (const auto &[alias, target] : ctx.config->modelAliases)
            if (alias != QLatin1String("*") && alias != loaded && servesModel(*ctx.config, loaded, alias))
                data.append(modelObject(ctx, alias));
    }
    writeJson(responder, 200, {{QStringLiteral("object"), QStringLiteral("list")}, {QStringLiteral("data"), data}});
}

// GET /v1/models/{id} (the SDKs' models.retrieve, often a connection check): the model a request naming id gets.
void handleModel(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (auto e = ctx.auth->authenticateChat(request, who))
        return writeError(responder, *e);
    const QString id =
        QUrl::fromPercentEncoding(request.url().path(QUrl::FullyEncoded).section(QLatin1Char('/'), 3).toUtf8());
    if (auto e = checkModelAvailable(ctx, id))
        return writeError(responder, *e);
    writeJson(responder, 200, modelObject(ctx, id));
}

} // namespace

void installOpenAiRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/v1/chat/completions"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleCompletions(ctx, req, std::move(r), socket);
                 });
    server.route(
        Method::Get, QStringLiteral("/v1/models"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleModels(ctx, req, r); });
    server.route(
        Method::Get, QStringLiteral("/v1/models/{id}"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleModel(ctx, req, r); });
}

} // namespace smartbot::http
