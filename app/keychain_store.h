// KeychainStore: the desktop's secret store (QtKeychain: Secret Service / GNOME Keyring, KWallet, macOS Keychain,
// Windows Credential Manager) for the GUI's secrets: the admin key and the JWT signing secret, so that they need not
// live in files on a desktop. Synchronous wrappers around QtKeychain's jobs (they spin a local event loop).
#pragma once

#include <QByteArray>
#include <QString>

#include "smartbot/common/result.h"

namespace smartbot::app {

class KeychainStore {
public:
    static constexpr const char *kAdminKey = "admin-key";
    static constexpr const char *kJwtSecret = "jwt-secret";

    // service: the keychain's service name; one per config folder keeps two servers apart.
    explicit KeychainStore(QString service = QStringLiteral("SmartBot"));

    Result<void> write(const QString &name, const QByteArray &secret) const;
    // The error says "not found" when the entry does not exist.
    Result<QByteArray> read(const QString &name) const;
    Result<void> remove(const QString &name) const;

    // The service name used for a config folder ("SmartBot:" + its absolute path).
    static QString serviceFor(const QString &configDir);

private:
    QString service_;
};

} // namespace smartbot::app
