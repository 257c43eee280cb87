// Prometheus scrape endpoint: GET /metrics (text format 0.0.4). Unauthenticated, like /healthz: it carries
// counts and timings only; bind to localhost or filter it at the proxy where that matters.
#include "http/server/routes.h"

#include "core/metrics.h"
#include "core/storage.h"
#include "http/protocol/reply_headers.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

namespace {
// The database pool (core/database_pool.h), in the exposition format.
QByteArray poolMetrics(const DatabasePool::Stats &s)
{
    QByteArray out;
    const auto metric = [&](const char *name, const char *type, const char *help, const QByteArray &samples) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + samples;
    };
    metric("smartbot_db_connections", "gauge", "Database connections open, by state.",
           "smartbot_db_connections{state=\"in_use\"} " + QByteArray::number(s.inUse) +
               "\nsmartbot_db_connections{state=\"idle\"} " + QByteArray::number(s.idle) + '\n');
    metric("smartbot_db_pool_waiting", "gauge", "Requests waiting for a database connection now.",
           "smartbot_db_pool_waiting " + QByteArray::number(s.waiting) + '\n');
    metric("smartbot_db_pool_waits_total", "counter", "Requests that waited for a database connection.",
           "smartbot_db_pool_waits_total " + QByteArray::number(s.waits) + '\n');
    metric("smartbot_db_pool_wait_seconds_total", "counter", "Time spent waiting for database connections.",
           "smartbot_db_pool_wait_seconds_total " + QByteArray::number(s.waitSeconds, 'f', 6) + '\n');
    metric("smartbot_db_pool_timeouts_total", "counter",
           "Requests refused with database_busy after [database] timeout.",
           "smartbot_db_pool_timeouts_total " + QByteArray::number(s.timeouts) + '\n');
    metric("smartbot_db_connect_failures_total", "counter", "Failed attempts to open a database connection.",
           "smartbot_db_connect_failures_total " + QByteArray::number(s.openFailures) + '\n');
    return out;
}
} // namespace

void installMetricsRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(QHttpServerRequest::Method::Get, QStringLiteral("/metrics"),
                 [ctx](const QHttpServerRequest &, QHttpServerResponder &&r, QTcpSocket *socket) {
                     ctx.models->publishMetrics();
                     const QByteArray body =
                         Metrics::instance().render() + poolMetrics(ctx.auth->storage().poolStats());
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
