// OpenAI-compatible routes: GET /v1/models, POST /v1/chat/completions (JSON or SSE streaming).
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QTcpSocket>

#include "core/secret_files.h"
#include "http/routes/chat_dispatch.h"
#include "http/server/drain_reply.h"
#include "http/protocol/request_helpers.h"
#include "http/protocol/sse_stream.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

ApiError unsupported(const QString &field, const QString &what)
{
    return badRequest(QStringLiteral("%1 is not supported by SmartBot").arg(what),
                      QStringLiteral("unsupported_parameter"), field);
}

// Options SmartBot does not implement are refused, never silently ignored.
std::optional<ApiError> refuseUnsupported(const QJsonObject &body)
{
    if (body.contains(QStringLiteral("n")) && body.value(QStringLiteral("n")).toDouble(1) != 1)
        return unsupported(QStringLiteral("n"), QStringLiteral("n other than 1"));
    for (const char *field :
         {"tools", "functions", "tool_choice", "function_call", "logit_bias", "audio", "prediction"}) {
        const QJsonValue v = body.value(QLatin1String(field));
        if (!v.isUndefined() && !v.isNull() && !(v.isArray() && v.toArray().isEmpty()))
            return unsupported(QLatin1String(field), QStringLiteral("'%1'").arg(QLatin1String(field)));
    }
    if (body.value(QStringLiteral("logprobs")).toBool())
        return unsupported(QStringLiteral("logprobs"), QStringLiteral("logprobs"));
    const QJsonValue rf = body.value(QStringLiteral("response_format"));
    if (rf.isObject() && rf.toObject().value(QStringLiteral("type")).toString() != QLatin1String("text"))
        return unsupported(QStringLiteral("response_format"), QStringLiteral("a response_format other than text"));
    const QJsonValue modalities = body.value(QStringLiteral("modalities"));
    if (modalities.isArray() && modalities.toArray() != QJsonArray{QStringLiteral("text")})
        return unsupported(QStringLiteral("modalities"), QStringLiteral("modalities other than text"));
    return std::nullopt;
}

// messages: [{role, content}] with content a string or a list of {"type":"text","text":...} parts.
std::optional<ApiError> parseMessages(const QJsonObject &body, std::vector<std::pair<std::string, std::string>> &out)
{
    const QJsonValue v = body.value(QStringLiteral("messages"));
    if (!v.isArray() || v.toArray().isEmpty())
        return badRequest(QStringLiteral("field 'messages' must be a non-empty list"),
                          QStringLiteral("invalid_request"), QStringLiteral("messages"));
    const QJsonArray messages = v.toArray();
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QString where = QStringLiteral("messages[%1]").arg(i);
        if (!messages[i].isObject())
            return badRequest(QStringLiteral("'%1' must be an object").arg(where), QStringLiteral("invalid_request"),
                              where);
        const QJsonObject m = messages[i].toObject();
        QString role = m.value(QStringLiteral("role")).toString();
        if (role == QLatin1String("developer"))
            role = QStringLiteral("system");
        if (role != QLatin1String("system") && role != QLatin1String("user") && role != QLatin1String("assistant"))
            return badRequest(QStringLiteral("'%1.role' must be system, developer, user or assistant").arg(where),
                              QStringLiteral("invalid_request"), where + QStringLiteral(".role"));
        const QJsonValue c = m.value(QStringLiteral("content"));
        QString text;
        if (c.isString()) {
            text = c.toString();
        } else if (c.isArray()) {
            for (const auto &part : c.toArray()) {
                const QJsonObject p = part.toObject();
                if (p.value(QStringLiteral("type")).toString() != QLatin1String("text") ||
                    !p.value(QStringLiteral("text")).isString())
                    return unsupported(where + QStringLiteral(".content"), QStringLiteral("content other than text"));
                text += p.value(QStringLiteral("text")).toString();
            }
        } else if (!(c.isNull() && role == QLatin1String("assistant"))) {
            return badRequest(QStringLiteral("'%1.content' must be a string or a list of text parts").arg(where),
                              QStringLiteral("invalid_request"), where + QStringLiteral(".content"));
        }
        out.push_back({role.toStdString(), text.toStdString()});
    }
    return std::nullopt;
}

