// JWT signing keys of the data folder ([storage] data_dir): auth/secret.key (current, 0400) and, after rotations, the
// retired keys auth/retired-<unix time>.key (0400). A retired key still verifies the tokens it signed until retirement
// + [auth] max_token_hours + leeway (after that no token it signed can be valid anyway); older ones are deleted at the
// next rotation.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include "core/token_service.h"

namespace smartbot {

struct JwtKeyring {
    QByteArray current;
    QList<TokenService::PreviousKey> previous;
};

// Reads auth/secret.key and the retired keys (refusing files readable by others). acceptSeconds: how long after
// its retirement a key is still accepted.
Result<JwtKeyring> loadJwtKeyring(const QString &dataDir, qint64 acceptSeconds);
// Retires auth/secret.key and writes a new one; deletes retired keys older than acceptSeconds. Returns the new kid.
Result<QString> rotateJwtSecret(const QString &dataDir, qint64 now, qint64 acceptSeconds);
// Changes whenever a key is added, rotated or removed (used to reload a running server's keys).
QString jwtKeyringStamp(const QString &dataDir);

} // namespace smartbot
