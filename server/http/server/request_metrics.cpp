#include "http/server/request_metrics.h"

#include <QHash>
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
};

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
    it->push_back({route, allowOrigin, Clock::now()});
}

QByteArray requestAllowOrigin(const QTcpSocket *socket)
{
    Table &t = table();
    std::lock_guard lock(t.mutex);
    const auto it = t.open.constFind(socket);
    return it == t.open.constEnd() || it->empty() ? QByteArray() : it->front().allowOrigin;
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
}

} // namespace smartbot::http
