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

namespace smartbot::http {

class ApiServer : public QAbstractHttpServer {
    Q_OBJECT
public:
    using Handler = std::function<void(const QHttpServerRequest &, QHttpServerResponder &&, QTcpSocket *)>;
    using QAbstractHttpServer::QAbstractHttpServer;

    void route(QHttpServerRequest::Method method, const QString &path, Handler handler);
    // Origins allowed to call us from a browser (see cors.h); empty: no CORS headers, OPTIONS is a 405.
    void setCorsOrigins(const QStringList &origins) { corsOrigins_ = origins; }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    void writePreflight(QHttpServerResponder &responder, const QByteArray &methods);

    QMap<QString, QMap<int, Handler>> routes_; // path -> method -> handler
    QStringList corsOrigins_;
};

QByteArray methodName(QHttpServerRequest::Method m);

} // namespace smartbot::http
