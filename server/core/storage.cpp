#include "core/storage.h"

#include <algorithm>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDriver>
#include <QSqlError>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/secret_files.h"

namespace smartbot {

namespace {
// Each entry moves the schema from version i to i + 1, in both dialects. Never edit a released entry: append one.
struct Migration {
    const char *sqlite;
    const char *postgresql;
};
const Migration kMigrations[] = {
    // 1: API keys, revoked JWTs, the audit log, usage counters.
    {"CREATE TABLE api_keys (id INTEGER PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL, hash BLOB NOT NULL "
     "UNIQUE, scope TEXT NOT NULL, allow TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, last_used_at "
     "INTEGER, expires_at INTEGER, revoked_at INTEGER, rotated_to INTEGER, requests_per_minute INTEGER, "
     "tokens_per_minute INTEGER);"
     "CREATE INDEX api_keys_prefix ON api_keys(prefix);"
     "CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL);"
     "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, address TEXT NOT "
     "NULL, action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');"
     "CREATE TABLE usage (subject TEXT PRIMARY KEY, requests INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT "
     "NULL DEFAULT 0, generated_tokens INTEGER NOT NULL DEFAULT 0, last_at INTEGER);",
     "CREATE TABLE api_keys (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL, hash BYTEA NOT NULL "
     "UNIQUE, scope TEXT NOT NULL, allow TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL, last_used_at "
     "BIGINT, expires_at BIGINT, revoked_at BIGINT, rotated_to BIGINT, requests_per_minute INTEGER, "
     "tokens_per_minute INTEGER);"
     "CREATE INDEX api_keys_prefix ON api_keys(prefix);"
     "CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL);"
     "CREATE TABLE audit_log (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, address TEXT NOT "
     "NULL, action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');"
     "CREATE TABLE usage (subject TEXT PRIMARY KEY, requests BIGINT NOT NULL DEFAULT 0, prompt_tokens BIGINT NOT "
     "NULL DEFAULT 0, generated_tokens BIGINT NOT NULL DEFAULT 0, last_at BIGINT);"},
    // 2: the tokens issued (core/token_ledger.h), never the tokens themselves.
    {"CREATE TABLE issued_tokens (jti TEXT PRIMARY KEY, subject TEXT NOT NULL, scope TEXT NOT NULL, issued_at INTEGER "
     "NOT NULL, expires_at INTEGER NOT NULL, issuer TEXT NOT NULL);"
     "CREATE INDEX issued_tokens_expires ON issued_tokens(expires_at);",
     "CREATE TABLE issued_tokens (jti TEXT PRIMARY KEY, subject TEXT NOT NULL, scope TEXT NOT NULL, issued_at BIGINT "
     "NOT NULL, expires_at BIGINT NOT NULL, issuer TEXT NOT NULL);"
     "CREATE INDEX issued_tokens_expires ON issued_tokens(expires_at);"},
    // 3: /api/v1/chat's conversations (service/conversation_store.h), one row per turn.
    {"CREATE TABLE conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', "
     "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
     "CREATE INDEX conversations_owner ON conversations(owner, updated_at);"
     "CREATE INDEX conversations_updated ON conversations(updated_at);"
     "CREATE TABLE conversation_turns (conversation_id TEXT NOT NULL, turn INTEGER NOT NULL, user_text TEXT NOT NULL, "
     "assistant_text TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (conversation_id, turn));",
     "CREATE TABLE conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', "
     "created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
     "CREATE INDEX conversations_owner ON conversations(owner, updated_at);"
     "CREATE INDEX conversations_updated ON conversations(updated_at);"
     "CREATE TABLE conversation_turns (conversation_id TEXT NOT NULL, turn INTEGER NOT NULL, user_text TEXT NOT NULL, "
     "assistant_text TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (conversation_id, turn));"},
    // 4: rate-limit counters shared by the servers of one database (core/shared_rate_limiter.h).
    {"CREATE TABLE rate_counters (counter TEXT NOT NULL, subject TEXT NOT NULL, window_start INTEGER NOT NULL, amount "
     "INTEGER NOT NULL, PRIMARY KEY (counter, subject, window_start));",
     "CREATE TABLE rate_counters (counter TEXT NOT NULL, subject TEXT NOT NULL, window_start BIGINT NOT NULL, amount "
     "BIGINT NOT NULL, PRIMARY KEY (counter, subject, window_start));"},
    // 5: JWT signing keys shared by the servers of one database, sealed (core/database_keyring.h).
    {"CREATE TABLE signing_keys (id INTEGER PRIMARY KEY, kid TEXT NOT NULL UNIQUE, sealed BLOB NOT NULL, created_at "
     "INTEGER NOT NULL, retired_at INTEGER);",
     "CREATE TABLE signing_keys (id BIGSERIAL PRIMARY KEY, kid TEXT NOT NULL UNIQUE, sealed BYTEA NOT NULL, created_at "
     "BIGINT NOT NULL, retired_at BIGINT);"},
};
constexpr int kSchemaVersion = int(sizeof kMigrations / sizeof kMigrations[0]);

std::string sqlError(const QSqlError &e)
{
    const QString db = e.databaseText().trimmed();
    return (db.isEmpty() ? e.text() : db).simplified().toStdString();
}

// libpq's reasons for a refused connection -> what the operator should do. The first match wins.
Error connectError(const DatabaseConfig &c, const QSqlError &e)
{
    const QString text = QString::fromStdString(sqlError(e));
    const std::string where = c.describe().toStdString();
    const struct {
        const char *needle;
        std::string advice;
    } table[] = {
        {"password authentication failed", "PostgreSQL refused the password of user '" + c.user.toStdString() +
                                               "': check [database] user and the password in password_file"},
        {"no password supplied",
         "PostgreSQL wants a password for user '" + c.user.toStdString() + "': set [database] password_file"},
        {"role", "PostgreSQL has no user '" + c.user.toStdString() + "': create it (createuser -P " +
                     c.user.toStdString() + ") or fix [database] user"},
        {"database", "PostgreSQL has no database '" + c.name.toStdString() + "': create it (createdb -O " +
                         c.user.toStdString() + " " + c.name.toStdString() + ") or fix [database] name"},
        {"pg_hba.conf", "PostgreSQL does not let user '" + c.user.toStdString() +
                            "' connect from here: add a line for it to the server's pg_hba.conf"},
        {"SSL", "the TLS connection to PostgreSQL failed: check [database] sslmode"},
    };
    for (const auto &row : table)
        if (text.contains(QLatin1String(row.needle)) &&
            (std::string_view(row.needle) != "role" || text.contains(QLatin1String("does not exist"))) &&
            (std::string_view(row.needle) != "database" || text.contains(QLatin1String("does not exist"))))
            return makeError("database " + where + ": " + row.advice + " (" + text.toStdString() + ")",
                             ErrorCode::Unavailable);
    return makeError("database " + where + ": cannot reach PostgreSQL at " + c.host.toStdString() + ":" +
                         std::to_string(c.port) + ", is it running? Check [database] host and port (" +
                         text.toStdString() + ")",
                     ErrorCode::Unavailable);
}

Result<QString> readPassword(const QString &file)
{
    if (file.isEmpty())
        return QString();
    if (!QFileInfo::exists(file))
        return makeError("[database] password_file " + file.toStdString() + " does not exist");
    if (auto r = checkPrivateFile(file); !r)
        return makeError("[database] password_file: " + r.error() + " (chmod 600 it)");
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return makeError("[database] password_file " + file.toStdString() + ": " + f.errorString().toStdString());
    const QString line = QString::fromUtf8(f.readLine()).trimmed();
    if (line.isEmpty())
        return makeError("[database] password_file " + file.toStdString() + " is empty");
    return line;
}

// Binds values to a prepared statement's placeholders, in order. A null QString would bind as SQL NULL: bound as ''.
// By position, so that a kept statement's values from its last run are all replaced.
void bindValues(QSqlQuery &q, const QVariantList &values)
{
    for (int i = 0; i < values.size(); ++i) {
        const QVariant &v = values[i];
        q.bindValue(i, v.typeId() == QMetaType::QString && v.toString().isNull() ? QVariant(QStringLiteral("")) : v);
    }
}

Result<void> runOn(QSqlDatabase db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql))
        return makeError("database: " + sqlError(q.lastError()));
    return {};
}

