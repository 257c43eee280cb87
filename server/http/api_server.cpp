#include "http/api_server.h"

#include "http/api_error.h"
#include "http/guarded_tcp_server.h"

namespace smartbot::http {

QByteArray methodName(QHttpServerRequest::Method m)
{
    using M = QHttpServerRequest::Method;
    switch (m) {
    case M::Get: return "GET";
    case M::Put: return "PUT";
    case M::Delete: return "DELETE";
    case M::Post: return "POST";
    case M::Head: return "HEAD";
    case M::Options: return "OPTIONS";
    case M::Patch: return "PATCH";
    case M::Connect: return "CONNECT";
    case M::Trace: return "TRACE";
    default: return "UNKNOWN";
    }
}

void ApiServer::route(QHttpServerRequest::Method method, const QString &path, Handler handler)
{
    routes_[path][int(method)] = std::move(handler);
}

bool ApiServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    if (GuardedTcpServer::isRejected(socket))
        return true; // already answered below us
    QHttpServerResponder responder = makeResponder(request, socket);
    QString path = request.url().path();
    if (path.size() > 1 && path.endsWith('/'))
        path.chop(1);
    const auto byPath = routes_.constFind(path);
    if (byPath == routes_.constEnd()) {
        writeError(responder, {404, QStringLiteral("not_found"), QStringLiteral("no route %1").arg(path)});
        return true;
    }
    const auto handler = byPath->constFind(int(request.method()));
    if (handler == byPath->constEnd()) {
        QByteArrayList allowed;
        for (auto it = byPath->constBegin(); it != byPath->constEnd(); ++it)
            allowed << methodName(QHttpServerRequest::Method(it.key()));
        ApiError e{405, QStringLiteral("method_not_allowed"),
                   QStringLiteral("%1 does not accept %2 (allowed: %3)")
                       .arg(path, QString::fromLatin1(methodName(request.method())),
                            QString::fromLatin1(allowed.join(", ")))};
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
    QHttpServerResponder responder = makeResponder(request, socket);
    writeError(responder, {404, QStringLiteral("not_found"), QStringLiteral("no route %1").arg(request.url().path())});
}

} // namespace smartbot::http
