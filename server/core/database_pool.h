// DatabasePool: the QtSql connections to one database, shared by the threads of this process.
// Qt's rule is that a connection is used only by the thread that opened it, so every connection here belongs to a
// thread: acquire() hands the calling thread one of its own idle connections, or opens a new one while fewer than
// max_connections are open in all; at the cap it waits up to the timeout and then fails with ErrorCode::Busy (the
// HTTP layer's 503 database_busy + Retry-After). While a thread waits, a released connection is closed instead of
// kept idle, so that the waiter can open one in its place. A thread that itself holds every open connection does not
// wait (nobody else could give one back): Busy at once. Idle connections beyond pool_size are closed on release, and
// a thread's idle connections are closed when the thread ends.
// A connection that broke (the database server restarted or went away) is given back with Lease::discard(); the
// next acquire() opens a fresh one, which is how the server recovers by itself once the database is back.
// Each connection keeps the statements prepared on it (Lease::statement), so that the few statements every request
// runs are parsed once per connection instead of once per request: preparing was 18% of the HTTP thread's time
// under bench_chat_qps (4 statements per chat request), as much as running them.
// Threading: every member function is thread-safe. A Lease is used and destroyed on the thread that acquired it.
#pragma once

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <string>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "smartbot/common/result.h"

namespace smartbot {

class DatabasePool : public std::enable_shared_from_this<DatabasePool> {
public:
    struct Options {
        QString driver; // a QtSql driver: QSQLITE, QPSQL
        // Configures and opens a new connection (names, options, pragmas). An error's code says why: Unavailable
        // (cannot reach the server, wrong password, no such database) or Failed.
        std::function<Result<void>(QSqlDatabase &)> open;
        int maxConnections = 100;
        int poolSize = 20;
        int timeoutMs = 30000;
        // After a failed open, acquire() fails at once (Unavailable) for this long instead of trying again: while a
        // database server is unreachable, every request would otherwise wait out a connect timeout of its own.
        int reconnectBackoffMs = 0;
    };
    struct Stats {
        int open = 0;    // connections open, in use or idle
        int inUse = 0;   // leased now
        int idle = 0;    // open and not leased
        int waiting = 0; // threads waiting for a connection now
        quint64 acquired = 0;
        quint64 opened = 0;
        quint64 waits = 0;    // acquire() calls that had to wait
        quint64 timeouts = 0; // waits that ended in Busy
        quint64 openFailures = 0;
        quint64 prepared = 0;   // statements prepared and kept on a connection (Lease::keepStatement)
        double waitSeconds = 0; // all waits together
    };

    class Lease {
    public:
        Lease();
        Lease(Lease &&other) noexcept;
        Lease &operator=(Lease &&other) noexcept;
        ~Lease();
        Lease(const Lease &) = delete;
        Lease &operator=(const Lease &) = delete;

        QSqlDatabase db() const;
        bool reused() const { return reused_; } // an idle connection, not one opened for this lease
        // The connection is broken: close it instead of keeping it.
        void discard() { discard_ = true; }

        // The statement kept for sql on this connection (prepared, forward-only), or null. The caller binds and
        // runs it, and finish()es it before the lease goes (a SELECT's open cursor holds SQLite's read lock).
        QSqlQuery *statement(const QString &sql) const;
        // Keeps a statement prepared on this connection for sql, and returns it. At kMaxStatements the ones kept
        // before are dropped (a bound: SQL built at run time must not grow the cache without end).
        QSqlQuery *keepStatement(const QString &sql, std::unique_ptr<QSqlQuery> query);
        // Prepared afresh next time: running it failed, which may have left it unusable.
        void dropStatement(const QString &sql);
        static constexpr size_t kMaxStatements = 64;

    private:
        friend class DatabasePool;
        struct Connection;
        void release();
        std::shared_ptr<DatabasePool> pool_;
        std::unique_ptr<Connection> connection_;
        bool reused_ = false;
        bool discard_ = false;
    };

    static std::shared_ptr<DatabasePool> create(Options options);
    ~DatabasePool();
    DatabasePool(const DatabasePool &) = delete;
    DatabasePool &operator=(const DatabasePool &) = delete;

    Result<Lease> acquire();
    // Closes the calling thread's idle connections: one of them broke, so the others (to the same server) most
    // likely did too, and the next acquire() should open a fresh one.
    void closeIdle() { closeThreadIdle(); }
    Stats stats() const;
    const Options &options() const { return options_; }

private:
    explicit DatabasePool(Options options);
    void release(std::unique_ptr<Lease::Connection> connection, bool discard);
    void closeThreadIdle(); // the calling thread's idle connections (its end, the pool's end)
    // Its statements first, then the connection (on the thread that opened it).
    static void closeConnection(std::unique_ptr<Lease::Connection> connection);

    const Options options_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::unordered_map<std::thread::id, std::vector<std::unique_ptr<Lease::Connection>>> idle_;
    std::unordered_map<std::thread::id, int> inUseBy_;
    std::chrono::steady_clock::time_point openFailedAt_{};
    std::string openFailure_;
    Stats stats_;
};

} // namespace smartbot
