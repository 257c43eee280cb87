#include "app/provider_key_store.h"

#include <QFile>

#ifdef SMARTBOT_HAVE_KEYCHAIN
#include "app/keychain_store.h"
#endif

namespace smartbot::app {

namespace {
#ifdef SMARTBOT_HAVE_KEYCHAIN
QString entryName(const QString &provider)
{
    return QStringLiteral("provider:") + provider;
}
#endif
} // namespace

ProviderKeyStore::ProviderKeyStore(QString configDir) : configDir_(std::move(configDir)) {}

Result<QString> ProviderKeyStore::save(const QString &name, const QByteArray &key, const QDateTime &now) const
{
    if (!isValidProviderName(name))
        return makeError("'" + name.toStdString() + "' is not a provider name (letters, digits, '-' and '_')",
                         ErrorCode::InvalidArgument);
    if (key.trimmed().isEmpty() || key.contains('\n'))
        return makeError("a platform key is one non-empty line", ErrorCode::InvalidArgument);
#ifdef SMARTBOT_HAVE_KEYCHAIN
    const KeychainStore keychain(KeychainStore::serviceFor(configDir_));
    if (keychain.write(entryName(name), providerKeyText(key, now)).ok()) {
        QFile::remove(providerKeyPath(configDir_, name)); // one place only: an old file would not be rotated
        return QStringLiteral("the OS keychain");
    }
#endif
    if (auto r = writeProviderKey(configDir_, name, key, now); !r)
        return r.failure();
    return providerKeyPath(configDir_, name);
}

Result<ProviderKey> ProviderKeyStore::load(const QString &name) const
{
#ifdef SMARTBOT_HAVE_KEYCHAIN
    const KeychainStore keychain(KeychainStore::serviceFor(configDir_));
    if (auto text = keychain.read(entryName(name)); text)
        return parseProviderKeyText(text.value());
#endif
    return readProviderKey(configDir_, name);
}

Result<void> ProviderKeyStore::remove(const QString &name) const
{
    if (!isValidProviderName(name))
        return makeError("'" + name.toStdString() + "' is not a provider name", ErrorCode::InvalidArgument);
        // Success means the app can no longer load a key for name, from either place.
#ifdef SMARTBOT_HAVE_KEYCHAIN
    const KeychainStore keychain(KeychainStore::serviceFor(configDir_));
    if (auto removed = keychain.remove(entryName(name));
        !removed && removed.code() != ErrorCode::NotFound && keychain.read(entryName(name)).ok())
        return makeError("the OS keychain kept the key of provider '" + name.toStdString() + "': " + removed.error());
#endif
    const QString path = providerKeyPath(configDir_, name);
    if (QFile::exists(path) && !QFile::remove(path))
        return makeError("cannot remove " + path.toStdString());
    if (load(name))
        return makeError("the key of provider '" + name.toStdString() + "' is still stored");
    return {};
}

QMap<QString, ProviderKey> ProviderKeyStore::keychainKeys(const std::vector<ProviderConfig> &providers) const
{
    QMap<QString, ProviderKey> out;
#ifdef SMARTBOT_HAVE_KEYCHAIN
    const KeychainStore keychain(KeychainStore::serviceFor(configDir_));
    for (const ProviderConfig &p : providers)
        if (auto text = keychain.read(entryName(p.name)); text)
            if (auto key = parseProviderKeyText(text.value()); key)
                out.insert(p.name, key.value());
#else
    Q_UNUSED(providers);
#endif
    return out;
}

} // namespace smartbot::app
