#include "core/secret_files.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smartbot {

namespace {
std::string sysError()
{
    return std::strerror(errno);
}

Result<QByteArray> readSmallFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError("cannot read " + path.toStdString() + ": " + f.errorString().toStdString());
    return f.read(64 * 1024).trimmed();
}
} // namespace

QByteArray sha256(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

QByteArray randomBytes(int n)
{
    QByteArray out(n, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(out.data()), n / 4);
    for (int i = n - n % 4; i < n; ++i)
        out[i] = char(QRandomGenerator::system()->generate() & 0xff);
    return out;
}

QByteArray randomToken(const QByteArray &prefix, int bytes)
{
    return prefix + randomBytes(bytes).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

Result<void> checkPrivateFile(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return makeError("cannot stat " + path.toStdString() + ": " + sysError());
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        return makeError(path.toStdString() + " has mode " + mode +
                         ": it holds a secret and must not be accessible by group or others (chmod 600 " +
                         path.toStdString() + ")");
    }
    return {};
}

Result<QByteArray> readKeyFile(const QString &path, int minBytes)
{
    if (auto r = checkPrivateFile(path); !r)
        return r.failure();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError("cannot read " + path.toStdString());
    const QByteArray key = QByteArray::fromBase64(f.read(4096).trimmed());
    if (key.size() < minBytes)
        return makeError(path.toStdString() + " must hold at least " + std::to_string(minBytes) +
                         " bytes, base64-encoded");
    return key;
}

Result<void> checkTrustedPath(const QString &path)
{
    struct stat st {};
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return errno == ENOENT ? Result<void>{} : makeError("cannot stat " + path.toStdString() + ": " + sysError());
    if (S_ISLNK(st.st_mode) && ::stat(QFile::encodeName(path).constData(), &st) != 0)
        return makeError("cannot stat " + path.toStdString() + ": " + sysError());
    const std::string what = S_ISDIR(st.st_mode) ? "folder " : "";
    if ((st.st_mode & 022) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        return makeError(what + path.toStdString() + " has mode " + mode +
                         ": it is writable by group or others, so another local user could change what the "
                         "server trusts (chmod go-w " +
                         path.toStdString() + ")");
    }
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return makeError(what + path.toStdString() + " belongs to user id " + std::to_string(st.st_uid) +
                         ", not to this user (" + std::to_string(::geteuid()) +
                         ") or root: another local user could change what the server trusts (chown it)");
    return {};
}

Result<void> ensureDataFolder(const QString &path)
{
    if (!QFileInfo::exists(path)) {
        // The parents as the umask says (e.g. /var/lib), the folder itself private: it will hold secrets.
        if (!QDir().mkpath(QFileInfo(path).absolutePath()) || ::mkdir(QFile::encodeName(path).constData(), 0700) != 0)
            return makeError("cannot create the data folder " + path.toStdString() + ": " + sysError());
    } else if (!QFileInfo(path).isDir()) {
        return makeError("the data folder " + path.toStdString() + " is not a folder");
    }
    return checkTrustedPath(path);
}

Result<void> writePrivateFile(const QString &path, const QByteArray &data, int mode)
{
    const QByteArray target = QFile::encodeName(path);
    const QByteArray tmp = target + ".tmp" + QByteArray::number(QRandomGenerator::system()->generate());
    const int fd = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return makeError("cannot create " + path.toStdString() + ": " + sysError());
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.constData() + done, size_t(data.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const std::string err = sysError();
            ::close(fd);
            ::unlink(tmp.constData());
            return makeError("cannot write " + path.toStdString() + ": " + err);
        }
        done += n;
    }
    if (::fsync(fd) != 0 || ::fchmod(fd, mode_t(mode)) != 0 || ::close(fd) != 0 ||
        ::rename(tmp.constData(), target.constData()) != 0) {
        const std::string err = sysError();
        ::unlink(tmp.constData());
        return makeError("cannot write " + path.toStdString() + ": " + err);
    }
    return {};
}

namespace {
Result<void> loadAdminKey(Secrets &s, const QDir &dir, const QByteArray &adminKeyFromEnv, const QByteArray &given)
{
    // Admin key: the caller's wins; then the environment; else admin.key (created on first start).
    if (!given.isEmpty()) {
        if (given.size() < 16)
            return makeError("the admin key must be at least 16 characters long");
        s.adminKeyHash = sha256(given);
        s.adminKeySource = QStringLiteral("keychain");
        return {};
    }
    if (!adminKeyFromEnv.isEmpty()) {
        if (adminKeyFromEnv.size() < 16)
            return makeError("SMARTBOT_ADMIN_KEY must be at least 16 characters long");
        s.adminKeyHash = sha256(adminKeyFromEnv);
        s.adminKeySource = QStringLiteral("environment (SMARTBOT_ADMIN_KEY)");
        return {};
    }
    const QString adminPath = dir.filePath(QStringLiteral("admin.key"));
    if (!QFileInfo::exists(adminPath)) {
        if (auto r = writePrivateFile(adminPath, randomToken("sbadmin_", 32) + '\n', 0600); !r)
            return r.failure();
        s.adminKeyCreated = true;
    }
    if (auto r = checkPrivateFile(adminPath); !r)
        return r.failure();
    auto admin = readSmallFile(adminPath);
    if (!admin)
        return admin.failure();
    if (admin.value().size() < 16)
        return makeError(adminPath.toStdString() + " must hold a key of at least 16 characters");
    s.adminKeyHash = sha256(admin.value());
    s.adminKeySource = adminPath;
    return {};
}
} // namespace

Result<Secrets> loadOrCreateSecrets(const QString &configDir, const QByteArray &adminKeyFromEnv,
                                    const SecretOverrides &overrides)
{
    Secrets s;
    const QDir dir(configDir);
    if (!overrides.jwtKey.isEmpty()) {
        if (overrides.jwtKey.size() < 32)
            return makeError("the JWT secret must hold at least 32 bytes");
        s.jwtKey = overrides.jwtKey;
        if (auto r = loadAdminKey(s, dir, adminKeyFromEnv, overrides.adminKey); !r)
            return r.failure();
        return s;
    }
    const QString authDir = dir.filePath(QStringLiteral("auth"));
    if (!QFileInfo::exists(authDir)) {
        if (::mkdir(QFile::encodeName(authDir).constData(), 0700) != 0)
            return makeError("cannot create " + authDir.toStdString() + ": " + sysError());
    }
    if (auto r = checkTrustedPath(authDir); !r)
        return r.failure();

    // JWT signing key: 32 random bytes, base64, mode 0400.
    const QString secretPath = QDir(authDir).filePath(QStringLiteral("secret.key"));
    if (!QFileInfo::exists(secretPath)) {
        if (auto r = writePrivateFile(secretPath, randomBytes(32).toBase64() + '\n', 0400); !r)
            return r.failure();
    }
    if (auto r = checkPrivateFile(secretPath); !r)
        return r.failure();
    auto secret = readSmallFile(secretPath);
    if (!secret)
        return secret.failure();
    s.jwtKey = QByteArray::fromBase64(secret.value());
    if (s.jwtKey.size() < 32)
        return makeError(secretPath.toStdString() + " must hold at least 32 bytes, base64-encoded");

    if (auto r = loadAdminKey(s, dir, adminKeyFromEnv, overrides.adminKey); !r)
        return r.failure();
    return s;
}

} // namespace smartbot
