#include "http/transport/connection_guard.h"

#include <QSslSocket>

#include <algorithm>

#include <sys/socket.h>

#include "http/protocol/api_error.h"
#include "http/transport/request_head.h"

namespace smartbot::http {

namespace {
constexpr const char *kRejected = "smartbot_rejected";
constexpr int kCloseGraceMs = 5000; // a closing connection whose peer does not read is cut after this
} // namespace

ConnectionGuard::ConnectionGuard(QTcpSocket *socket, const ConnectionLimits &limits, bool tlsHandshake)
    : QObject(socket), socket_(socket), limits_(limits), handshaking_(tlsHandshake)
{
    requestTimer_.setSingleShot(true);
    idleTimer_.setSingleShot(true);
    requestTimer_.setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5% early
    idleTimer_.setTimerType(Qt::PreciseTimer);
    connect(&requestTimer_, &QTimer::timeout, this, &ConnectionGuard::onRequestTimeout);
    connect(&idleTimer_, &QTimer::timeout, this, &ConnectionGuard::onIdleTimeout);
    // Connected before QHttpServer connects its own readyRead handler, so this one runs first and sees each byte
    // once: QHttpServer then reads everything available.
    connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::onReadyRead);
    connect(socket, &QTcpSocket::bytesWritten, this, [this] {
        updateTimers(true);
        shutdownWhenFlushed();
    });
    if (auto *ssl = qobject_cast<QSslSocket *>(socket))
        connect(ssl, &QSslSocket::encryptedBytesWritten, this, &ConnectionGuard::shutdownWhenFlushed);
    lastActivity_.start();
    if (handshaking_) // the whole handshake within the shorter of the first-byte and request timeouts
        requestTimer_.start(std::min(limits_.firstByteTimeoutMs, limits_.requestTimeoutMs));
    else
        updateTimers(true);
}

bool ConnectionGuard::isIdle() const
{
    if (closing_)
        return false;
    return handshaking_ || (!receiving_ && !awaitingResponse() && unsentBytes() == 0);
}

qint64 ConnectionGuard::idleForMs() const
{
    return lastActivity_.elapsed();
}

void ConnectionGuard::evict()
{
    closing_ = true;
    requestTimer_.stop();
    idleTimer_.stop();
    socket_->abort(); // idle: nothing is lost; the slot is free at once
}

bool ConnectionGuard::isRejected(const QTcpSocket *socket)
{
    return socket && socket->property(kRejected).toBool();
}

void ConnectionGuard::handshakeDone()
{
    handshaking_ = false;
    requestTimer_.stop();
    updateTimers(true);
}

bool ConnectionGuard::awaitingResponse() const
{
    return requestsReceived_ > responses_.completed() || responses_.inProgress();
}

bool ConnectionGuard::responsePending() const
{
    if (handshaking_)
        return false;
    return awaitingResponse() || unsentBytes() > 0;
}

void ConnectionGuard::updateTimers(bool activity)
{
    if (closing_ || handshaking_)
        return;
    if (activity)
        lastActivity_.restart();
    const bool awaiting = awaitingResponse();
    // The request timer covers receiving one request; a pipelined request waits until the previous reply is done.
    if (receiving_ && !awaiting) {
        if (!requestTimer_.isActive())
            requestTimer_.start(limits_.requestTimeoutMs);
    } else {
        requestTimer_.stop();
    }
    if (receiving_ || awaiting)
        idleTimer_.stop();
    else if (activity || !idleTimer_.isActive()) // silent from the start: the shorter first-byte timeout
        idleTimer_.start(anyByte_ ? limits_.idleTimeoutMs : limits_.firstByteTimeoutMs);
}

void ConnectionGuard::onWritten(const char *data, qint64 size)
{
    responses_.feed(data, size);
    if (closeAfterReply_ > 0 && responses_.completed() >= closeAfterReply_) {
        // Not from inside the socket's write: the close flushes what was just written.
        QMetaObject::invokeMethod(this, &ConnectionGuard::closeGracefully, Qt::QueuedConnection);
        closeAfterReply_ = 0;
    }
    updateTimers(true);
}

