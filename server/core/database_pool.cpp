#include "core/database_pool.h"

#include <QUuid>
#include <chrono>

namespace smartbot {

namespace {
// A thread's record of the pools it holds idle connections in, so that they are closed on the thread itself when it
// ends (Qt refuses to use or close a connection from another thread).
struct ThreadConnections {
    std::vector<std::weak_ptr<DatabasePool>> pools;
    std::function<void(const std::shared_ptr<DatabasePool> &)> close;
    ~ThreadConnections()
    {
        for (const auto &weak : pools)
            if (auto pool = weak.lock(); pool && close)
                close(pool);
    }
};
thread_local ThreadConnections tlsConnections;
} // namespace

struct DatabasePool::Lease::Connection {
    QString name; // the QSqlDatabase's
    std::unordered_map<QString, std::unique_ptr<QSqlQuery>> statements;
};

DatabasePool::Lease::Lease() = default;

DatabasePool::Lease::Lease(Lease &&other) noexcept
    : pool_(std::move(other.pool_)), connection_(std::move(other.connection_)), reused_(other.reused_),
      discard_(other.discard_)
{
    other.pool_.reset();
}

DatabasePool::Lease &DatabasePool::Lease::operator=(Lease &&other) noexcept
{
    if (this != &other) {
        release();
        pool_ = std::move(other.pool_);
        connection_ = std::move(other.connection_);
        reused_ = other.reused_;
        discard_ = other.discard_;
        other.pool_.reset();
    }
    return *this;
}

DatabasePool::Lease::~Lease()
{
    release();
}

QSqlDatabase DatabasePool::Lease::db() const
{
    return connection_ ? QSqlDatabase::database(connection_->name, false) : QSqlDatabase();
}

QSqlQuery *DatabasePool::Lease::statement(const QString &sql) const
{
    if (!connection_)
        return nullptr;
    auto it = connection_->statements.find(sql);
    return it == connection_->statements.end() ? nullptr : it->second.get();
}

QSqlQuery *DatabasePool::Lease::keepStatement(const QString &sql, std::unique_ptr<QSqlQuery> query)
{
    {
        std::lock_guard lock(pool_->mutex_);
        ++pool_->stats_.prepared;
    }
    auto &kept = connection_->statements;
    if (kept.size() >= kMaxStatements)
        kept.clear();
    return (kept[sql] = std::move(query)).get();
}

void DatabasePool::Lease::dropStatement(const QString &sql)
{
    if (connection_)
        connection_->statements.erase(sql);
}

void DatabasePool::Lease::release()
{
    if (pool_) {
        pool_->release(std::move(connection_), discard_);
        pool_.reset();
    }
}

std::shared_ptr<DatabasePool> DatabasePool::create(Options options)
{
    return std::shared_ptr<DatabasePool>(new DatabasePool(std::move(options)));
}

DatabasePool::DatabasePool(Options options) : options_(std::move(options)) {}

DatabasePool::~DatabasePool()
{
    closeThreadIdle();
    // Other threads' idle connections cannot be closed from this one (Qt's rule): they stay open, statements and all,
    // as the connections themselves always did.
    for (auto &[thread, connections] : idle_)
        for (auto &c : connections)
            (void)c.release();
}

void DatabasePool::closeConnection(std::unique_ptr<Lease::Connection> connection)
{
    if (!connection)
        return;
    connection->statements.clear();
    if (!QSqlDatabase::contains(connection->name))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(connection->name, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(connection->name);
}

void DatabasePool::closeThreadIdle()
{
    std::vector<std::unique_ptr<Lease::Connection>> connections;
    {
        std::lock_guard lock(mutex_);
        auto it = idle_.find(std::this_thread::get_id());
        if (it == idle_.end())
            return;
        connections.swap(it->second);
        idle_.erase(it);
        stats_.open -= int(connections.size());
        stats_.idle -= int(connections.size());
    }
    for (auto &c : connections)
        closeConnection(std::move(c));
    freed_.notify_all();
}

Result<DatabasePool::Lease> DatabasePool::acquire()
{
    using Clock = std::chrono::steady_clock;
    const auto tid = std::this_thread::get_id();
    Lease lease;
    {
        std::unique_lock lock(mutex_);
        const auto started = Clock::now();
        const auto deadline = started + std::chrono::milliseconds(options_.timeoutMs);
        bool waited = false;
        for (;;) {
            if (auto it = idle_.find(tid); it != idle_.end() && !it->second.empty()) {
                lease.connection_ = std::move(it->second.back());
                it->second.pop_back();
                lease.reused_ = true;
                --stats_.idle;
                break;
            }
            if (stats_.open < options_.maxConnections) {
                if (options_.reconnectBackoffMs > 0 && !openFailure_.empty() &&
                    Clock::now() - openFailedAt_ < std::chrono::milliseconds(options_.reconnectBackoffMs))
                    return makeError(openFailure_, ErrorCode::Unavailable);
                ++stats_.open; // reserved; opened below, outside the lock
                break;
            }
            if (auto mine = inUseBy_.find(tid); mine != inUseBy_.end() && mine->second >= stats_.open) {
                // this thread holds them all: waiting would only time out
                ++stats_.timeouts;
                return makeError("database_busy: this thread already holds all " +
                                     std::to_string(options_.maxConnections) +
                                     " database connections ([database] max_connections)",
                                 ErrorCode::Busy);
            }
            if (!waited) {
                waited = true;
                ++stats_.waits;
            }
            ++stats_.waiting;
            const bool timedOut = freed_.wait_until(lock, deadline) == std::cv_status::timeout;
            --stats_.waiting;
            if (timedOut && stats_.open >= options_.maxConnections) {
                ++stats_.timeouts;
                stats_.waitSeconds += std::chrono::duration<double>(Clock::now() - started).count();
                return makeError("database_busy: all " + std::to_string(options_.maxConnections) +
                                     " database connections ([database] max_connections) stayed in use for " +
                                     std::to_string(options_.timeoutMs / 1000) + " s ([database] timeout)",
                                 ErrorCode::Busy);
            }
        }
        if (waited)
            stats_.waitSeconds += std::chrono::duration<double>(Clock::now() - started).count();
        ++stats_.inUse;
        ++stats_.acquired;
        ++inUseBy_[tid];
    }
    lease.pool_ = shared_from_this();
    if (lease.reused_)
        return lease;

    lease.connection_ = std::make_unique<Lease::Connection>();
    lease.connection_->name = QStringLiteral("smartbot-db-%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    QSqlDatabase db = QSqlDatabase::addDatabase(options_.driver, lease.connection_->name);
    Result<void> opened =
        db.isValid()
            ? options_.open(db)
            : Result<void>(makeError("the Qt SQL driver " + options_.driver.toStdString() + " is not installed"));
    if (!opened) {
        db = QSqlDatabase();
        lease.discard();
        {
            std::lock_guard lock(mutex_);
            ++stats_.openFailures;
            openFailedAt_ = std::chrono::steady_clock::now();
            openFailure_ = opened.error();
        }
        return opened.failure(); // the lease's destructor gives the reserved place back
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.opened;
        openFailure_.clear();
    }
    // Register this pool with the thread once, so that the thread's end closes its idle connections.
    auto &mine = tlsConnections;
    if (!mine.close)
        mine.close = [](const std::shared_ptr<DatabasePool> &pool) { pool->closeThreadIdle(); };
    bool known = false;
    for (auto it = mine.pools.begin(); it != mine.pools.end();) {
        if (it->expired()) {
            it = mine.pools.erase(it);
            continue;
        }
        known = known || it->lock().get() == this;
        ++it;
    }
    if (!known)
        mine.pools.push_back(weak_from_this());
    return lease;
}

void DatabasePool::release(std::unique_ptr<Lease::Connection> connection, bool discard)
{
    bool close = false;
    {
        std::lock_guard lock(mutex_);
        --stats_.inUse;
        if (auto it = inUseBy_.find(std::this_thread::get_id()); it != inUseBy_.end() && --it->second <= 0)
            inUseBy_.erase(it);
        // Keep it for this thread's next request unless it broke, someone waits for a place, or enough are idle.
        close = discard || stats_.waiting > 0 || stats_.idle >= options_.poolSize;
        if (close)
            --stats_.open;
        else {
            idle_[std::this_thread::get_id()].push_back(std::move(connection));
            ++stats_.idle;
        }
    }
    if (close) {
        closeConnection(std::move(connection));
        freed_.notify_all();
    }
}

DatabasePool::Stats DatabasePool::stats() const
{
    std::lock_guard lock(mutex_);
    return stats_;
}

} // namespace smartbot
