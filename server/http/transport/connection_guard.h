// ConnectionGuard: watches one connection beneath QHttpServer (which has no limits or timeouts of its own).
// It sees every request byte (decrypted, on a TLS port) before the HTTP layer reads it and every response byte as
// it is written, and enforces:
//   - every head is parsed strictly (request_head.h) and answered here unless its framing has one reading, so
//     QHttpServer never counts bytes differently from the guard; after a refusal no further byte reaches it;
//   - a head over max_header_bytes -> 431, a Content-Length over max_body_bytes -> 413, chunked bodies -> 411;
//   - Connection: close (and HTTP/1.0 without keep-alive): closed once the reply is written;
//   - request_timeout_s: a request (head + body) must arrive completely once it has started -> 408, then close;
//     on a TLS port the handshake must finish in the same time, or the connection is dropped;
//   - idle_timeout_s: with no request in progress, a connection with no traffic either way is closed;
//   - first_byte_timeout_s: a connection that has sent nothing yet (or not finished its TLS handshake) is closed.
// A request whose reply is still being produced (queued or running inference, an SSE stream) is in progress: neither
// timer runs for it. Answers it gives itself are marked on the socket so that the HTTP layer does not answer again.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTcpSocket>
#include <QTimer>

#include "core/address_list.h"
#include "http/transport/response_tracker.h"

namespace smartbot::http {

struct ApiError;
struct HeadError;

struct ConnectionLimits {
    qint64 maxBodyBytes = 1024 * 1024;
    int maxHeaderBytes = 16 * 1024;
    int requestTimeoutMs = 30 * 1000;
    int idleTimeoutMs = 60 * 1000;
    int firstByteTimeoutMs = 10 * 1000; // before the first byte (plain) or for the whole handshake (TLS)
    int maxConnections = 512;
    int maxConnectionsPerAddress = 128;
    AddressList unlimitedAddresses; // exempt from the per-address limit (trusted proxies)
};

class ConnectionGuard : public QObject {
    Q_OBJECT
public:
    // Becomes a child of socket. tlsHandshake: the socket is still in its TLS handshake (see handshakeDone()).
    ConnectionGuard(QTcpSocket *socket, const ConnectionLimits &limits, bool tlsHandshake);

    void handshakeDone();
    // Called with every byte written to the socket (before it is sent).
    void onWritten(const char *data, qint64 size);
    // A request has been received whose response is not completely written yet, or bytes still wait to be sent.
    bool responsePending() const;
    // Closes the connection once what is written has been sent (a lingering close: see the .cpp).
    void closeGracefully();

    static bool isRejected(const QTcpSocket *socket);

    // No request is arriving or being answered and nothing waits to be sent (or the TLS handshake is not done):
    // closing it loses nothing. idleForMs: since the last byte either way.
    bool isIdle() const;
    qint64 idleForMs() const;
    // Closes an idle connection at once to make room for a new one (max_connections reached).
    void evict();

private:
    void onReadyRead();
    bool checkHead(const QByteArray &head);
    void requestComplete();
    void reject(const ApiError &e);
    void reject(const HeadError &e);
    void updateTimers(bool activity);
    void onRequestTimeout();
    void onIdleTimeout();
    bool awaitingResponse() const;
    qint64 unsentBytes() const;
    void shutdownWhenFlushed();

    QTcpSocket *socket_;
    ConnectionLimits limits_;
    QTimer requestTimer_, idleTimer_;
    QElapsedTimer lastActivity_;
    ResponseTracker responses_;
    QByteArray head_;
    qint64 bodyRemaining_ = 0;
    quint64 requestsReceived_ = 0;
    quint64 closeAfterReply_ = 0; // close once this many replies are written (Connection: close); 0: keep alive
    bool receiving_ = false;      // a request has started arriving and is not complete
    bool anyByte_ = false;        // the client has sent something (until then the first-byte timeout applies)
    bool handshaking_ = false;
    bool closing_ = false;
    bool writeShut_ = false; // our sending side is shut (lingering close)
};

} // namespace smartbot::http
