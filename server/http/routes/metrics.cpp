// Prometheus scrape endpoint: GET /metrics (text format 0.0.4). Unauthenticated, like /healthz: it carries
// counts and timings only; bind to localhost or filter it at the proxy where that matters.
#include "http/server/routes.h"

#include "core/metrics.h"
#include "http/protocol/reply_headers.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

void installMetricsRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(QHttpServerRequest::Method::Get, QStringLiteral("/metrics"),
                 [ctx](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *socket) {
                     ctx.models->publishMetrics();
                     const QByteArray body = Metrics::instance().render();
                     r.writeStatusLine(QHttpServerResponder::StatusCode::Ok);
                     Headers h{{QByteArrayLiteral("Content-Type"),
                                QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8")},
                               {QByteArrayLiteral("Content-Length"), QByteArray::number(body.size())},
                               {QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store")}};
                     for (const auto &[k, v] : h + replyHeaders(socket))
                         r.writeHeader(k, v);
                     r.writeBody(body);
                     endRequest(socket, 200);
                 });
}

} // namespace smartbot::http