// The statement kept on lease's connection for sql, prepared (and kept) now if there is none; null with error set
// when sql does not prepare.
QSqlQuery *keptStatement(DatabasePool::Lease &lease, const QString &sql, QSqlError &error)
{
    if (QSqlQuery *q = lease.statement(sql))
        return q;
    auto made = std::make_unique<QSqlQuery>(lease.db());
    made->setForwardOnly(true);
    if (!made->prepare(sql)) {
        error = made->lastError();
        return nullptr;
    }
    return lease.keepStatement(sql, std::move(made));
}

bool isSelect(const QString &sql)
{
    return sql.trimmed().startsWith(QLatin1String("SELECT"), Qt::CaseInsensitive);
}
} // namespace

Storage::~Storage() = default;

Storage::Query::Query(Query &&other) noexcept
    : lease_(std::move(other.lease_)), owned_(std::move(other.owned_)), q_(std::exchange(other.q_, nullptr)),
      rowsAffected_(other.rowsAffected_)
{
}

Storage::Query &Storage::Query::operator=(Query &&other) noexcept
{
    if (this != &other) {
        close();
        lease_ = std::move(other.lease_);
        owned_ = std::move(other.owned_);
        q_ = std::exchange(other.q_, nullptr);
        rowsAffected_ = other.rowsAffected_;
    }
    return *this;
}

