// Storage: the server's small database (QtSql). SQLite at <dataDir>/smartbot.db (mode 0600) by default; the
// schema is versioned by a schema_version table and migrated forward on open. Written against QSqlDatabase with
// portable SQL so that a PostgreSQL URL (QPSQL) can be added later; only SQLite is supported now.
// Qt's rule: a connection is used from the thread that opened it. Open one Storage per thread.
#pragma once

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include "core/server_config.h"

namespace smartbot {

class Storage {
public:
    ~Storage();
    Storage(const Storage &) = delete;
    Storage &operator=(const Storage &) = delete;

    // Opens (creating and migrating) <dataDir>/smartbot.db, in WAL mode. sync (server.conf [storage] synchronous):
    // Normal survives the death of the process with every committed write (WAL frames are in the OS's page cache
    // when the commit returns; tests/http/test_crash_safety kills smartbotd under load ten times) and a power cut
    // with an intact database that may lack the last commits; Full fsyncs each commit, so that a power cut loses
    // nothing committed either.
    static Result<std::unique_ptr<Storage>> open(const QString &dataDir,
                                                 ServerConfig::SqliteSync sync = ServerConfig::SqliteSync::Normal);

    QSqlDatabase db() const { return QSqlDatabase::database(connection_); }
    int schemaVersion() const;
    QString path() const { return path_; }

    // Prepares and runs one statement with positional (?) values; the error names the statement's purpose.
    Result<QSqlQuery> exec(const QString &sql, const QVariantList &values = {}) const;

private:
    Storage() = default;
    Result<void> migrate();

    QString connection_;
    QString path_;
};

} // namespace smartbot
