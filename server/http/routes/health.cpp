// Liveness and readiness: GET /healthz, GET /readyz (503 "draining" during a graceful drain).
#include "http/server/routes.h"

#include "http/protocol/api_error.h"

namespace smartbot::http {

void installHealthRoutes(ApiServer &server, const RouteContext &ctx)
{
    using Method = QHttpServerRequest::Method;
    server.route(Method::Get, QStringLiteral("/healthz"),
                 [](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *) {
                     writeJson(r, 200, {{QStringLiteral("status"), QStringLiteral("ok")}});
                 });
    server.route(Method::Get, QStringLiteral("/readyz"),
                 [ctx](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *) {
                     if (ctx.draining && ctx.draining->isDraining()) // tells the load balancer to move away
                         return writeJson(r, 503, {{QStringLiteral("status"), QStringLiteral("draining")}});
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