void Storage::Query::close()
{
    if (q_ && !owned_)
        q_->finish();
    q_ = nullptr;
    owned_.reset(); // the statement before its connection
    lease_ = DatabasePool::Lease();
}

bool Storage::Query::next()
{
    if (!q_)
        return false;
    if (q_->next())
        return true;
    if (q_->lastError().isValid())
        qWarning("database: reading rows: %s", sqlError(q_->lastError()).c_str());
    return false;
}

int Storage::currentSchemaVersion()
{
    return kSchemaVersion;
}

QString Storage::describe() const
{
    return config_.isPostgreSql() ? config_.describe() : path_;
}

Result<std::unique_ptr<Storage>> Storage::open(const QString &dataDir, const DatabaseConfig &config, Migrate migrate)
{
    std::unique_ptr<Storage> s(new Storage);
    s->config_ = config;
    DatabasePool::Options options{.maxConnections = config.maxConnections,
                                  .poolSize = config.poolSize,
                                  .timeoutMs = config.timeoutS * 1000,
                                  .reconnectBackoffMs = 1000};
    if (config.isPostgreSql()) {
        auto password = readPassword(config.passwordFile);
        if (!password)
            return password.failure();
        options.driver = QStringLiteral("QPSQL");
        options.open = [config, password = password.value()](QSqlDatabase &db) -> Result<void> {
            db.setHostName(config.host);
            db.setPort(config.port);
            db.setDatabaseName(config.name);
            db.setUserName(config.user);
            db.setPassword(password);
            db.setConnectOptions(QStringLiteral("connect_timeout=%1;sslmode=%2;application_name=smartbotd;"
                                                "keepalives=1;keepalives_idle=5;keepalives_interval=5;"
                                                "keepalives_count=3;tcp_user_timeout=20000")
                                     .arg(config.connectTimeoutS)
                                     .arg(config.sslMode));
            if (!db.open())
                return connectError(config, db.lastError());
            // The server thread waits on every statement: a statement may take 15 s at most, and the keepalives
            // (connect options) notice a server that vanished without closing the connection within about 20 s.
            return runOn(db, QStringLiteral("SET statement_timeout = 15000"));
        };
    } else {
        s->path_ = QDir(dataDir).filePath(QStringLiteral("smartbot.db"));
        // Create the file ourselves first so that it never exists with a wider mode than 0600.
        const QByteArray native = QFile::encodeName(s->path_);
        const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return makeError("cannot create " + s->path_.toStdString());
        ::close(fd);
        // The database holds API keys, revocations and the audit log: refuse one that others could write.
        for (const char *suffix : {"", "-wal", "-shm"})
            if (auto r = checkTrustedPath(s->path_ + QLatin1String(suffix)); !r)
                return r.failure();
        options.driver = QStringLiteral("QSQLITE");
        options.open = [path = s->path_, sync = config.sqliteSync](QSqlDatabase &db) -> Result<void> {
            db.setDatabaseName(path);
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
            if (!db.open())
                return makeError("cannot open " + path.toStdString() + ": " + sqlError(db.lastError()));
            // WAL: the CLI and a running server share the file; readers do not block the writer. NORMAL is safe
            // with WAL (no corruption); a power cut may lose the last commits. FULL: none (storage.h). Both are
            // per-connection settings.
            if (auto r = runOn(db, QStringLiteral("PRAGMA journal_mode=WAL")); !r)
                return r;
            return runOn(db, sync == DatabaseConfig::SqliteSync::Full ? QStringLiteral("PRAGMA synchronous=FULL")
                                                                      : QStringLiteral("PRAGMA synchronous=NORMAL"));
        };
    }
    s->pool_ = DatabasePool::create(std::move(options));
    // Connect now, so that a wrong address or password is a start-up error rather than every request's.
    if (auto first = s->pool_->acquire(); !first)
        return first.failure();
    if (migrate == Migrate::Yes)
        if (auto r = s->migrate(); !r)
            return r.failure();
    if (!s->path_.isEmpty())
        for (const char *suffix : {"-wal", "-shm"})
            ::chmod(QFile::encodeName(s->path_ + QLatin1String(suffix)).constData(), 0600);
    return s;
}

