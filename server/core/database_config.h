// DatabaseConfig: server.conf's [database] section (and [storage] synchronous), the database the server keeps its
// state in. SQLite (the default) is a file in [storage] data_dir, for one server; PostgreSQL is a database server that
// several smartbotd share (behind nginx or another load balancer), so that keys, revocations, usage and the audit log
// are the same on all of them. Plain values; parseDatabaseConfig() touches no file.
#pragma once

#include <QString>

#include "smartbot/common/result.h"

namespace smartbot {

class ConfigFile;

struct DatabaseConfig {
    enum class Driver { Sqlite, PostgreSql };
    Driver driver = Driver::Sqlite; // driver = sqlite | postgresql
    // [storage] synchronous = normal | full: SQLite's fsync policy in WAL mode (core/storage.h says what each
    // survives). PostgreSQL's durability is the server's own (synchronous_commit).
    enum class SqliteSync { Normal, Full };
    SqliteSync sqliteSync = SqliteSync::Normal;
    // PostgreSQL: where and as whom. The password is never in server.conf: password_file names a file (mode 0600 or
    // 0400, resolved against the config folder) whose first line is the password; empty = none (trust, peer or a
    // client certificate).
    QString host = QStringLiteral("127.0.0.1"); // a name, an address, or a folder holding the server's Unix socket
    int port = 5432;
    QString name = QStringLiteral("smartbot");
    QString user = QStringLiteral("smartbot");
    QString passwordFile;
    // secrets_key_file: 32 random bytes (base64, mode 0400) that seal the JWT signing keys kept in a PostgreSQL
    // database (core/database_keyring.h), the same file on every server that shares it. Empty: auth/database.key in
    // [storage] data_dir (created by the first server; the others get a copy). Unused with SQLite.
    QString secretsKeyFile;
    QString sslMode =
        QStringLiteral("prefer"); // libpq's sslmode: disable, allow, prefer, require, verify-ca, verify-full
    int connectTimeoutS = 5;      // connect_timeout: one attempt to reach the server
    // The pool (core/database_pool.h), for both drivers:
    int maxConnections = 100; // max_connections: open connections, in use or idle, at most
    int poolSize = 20;        // pool_size: idle connections kept open for the next request; the rest are closed
    int timeoutS = 30;        // timeout: a request waits this long for a connection, then gets 503 database_busy
    // conversation_retention_days: /api/v1/chat conversations are dropped this long after their last turn; 0 = kept
    int conversationRetentionDays = 30;

    bool isPostgreSql() const { return driver == Driver::PostgreSql; }
    // "sqlite" or "postgresql://user@host:port/name" (no password), for logs, errors and `smartbotd db status`.
    QString describe() const;
};

// [database] and [storage] synchronous of file; relative paths resolved against configDir. Errors read
// "server.conf: [database] key ...".
Result<DatabaseConfig> parseDatabaseConfig(const ConfigFile &file, const QString &configDir);

} // namespace smartbot
