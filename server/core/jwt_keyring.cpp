#include "core/jwt_keyring.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdio>

#include "core/secret_files.h"

namespace smartbot {

namespace {
Result<QByteArray> readKey(const QString &path)
{
    return readKeyFile(path, 32);
}

QFileInfoList retiredFiles(const QString &configDir)
{
    return QDir(QDir(configDir).filePath(QStringLiteral("auth")))
        .entryInfoList({QStringLiteral("retired-*.key")}, QDir::Files, QDir::Name);
}

qint64 retiredAt(const QFileInfo &f)
{
    return f.completeBaseName().section('-', 1, 1).toLongLong();
}
} // namespace

Result<JwtKeyring> loadJwtKeyring(const QString &configDir, qint64 acceptSeconds)
{
    JwtKeyring ring;
    auto current = readKey(QDir(configDir).filePath(QStringLiteral("auth/secret.key")));
    if (!current)
        return current.failure();
    ring.current = current.value();
    for (const QFileInfo &f : retiredFiles(configDir)) {
        auto key = readKey(f.absoluteFilePath());
        if (!key)
            return key.failure();
        ring.previous.push_back({key.value(), retiredAt(f) + acceptSeconds});
    }
    return ring;
}

Result<QString> rotateJwtSecret(const QString &configDir, qint64 now, qint64 acceptSeconds)
{
    const QString auth = QDir(configDir).filePath(QStringLiteral("auth"));
    const QString currentPath = QDir(auth).filePath(QStringLiteral("secret.key"));
    if (auto r = readKey(currentPath); !r)
        return r.failure();
    QString retiredPath = QDir(auth).filePath(QStringLiteral("retired-%1.key").arg(now));
    for (int i = 1; QFileInfo::exists(retiredPath); ++i)
        retiredPath = QDir(auth).filePath(QStringLiteral("retired-%1-%2.key").arg(now).arg(i));
    // rename keeps the file's mode (0400).
    if (std::rename(QFile::encodeName(currentPath).constData(), QFile::encodeName(retiredPath).constData()) != 0)
        return makeError("cannot retire " + currentPath.toStdString());
    const QByteArray fresh = randomBytes(32);
    if (auto r = writePrivateFile(currentPath, fresh.toBase64() + '\n', 0400); !r)
        return r.failure();
    for (const QFileInfo &f : retiredFiles(configDir))
        if (retiredAt(f) + acceptSeconds < now)
            QFile::remove(f.absoluteFilePath());
    return TokenService::keyId(fresh);
}

QString jwtKeyringStamp(const QString &configDir)
{
    QString stamp;
    const QFileInfo current(QDir(configDir).filePath(QStringLiteral("auth/secret.key")));
    stamp += QString::number(current.lastModified().toMSecsSinceEpoch()) + QString::number(current.size());
    for (const QFileInfo &f : retiredFiles(configDir))
        stamp += f.fileName();
    return stamp;
}

} // namespace smartbot
