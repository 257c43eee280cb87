#include "core/jwt_keyring.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

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

// Asked before every token is verified, so it reads the folder with readdir(2) and one stat(2): QDir's listing (a
// QFileInfo per entry and a wildcard compiled to a regular expression) was 3.5% of the server's time under
// bench_chat_qps. The same things as the keys' load: the current key's file (a new inode when it is replaced, its
// time and size when it is rewritten) and the retired keys' names.
QString jwtKeyringStamp(const QString &configDir)
{
    const QByteArray auth = QFile::encodeName(QDir(configDir).filePath(QStringLiteral("auth")));
    struct stat st {};
    QByteArray stamp;
    if (::stat((auth + "/secret.key").constData(), &st) == 0)
        stamp = QByteArray::number(qulonglong(st.st_ino)) + ':' + QByteArray::number(qlonglong(st.st_mtim.tv_sec)) +
                '.' + QByteArray::number(qlonglong(st.st_mtim.tv_nsec)) + ':' +
                QByteArray::number(qlonglong(st.st_size));
    std::vector<std::string> retired;
    if (DIR *dir = ::opendir(auth.constData())) {
        while (const dirent *e = ::readdir(dir)) {
            const std::string_view name(e->d_name);
            if (name.starts_with("retired-") && name.ends_with(".key"))
                retired.emplace_back(name);
        }
        ::closedir(dir);
    }
    std::sort(retired.begin(), retired.end());
    for (const std::string &name : retired)
        stamp += '/' + QByteArray::fromStdString(name);
    return QString::fromLatin1(stamp);
}

} // namespace smartbot