Result<Storage::Query> Storage::exec(const QString &sql, const QVariantList &values) const
{
    return run(sql, values, isSelect(sql));
}

Result<Storage::Query> Storage::run(const QString &sql, const QVariantList &values, bool mayRetry) const
{
    auto lease = pool_->acquire();
    if (!lease)
        return lease.failure();
    Query out;
    const bool reused = lease->reused();
    out.lease_ = std::move(lease.value());
    QSqlError error;
    QSqlQuery *q = keptStatement(out.lease_, sql, error);
    if (q) {
        bindValues(*q, values);
        out.q_ = q;
        if (q->exec()) {
            out.rowsAffected_ = q->numRowsAffected();
            if (!q->isSelect()) // nothing to read: the connection goes back now
                out.close();
            return out;
        }
        error = q->lastError();
        out.q_ = nullptr;
        out.lease_.dropStatement(sql); // the connection stays for the check below
    }
    // A statement error (a constraint, bad SQL) leaves the connection working; a dropped connection does not.
    {
        QSqlQuery probe(out.lease_.db());
        if (out.lease_.db().isOpen() && probe.exec(QStringLiteral("SELECT 1")))
            return makeError("database: " + sqlError(error));
    }
    out.lease_.discard();
    out.lease_ = DatabasePool::Lease();
    pool_->closeIdle();
    if (mayRetry && reused)
        return run(sql, values, false);
    return makeError("database_unavailable: lost the connection to " + describe().toStdString() + ": " +
                         sqlError(error),
                     ErrorCode::Unavailable);
}

Result<void> Storage::ping() const
{
    auto r = exec(QStringLiteral("SELECT 1"));
    if (!r)
        return r.failure();
    return {};
}

Result<int> Storage::schemaVersion() const
{
    bool made = false;
    { // each Query in its own scope: its connection goes back before the next statement
        auto exists = exec(config_.isPostgreSql()
                               ? QStringLiteral("SELECT to_regclass('schema_version') IS NOT NULL")
                               : QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
                                                "'schema_version'"));
        if (!exists)
            return exists.failure();
        made = exists->next() && exists->value(0).toBool();
    }
    if (!made)
        return 0;
    auto q = exec(QStringLiteral("SELECT MAX(version) FROM schema_version"));
    if (!q)
        return q.failure();
    return q->next() ? q->value(0).toInt() : 0;
}

