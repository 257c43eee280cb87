// Admin routes for the models the server holds (service/model_pool.h):
//   GET  /admin/models         -> {"models": [held, with state, progress, memory, requests], "available": [...],
//                                  "memory": {"used_bytes", "budget_bytes"}}
//   POST /admin/models/load    {"model", "path"?, "wait"?} -> 202 (loading) or, with "wait": true, 200 once it
//                                  serves (its memory) / 502 model_load_failed. A name already loaded is reloaded
//                                  beside the serving version: a hot swap, no request fails.
//   POST /admin/models/unload  {"model"} -> 200; requests in flight on it finish first
// "path" must lie in [model] folders or be [model] path: an admin key names models, it does not open arbitrary files.
#include "http/server/routes.h"

#include "http/routes/admin_request.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QPointer>
#include <QTcpSocket>

#include <memory>

#include "http/protocol/request_helpers.h"
#include "http/routes/chat_dispatch.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;
using State = service::InferenceWorker::ModelState;

QString stateName(State s)
{
    static const QLatin1String kNames[] = {QLatin1String("none"), QLatin1String("loading"), QLatin1String("ready"),
                                           QLatin1String("failed")};
    return kNames[int(s)];
}

QJsonObject statusJson(const service::ModelPool::Status &s)
{
    QJsonObject o{{QStringLiteral("name"), s.name},
                  {QStringLiteral("path"), s.path},
                  {QStringLiteral("state"), stateName(s.state)},
                  {QStringLiteral("progress"), s.progress},
                  {QStringLiteral("memory_bytes"), s.memoryBytes},
                  {QStringLiteral("default"), s.isDefault},
                  {QStringLiteral("pinned"), s.pinned},
                  {QStringLiteral("requests_in_flight"), s.inFlight},
                  {QStringLiteral("retiring_versions"), s.retiring},
                  {QStringLiteral("swapping"), s.swapping},
                  {QStringLiteral("last_used_ms"), s.lastUsedMs},
                  {QStringLiteral("unload_at_ms"), s.unloadAtMs ? QJsonValue(s.unloadAtMs) : QJsonValue()},
                  {QStringLiteral("error"), s.error.isEmpty() ? QJsonValue() : QJsonValue(s.error)}};
    if (s.state == State::Ready)
        o.insert(QStringLiteral("info"),
                 QJsonObject{{QStringLiteral("format"), QString::fromStdString(s.info.format)},
                             {QStringLiteral("quantization"), QString::fromStdString(s.info.quantization)},
                             {QStringLiteral("architecture"), QString::fromStdString(s.info.architecture)},
                             {QStringLiteral("parameters"), qint64(s.info.parameters)},
                             {QStringLiteral("dtype"), QString::fromStdString(s.info.dtype)},
                             {QStringLiteral("device"), QString::fromStdString(s.info.device)},
                             {QStringLiteral("context_length"), s.info.contextLength},
                             {QStringLiteral("weight_bytes"), qint64(s.info.weightBytes)},
                             {QStringLiteral("load_seconds"), s.info.loadSeconds}});
    return o;
}

std::optional<service::ModelPool::Status> statusOf(const service::ModelPool &pool, const QString &name)
{
    for (auto &s : pool.loaded())
        if (s.name == name)
            return s;
    return std::nullopt;
}

std::optional<ApiError> modelName(const QJsonObject &body, QString &out)
{
    const QJsonValue v = body.value(QStringLiteral("model"));
    if (!v.isString() || v.toString().trimmed().isEmpty())
        return badRequest(QStringLiteral("field 'model' must be a model's name"), QStringLiteral("invalid_request"),
                          QStringLiteral("model"));
    out = v.toString().trimmed();
    return std::nullopt;
}

// A load path is accepted only inside the folders the operator configured, or where a held model was loaded from
// ([model] path, --model, the app's choice).
bool allowedPath(const RouteContext &ctx, const QString &path)
{
    const ServerConfig &config = *ctx.config;
    const QString canonical = QFileInfo(path).canonicalFilePath();
    if (canonical.isEmpty())
        return false;
    for (const auto &s : ctx.models->loaded())
        if (QFileInfo(s.path).canonicalFilePath() == canonical)
            return true;
    for (const QString &folder : config.modelFolders) {
        const QString root = QFileInfo(folder).canonicalFilePath();
        if (!root.isEmpty() && canonical.startsWith(root + QLatin1Char('/')))
            return true;
    }
    return false;
}

