// GuardedTcpServer: the QTcpServer handed to QHttpServer. It watches each connection's bytes before the HTTP
// layer reads them (QHttpServer 6.4 has no limits of its own) and answers oversize requests itself:
// a head over maxHeaderBytes -> 431, a Content-Length over maxBodyBytes -> 413, chunked bodies -> 411.
#pragma once

#include <QTcpServer>
#include <QTcpSocket>

namespace smartbot::http {

struct ConnectionLimits {
    qint64 maxBodyBytes = 1024 * 1024;
    int maxHeaderBytes = 16 * 1024;
};

class GuardedTcpServer : public QTcpServer {
    Q_OBJECT
public:
    explicit GuardedTcpServer(ConnectionLimits limits, QObject *parent = nullptr);
    // True once the guard has answered this connection itself: the HTTP layer must not answer again.
    static bool isRejected(const QTcpSocket *socket);

protected:
    void incomingConnection(qintptr handle) override;

private:
    ConnectionLimits limits_;
};

} // namespace smartbot::http
