// Secret files of the data folder ([storage] data_dir, by default the config folder): the JWT signing key
// (auth/secret.key, 0400) and the admin key (admin.key, 0600, or $SMARTBOT_ADMIN_KEY). Created on first start, refused
// when readable by others.
#pragma once

#include <QByteArray>
#include <QString>

#include "core/server_config.h"

namespace smartbot {

struct Secrets {
    QByteArray jwtKey;       // raw HMAC key bytes
    QByteArray adminKeyHash; // SHA-256 of the admin key; the key itself is not kept
    QString adminKeySource;  // "environment" or the admin.key path (for messages, never the key)
    bool adminKeyCreated = false;
};

// Secrets supplied by the caller instead of files (the GUI keeps them in the OS keychain).
struct SecretOverrides {
    QByteArray jwtKey;   // raw HMAC key bytes (>= 32); set: auth/secret.key is neither read nor written
    QByteArray adminKey; // the admin key text (>= 16 characters); set: admin.key and $SMARTBOT_ADMIN_KEY are ignored
};

// Loads (creating when missing) the secrets kept in dataDir. adminKeyFromEnv: value of SMARTBOT_ADMIN_KEY or empty.
Result<Secrets> loadOrCreateSecrets(const QString &dataDir, const QByteArray &adminKeyFromEnv,
                                    const SecretOverrides &overrides = {});

// Fails, naming the file and its mode, if path is accessible by group or others.
Result<void> checkPrivateFile(const QString &path);

// A key file: base64 of at least minBytes bytes, refused when readable by others (checkPrivateFile).
Result<QByteArray> readKeyFile(const QString &path, int minBytes);

// Fails, naming the path, its mode and the fix, if a file or folder the server trusts (the config folder,
// server.conf, the database, auth/) is writable by group or others, or belongs to another user than this one or
// root: another local user could then insert an admin key or change the configuration. A missing path passes.
Result<void> checkTrustedPath(const QString &path);

// Creates the data folder ([storage] data_dir) 0700 when missing, then checks it as checkTrustedPath does.
Result<void> ensureDataFolder(const QString &path);

// Writes data to path atomically with the given mode; the file never exists with wider permissions.
Result<void> writePrivateFile(const QString &path, const QByteArray &data, int mode);

// Compares two byte strings in time that depends only on their lengths.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

QByteArray sha256(const QByteArray &data);
QByteArray randomBytes(int n);
QByteArray randomToken(const QByteArray &prefix, int bytes); // prefix + base64url(random bytes)

} // namespace smartbot
