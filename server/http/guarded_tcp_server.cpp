#include "http/guarded_tcp_server.h"

#include "http/api_error.h"

namespace smartbot::http {

namespace {
constexpr const char *kRejected = "smartbot_rejected";

// Follows the request stream of one connection: every byte is seen once, because QHttpServer reads all
// available data in its own readyRead handler, which runs after this one (connected first).
class RequestGuard : public QObject {
public:
    RequestGuard(QTcpSocket *socket, ConnectionLimits limits) : QObject(socket), socket_(socket), limits_(limits)
    {
        connect(socket, &QTcpSocket::readyRead, this, &RequestGuard::onReadyRead);
    }

private:
    void onReadyRead()
    {
        if (socket_->property(kRejected).toBool())
            return;
        const QByteArray data = socket_->peek(socket_->bytesAvailable());
        qsizetype pos = 0;
        while (pos < data.size()) {
            if (bodyRemaining_ > 0) {
                const qint64 n = std::min<qint64>(bodyRemaining_, data.size() - pos);
                bodyRemaining_ -= n;
                pos += n;
                continue;
            }
            // Accumulate the head up to the blank line.
            const qsizetype take = data.size() - pos;
            head_.append(data.constData() + pos, take);
            qsizetype end = head_.indexOf("\r\n\r\n");
            if (end < 0) {
                if (head_.size() > limits_.maxHeaderBytes)
                    return reject({431, QStringLiteral("header_too_large"),
                                   QStringLiteral("request head exceeds %1 bytes").arg(limits_.maxHeaderBytes)});
                return;
            }
            if (end + 4 > limits_.maxHeaderBytes)
                return reject({431, QStringLiteral("header_too_large"),
                               QStringLiteral("request head exceeds %1 bytes").arg(limits_.maxHeaderBytes)});
            const qsizetype consumedFromData = take - (head_.size() - (end + 4));
            if (!checkHead(head_.left(end)))
                return;
            pos += consumedFromData;
            head_.clear();
        }
    }

    // Returns false when the request was rejected.
    bool checkHead(const QByteArray &head)
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

    void reject(const ApiError &e)
    {
        socket_->setProperty(kRejected, true);
        socket_->write(rawErrorResponse(e));
        socket_->disconnectFromHost();
    }

    QTcpSocket *socket_;
    ConnectionLimits limits_;
    QByteArray head_;
    qint64 bodyRemaining_ = 0;
};
} // namespace

GuardedTcpServer::GuardedTcpServer(ConnectionLimits limits, QObject *parent) : QTcpServer(parent), limits_(limits) {}

bool GuardedTcpServer::isRejected(const QTcpSocket *socket)
{
    return socket && socket->property(kRejected).toBool();
}

void GuardedTcpServer::incomingConnection(qintptr handle)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        delete socket;
        return;
    }
    new RequestGuard(socket, limits_);
    addPendingConnection(socket);
}

} // namespace smartbot::http
