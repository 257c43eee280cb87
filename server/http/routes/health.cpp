// Liveness and readiness: GET /healthz, GET /readyz (503 "draining" during a graceful drain).
// Both ask the database (SELECT 1). /healthz stays 200 while the process works, with status "degraded" and the
// reason when the database cannot be reached (restarting the server would not help); /readyz is then 503
// "database_unavailable", so that a load balancer sends requests to a server that can answer them.
#include "http/server/routes.h"

#include "http/protocol/api_error.h"

namespace smartbot::http {

namespace {
QString databaseState(const Result<void> &ping)
{
    return ping ? QStringLiteral("ok") : QString::fromStdString(ping.error());
}
} // namespace

void installHealthRoutes(ApiServer &server, const RouteContext &ctx)
{
    using Method = QHttpServerRequest::Method;
    server.route(Method::Get, QStringLiteral("/healthz"),
                 [ctx](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *) {
                     const auto db = ctx.auth->storage().ping();
                     QJsonObject body{
                         {QStringLiteral("status"), db ? QStringLiteral("ok") : QStringLiteral("degraded")},
                         {QStringLiteral("database"), databaseState(db)}};
                     writeJson(r, 200, body);
                 });
    server.route(Method::Get, QStringLiteral("/readyz"),
                 [ctx](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *) {
                     if (ctx.draining && ctx.draining->isDraining()) // tells the load balancer to move away
                         return writeJson(r, 503, {{QStringLiteral("status"), QStringLiteral("draining")}});
                     if (const auto db = ctx.auth->storage().ping(); !db)
                         return writeJson(r, 503,
                                          {{QStringLiteral("status"), QStringLiteral("database_unavailable")},
                                           {QStringLiteral("database"), databaseState(db)}});
                     // Ready when the default model is (requests naming no model would wait otherwise).
                     const service::InferenceWorker *w = ctx.models->defaultWorker();
                     const bool ready = w && w->modelState() == service::InferenceWorker::ModelState::Ready;
                     writeJson(
                         r, ready ? 200 : 503,
                         {{QStringLiteral("status"), ready ? QStringLiteral("ready") : QStringLiteral("not_ready")},
                          {QStringLiteral("model"), ctx.models->defaultName()},
                          {QStringLiteral("models_loaded"), ctx.models->models()}});
                 });
}

} // namespace smartbot::http
