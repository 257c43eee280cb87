// ApiServer: QAbstractHttpServer with our own routing table, so that unknown routes get a JSON 404 and known
// routes with the wrong method a JSON 405 (QHttpServer's router answers both with an empty 404). Every request
// is opened in request_metrics.h (route label, start time, CORS origin) before it is answered.
#pragma once

#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QMap>
#include <QStringList>
#include <functional>
#include <optional>

#include "http/protocol/api_error.h"

namespace smartbot::http {

class ApiServer : public QAbstractHttpServer {
    Q_OBJECT
public:
    using Handler = std::function<void(const QHttpServerRequest &, QHttpServerResponder &&, QTcpSocket *)>;
    using QAbstractHttpServer::QAbstractHttpServer;

    // path is exact, or ends in "/{id}": then it also takes any one last segment (the handler reads it from the URL).
    void route(QHttpServerRequest::Method method, const QString &path, Handler handler);
    // Origins allowed to call us from a browser (see cors.h); empty: no CORS headers, OPTIONS is a 405.
    void setCorsOrigins(const QStringList &origins) { corsOrigins_ = origins; }
    // Runs first for every request ([network] allow, per-request auth state); an error is the whole answer.
    using AccessCheck = std::function<std::optional<ApiError>(const QHttpServerRequest &)>;
    void setAccessCheck(AccessCheck check) { accessCheck_ = std::move(check); }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    void writePreflight(QHttpServerResponder &responder, const QByteArray &methods, const QByteArray &requestedHeaders);

    QMap<QString, QMap<int, Handler>> routes_; // path -> method -> handler
    QStringList corsOrigins_;
    AccessCheck accessCheck_;
};

QByteArray methodName(QHttpServerRequest::Method m);

} // namespace smartbot::http
