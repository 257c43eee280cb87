#include "http/server/request_metrics.h"

#include <QHash>
#include <QHostAddress>
#include <QRandomGenerator>
#include <QTcpSocket>

#include <chrono>
#include <deque>
#include <mutex>

#include "core/metrics.h"

namespace smartbot::http {

namespace {
using Clock = std::chrono::steady_clock;

struct OpenRequest {
    QString route;
    QByteArray allowOrigin;
    Clock::time_point start;
    QString id;                                   // for the request's log line
    QString client;                               // the peer's address
    QList<QPair<QByteArray, QByteArray>> headers; // addReplyHeaders
};

// Probes (load balancers, Prometheus) every few seconds: their lines are at debug level, not to drown the rest.
bool isProbe(const QString &route)
{
    static const QStringList kProbes = {QStringLiteral("/healthz"), QStringLiteral("/readyz"),
                                        QStringLiteral("/metrics")};
    return kProbes.contains(route);
}

struct Table {
    std::mutex mutex;
    QHash<const QTcpSocket *, std::deque<OpenRequest>> open; // an entry lives as long as its socket
};

Table &table()
{
    static Table *t = new Table(); // never destroyed: sockets may outlive static destruction order
    return *t;
}
} // namespace

void beginRequest(QTcpSocket *socket, const QString &route, const QByteArray &allowOrigin)
{
    if (!socket)
        return;
    Table &t = table();
    std::lock_guard lock(t.mutex);
    auto it = t.open.find(socket);
    if (it == t.open.end()) {
        it = t.open.insert(socket, {});
        QObject::connect(socket, &QObject::destroyed, [socket] {
            Table &tab = table();
            std::lock_guard guard(tab.mutex);
            tab.open.remove(socket);
        });
    }
    it->push_back({route, allowOrigin, Clock::now(),
                   QString::number(QRandomGenerator::global()->generate64() & 0xffffffffffffULL, 16),
                   socket->peerAddress().toString()});
}

QByteArray requestAllowOrigin(const QTcpSocket *socket)
{
    Table &t = table();
    std::lock_guard lock(t.mutex);
    const auto it = t.open.constFind(socket);
    return it == t.open.constEnd() || it->empty() ? QByteArray() : it->front().allowOrigin;
}

void addReplyHeaders(QTcpSocket *socket, const QList<QPair<QByteArray, QByteArray>> &headers)
{
    Table &t = table();
    std::lock_guard lock(t.mutex);
    if (const auto it = t.open.find(socket); it != t.open.end() && !it->empty())
        it->front().headers += headers;
}

QList<QPair<QByteArray, QByteArray>> extraReplyHeaders(const QTcpSocket *socket)
{
    Table &t = table();
    std::lock_guard lock(t.mutex);
    const auto it = t.open.constFind(socket);
    return it == t.open.constEnd() || it->empty() ? QList<QPair<QByteArray, QByteArray>>() : it->front().headers;
}

QByteArray requestId(const QTcpSocket *socket)
{
    Table &t = table();
    std::lock_guard lock(t.mutex);
    const auto it = t.open.constFind(socket);
    return it == t.open.constEnd() || it->empty() ? QByteArray() : it->front().id.toLatin1();
}

void endRequest(QTcpSocket *socket, int status)
{
    OpenRequest done;
    {
        Table &t = table();
        std::lock_guard lock(t.mutex);
        const auto it = t.open.find(socket);
        if (it == t.open.end() || it->empty())
            return;
        done = std::move(it->front());
        it->pop_front();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - done.start).count();
    Metrics::instance().observeRequest(done.route, status, seconds);
    // One line per request: never its headers or body (credentials), only what identifies and measures it.
    if (isProbe(done.route))
        qDebug("request %s %s %d %.1f ms from %s", qPrintable(done.id), qPrintable(done.route), status, seconds * 1000,
               qPrintable(done.client));
    else
        qInfo("request %s %s %d %.1f ms from %s", qPrintable(done.id), qPrintable(done.route), status, seconds * 1000,
              qPrintable(done.client));
}

} // namespace smartbot::http
