#include "core/storage.h"

#include <QDir>
#include <QFile>
#include <QSqlError>
#include <QThread>
#include <QUuid>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/secret_files.h"

namespace smartbot {

namespace {
// Each entry moves the schema from version i to i + 1. Never edit a released entry: append a new one.
const char *const kMigrations[] = {
    // 1: API keys, revoked JWTs, the audit log, usage counters.
    "CREATE TABLE api_keys (id INTEGER PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL, hash BLOB NOT NULL "
    "UNIQUE, scope TEXT NOT NULL, allow TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, last_used_at "
    "INTEGER, expires_at INTEGER, revoked_at INTEGER, rotated_to INTEGER, requests_per_minute INTEGER, "
    "tokens_per_minute INTEGER);"
    "CREATE INDEX api_keys_prefix ON api_keys(prefix);"
    "CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL);"
    "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, address TEXT NOT "
    "NULL, action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE usage (subject TEXT PRIMARY KEY, requests INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT "
    "NULL DEFAULT 0, generated_tokens INTEGER NOT NULL DEFAULT 0, last_at INTEGER);",
    // 2: the tokens issued (core/token_ledger.h), never the tokens themselves.
    "CREATE TABLE issued_tokens (jti TEXT PRIMARY KEY, subject TEXT NOT NULL, scope TEXT NOT NULL, issued_at INTEGER "
    "NOT NULL, expires_at INTEGER NOT NULL, issuer TEXT NOT NULL);"
    "CREATE INDEX issued_tokens_expires ON issued_tokens(expires_at);",
};
constexpr int kSchemaVersion = int(sizeof kMigrations / sizeof kMigrations[0]);

std::string sqlError(const QSqlError &e)
{
    return e.text().toStdString();
}
} // namespace

Storage::~Storage()
{
    if (!connection_.isEmpty()) {
        {
            QSqlDatabase::database(connection_).close();
        }
        QSqlDatabase::removeDatabase(connection_);
    }
}

Result<std::unique_ptr<Storage>> Storage::open(const QString &configDir, ServerConfig::SqliteSync sync)
{
    std::unique_ptr<Storage> s(new Storage);
    s->path_ = QDir(configDir).filePath(QStringLiteral("smartbot.db"));
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
    s->connection_ = QStringLiteral("smartbot-%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), s->connection_);
    db.setDatabaseName(s->path_);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return makeError("cannot open " + s->path_.toStdString() + ": " + sqlError(db.lastError()));
    // WAL: the CLI and a running server share the file; readers do not block the writer.
    if (auto r = s->exec(QStringLiteral("PRAGMA journal_mode=WAL")); !r)
        return r.failure();
    // NORMAL is safe with WAL (no corruption); a power cut may lose the last commits. FULL: none (storage.h).
    if (auto r = s->exec(sync == ServerConfig::SqliteSync::Full ? QStringLiteral("PRAGMA synchronous=FULL")
                                                                : QStringLiteral("PRAGMA synchronous=NORMAL"));
        !r)
        return r.failure();
    if (auto r = s->migrate(); !r)
        return r.failure();
    for (const char *suffix : {"-wal", "-shm"})
        ::chmod((native + suffix).constData(), 0600);
    return s;
}

Result<QSqlQuery> Storage::exec(const QString &sql, const QVariantList &values) const
{
    QSqlQuery q(db());
    if (!q.prepare(sql))
        return makeError("database: " + sqlError(q.lastError()));
    for (const QVariant &v : values) // a null QString would bind as SQL NULL: bind it as ''
        q.addBindValue(v.typeId() == QMetaType::QString && v.toString().isNull() ? QVariant(QStringLiteral("")) : v);
    if (!q.exec())
        return makeError("database: " + sqlError(q.lastError()));
    return q;
}

int Storage::schemaVersion() const
{
    QSqlQuery q(db());
    if (!q.exec(QStringLiteral("SELECT MAX(version) FROM schema_version")) || !q.next())
        return 0;
    return q.value(0).toInt();
}

Result<void> Storage::migrate()
{
    QSqlDatabase d = db();
    QSqlQuery q(d);
    if (!q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at "
                               "INTEGER NOT NULL)")))
        return makeError("database: " + sqlError(q.lastError()));
    const int have = schemaVersion();
    if (have > kSchemaVersion)
        return makeError(path_.toStdString() + " has schema version " + std::to_string(have) +
                         ", newer than this SmartBot (" + std::to_string(kSchemaVersion) + ")");
    for (int v = have; v < kSchemaVersion; ++v) {
        if (!d.transaction())
            return makeError("database: " + sqlError(d.lastError()));
        const QStringList statements = QString::fromLatin1(kMigrations[v]).split(';', Qt::SkipEmptyParts);
        for (const QString &st : statements) {
            if (st.trimmed().isEmpty())
                continue;
            if (!q.exec(st)) {
                const std::string err = sqlError(q.lastError());
                d.rollback();
                return makeError("database migration to version " + std::to_string(v + 1) + ": " + err);
            }
        }
        auto r =
            exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (?, strftime('%s','now'))"),
                 {v + 1});
        if (!r || !d.commit()) {
            d.rollback();
            return makeError("database migration to version " + std::to_string(v + 1) + " failed");
        }
    }
    return {};
}

} // namespace smartbot
