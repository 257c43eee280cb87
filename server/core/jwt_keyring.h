// JWT signing keys of the data folder ([storage] data_dir): auth/secret.key (current, 0400) and, after rotations, the
// retired keys auth/retired-<unix time>.key (0400). A retired key still verifies the tokens it signed until retirement
// + [auth] max_token_hours + leeway (after that no token it signed can be valid anyway); older ones are deleted at the
// next rotation. For one server; servers sharing a PostgreSQL database keep them there (core/database_keyring.h).
#pragma once

#include <QString>

#include "core/jwt_key_source.h"

namespace smartbot {

// Reads auth/secret.key and the retired keys (refusing files readable by others). acceptSeconds: how long after
// its retirement a key is still accepted.
Result<JwtKeyring> loadJwtKeyring(const QString &dataDir, qint64 acceptSeconds);
// Retires auth/secret.key and writes a new one; deletes retired keys older than acceptSeconds. Returns the new kid.
Result<QString> rotateJwtSecret(const QString &dataDir, qint64 now, qint64 acceptSeconds);
// Changes whenever a key is added, rotated or removed (used to reload a running server's keys).
QString jwtKeyringStamp(const QString &dataDir);

// The functions above as a JwtKeySource.
class JwtKeyFiles : public JwtKeySource {
public:
    explicit JwtKeyFiles(QString dataDir) : dataDir_(std::move(dataDir)) {}
    Result<JwtKeyring> load(qint64, qint64 acceptSeconds) override { return loadJwtKeyring(dataDir_, acceptSeconds); }
    Result<QString> rotate(qint64 now, qint64 acceptSeconds) override
    {
        return rotateJwtSecret(dataDir_, now, acceptSeconds);
    }
    Result<QString> stamp() override { return jwtKeyringStamp(dataDir_); }
    int pollMs() const override { return 0; }
    bool shared() const override { return false; }

private:
    QString dataDir_;
};

} // namespace smartbot
