#include "http/routes/chat_dispatch.h"

#include <QJsonObject>
#include <QTcpSocket>

#include "http/auth/authenticator.h"
#include "http/protocol/request_helpers.h"
#include "http/server/drain_reply.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

bool admitGeneration(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                     Principal &who, QJsonObject &body)
{
    if (rejectIfDraining(ctx, responder))
        return false;
    std::optional<ApiError> e = ctx.auth->authenticateChat(request, who);
    addReplyHeaders(responder.socket(), who.rateLimitHeaders); // on a 429 too
    if (!e)
        e = jsonBody(request, body);
    if (e) {
        writeError(responder, *e);
        return false;
    }
    return true;
}

bool servesModel(const ServerConfig &config, const QString &loaded, const QString &asked)
{
    if (asked == loaded)
        return true;
    const QString target = resolveModelAlias(config.modelAliases, asked);
    return target == QLatin1String("default") || (!target.isEmpty() && target == loaded);
}

std::optional<ApiError> checkModelAvailable(const RouteContext &ctx, const QJsonValue &model)
{
    if (!model.isUndefined() && !model.isNull() && !model.isString())
        return badRequest(QStringLiteral("field 'model' must be a string"), QStringLiteral("invalid_request"),
                          QStringLiteral("model"));
    const auto state = ctx.worker->modelState();
    if (state != service::InferenceWorker::ModelState::Ready) {
        ApiError e{503, QStringLiteral("model_not_loaded"), QStringLiteral("no model is loaded")};
        if (state == service::InferenceWorker::ModelState::Loading) {
            e.message = QStringLiteral("the model is still loading");
            e.retryAfterSeconds = 1;
        }
        return e;
    }
    const QString loaded = QString::fromStdString(ctx.worker->modelInfo().name);
    if (model.isString() && !servesModel(*ctx.config, loaded, model.toString())) {
        ApiError e{404, QStringLiteral("model_not_found"),
                   QStringLiteral("model '%1' is not available (loaded: %2; [model] aliases may map other names to it)")
                       .arg(model.toString(), loaded)};
        e.param = QStringLiteral("model");
        return e;
    }
    return std::nullopt;
}

void dispatch(const RouteContext &ctx, const Principal &who, service::InferenceWorker::Request &&job,
              QTcpSocket *socket, const std::shared_ptr<SseStream> &stream,
              std::function<void(const service::InferenceWorker::Reply &)> done)
{
    auto cancelled = std::make_shared<std::atomic_bool>(false);
    // A keep-alive socket serves request after request: the watch ends with its request, or each one would leave a
    // connection (~175 B with its state) on the socket until the client hangs up (issue 16, item 10).
    const QMetaObject::Connection watch =
        QObject::connect(socket, &QTcpSocket::disconnected, socket, [cancelled] { cancelled->store(true); });
    // Usage and tokens_per_minute: charge the finished generation to the caller.
    done = [auth = ctx.auth, subject = who.subject, watch,
            inner = std::move(done)](const service::InferenceWorker::Reply &r) {
        QObject::disconnect(watch); // runs on the socket's thread, the socket alive (else done is dropped)
        if (r.ok)
            auth->recordTokens(subject, qint64(r.result.promptIds.size()), qint64(r.result.ids.size()));
        inner(r);
    };
    if (!ctx.worker->submit(std::move(job), socket, std::move(done), cancelled)) {
        QObject::disconnect(watch);
        ApiError e{503, QStringLiteral("busy"), QStringLiteral("the server is busy; try again shortly")};
        e.retryAfterSeconds = 1;
        writeError(stream->responder(), e);
    }
}

QJsonObject usageJson(const engine::GenerationResult &r)
{
    const qint64 prompt = qint64(r.promptIds.size()), completion = qint64(r.ids.size());
    return {
        {QStringLiteral("prompt_tokens"), prompt},
        {QStringLiteral("completion_tokens"), completion},
        {QStringLiteral("total_tokens"), prompt + completion},
        {QStringLiteral("prompt_tokens_details"),
         QJsonObject{{QStringLiteral("cached_tokens"), qint64(r.cachedPromptTokens)}}},
        {QStringLiteral("completion_tokens_details"), QJsonObject{{QStringLiteral("reasoning_tokens"), 0},
                                                                  {QStringLiteral("accepted_prediction_tokens"), 0},
                                                                  {QStringLiteral("rejected_prediction_tokens"), 0}}}};
}

ApiError replyError(const service::InferenceWorker::Reply &reply)
{
    ApiError e{reply.status, reply.errorCode, reply.error};
    e.param = reply.param;
    return e;
}

void failStream(SseStream &stream, const service::InferenceWorker::Reply &reply)
{
    if (!stream.begun())
        return writeError(stream.responder(), replyError(reply));
    QJsonObject error{{QStringLiteral("code"), reply.errorCode}, {QStringLiteral("message"), reply.error}};
    if (!reply.param.isEmpty())
        error.insert(QStringLiteral("param"), reply.param);
    stream.send({{QStringLiteral("error"), error}});
    stream.sendRaw("[DONE]");
    stream.end();
}

} // namespace smartbot::http
