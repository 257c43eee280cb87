// Storage: the server's database (QtSql), through a DatabasePool (core/database_pool.h) so that any thread may use it.
//  - SQLite (the default): <dataDir>/smartbot.db, mode 0600, in WAL mode; for one server.
//  - PostgreSQL ([database] driver = postgresql, core/database_config.h): a database server that several smartbotd
//    share, so that a key created or revoked through one is known to all of them at once (every check reads the
//    database; nothing is cached here).
// One schema in both, versioned by the schema_version table and migrated forward on open (or by `smartbotd db
// migrate`); a database newer than this release is refused. SQL is written once for both (ON CONFLICT, RETURNING;
// times are Unix seconds bound by the caller).
// Errors: ErrorCode::Unavailable when the database cannot be reached (the HTTP layer's 503 database_unavailable),
// ErrorCode::Busy when every connection stayed in use for [database] timeout (503 database_busy), Failed otherwise.
// Threading: every member function may be called from any thread; a Query is used and destroyed on its thread.
#pragma once

#include <QSqlQuery>
#include <QString>
#include <QVariant>
#include <functional>
#include <memory>

#include "core/database_config.h"
#include "core/database_pool.h"

namespace smartbot {

class Storage {
public:
    // A statement's result. One that returns rows holds its connection, and stays open, until the Query goes: on
    // SQLite an INSERT ... RETURNING commits only then, so read what it returns and let it go before anything else
    // reads what it wrote. One without rows (INSERT, UPDATE, DELETE) gives its connection back at once.
    class Query {
    public:
        Query() = default;
        Query(Query &&other) noexcept;
        Query &operator=(Query &&other) noexcept;
        ~Query() { close(); }
        // false at the end of the rows, or when reading them failed (logged; the rows read so far stand).
        bool next();
        QVariant value(int i) const { return q_ ? q_->value(i) : QVariant(); }
        int rowsAffected() const { return rowsAffected_; }

    private:
        friend class Storage;
        // Lets go of the rows (a statement kept on the connection is reset, which ends its read), then of the
        // connection.
        void close();
        DatabasePool::Lease lease_;
        std::unique_ptr<QSqlQuery> owned_; // a transaction's statement; exec()'s are kept on lease_'s connection
        QSqlQuery *q_ = nullptr;           // owned_ or the kept one; null once there is nothing (more) to read
        int rowsAffected_ = -1;
    };

    // Statements of one transaction(), on its connection.
    class Transaction {
    public:
        // As Storage::exec; a statement without values runs unprepared (PostgreSQL prepares no DDL), one with values
        // is kept prepared on the connection as exec() keeps its (the per-request ones, ConversationStore::append,
        // would otherwise be prepared afresh each time). An error makes the transaction fail: return it from the
        // work.
        Result<Query> exec(const QString &sql, const QVariantList &values = {}) const;

    private:
        friend class Storage;
        explicit Transaction(DatabasePool::Lease &lease) : lease_(lease) {}
        DatabasePool::Lease &lease_;
    };

    enum class Migrate { Yes, No };

    ~Storage();
    Storage(const Storage &) = delete;
    Storage &operator=(const Storage &) = delete;

    // Opens the database config names (SQLite in dataDir) and, with Migrate::Yes, creates or migrates its schema.
    // SQLite's [storage] synchronous: Normal survives the death of the process with every committed write (WAL frames
    // are in the OS's page cache when the commit returns; tests/http/test_crash_safety kills smartbotd under load ten
    // times) and a power cut with an intact database that may lack the last commits; Full fsyncs each commit, so
    // that a power cut loses nothing committed either. A start-up error says what is wrong and how to fix it (server
    // not reachable, password refused, no such database or user, a schema newer than this release).
    static Result<std::unique_ptr<Storage>> open(const QString &dataDir, const DatabaseConfig &config = {},
                                                 Migrate migrate = Migrate::Yes);

    // Prepares and runs one statement with positional (?) values. A SELECT that fails on a connection the server
    // dropped (a database restart) is tried once more on a fresh one; other statements are not, since they may have
    // been applied.
    Result<Query> exec(const QString &sql, const QVariantList &values = {}) const;
    // Runs work in one transaction on one connection, for what several servers must not do at the same time (check,
    // then write): PostgreSQL holds the advisory lock `lock` until the end, so transactions with the same lock run
    // one after the other; SQLite takes its write lock at the start (BEGIN IMMEDIATE). Commits when work succeeds,
    // rolls back when it fails (its error is returned). Locks: kMigrationLock (migrate()), kSigningKeysLock; 0 = none.
    static constexpr qint64 kMigrationLock = 0x736d6274;   // "smbt"
    static constexpr qint64 kSigningKeysLock = 0x736d6b79; // "smky"
    Result<void> transaction(qint64 lock, const std::function<Result<void>(const Transaction &)> &work) const;
    // SELECT 1 on a connection: the health check's "database" entry.
    Result<void> ping() const;

    Result<int> schemaVersion() const; // 0 = empty database
    static int currentSchemaVersion(); // what this release writes
    // To currentSchemaVersion(); several servers may start at once. toVersion: stop at an older schema, the one an
    // earlier release made (for tests of the upgrade from it).
    Result<void> migrate(int toVersion = -1);

    const DatabaseConfig &config() const { return config_; }
    QString path() const { return path_; } // SQLite's file; empty for PostgreSQL
    QString describe() const;              // the file, or postgresql://user@host:port/name
    DatabasePool::Stats poolStats() const { return pool_->stats(); }

private:
    Storage() = default;
    Result<Query> run(const QString &sql, const QVariantList &values, bool mayRetry) const;

    DatabaseConfig config_;
    QString path_;
    std::shared_ptr<DatabasePool> pool_;
};

} // namespace smartbot
