#include "core/jwt_key_source.h"

#include <QDir>

#include "core/database_keyring.h"
#include "core/jwt_keyring.h"
#include "core/storage.h"
#include "smartbot/common/units.h"

namespace smartbot {

qint64 retiredKeyAcceptSeconds(const ServerConfig &config)
{
    return qint64(config.maxTokenHours) * kSecondsPerHour + config.leewaySeconds;
}

Result<std::unique_ptr<JwtKeySource>> openJwtKeySource(const ServerConfig &config, Storage &storage, qint64 now,
                                                       const QByteArray &ownKey)
{
    const qint64 accept = retiredKeyAcceptSeconds(config);
    auto files = std::make_unique<JwtKeyFiles>(config.dataDir);
    if (!config.database.isPostgreSql())
        return std::unique_ptr<JwtKeySource>(std::move(files));
    auto own = ownKey.isEmpty() ? files->load(now, accept) : Result<JwtKeyring>(JwtKeyring{ownKey, {}});
    if (!own)
        return own.failure();
    const QString keyFile = config.database.secretsKeyFile.isEmpty()
                                ? QDir(config.dataDir).filePath(QStringLiteral("auth/database.key"))
                                : config.database.secretsKeyFile;
    auto shared = DatabaseKeyring::open(storage, keyFile, own.value(), accept, now);
    if (!shared)
        return shared.failure();
    return std::unique_ptr<JwtKeySource>(std::move(shared.value()));
}

} // namespace smartbot
