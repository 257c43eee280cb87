// ProviderKeyStore: where the desktop app keeps the platform keys of [provider.NAME]: the OS keychain (entry
// "provider:NAME" of the config folder's service, KeychainStore) when there is one, else providers/NAME.env (mode
// 0600) as smartbotd keeps them. Either way the entry holds the key and the date it was set (rotation).
// Synchronous (the keychain's jobs spin a local event loop); GUI thread.
#pragma once

#include <QMap>
#include <QString>
#include <vector>

#include "core/provider_config.h"

namespace smartbot::app {

class ProviderKeyStore {
public:
    explicit ProviderKeyStore(QString configDir);
    // Stores key for provider name, stamped with now. Returns where it went, for the status line ("the OS keychain"
    // or the file's path).
    Result<QString> save(const QString &name, const QByteArray &key, const QDateTime &now) const;
    // The keychain's entry, else the file's.
    Result<ProviderKey> load(const QString &name) const;
    // Forgets the key: the keychain's entry and the file, wherever it is. An error only when one remains.
    Result<void> remove(const QString &name) const;
    // The keys held in the keychain for these providers (the server reads the others from their files): what the
    // app passes as ServerOverrides::providerKeys.
    QMap<QString, ProviderKey> keychainKeys(const std::vector<ProviderConfig> &providers) const;

private:
    QString configDir_;
};

} // namespace smartbot::app