Result<void> Storage::migrate(int toVersion)
{
    const int target = toVersion < 0 ? kSchemaVersion : std::min(toVersion, kSchemaVersion);
    const bool pg = config_.isPostgreSql();
    // One transaction for all steps; servers starting at the same time wait for each other in it, and the second
    // finds the work done.
    return transaction(kMigrationLock, [&](const Transaction &tx) -> Result<void> {
        if (auto r = tx.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                                            "applied_at BIGINT NOT NULL)"));
            !r)
            return r.failure();
        auto q = tx.exec(QStringLiteral("SELECT MAX(version) FROM schema_version"));
        if (!q)
            return q.failure();
        const int have = q->next() ? q->value(0).toInt() : 0;
        q = Storage::Query();
        if (have > kSchemaVersion)
            return makeError(describe().toStdString() + " has schema version " + std::to_string(have) +
                             ", newer than this SmartBot's (" + std::to_string(kSchemaVersion) +
                             "): run the release that wrote it, or restore a backup made for this one");
        for (int v = have; v < target; ++v) {
            const QString text = QString::fromLatin1(pg ? kMigrations[v].postgresql : kMigrations[v].sqlite);
            for (const QString &st : text.split(QLatin1Char(';'), Qt::SkipEmptyParts))
                if (!st.trimmed().isEmpty())
                    if (auto r = tx.exec(st); !r)
                        return makeError("database migration to version " + std::to_string(v + 1) + ": " + r.error());
            if (auto r = tx.exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"),
                                 {v + 1, QDateTime::currentSecsSinceEpoch()});
                !r)
                return makeError("database migration to version " + std::to_string(v + 1) + ": " + r.error());
        }
        return {};
    });
}

Result<Storage::Query> Storage::Transaction::exec(const QString &sql, const QVariantList &values) const
{
    Query out;
    if (values.isEmpty()) {
        out.owned_ = std::make_unique<QSqlQuery>(lease_.db());
        out.owned_->setForwardOnly(true);
        out.q_ = out.owned_.get();
        if (!out.q_->exec(sql))
            return makeError("database: " + sqlError(out.q_->lastError()));
    } else {
        QSqlError error;
        QSqlQuery *q = keptStatement(lease_, sql, error);
        if (!q)
            return makeError("database: " + sqlError(error));
        bindValues(*q, values);
        if (!q->exec()) {
            const std::string error = sqlError(q->lastError());
            lease_.dropStatement(sql);
            return makeError("database: " + error);
        }
        out.q_ = q; // kept: close() finish()es it, which ends its read before the transaction goes on
    }
    out.rowsAffected_ = out.q_->numRowsAffected();
    if (!out.q_->isSelect())
        out.close();
    return out;
}

Result<void> Storage::transaction(qint64 lock, const std::function<Result<void>(const Transaction &)> &work) const
{
    auto lease = pool_->acquire();
    if (!lease)
        return lease.failure();
    QSqlDatabase db = lease->db();
    const bool pg = config_.isPostgreSql();
    if (auto r = runOn(db, pg ? QStringLiteral("BEGIN") : QStringLiteral("BEGIN IMMEDIATE")); !r) {
        if (!db.isOpen() || !runOn(db, QStringLiteral("SELECT 1"))) { // the connection is gone, not the statement
            lease->discard();
            pool_->closeIdle();
            return makeError("database_unavailable: " + r.error(), ErrorCode::Unavailable);
        }
        return r;
    }
    Result<void> result =
        pg && lock != 0 ? runOn(db, QStringLiteral("SELECT pg_advisory_xact_lock(%1)").arg(lock)) : Result<void>{};
    if (result)
        result = work(Transaction(*lease));
    if (result)
        result = runOn(db, QStringLiteral("COMMIT"));
    if (!result && !runOn(db, QStringLiteral("ROLLBACK"))) {
        lease->discard(); // neither committed nor rolled back: not a connection to hand out again
        pool_->closeIdle();
    }
    return result;
}

} // namespace smartbot
