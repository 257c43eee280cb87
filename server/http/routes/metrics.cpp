// Prometheus scrape endpoint: GET /metrics (text format 0.0.4). Unauthenticated, like /healthz: it carries
// counts and timings only; bind to localhost or filter it at the proxy where that matters.
#include "http/server/routes.h"

#include "core/metrics.h"
#include "http/auth/cors.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

void installMetricsRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(QHttpServerRequest::Method::Get, QStringLiteral("/metrics"),
                 [ctx](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *socket) {
                     Metrics &m = Metrics::instance();
                     const int queued = ctx.worker->queueDepth();
                     m.setQueueDepth(queued);
                     m.setActiveSequences(ctx.worker->running());
                     const engine::KvMemoryStats kv = ctx.worker->kvMemory();
                     m.setKvMemory({.budgetBytes = kv.budgetBytes,
                                    .sequenceBytes = kv.sequenceBytes,
                                    .prefixBytes = kv.prefixBytes,
                                    .prefixTokens = kv.prefixTokens,
                                    .prefixLookups = kv.prefixLookups,
                                    .prefixHits = kv.prefixHits,
                                    .reusedTokens = kv.reusedTokens});
                     const QByteArray body = m.render();
                     r.writeStatusLine(QHttpServerResponder::StatusCode::Ok);
                     Headers h{{QByteArrayLiteral("Content-Type"),
                                QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8")},
                               {QByteArrayLiteral("Content-Length"), QByteArray::number(body.size())},
                               {QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store")}};
                     for (const auto &[k, v] : h + corsHeaders(socket))
                         r.writeHeader(k, v);
                     r.writeBody(body);
                     endRequest(socket, 200);
                 });
}

} // namespace smartbot::http
