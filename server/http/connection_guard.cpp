#include "http/connection_guard.h"

#include <QSslSocket>

#include <algorithm>

#include "http/api_error.h"

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
    connect(socket, &QTcpSocket::bytesWritten, this, [this] { updateTimers(true); });
    if (handshaking_)
        requestTimer_.start(limits_.requestTimeoutMs);
    else
        updateTimers(true);
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
    qint64 unsent = socket_->bytesToWrite();
    if (auto *ssl = qobject_cast<const QSslSocket *>(socket_))
        unsent += ssl->encryptedBytesToWrite();
    return awaitingResponse() || unsent > 0;
}

void ConnectionGuard::updateTimers(bool activity)
{
    if (closing_ || handshaking_)
        return;
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
    else if (activity || !idleTimer_.isActive())
        idleTimer_.start(limits_.idleTimeoutMs);
}

void ConnectionGuard::onWritten(const char *data, qint64 size)
{
    responses_.feed(data, size);
    updateTimers(true);
}

void ConnectionGuard::onReadyRead()
{
    if (closing_ || isRejected(socket_))
        return;
    const QByteArray data = socket_->peek(socket_->bytesAvailable());
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
        const qsizetype end = head_.indexOf("\r\n\r\n", std::max<qsizetype>(0, before - 3));
        if (end < 0 ? head_.size() > limits_.maxHeaderBytes : end + 4 > limits_.maxHeaderBytes)
            return reject({431, QStringLiteral("header_too_large"),
                           QStringLiteral("request head exceeds %1 bytes").arg(limits_.maxHeaderBytes)});
        if (end < 0)
            break;
        pos += end + 4 - before;
        const QByteArray head = head_.left(end);
        head_.clear();
        if (!checkHead(head))
            return;
        responses_.requestReceived(head.startsWith("HEAD "));
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
bool ConnectionGuard::checkHead(const QByteArray &head)
{
    bodyRemaining_ = 0;
    const QList<QByteArray> lines = head.split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            bool ok = false;
            const qint64 n = value.toLongLong(&ok);
            if (!ok || n < 0) {
                reject(badRequest(QStringLiteral("invalid Content-Length")));
                return false;
            }
            if (n > limits_.maxBodyBytes) {
                reject({413, QStringLiteral("payload_too_large"),
                        QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                            .arg(n)
                            .arg(limits_.maxBodyBytes)});
                return false;
            }
            bodyRemaining_ = n;
        } else if (name == "transfer-encoding" && value.toLower() != "identity") {
            reject({411, QStringLiteral("length_required"),
                    QStringLiteral("chunked request bodies are not accepted; send Content-Length")});
            return false;
        }
    }
    return true;
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
    socket_->disconnectFromHost();
    if (socket_->state() != QAbstractSocket::UnconnectedState) {
        QTimer::singleShot(kCloseGraceMs, socket_, [s = socket_] { s->abort(); });
    }
}

void ConnectionGuard::onRequestTimeout()
{
    if (handshaking_) {
        // Never finished its TLS handshake: nothing can be said to it. The server deletes handshaking sockets.
        socket_->abort();
        return;
    }
    reject({408, QStringLiteral("request_timeout"),
            QStringLiteral("the request was not received completely within %1 s")
                .arg(limits_.requestTimeoutMs / 1000.0)});
}

void ConnectionGuard::onIdleTimeout()
{
    closeGracefully();
}

} // namespace smartbot::http
