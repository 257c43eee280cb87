#include "http/transport/guarded_tcp_server.h"

#include <QPointer>
#include <QSslSocket>
#include <QTimer>

#include <algorithm>
#include <utility>

#include <sys/socket.h>

#include "http/protocol/api_error.h"

namespace smartbot::http {

namespace {
constexpr int kMaxLingering = 64; // refused connections kept open at once to deliver their 503
constexpr int kLingerMs = 1000;   // how long one may take to send its request head and read the 503
constexpr int kRefusalLogEveryMs = 10000;

// A socket that shows every byte written to it to its guard: the guard follows response framing this way.
template <class Base> class TrackedSocket : public Base {
public:
    explicit TrackedSocket(QObject *parent) : Base(parent) {}
    QPointer<ConnectionGuard> guard;

protected:
    qint64 writeData(const char *data, qint64 size) override
    {
        const qint64 n = Base::writeData(data, size);
        if (n > 0 && guard)
            guard->onWritten(data, n);
        return n;
    }
};
} // namespace

GuardedTcpServer::GuardedTcpServer(ConnectionLimits limits, QObject *parent) : QTcpServer(parent), limits_(limits)
{
    // A burst of connects must not overflow the kernel's accept queue (Qt's default backlog is 50): clients whose
    // handshake is not accepted yet wait for SYN-ACK retransmits (1 s, 3 s, ...). The kernel caps it (somaxconn).
    setListenBacklogSize(std::clamp(limits_.maxConnections, 128, 4096));
}

void GuardedTcpServer::setTlsConfiguration(const QSslConfiguration &configuration)
{
    tlsConfiguration_ = configuration;
    tls_ = true;
}

bool GuardedTcpServer::isRejected(const QTcpSocket *socket)
{
    return ConnectionGuard::isRejected(socket);
}

int GuardedTcpServer::pendingResponses() const
{
    int n = 0;
    for (const ConnectionGuard *g : findChildren<ConnectionGuard *>())
        n += g->responsePending() ? 1 : 0;
    return n;
}

void GuardedTcpServer::closeConnectionsGracefully()
{
    for (ConnectionGuard *g : findChildren<ConnectionGuard *>())
        g->closeGracefully();
}

QString GuardedTcpServer::addressKey(const QHostAddress &peer)
{
    const QHostAddress a = normalizedAddress(peer);
    if (a.protocol() != QAbstractSocket::IPv6Protocol)
        return a.toString();
    // One IPv6 client usually holds a whole /64: count it as one address.
    Q_IPV6ADDR bytes = a.toIPv6Address();
    std::fill(bytes.c + 8, bytes.c + 16, quint8(0));
    return QHostAddress(bytes).toString() + QLatin1String("/64");
}

QHostAddress GuardedTcpServer::peerOf(qintptr handle)
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getpeername(int(handle), reinterpret_cast<sockaddr *>(&storage), &length) != 0)
        return {};
    return QHostAddress(reinterpret_cast<const sockaddr *>(&storage));
}

bool GuardedTcpServer::evictOldestIdle()
{
    ConnectionGuard *oldest = nullptr;
    for (ConnectionGuard *g : findChildren<ConnectionGuard *>())
        if (g->isIdle() && (!oldest || g->idleForMs() > oldest->idleForMs()))
            oldest = g;
    if (!oldest)
        return false;
    ++evicted_;
    oldest->evict();
    return true;
}

void GuardedTcpServer::track(QTcpSocket *socket, const QString &key)
{
    ++connections_;
    ++perAddress_[key];
    // Released at the first of disconnected and destroyed: an evicted or aborted socket frees its slot at once,
    // not when its deferred deletion runs.
    auto released = std::make_shared<bool>(false);
    auto release = [this, key, released] {
        if (std::exchange(*released, true))
            return;
        --connections_;
        if (--perAddress_[key] <= 0)
            perAddress_.remove(key);
    };
    connect(socket, &QAbstractSocket::disconnected, this, release);
    connect(socket, &QObject::destroyed, this, release);
}

