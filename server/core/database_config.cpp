#include "core/database_config.h"

#include <QDir>
#include <QStringList>

#include "core/config_file.h"
#include "core/config_values.h"

namespace smartbot {

namespace {
const QStringList kSslModes{QStringLiteral("disable"), QStringLiteral("allow"),     QStringLiteral("prefer"),
                            QStringLiteral("require"), QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
} // namespace

QString DatabaseConfig::describe() const
{
    if (!isPostgreSql())
        return QStringLiteral("sqlite");
    return QStringLiteral("postgresql://%1@%2:%3/%4").arg(user, host).arg(port).arg(name);
}

Result<DatabaseConfig> parseDatabaseConfig(const ConfigFile &s, const QString &configDir)
{
    DatabaseConfig c;
    const QString driver = stringValue(s, QStringLiteral("database/driver"), QStringLiteral("sqlite")).toLower();
    if (driver == QLatin1String("postgresql") || driver == QLatin1String("postgres"))
        c.driver = DatabaseConfig::Driver::PostgreSql;
    else if (driver != QLatin1String("sqlite"))
        return makeError("server.conf: [database] driver must be sqlite or postgresql (not '" + driver.toStdString() +
                         "')");
    if (const QString sync = stringValue(s, QStringLiteral("storage/synchronous"), QStringLiteral("normal")).toLower();
        sync == QLatin1String("full"))
        c.sqliteSync = DatabaseConfig::SqliteSync::Full;
    else if (sync != QLatin1String("normal"))
        return makeError("server.conf: [storage] synchronous must be normal or full (not '" + sync.toStdString() +
                         "')");

    const struct {
        const char *key;
        int *member;
        int lo, hi;
    } ints[] = {
        {"database/port", &c.port, 1, 65535},
        {"database/connect_timeout", &c.connectTimeoutS, 1, 3600},
        {"database/max_connections", &c.maxConnections, 1, 10000},
        {"database/pool_size", &c.poolSize, 0, 10000},
        {"database/timeout", &c.timeoutS, 1, 3600},
        {"database/conversation_retention_days", &c.conversationRetentionDays, 0, 36500},
    };
    for (const auto &i : ints) {
        auto r = intValue(s, QString::fromLatin1(i.key), *i.member, i.lo, i.hi);
        if (!r)
            return r.failure();
        *i.member = int(r.value());
    }
    if (c.poolSize > c.maxConnections)
        return makeError("server.conf: [database] pool_size (" + std::to_string(c.poolSize) +
                         ") must not exceed max_connections (" + std::to_string(c.maxConnections) + ")");

    for (const auto &[key, member] :
         {std::pair{QStringLiteral("host"), &c.host}, std::pair{QStringLiteral("name"), &c.name},
          std::pair{QStringLiteral("user"), &c.user}}) {
        *member = stringValue(s, QStringLiteral("database/") + key, *member).trimmed();
        if (member->isEmpty())
            return makeError("server.conf: [database] " + key.toStdString() + " must not be empty");
        // libpq's connection options are "key=value;..." in QPSQL's connect options, and names are quoted in SQL
        // nowhere here; refuse what could only be a mistake or an injection.
        if (member->contains(QLatin1Char(';')) || member->contains(QLatin1Char('\'')) ||
            member->contains(QLatin1Char(' ')))
            return makeError("server.conf: [database] " + key.toStdString() + " = '" + member->toStdString() +
                             "' must not contain spaces, quotes or ';'");
    }
    c.sslMode = stringValue(s, QStringLiteral("database/sslmode"), c.sslMode).toLower();
    if (!kSslModes.contains(c.sslMode))
        return makeError("server.conf: [database] sslmode must be one of " +
                         kSslModes.join(QStringLiteral(", ")).toStdString() + " (not '" + c.sslMode.toStdString() +
                         "')");
    if (const QString file = stringValue(s, QStringLiteral("database/password_file")); !file.isEmpty())
        c.passwordFile = QDir(configDir).absoluteFilePath(file);
    if (const QString file = stringValue(s, QStringLiteral("database/secrets_key_file")); !file.isEmpty())
        c.secretsKeyFile = QDir(configDir).absoluteFilePath(file);
    return c;
}

} // namespace smartbot
