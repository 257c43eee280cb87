// smartbotd db status|migrate --config DIR: the database of [database] (SQLite in [storage] data_dir, or PostgreSQL).
//   status   where it is, its schema version and this release's; exit 0 when they agree, 3 when migrations are
//            pending (the server applies them when it starts, or `db migrate` now), 1 when it cannot be read or was
//            written by a newer release.
//   migrate  applies the pending migrations (in one transaction; servers starting at the same time wait for it).
#include <QCommandLineParser>
#include <cstdio>

#include "core/secret_files.h"
#include "core/server_config.h"
#include "core/storage.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"

namespace smartbot::daemon {

namespace {
constexpr int kPending = 3;

Result<std::unique_ptr<Storage>> openUnmigrated(QCommandLineParser &p, const QStringList &args)
{
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder (server.conf)."), QStringLiteral("DIR")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config")))
        return makeError("--config DIR is required");
    auto config = ServerConfig::loadOrCreate(p.value(QStringLiteral("config")));
    if (!config)
        return config.failure();
    if (!config->database.isPostgreSql())
        if (auto data = ensureDataFolder(config->dataDir); !data)
            return data.failure();
    return Storage::open(config->dataDir, config->database, Storage::Migrate::No);
}

int status(const QStringList &args)
{
    QCommandLineParser p;
    auto storage = openUnmigrated(p, args);
    if (!storage)
        return fail(storage.error());
    auto have = storage.value()->schemaVersion();
    if (!have)
        return fail(have.error());
    const int mine = Storage::currentSchemaVersion();
    std::printf("database: %s\nschema version: %d (this release: %d)\n", qPrintable(storage.value()->describe()),
                have.value(), mine);
    if (have.value() > mine)
        return fail("the database was written by a newer release; this one cannot use it");
    if (have.value() < mine) {
        std::printf("%d migration(s) pending: the server applies them when it starts, or run smartbotd db migrate\n",
                    mine - have.value());
        return kPending;
    }
    std::printf("up to date\n");
    return 0;
}

int migrate(const QStringList &args)
{
    QCommandLineParser p;
    auto storage = openUnmigrated(p, args);
    if (!storage)
        return fail(storage.error());
    auto before = storage.value()->schemaVersion();
    if (!before)
        return fail(before.error());
    if (auto r = storage.value()->migrate(); !r)
        return fail(r.error());
    const int now = Storage::currentSchemaVersion();
    if (before.value() == now)
        std::printf("%s is up to date (schema version %d)\n", qPrintable(storage.value()->describe()), now);
    else
        std::printf("migrated %s from schema version %d to %d\n", qPrintable(storage.value()->describe()),
                    before.value(), now);
    return 0;
}
} // namespace

int runDb(const QStringList &args)
{
    const QString sub = args.value(1);
    QStringList rest = args;
    if (!sub.isEmpty())
        rest.removeAt(1);
    if (sub == QLatin1String("status"))
        return status(rest);
    if (sub == QLatin1String("migrate"))
        return migrate(rest);
    return fail("usage: smartbotd db status|migrate --config DIR");
}

} // namespace smartbot::daemon
