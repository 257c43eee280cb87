#include "daemon/cli_admin_common.h"

#include <cstdio>

#include "core/secret_files.h"

namespace smartbot::daemon {

int fail(const std::string &message)
{
    std::fprintf(stderr, "smartbotd: %s\n", message.c_str());
    return 1;
}

QString cliActor()
{
    const QString user = qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME", QStringLiteral("unknown")));
    return QStringLiteral("cli (%1)").arg(user);
}

std::unique_ptr<AdminContext> openAdminContext(QCommandLineParser &p, const QStringList &args)
{
    p.addHelpOption();
    p.addOption({QStringLiteral("config"),
                 QStringLiteral("Config folder (server.conf; its [storage] data_dir holds smartbot.db)."),
                 QStringLiteral("DIR")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config"))) {
        fail("--config DIR is required");
        return nullptr;
    }
    auto cfg = ServerConfig::loadOrCreate(p.value(QStringLiteral("config")));
    if (!cfg) {
        fail(cfg.error());
        return nullptr;
    }
    auto ctx = std::make_unique<AdminContext>();
    ctx->config = cfg.value();
    if (auto data = ensureDataFolder(ctx->config.dataDir); !data) {
        fail(data.error());
        return nullptr;
    }
    auto storage = Storage::open(ctx->config.dataDir, ctx->config.database);
    if (!storage) {
        fail(storage.error());
        return nullptr;
    }
    ctx->storage = std::move(storage.value());
    return ctx;
}

} // namespace smartbot::daemon