void ConnectionGuard::onReadyRead()
{
    if (closing_ || isRejected(socket_)) {
        // Nothing more reaches the HTTP layer: this slot runs before QHttpServer's, which then finds no bytes.
        socket_->skip(socket_->bytesAvailable());
        return;
    }
    const QByteArray data = socket_->peek(socket_->bytesAvailable());
    anyByte_ = anyByte_ || !data.isEmpty();
    qsizetype pos = 0;
    while (pos < data.size()) {
        if (bodyRemaining_ > 0) {
            const qint64 n = std::min<qint64>(bodyRemaining_, data.size() - pos);
            bodyRemaining_ -= n;
            pos += n;
            if (bodyRemaining_ == 0)
                requestComplete();
            continue;
        }
        if (!receiving_) {
            if (data[pos] == '\r' || data[pos] == '\n') { // blank lines between requests are allowed
                ++pos;
                continue;
            }
            receiving_ = true;
        }
        // Accumulate the head up to the blank line.
        const qsizetype before = head_.size();
        head_.append(data.constData() + pos, data.size() - pos);
        const HeadEnd end = findHeadEnd(head_, before);
        if (end.bareLineBreak)
            return reject(bareLineBreakError());
        if (end.length < 0 ? head_.size() > limits_.maxHeaderBytes : end.length + 4 > limits_.maxHeaderBytes)
            return reject(HeadError{431, QStringLiteral("header_too_large"),
                                    QStringLiteral("request head exceeds %1 bytes").arg(limits_.maxHeaderBytes)});
        if (end.length < 0)
            break;
        pos += end.length + 4 - before;
        const QByteArray head = head_.left(end.length);
        head_.clear();
        if (!checkHead(head))
            return;
        if (bodyRemaining_ == 0)
            requestComplete();
    }
    updateTimers(true);
}

void ConnectionGuard::requestComplete()
{
    receiving_ = false;
    ++requestsReceived_;
}

// Returns false when the request was rejected.
bool ConnectionGuard::checkHead(const QByteArray &text)
{
    bodyRemaining_ = 0;
    auto parsed = parseRequestHead(text);
    if (const auto *e = std::get_if<HeadError>(&parsed)) {
        reject(*e);
        return false;
    }
    const RequestHead &head = std::get<RequestHead>(parsed);
    if (head.contentLength > limits_.maxBodyBytes) {
        reject(HeadError{413, QStringLiteral("payload_too_large"),
                         QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                             .arg(head.contentLength)
                             .arg(limits_.maxBodyBytes)});
        return false;
    }
    bodyRemaining_ = head.contentLength;
    responses_.requestReceived(head.method == "HEAD");
    // Connection: close, or HTTP/1.0 without keep-alive: close once this request's reply has been written.
    if (!head.keepAlive && closeAfterReply_ == 0)
        closeAfterReply_ = requestsReceived_ + 1;
    return true;
}

void ConnectionGuard::reject(const HeadError &e)
{
    reject(ApiError{e.status, e.code, e.message});
}

void ConnectionGuard::reject(const ApiError &e)
{
    socket_->setProperty(kRejected, true);
    // Only when no earlier reply on this connection is still unwritten: never interleave two responses.
    if (!awaitingResponse())
        socket_->write(rawErrorResponse(e));
    closeGracefully();
}

void ConnectionGuard::closeGracefully()
{
    if (closing_)
        return;
    closing_ = true;
    requestTimer_.stop();
    idleTimer_.stop();
    // A lingering close (as nginx does): send what is written, then shut only our sending side and discard what the
    // peer still sends (onReadyRead skips it) until it closes too or kCloseGraceMs pass. Closing the socket with
    // unread bytes in it makes the kernel reset the connection, and the reset can destroy the reply that explains
    // the close (a 400, 413 or 408) before the client reads it: measured here, a client still sending its body saw
    // no reply at all.
    QTimer::singleShot(kCloseGraceMs, socket_, [s = socket_] { s->abort(); });
    shutdownWhenFlushed();
}

qint64 ConnectionGuard::unsentBytes() const
{
    qint64 unsent = socket_->bytesToWrite();
    if (auto *ssl = qobject_cast<const QSslSocket *>(socket_))
        unsent += ssl->encryptedBytesToWrite();
    return unsent;
}

void ConnectionGuard::shutdownWhenFlushed()
{
    if (!closing_ || writeShut_ || socket_->state() != QAbstractSocket::ConnectedState || unsentBytes() > 0)
        return;
    writeShut_ = true;
    if (::shutdown(int(socket_->socketDescriptor()), SHUT_WR) != 0)
        socket_->abort();
}

void ConnectionGuard::onRequestTimeout()
{
    if (handshaking_) {
        // Never finished its TLS handshake: nothing can be said to it. The server deletes handshaking sockets.
        socket_->abort();
        return;
    }
    reject(ApiError{
        408, QStringLiteral("request_timeout"),
        QStringLiteral("the request was not received completely within %1 s").arg(limits_.requestTimeoutMs / 1000.0)});
}

void ConnectionGuard::onIdleTimeout()
{
    closeGracefully();
}

} // namespace smartbot::http