void GuardedTcpServer::incomingConnection(qintptr handle)
{
    const QHostAddress peer = peerOf(handle);
    const QString key = addressKey(peer);
    if (perAddress_.value(key) >= limits_.maxConnectionsPerAddress && !limits_.unlimitedAddresses.contains(peer)) {
        return refuse(handle, QStringLiteral("%1 connections are open from your address (the most allowed); close "
                                             "some or try again shortly")
                                  .arg(limits_.maxConnectionsPerAddress));
    }
    if (connections_ >= limits_.maxConnections && !evictOldestIdle())
        return refuse(
            handle,
            QStringLiteral("the server has %1 connections open; try again shortly").arg(limits_.maxConnections));

    if (!tls_) {
        auto *socket = new TrackedSocket<QTcpSocket>(this);
        if (!socket->setSocketDescriptor(handle)) {
            delete socket;
            return;
        }
        track(socket, key);
        socket->guard = new ConnectionGuard(socket, limits_, false);
        addPendingConnection(socket); // QHttpServer takes it from here (and deletes it once disconnected)
        return;
    }

    auto *socket = new TrackedSocket<QSslSocket>(this);
    socket->setSslConfiguration(tlsConfiguration_);
    if (!socket->setSocketDescriptor(handle)) {
        delete socket;
        return;
    }
    track(socket, key);
    auto *guard = new ConnectionGuard(socket, limits_, true);
    socket->guard = guard;
    // Until the handshake is done the socket is ours: drop it on any failure (plain HTTP, old TLS, a timeout).
    auto handedOver = std::make_shared<bool>(false);
    connect(socket, &QSslSocket::encrypted, this, [this, socket, guard, handedOver] {
        *handedOver = true;
        guard->handshakeDone();
        addPendingConnection(socket);
        Q_EMIT newConnection();
        // Bytes decrypted together with the end of the handshake reach the HTTP layer too.
        if (socket->bytesAvailable() > 0)
            QMetaObject::invokeMethod(
                socket, [socket] { Q_EMIT socket->readyRead(); }, Qt::QueuedConnection);
    });
    connect(socket, &QAbstractSocket::errorOccurred, this, [socket, handedOver](QAbstractSocket::SocketError) {
        if (!*handedOver) {
            socket->abort();
            socket->deleteLater();
        }
    });
    connect(socket, &QAbstractSocket::stateChanged, this, [socket, handedOver](QAbstractSocket::SocketState s) {
        if (!*handedOver && s == QAbstractSocket::UnconnectedState)
            socket->deleteLater();
    });
    socket->startServerEncryption();
}

void GuardedTcpServer::refuse(qintptr handle, const QString &why)
{
    ++refused_;
    if (!lastRefusalLog_.isValid() || lastRefusalLog_.elapsed() > kRefusalLogEveryMs) {
        qWarning("connection limit reached (max_connections %d, per address %d): refusing new connections (%lld so "
                 "far); %lld idle connections closed to make room",
                 limits_.maxConnections, limits_.maxConnectionsPerAddress, refused_, evicted_);
        lastRefusalLog_.start();
    }
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        delete socket;
        return;
    }
    if (tls_ || lingering_ >= kMaxLingering) {
        socket->abort();
        delete socket;
        return;
    }
    // Answer at once, then close once the request head has come in (or after kLingerMs): closing before the
    // client's request arrives could make its TCP stack reset the connection before it reads the 503.
    ++lingering_;
    connect(socket, &QObject::destroyed, this, [this] { --lingering_; });
    ApiError e{503, QStringLiteral("too_many_connections"), why};
    e.retryAfterSeconds = 1;
    socket->write(rawErrorResponse(e));
    connect(socket, &QTcpSocket::readyRead, socket, [socket] {
        socket->readAll();
        socket->disconnectFromHost();
    });
    connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(kLingerMs, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
}

} // namespace smartbot::http