void handleList(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (!admitAdmin(ctx, request, responder, who))
        return;
    QJsonArray held, available;
    QStringList names;
    for (const auto &s : ctx.models->loaded()) {
        held.append(statusJson(s));
        names << s.name;
    }
    for (const auto &a : ctx.models->available())
        available.append(QJsonObject{{QStringLiteral("name"), a.name},
                                     {QStringLiteral("path"), a.path},
                                     {QStringLiteral("loaded"), names.contains(a.name)}});
    writeJson(responder, 200,
              {{QStringLiteral("models"), held},
               {QStringLiteral("available"), available},
               {QStringLiteral("memory"), QJsonObject{{QStringLiteral("used_bytes"), ctx.models->memoryUsed()},
                                                      {QStringLiteral("budget_bytes"), ctx.models->memoryBudget()}}}});
}

// Answers once name serves its newest version (200) or that version failed (502); the client may leave first.
void answerWhenSettled(const RouteContext &ctx, const QString &name, QTcpSocket *socket,
                       QHttpServerResponder &&responder)
{
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    auto connection = std::make_shared<QMetaObject::Connection>();
    auto check = [pool = ctx.models, name, held, connection, socket = QPointer<QTcpSocket>(socket)] {
        const auto s = statusOf(*pool, name);
        if (s && (s->state == State::Loading || s->swapping) && socket)
            return; // not settled yet
        QObject::disconnect(*connection);
        if (!socket)
            return;
        if (!s)
            return writeError(*held, {502, QStringLiteral("model_load_failed"),
                                      QStringLiteral("model '%1' was unloaded while it loaded").arg(name)});
        if (s->state != State::Ready || !s->error.isEmpty())
            return writeError(*held,
                              {502, QStringLiteral("model_load_failed"),
                               s->error.isEmpty() ? QStringLiteral("model '%1' did not load").arg(name) : s->error});
        writeJson(*held, 200, statusJson(*s));
    };
    *connection = QObject::connect(ctx.models, &service::ModelPool::modelsChanged, socket, check);
    check(); // a swap onto an already mapped file may be done by now
}

void handleLoad(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitAdmin(ctx, request, responder, who, &body))
        return;
    QString name;
    if (auto e = modelName(body, name))
        return writeError(responder, *e);
    bool wait = false;
    if (auto e = boolean(body, QStringLiteral("wait"), wait))
        return writeError(responder, *e);
    const QJsonValue pathValue = body.value(QStringLiteral("path"));
    if (!pathValue.isUndefined() && !pathValue.isString())
        return writeError(responder, badRequest(QStringLiteral("field 'path' must be a string"),
                                                QStringLiteral("invalid_request"), QStringLiteral("path")));
    const QString path = pathValue.toString();
    if (!path.isEmpty() && !allowedPath(ctx, path)) {
        ApiError e{403, QStringLiteral("path_not_allowed"),
                   QStringLiteral("field 'path' must name a model inside [model] folders (%1)")
                       .arg(ctx.config->modelFolders.join(QStringLiteral(", ")))};
        e.param = QStringLiteral("path");
        return writeError(responder, e);
    }
    auto r = ctx.models->load(name, path, true);
    ctx.auth->audit(
        who, request, QStringLiteral("model.load"),
        QStringLiteral("%1%2%3").arg(name, path.isEmpty() ? QString() : QStringLiteral(" from ") + path,
                                     r ? QString() : QStringLiteral(": ") + QString::fromStdString(r.error())));
    if (!r)
        return writeError(responder, modelPoolError(r.failure()));
    if (wait)
        return answerWhenSettled(ctx, name, socket, std::move(responder));
    const auto s = statusOf(*ctx.models, name);
    writeJson(responder, 202, s ? statusJson(*s) : QJsonObject{{QStringLiteral("name"), name}});
}

void handleUnload(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    QJsonObject body;
    if (!admitAdmin(ctx, request, responder, who, &body))
        return;
    QString name;
    if (auto e = modelName(body, name))
        return writeError(responder, *e);
    auto r = ctx.models->unload(name);
    ctx.auth->audit(who, request, QStringLiteral("model.unload"), name);
    if (!r)
        return writeError(responder, modelPoolError(r.failure()));
    writeJson(responder, 200, {{QStringLiteral("name"), name}, {QStringLiteral("state"), QStringLiteral("unloaded")}});
}
} // namespace

void installModelRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(
        Method::Get, QStringLiteral("/admin/models"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleList(ctx, req, r); });
    server.route(Method::Post, QStringLiteral("/admin/models/load"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleLoad(ctx, req, std::move(r), socket);
                 });
    server.route(
        Method::Post, QStringLiteral("/admin/models/unload"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleUnload(ctx, req, r); });
}

} // namespace smartbot::http
