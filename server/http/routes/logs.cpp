// GET /admin/logs?after=ID&level=LEVEL&limit=N (admin credential): the server's recent log lines from its ring
// buffer (core/log_buffer.h), oldest first: {"lines": [{"id", "level", "text"}], "last_id"}. A remote admin follows
// the log by passing the last id seen as `after`. Lines are already escaped; none holds a secret.
#include "http/server/routes.h"

#include "http/routes/admin_request.h"

#include <QJsonArray>
#include <QUrlQuery>

#include "core/log_buffer.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

constexpr int kMaxLines = 5000;

const char *levelName(LogLevel level)
{
    static const char *const kNames[] = {"debug", "info", "warning", "error", "fatal"};
    return kNames[int(level)];
}

void handleLogs(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (!admitAdmin(ctx, request, responder, who))
        return;
    const QUrlQuery query(request.url());
    bool ok = true;
    const qint64 after =
        query.hasQueryItem(QStringLiteral("after")) ? query.queryItemValue(QStringLiteral("after")).toLongLong(&ok) : 0;
    if (!ok || after < 0)
        return writeError(responder, badRequest(QStringLiteral("'after' must be a line id (a whole number >= 0)"),
                                                QStringLiteral("invalid_request"), QStringLiteral("after")));
    const int limit =
        query.hasQueryItem(QStringLiteral("limit")) ? query.queryItemValue(QStringLiteral("limit")).toInt(&ok) : 1000;
    if (!ok || limit < 1 || limit > kMaxLines)
        return writeError(responder, badRequest(QStringLiteral("'limit' must be from 1 to %1").arg(kMaxLines),
                                                QStringLiteral("invalid_request"), QStringLiteral("limit")));
    LogLevel level = LogLevel::Debug;
    if (query.hasQueryItem(QStringLiteral("level")) &&
        !parseLogLevel(query.queryItemValue(QStringLiteral("level")), level))
        return writeError(responder, badRequest(QStringLiteral("'level' must be debug, info, warning or error"),
                                                QStringLiteral("invalid_request"), QStringLiteral("level")));
    QJsonArray lines;
    qint64 last = after;
    for (const LogLine &l : LogBuffer::instance().since(after, level, limit)) {
        lines.append(QJsonObject{{QStringLiteral("id"), l.id},
                                 {QStringLiteral("level"), QLatin1String(levelName(l.level))},
                                 {QStringLiteral("text"), l.text}});
        last = l.id;
    }
    writeJson(responder, 200, {{QStringLiteral("lines"), lines}, {QStringLiteral("last_id"), last}});
}
} // namespace

void installLogRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(
        Method::Get, QStringLiteral("/admin/logs"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleLogs(ctx, req, r); });
}

} // namespace smartbot::http
