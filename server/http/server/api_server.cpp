#include "http/server/api_server.h"

#include "http/protocol/api_error.h"
#include "http/auth/cors.h"
#include "http/protocol/reply_headers.h"
#include "http/transport/guarded_tcp_server.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

QByteArray methodName(QHttpServerRequest::Method m)
{
    using M = QHttpServerRequest::Method;
    switch (m) {
    case M::Get:
        return "GET";
    case M::Put:
        return "PUT";
    case M::Delete:
        return "DELETE";
    case M::Post:
        return "POST";
    case M::Head:
        return "HEAD";
    case M::Options:
        return "OPTIONS";
    case M::Patch:
        return "PATCH";
    case M::Connect:
        return "CONNECT";
    case M::Trace:
        return "TRACE";
    default:
        return "UNKNOWN";
    }
}

void ApiServer::route(QHttpServerRequest::Method method, const QString &path, Handler handler)
{
    routes_[path][int(method)] = std::move(handler);
}

// CORS preflight from an allowed origin: 204, no body.
void ApiServer::writePreflight(QHttpServerResponder &responder, const QByteArray &methods,
                               const QByteArray &requestedHeaders)
{
    QTcpSocket *socket = responder.socket();
    responder.writeStatusLine(QHttpServerResponder::StatusCode::NoContent);
    for (const auto &[k, v] : replyHeaders(socket) + corsPreflightHeaders(methods, requestedHeaders))
        responder.writeHeader(k, v);
    responder.writeBody(QByteArray());
    endRequest(socket, 204);
}

bool ApiServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    if (GuardedTcpServer::isRejected(socket))
        return true; // already answered below us
    QHttpServerResponder responder = makeResponder(request, socket);
    QString path = request.url().path();
    if (path.size() > 1 && path.endsWith('/'))
        path.chop(1);
    const QByteArray allowOrigin = corsAllowOrigin(corsOrigins_, request.value("Origin"));
    if (accessCheck_) {
        if (auto denied = accessCheck_(request)) {
            beginRequest(socket, QStringLiteral("unmatched"), allowOrigin);
            writeError(responder, *denied);
            return true;
        }
    }
    auto byPath = routes_.constFind(path);
    if (byPath == routes_.constEnd() && path.count(QLatin1Char('/')) > 1) // a route with a last segment {id}
        if (const qsizetype cut = path.lastIndexOf(QLatin1Char('/')); cut + 1 < path.size())
            if (const auto withId = routes_.constFind(path.left(cut) + QStringLiteral("/{id}"));
                withId != routes_.constEnd()) {
                byPath = withId;
                path = withId.key();
            }
    // A route ending in {path}: the rest of the path, slashes and all (a provider's model "NAME/model").
    for (qsizetype cut = path.indexOf(QLatin1Char('/'), 1);
         byPath == routes_.constEnd() && cut > 0 && cut + 1 < path.size();
         cut = path.indexOf(QLatin1Char('/'), cut + 1))
        if (const auto rest = routes_.constFind(path.left(cut) + QStringLiteral("/{path}"));
            rest != routes_.constEnd()) {
            byPath = rest;
            path = rest.key();
        }
    if (byPath == routes_.constEnd()) {
        beginRequest(socket, QStringLiteral("unmatched"), allowOrigin);
        writeError(responder, {404, QStringLiteral("not_found"), QStringLiteral("no route %1").arg(path)});
        return true;
    }
    beginRequest(socket, path, allowOrigin);
    const auto handler = byPath->constFind(int(request.method()));
    if (handler == byPath->constEnd()) {
        QByteArrayList allowed;
        for (auto it = byPath->constBegin(); it != byPath->constEnd(); ++it)
            allowed << methodName(QHttpServerRequest::Method(it.key()));
        if (request.method() == QHttpServerRequest::Method::Options && !allowOrigin.isEmpty()) {
            writePreflight(responder, allowed.join(", "), request.value("Access-Control-Request-Headers"));
            return true;
        }
        ApiError e{
            405, QStringLiteral("method_not_allowed"),
            QStringLiteral("%1 does not accept %2 (allowed: %3)")
                .arg(path, QString::fromLatin1(methodName(request.method())), QString::fromLatin1(allowed.join(", ")))};
        e.allow = allowed.join(", ");
        writeError(responder, e);
        return true;
    }
    (*handler)(request, std::move(responder), socket);
    return true;
}

void ApiServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    if (GuardedTcpServer::isRejected(socket))
        return;
    beginRequest(socket, QStringLiteral("unmatched"), corsAllowOrigin(corsOrigins_, request.value("Origin")));
    QHttpServerResponder responder = makeResponder(request, socket);
    writeError(responder, {404, QStringLiteral("not_found"), QStringLiteral("no route %1").arg(request.url().path())});
}

} // namespace smartbot::http
