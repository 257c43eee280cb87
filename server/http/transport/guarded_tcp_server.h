// GuardedTcpServer: the QTcpServer handed to QHttpServer (bind()). Every connection gets a ConnectionGuard
// (size limits, request and idle timeouts; see connection_guard.h) before the HTTP layer sees it, and connections
// are shared fairly (issue 16, item 3: one address could hold every slot):
//   - at most max_connections_per_address from one client address (an IPv6 /64), trusted proxies exempt;
//   - at max_connections the connection idle for longest (or a TLS handshake that stalls) is closed to make room;
//     only when none is idle is the new one refused.
// A refused connection is answered 503 + Retry-After and closed (on a TLS port it is closed at once: there is
// nothing to answer before a handshake).
// With a TLS configuration every connection is a QSslSocket (TLS 1.2+); it is handed to the HTTP layer only once its
// handshake has finished, so the guard and QHttpServer both see decrypted bytes. Handshakes that fail or do not
// finish within request_timeout_s are dropped without a word.
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTcpSocket>

#include "http/transport/connection_guard.h"

namespace smartbot::http {

class GuardedTcpServer : public QTcpServer {
    Q_OBJECT
public:
    explicit GuardedTcpServer(ConnectionLimits limits, QObject *parent = nullptr);

    // Serves TLS with this configuration on every new connection (call before listen()).
    void setTlsConfiguration(const QSslConfiguration &configuration);
    bool isTls() const { return tls_; }

    // True once the guard has answered this connection itself: the HTTP layer must not answer again.
    static bool isRejected(const QTcpSocket *socket);

    int connectionCount() const { return connections_; }
    // Connections with a reply not yet completely written and sent (in-flight requests).
    int pendingResponses() const;
    // Closes every connection once its pending output has been sent (used at the end of a drain).
    void closeConnectionsGracefully();

protected:
    void incomingConnection(qintptr handle) override;

private:
    void refuse(qintptr handle, const QString &why);
    void track(QTcpSocket *socket, const QString &key);
    bool evictOldestIdle();
    static QHostAddress peerOf(qintptr handle);
    static QString addressKey(const QHostAddress &peer);

    ConnectionLimits limits_;
    QSslConfiguration tlsConfiguration_;
    bool tls_ = false;
    int connections_ = 0;            // guarded sockets open, TLS handshakes included
    QHash<QString, int> perAddress_; // the same, by client address (IPv6: by /64)
    qint64 evicted_ = 0;             // idle connections closed to make room
    int lingering_ = 0;              // refused sockets still flushing their 503
    qint64 refused_ = 0;
    QElapsedTimer lastRefusalLog_;
};

} // namespace smartbot::http
