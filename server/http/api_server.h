// ApiServer: QAbstractHttpServer with our own routing table, so that unknown routes get a JSON 404 and known
// routes with the wrong method a JSON 405 (QHttpServer's router answers both with an empty 404).
#pragma once

#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QMap>
#include <functional>

namespace smartbot::http {

class ApiServer : public QAbstractHttpServer {
    Q_OBJECT
public:
    using Handler = std::function<void(const QHttpServerRequest &, QHttpServerResponder &&, QTcpSocket *)>;
    using QAbstractHttpServer::QAbstractHttpServer;

    void route(QHttpServerRequest::Method method, const QString &path, Handler handler);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    QMap<QString, QMap<int, Handler>> routes_; // path -> method -> handler
};

QByteArray methodName(QHttpServerRequest::Method m);

} // namespace smartbot::http