void handleCompletions(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                       QTcpSocket *socket)
{
    if (rejectIfDraining(ctx, responder))
        return;
    Principal who;
    if (auto e = ctx.auth->authenticateChat(request, who))
        return writeError(responder, *e);
    QJsonObject body;
    if (auto e = jsonBody(request, body))
        return writeError(responder, *e);
    if (auto e = refuseUnsupported(body))
        return writeError(responder, *e);
    service::InferenceWorker::Request job;
    if (auto e = parseMessages(body, job.messages))
        return writeError(responder, *e);
    if (auto e = parseSampling(body, *ctx.config, 1.0, job.params)) // OpenAI's default temperature is 1
        return writeError(responder, *e);
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
    const QString model = QString::fromStdString(ctx.worker->modelInfo().name);
    auto envelope = [id, created, model](const QString &object) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("object"), object},
                           {QStringLiteral("created"), created},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("system_fingerprint"), QStringLiteral("smartbot")}};
    };
    auto sse = std::make_shared<SseStream>(std::move(responder));

    if (!stream) {
        dispatch(ctx, who, std::move(job), socket, sse, [sse, envelope](const service::InferenceWorker::Reply &reply) {
            if (!reply.ok)
                return writeError(sse->responder(), replyError(reply));
            QJsonObject o = envelope(QStringLiteral("chat.completion"));
            const QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                                      {QStringLiteral("content"), QString::fromStdString(reply.result.text)}};
            o.insert(QStringLiteral("choices"),
                     QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                            {QStringLiteral("message"), message},
                                            {QStringLiteral("logprobs"), QJsonValue()},
                                            {QStringLiteral("finish_reason"),
                                             QString::fromLatin1(engine::finishReasonName(reply.result.finish))}}});
            o.insert(QStringLiteral("usage"), usageJson(reply.result));
            writeJson(sse->responder(), 200, o);
        });
        return;
    }

    auto chunk = [envelope](const QJsonObject &delta, const QJsonValue &finish) {
        QJsonObject o = envelope(QStringLiteral("chat.completion.chunk"));
        o.insert(QStringLiteral("choices"), QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                                                   {QStringLiteral("delta"), delta},
                                                                   {QStringLiteral("logprobs"), QJsonValue()},
                                                                   {QStringLiteral("finish_reason"), finish}}});
        return o;
    };
    // The role arrives with the first piece, so a job that fails before any text still gets a JSON error.
    auto first = std::make_shared<bool>(true);
    job.onPiece = [sse, chunk, first](const std::string &piece) {
        QJsonObject delta{{QStringLiteral("content"), QString::fromStdString(piece)}};
        if (*first)
            delta.insert(QStringLiteral("role"), QStringLiteral("assistant"));
        *first = false;
        sse->send(chunk(delta, QJsonValue()));
    };
    dispatch(ctx, who, std::move(job), socket, sse,
             [sse, chunk, envelope, first, includeUsage](const service::InferenceWorker::Reply &reply) {
                 if (!reply.ok)
                     return failStream(*sse, reply);
                 if (*first) // nothing was generated: still announce the role
                     sse->send(chunk({{QStringLiteral("role"), QStringLiteral("assistant")},
                                      {QStringLiteral("content"), QString()}},
                                     QJsonValue()));
                 sse->send(chunk({}, QString::fromLatin1(engine::finishReasonName(reply.result.finish))));
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

void handleModels(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (auto e = ctx.auth->authenticateChat(request, who))
        return writeError(responder, *e);
    QJsonArray data;
    if (ctx.worker->modelState() == service::InferenceWorker::ModelState::Ready) {
        const auto info = ctx.worker->modelInfo();
        data.append(QJsonObject{{QStringLiteral("id"), QString::fromStdString(info.name)},
                                {QStringLiteral("object"), QStringLiteral("model")},
                                {QStringLiteral("created"), ctx.worker->modelReadyAt()},
                                {QStringLiteral("owned_by"), QStringLiteral("smartbot")},
                                {QStringLiteral("context_length"), info.contextLength},
                                {QStringLiteral("architecture"), QString::fromStdString(info.architecture)}});
    }
    writeJson(responder, 200, {{QStringLiteral("object"), QStringLiteral("list")}, {QStringLiteral("data"), data}});
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
}

} // namespace smartbot::http
