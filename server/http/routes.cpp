#include "http/routes.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <cmath>
#include <optional>

#include "core/secret_files.h"
#include "http/api_error.h"

namespace smartbot::http {

namespace {

using Method = QHttpServerRequest::Method;

// Parses a JSON object body; checks the content type first.
std::optional<ApiError> jsonBody(const QHttpServerRequest &request, QJsonObject &out)
{
    const QByteArray type = request.value("Content-Type").toLower();
    if (!type.startsWith("application/json"))
        return ApiError{415, QStringLiteral("unsupported_media_type"),
                        QStringLiteral("Content-Type must be application/json")};
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(request.body(), &err);
    if (err.error != QJsonParseError::NoError)
        return badRequest(QStringLiteral("malformed JSON at offset %1: %2").arg(err.offset).arg(err.errorString()),
                          QStringLiteral("invalid_json"));
    if (!doc.isObject())
        return badRequest(QStringLiteral("request body must be a JSON object"), QStringLiteral("invalid_json"));
    out = doc.object();
    return std::nullopt;
}

// Optional numeric field within [lo, hi]; integral when asked. The error names the field.
std::optional<ApiError> number(const QJsonObject &o, const QString &field, double lo, double hi, bool integral,
                               double &out)
{
    const QJsonValue v = o.value(field);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || std::isnan(d) || d < lo || d > hi || (integral && d != std::floor(d)))
        return badRequest(QStringLiteral("field '%1' must be %2 from %3 to %4")
                              .arg(field, integral ? QStringLiteral("a whole number") : QStringLiteral("a number"))
                              .arg(lo)
                              .arg(hi));
    out = d;
    return std::nullopt;
}

QByteArray bearerToken(const QHttpServerRequest &request)
{
    const QByteArray auth = request.value("Authorization");
    if (!auth.left(7).toLower().startsWith("bearer "))
        return {};
    return auth.mid(7).trimmed();
}

bool adminKeyValid(const QHttpServerRequest &request, const QByteArray &expectedHash)
{
    const QByteArray key = request.value("X-API-Key");
    return !key.isEmpty() && constantTimeEquals(sha256(key), expectedHash);
}

void handleToken(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    if (!adminKeyValid(request, ctx.adminKeyHash))
        return writeError(responder, unauthorized(QStringLiteral("missing or wrong X-API-Key admin key")));
    QJsonObject body;
    if (auto e = jsonBody(request, body))
        return writeError(responder, *e);
    const QJsonValue user = body.value(QStringLiteral("username"));
    if (!user.isString() || user.toString().trimmed().isEmpty() || user.toString().size() > 256)
        return writeError(responder, badRequest(QStringLiteral("field 'username' must be a non-empty string")));
    const double maxSeconds = double(ctx.config->maxTokenHours) * 3600.0;
    double expiresIn = double(ctx.config->tokenExpireHours) * 3600.0;
    if (auto e = number(body, QStringLiteral("expires_in"), 1, maxSeconds, true, expiresIn))
        return writeError(responder, *e);
    auto token = ctx.tokens->issue(user.toString(), qint64(expiresIn));
    if (!token)
        return writeError(responder, badRequest(QString::fromStdString(token.error())));
    qInfo("issued a token for '%s' (jti %s, expires in %lld s) to %s", qPrintable(user.toString()),
          qPrintable(token->claims.jti), qint64(expiresIn), qPrintable(request.remoteAddress().toString()));
    writeJson(responder, 200,
              {{QStringLiteral("token"), QString::fromLatin1(token->token)},
               {QStringLiteral("token_type"), QStringLiteral("Bearer")},
               {QStringLiteral("expires_in"), qint64(expiresIn)}});
}

void handleChat(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                QTcpSocket *socket)
{
    const QByteArray token = bearerToken(request);
    if (token.isEmpty())
        return writeError(responder, unauthorized(QStringLiteral("missing Authorization: Bearer <token>")));
    auto claims = ctx.tokens->verify(token);
    if (!claims)
        return writeError(responder, unauthorized(QString::fromStdString(claims.error())));

    QJsonObject body;
    if (auto e = jsonBody(request, body))
        return writeError(responder, *e);
    const QJsonValue message = body.value(QStringLiteral("message"));
    if (message.isUndefined())
        return writeError(responder, badRequest(QStringLiteral("field 'message' is required")));
    if (!message.isString())
        return writeError(responder, badRequest(QStringLiteral("field 'message' must be a string")));

    InferenceWorker::Request job;
    job.message = message.toString().toStdString();
    double maxTokens = ctx.config->maxTokens, temperature = 0, topP = 1, topK = 0, seed = 0;
    for (auto e : {number(body, QStringLiteral("max_tokens"), 1, ctx.config->maxTokensLimit, true, maxTokens),
                   number(body, QStringLiteral("temperature"), 0, 2, false, temperature),
                   number(body, QStringLiteral("top_p"), 0.0001, 1, false, topP),
                   number(body, QStringLiteral("top_k"), 0, 1e6, true, topK),
                   number(body, QStringLiteral("seed"), 0, 9007199254740991.0, true, seed)})
        if (e)
            return writeError(responder, *e);
    job.params.maxTokens = int(maxTokens);
    job.params.temperature = float(temperature);
    job.params.topP = float(topP);
    job.params.topK = int(topK);
    job.params.seed = uint64_t(seed);

    if (ctx.worker->modelState() != InferenceWorker::ModelState::Ready) {
        ApiError e{503, QStringLiteral("model_not_loaded"), QStringLiteral("no model is loaded")};
        if (ctx.worker->modelState() == InferenceWorker::ModelState::Loading) {
            e.message = QStringLiteral("the model is still loading");
            e.retryAfterSeconds = 1;
        }
        return writeError(responder, e);
    }

    auto cancelled = std::make_shared<std::atomic_bool>(false);
    QObject::connect(socket, &QTcpSocket::disconnected, socket, [cancelled] { cancelled->store(true); });
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    const QString model = QString::fromStdString(ctx.worker->modelInfo().name);
    const bool queued = ctx.worker->submit(
        std::move(job), socket,
        [held, model](const InferenceWorker::Reply &reply) {
            if (!reply.ok)
                return writeError(*held, {reply.status, reply.errorCode, reply.error});
            const auto &r = reply.result;
            const qint64 prompt = qint64(r.promptIds.size()), completion = qint64(r.ids.size());
            writeJson(*held, 200,
                      {{QStringLiteral("reply"), QString::fromStdString(r.text)},
                       {QStringLiteral("model"), model},
                       {QStringLiteral("finish_reason"), QString::fromLatin1(engine::finishReasonName(r.finish))},
                       {QStringLiteral("usage"),
                        QJsonObject{{QStringLiteral("prompt_tokens"), prompt},
                                    {QStringLiteral("completion_tokens"), completion},
                                    {QStringLiteral("total_tokens"), prompt + completion}}}});
        },
        cancelled);
    if (!queued) {
        ApiError e{503, QStringLiteral("busy"), QStringLiteral("the server is busy; try again shortly")};
        e.retryAfterSeconds = 1;
        writeError(*held, e);
    }
}

} // namespace

void installRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Get, QStringLiteral("/healthz"),
                 [](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *) {
                     writeJson(r, 200, {{QStringLiteral("status"), QStringLiteral("ok")}});
                 });
    server.route(Method::Get, QStringLiteral("/readyz"),
                 [ctx](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *) {
                     const bool ready = ctx.worker->modelState() == InferenceWorker::ModelState::Ready;
                     writeJson(r, ready ? 200 : 503,
                               {{QStringLiteral("status"), ready ? QStringLiteral("ready") : QStringLiteral("not_ready")},
                                {QStringLiteral("model"), QString::fromStdString(ctx.worker->modelInfo().name)}});
                 });
    server.route(Method::Post, QStringLiteral("/admin/token"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) {
                     handleToken(ctx, req, r);
                 });
    server.route(Method::Post, QStringLiteral("/api/v1/chat"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleChat(ctx, req, std::move(r), socket);
                 });
}

} // namespace smartbot::http
