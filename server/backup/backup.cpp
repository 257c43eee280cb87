#include "backup/backup.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QSaveFile>
#include <QTemporaryDir>

#include <algorithm>
#include <atomic>

#include <archive.h>
#include <openssl/crypto.h>
#include <archive_entry.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>

#include "backup/database_snapshot.h"
#include "backup/passphrase_cipher.h"
#include "core/config_file.h"
#include "core/secret_files.h"
#include "core/server_config.h"

namespace smartbot::backup {

namespace {

using json = nlohmann::json;

constexpr const char *kManifest = "manifest.json";
constexpr const char *kFormat = "smartbot-backup";
constexpr int kFormatVersion = 1;
constexpr qint64 kChunk = 256 * 1024;
constexpr qint64 kMaxManifestBytes = 16 << 20;
constexpr qint64 kMaxSecretBytes = 1 << 20;
const QByteArray kKeyCheck = QByteArrayLiteral("smartbot-backup-key-check");

// Config-folder entries that are not backed up as files: the database (snapshotted instead) and what the server
// writes while running, keeps elsewhere in the archive, or must not restore (a lock of a process that is gone).
bool excludedFromConfig(const QString &relative)
{
    static const std::set<QString> kTop = {QStringLiteral("backups"),
                                           QStringLiteral("logs"),
                                           QStringLiteral("models"),
                                           QStringLiteral("smartbot.db"),
                                           QStringLiteral("smartbot.db-wal"),
                                           QStringLiteral("smartbot.db-shm"),
                                           QStringLiteral("smartbot.db-journal"),
                                           QStringLiteral("app.lock")};
    const QString top = relative.section(QLatin1Char('/'), 0, 0);
    return kTop.count(top) > 0 || relative.endsWith(QLatin1String(".part")) || relative.contains(QLatin1String(".tmp"));
}

int modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 07777) : 0600;
}

// A name that extracts inside the target folder: relative, no "..", no empty or "." parts, no control characters.
bool safeMemberName(const QString &name)
{
    if (name.isEmpty() || name.startsWith(QLatin1Char('/')) || name.size() > 4096)
        return false;
    for (const QString &part : name.split(QLatin1Char('/')))
        if (part.isEmpty() || part == QLatin1String(".") || part == QLatin1String(".."))
            return false;
    for (QChar c : name)
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return false;
    return true;
}

struct Member {
    QString name;   // in the archive
    QString source; // file streamed from, or "" when data holds the bytes
    QByteArray data;
    qint64 size = 0;
    QByteArray sha256; // hex, of the bytes stored
    int mode = 0600;
    bool sealed = false;
};

Result<QByteArray> hashFile(const QString &path, qint64 *size)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError("cannot read " + path.toStdString() + ": " + f.errorString().toStdString());
    QCryptographicHash h(QCryptographicHash::Sha256);
    if (!h.addData(&f))
        return makeError("cannot read " + path.toStdString());
    *size = f.size();
    return h.result().toHex();
}

struct ArchiveWriter {
    archive *a = archive_write_new();
    ~ArchiveWriter() { archive_write_free(a); }
    std::string error() const { return archive_error_string(a) ? archive_error_string(a) : "unknown error"; }
};
struct ArchiveReader {
    archive *a = archive_read_new();
    ~ArchiveReader() { archive_read_free(a); }
    std::string error() const { return archive_error_string(a) ? archive_error_string(a) : "unknown error"; }
};

Result<void> openForReading(ArchiveReader &r, const QString &path)
{
    archive_read_support_filter_gzip(r.a);
    archive_read_support_format_tar(r.a);
    if (!QFileInfo(path).isReadable())
        return makeError("cannot read " + path.toStdString(), ErrorCode::NotFound);
    if (archive_read_open_filename(r.a, QFile::encodeName(path).constData(), 64 * 1024) != ARCHIVE_OK)
        return makeError(path.toStdString() + " is not a SmartBot backup (" + r.error() + ")",
                         ErrorCode::InvalidArgument);
    return {};
}

// Reads the current member whole (bounded by cap); an error says it is truncated or damaged.
Result<QByteArray> readWhole(ArchiveReader &r, qint64 cap, const QString &name)
{
    QByteArray out;
    char buf[kChunk];
    for (;;) {
        const la_ssize_t n = archive_read_data(r.a, buf, sizeof buf);
        if (n == 0)
            return out;
        if (n < 0)
            return makeError(name.toStdString() + " is truncated or damaged (" + r.error() + ")");
        if (out.size() + n > cap)
            return makeError(name.toStdString() + " is larger than a " + std::string(kManifest) + " can be");
        out.append(buf, qsizetype(n));
    }
}

BackupSummary summaryOf(const json &m, const QString &path)
{
    BackupSummary s;
    s.path = path;
    s.created = QDateTime::fromString(QString::fromStdString(m.value("created", std::string())), Qt::ISODateWithMs);
    s.smartbotVersion = QString::fromStdString(m.value("smartbot_version", std::string()));
    s.members = m.contains("members") && m["members"].is_array() ? int(m["members"].size()) : 0;
    s.bytes = QFileInfo(path).size();
    s.encrypted = m.contains("encryption") && m["encryption"].is_object();
    s.withModels = m.value("with_models", false);
    if (m.contains("secrets_left_out") && m["secrets_left_out"].is_array())
        for (const auto &v : m["secrets_left_out"])
            if (v.is_string())
                s.secretsLeftOut << QString::fromStdString(v.get<std::string>());
    return s;
}

// The manifest, parsed and checked for shape (not yet for its HMAC).
Result<json> parseManifest(const QByteArray &text)
{
    json m = json::parse(text.constData(), text.constData() + text.size(), nullptr, false);
    if (!m.is_object() || m.value("format", std::string()) != kFormat)
        return makeError("not a SmartBot backup (its manifest.json is not one)", ErrorCode::InvalidArgument);
    if (m.value("format_version", 0) != kFormatVersion)
        return makeError("backup format version " + std::to_string(m.value("format_version", 0)) +
                             " is not one this SmartBot reads (" + std::to_string(kFormatVersion) + ")",
                         ErrorCode::InvalidArgument);
    if (!m.contains("members") || !m["members"].is_array())
        return makeError("the manifest lists no members", ErrorCode::InvalidArgument);
    for (const auto &e : m["members"])
        if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("sha256") ||
            !e["sha256"].is_string() || !e.contains("size") || !e["size"].is_number_integer() ||
            !safeMemberName(QString::fromStdString(e["name"].get<std::string>())))
            return makeError("the manifest has a malformed member entry", ErrorCode::InvalidArgument);
    return m;
}

Result<PassphraseCipher> cipherFor(const json &m, const QByteArray &passphrase)
{
    const json &enc = m["encryption"];
    KdfParameters kdf;
    try {
        kdf.salt = QByteArray::fromBase64(QByteArray::fromStdString(enc.at("salt").get<std::string>()));
        kdf.n = enc.at("n").get<quint64>();
        kdf.r = enc.at("r").get<quint32>();
        kdf.p = enc.at("p").get<quint32>();
    } catch (const json::exception &) {
        return makeError("the manifest's encryption parameters are malformed", ErrorCode::InvalidArgument);
    }
    auto cipher = PassphraseCipher::derive(passphrase, kdf);
    if (!cipher)
        return cipher;
    const QByteArray check = QByteArray::fromBase64(QByteArray::fromStdString(enc.value("key_check", std::string())));
    auto opened = cipher->open(check, QByteArrayLiteral("key-check"));
    if (!opened || opened.value() != kKeyCheck)
        return makeError("wrong passphrase", ErrorCode::PermissionDenied);
    json body = m;
    body.erase("mac");
    const QByteArray mac = QByteArray::fromHex(QByteArray::fromStdString(m.value("mac", std::string())));
    const std::string dumped = body.dump();
    if (!constantTimeEquals(cipher->mac(QByteArray::fromStdString(dumped)), mac))
        return makeError("the manifest was altered (its HMAC does not match)", ErrorCode::InvalidArgument);
    return cipher;
}

} // namespace

Result<QByteArray> readPassphraseFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError("cannot read the passphrase file " + path.toStdString() + ": " + f.errorString().toStdString(),
                         ErrorCode::NotFound);
    if (auto r = checkPrivateFile(path); !r)
        return r.failure();
    QByteArray line = f.readLine(4096);
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    if (line.isEmpty())
        return makeError("the passphrase file " + path.toStdString() + " is empty", ErrorCode::InvalidArgument);
    return line;
}

void releaseThreadCrypto()
{
    OPENSSL_thread_stop();
}

QString backupFileName(const QDateTime &when)
{
    return QStringLiteral("smartbot-backup-%1.tar.gz").arg(when.toUTC().toString(QStringLiteral("yyyyMMdd-HHmmss")));
}

Result<BackupSummary> createBackup(const CreateOptions &o)
{
    const QString configDir = QFileInfo(o.configDir).absoluteFilePath();
    if (!QFileInfo(configDir).isDir())
        return makeError("config folder " + o.configDir.toStdString() + " does not exist", ErrorCode::NotFound);
    auto config = ServerConfig::loadOrCreate(configDir);
    if (!config)
        return config.failure();
    if (QFileInfo::exists(o.outPath))
        return makeError(o.outPath.toStdString() + " already exists; choose another name", ErrorCode::InvalidArgument);
    const QString outDir = QFileInfo(o.outPath).absolutePath();
    if (!QFileInfo(outDir).isDir())
        return makeError("the folder of " + o.outPath.toStdString() + " does not exist", ErrorCode::NotFound);

    // 1. What goes in, with the hash of each member's stored bytes (the manifest comes first in the archive): the
    // config folder as config/..., then a separate data folder ([storage] data_dir) as data/..., never what the
    // server writes as it runs (logs, backups) or models (only with withModels, below).
    const QString dataDir = config->dataDir;
    QStringList skipped = {config->backupDir, config->logDir};
    skipped += config->modelFolders;
    const auto inside = [](const QString &path, const QString &folder) {
        return !folder.isEmpty() && (path == folder || path.startsWith(folder + QLatin1Char('/')));
    };
    std::vector<Member> members;
    std::vector<std::pair<QString, QString>> files; // member name, absolute path
    const auto walk = [&](const QString &root, const QString &prefix) {
        std::vector<std::pair<QString, QString>> found;
        QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            const QString relative = QDir(root).relativeFilePath(path);
            const bool skip = std::any_of(skipped.begin(), skipped.end(),
                                          [&](const QString &folder) { return inside(path, folder); }) ||
                              (root == configDir && dataDir != configDir && inside(path, dataDir)); // walked on its own
            if (!excludedFromConfig(relative) && !skip && !QFileInfo(path).isSymLink())
                found.emplace_back(prefix + relative, path);
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    };
    walk(configDir, QStringLiteral("config/"));
    if (dataDir != configDir && QFileInfo(dataDir).isDir())
        walk(dataDir, QStringLiteral("data/"));
    // Secrets are named as the user knows them: config-relative, data/... for the data folder's.
    const auto shownName = [](const QString &member) {
        return member.startsWith(QLatin1String("config/")) ? member.mid(7) : member;
    };
    QStringList secrets, leftOut;
    for (const auto &[name, path] : files)
        if (name != QLatin1String("config/server.conf") && (modeOf(path) & 077) == 0)
            secrets << shownName(name);
    if (!secrets.isEmpty() && o.passphrase.isEmpty() && !o.withoutSecrets)
        return makeError("the config folder holds secrets (" + secrets.join(QStringLiteral(", ")).toStdString() +
                             "): give a passphrase to seal them into the backup, or leave them out explicitly",
                         ErrorCode::InvalidArgument);
    std::optional<PassphraseCipher> cipher;
    KdfParameters kdf;
    if (!o.passphrase.isEmpty()) {
        kdf = PassphraseCipher::freshParameters();
        auto c = PassphraseCipher::derive(o.passphrase, kdf);
        if (!c)
            return c.failure();
        cipher = std::move(c.value());
    }
    for (const auto &[name, path] : files) {
        Member m;
        m.name = name;
        m.mode = modeOf(path);
        const bool secret = secrets.contains(shownName(name));
        if (secret && !cipher) {
            leftOut << shownName(name);
            continue;
        }
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return makeError("cannot read " + path.toStdString() + ": " + f.errorString().toStdString());
        if (secret) {
            if (f.size() > kMaxSecretBytes)
                return makeError(path.toStdString() + " is too large for a secret file");
            auto sealed = cipher->seal(f.readAll(), m.name.toUtf8());
            if (!sealed)
                return sealed.failure();
            m.data = sealed.value();
            m.sealed = true;
            m.size = m.data.size();
            m.sha256 = QCryptographicHash::hash(m.data, QCryptographicHash::Sha256).toHex();
        } else {
            m.source = path;
            auto h = hashFile(path, &m.size);
            if (!h)
                return h.failure();
            m.sha256 = h.value();
        }
        members.push_back(std::move(m));
    }

    QTemporaryDir staging(outDir + QStringLiteral("/.smartbot-backup-XXXXXX"));
    if (!staging.isValid())
        return makeError("cannot create a temporary folder in " + outDir.toStdString());
    const QString dbPath = QDir(dataDir).filePath(QStringLiteral("smartbot.db"));
    if (QFileInfo::exists(dbPath)) {
        const QString snapshot = staging.filePath(QStringLiteral("smartbot.db"));
        if (auto r = snapshotSqlite(dbPath, snapshot); !r)
            return r.failure();
        Member m{QStringLiteral("database/smartbot.db"), snapshot, {}, 0, {}, 0600, false};
        auto h = hashFile(snapshot, &m.size);
        if (!h)
            return h.failure();
        m.sha256 = h.value();
        members.push_back(std::move(m));
    }
    if (o.withModels) {
        QStringList roots = config->modelFolders;
        if (!config->modelPath.isEmpty() && QFileInfo(config->modelPath).isDir())
            roots << config->modelPath;
        std::set<QString> seen;
        for (const QString &root : roots) {
            if (!QFileInfo(root).isDir())
                continue;
            const QString top = QFileInfo(root).fileName();
            QDirIterator models(root, QDir::Files | QDir::NoDotAndDotDot,
                                QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
            while (models.hasNext()) {
                const QString path = models.next();
                Member m;
                m.name = QStringLiteral("models/%1/%2").arg(top, QDir(root).relativeFilePath(path));
                if (!seen.insert(m.name).second || !safeMemberName(m.name))
                    continue;
                m.source = path;
                m.mode = modeOf(path) & 0755;
                auto h = hashFile(path, &m.size);
                if (!h)
                    return h.failure();
                m.sha256 = h.value();
                members.push_back(std::move(m));
            }
        }
    }

    json manifest = {{"format", kFormat},
                     {"format_version", kFormatVersion},
                     {"created", QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString()},
                     {"smartbot_version", o.version.toStdString()},
                     {"host", QHostInfo::localHostName().toStdString()},
                     {"with_models", o.withModels},
                     {"secrets_left_out", json::array()},
                     {"members", json::array()}};
    for (const QString &s : leftOut)
        manifest["secrets_left_out"].push_back(s.toStdString());
    qint64 total = 0;
    for (const Member &m : members) {
        manifest["members"].push_back({{"name", m.name.toStdString()},
                                       {"size", m.size},
                                       {"sha256", m.sha256.toStdString()},
                                       {"mode", m.mode},
                                       {"sealed", m.sealed}});
        total += m.size;
    }
    if (cipher) {
        auto check = cipher->seal(kKeyCheck, QByteArrayLiteral("key-check"));
        if (!check)
            return check.failure();
        manifest["encryption"] = {{"cipher", "aes-256-gcm"},
                                  {"kdf", "scrypt"},
                                  {"salt", kdf.salt.toBase64().toStdString()},
                                  {"n", kdf.n},
                                  {"r", kdf.r},
                                  {"p", kdf.p},
                                  {"key_check", check->toBase64().toStdString()}};
        manifest["mac"] = cipher->mac(QByteArray::fromStdString(manifest.dump())).toHex().toStdString();
    } else {
        manifest["encryption"] = nullptr;
    }
    const QByteArray manifestText = QByteArray::fromStdString(manifest.dump(2));

    // 2. The archive, as OUT.part renamed when complete.
    const QString part = o.outPath + QStringLiteral(".part");
    QFile::remove(part);
    ArchiveWriter w;
    archive_write_add_filter_gzip(w.a);
    archive_write_set_format_pax_restricted(w.a);
    if (archive_write_open_filename(w.a, QFile::encodeName(part).constData()) != ARCHIVE_OK)
        return makeError("cannot create " + part.toStdString() + ": " + w.error());
    ::chmod(QFile::encodeName(part).constData(), 0600);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const auto fail = [&](const std::string &why) -> Error {
        archive_write_close(w.a);
        QFile::remove(part);
        return makeError("cannot write " + o.outPath.toStdString() + ": " + why);
    };
    const auto header = [&](const QString &name, qint64 size, int mode) {
        std::unique_ptr<archive_entry, void (*)(archive_entry *)> e(archive_entry_new(), archive_entry_free);
        archive_entry_set_pathname(e.get(), name.toUtf8().constData());
        archive_entry_set_size(e.get(), size);
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), mode_t(mode));
        archive_entry_set_mtime(e.get(), now, 0);
        return archive_write_header(w.a, e.get()) == ARCHIVE_OK;
    };
    const auto writeAll = [&](const char *data, qint64 n) {
        return archive_write_data(w.a, data, size_t(n)) == la_ssize_t(n);
    };
    if (!header(QLatin1String(kManifest), manifestText.size(), 0600) ||
        !writeAll(manifestText.constData(), manifestText.size()))
        return fail(w.error());
    qint64 done = 0;
    for (const Member &m : members) {
        if (o.onProgress)
            o.onProgress(total > 0 ? double(done) / double(total) : 0.0, m.name);
        if (!header(m.name, m.size, m.mode))
            return fail(w.error());
        if (m.source.isEmpty()) {
            if (!writeAll(m.data.constData(), m.data.size()))
                return fail(w.error());
            done += m.size;
            continue;
        }
        QFile f(m.source);
        if (!f.open(QIODevice::ReadOnly))
            return fail("cannot read " + m.source.toStdString());
        qint64 written = 0;
        QByteArray buf;
        while (written < m.size && !(buf = f.read(kChunk)).isEmpty()) {
            if (!writeAll(buf.constData(), buf.size()))
                return fail(w.error());
            written += buf.size();
            done += buf.size();
        }
        if (written != m.size)
            return fail(m.source.toStdString() + " changed size while it was being backed up");
    }
    if (archive_write_close(w.a) != ARCHIVE_OK)
        return fail(w.error());
    // Durable before it is called a backup: flushed to disk, then renamed into place.
    if (QFile pf(part); pf.open(QIODevice::ReadOnly))
        ::fsync(pf.handle());
    if (::rename(QFile::encodeName(part).constData(), QFile::encodeName(o.outPath).constData()) != 0) {
        QFile::remove(part);
        return makeError("cannot rename " + part.toStdString() + " to " + o.outPath.toStdString());
    }
    if (o.onProgress)
        o.onProgress(1.0, QString());
    BackupSummary s = summaryOf(manifest, o.outPath);
    return s;
}

namespace {
// Opens the archive at path and reads its first member, which must be the manifest (its text, not yet parsed);
// r is then positioned after it.
Result<QByteArray> openManifest(ArchiveReader &r, const QString &path)
{
    if (auto opened = openForReading(r, path); !opened)
        return opened.failure();
    archive_entry *e = nullptr;
    if (archive_read_next_header(r.a, &e) != ARCHIVE_OK || QString::fromUtf8(archive_entry_pathname(e)) != kManifest)
        return makeError(path.toStdString() + " is not a SmartBot backup (no manifest.json first)",
                         ErrorCode::InvalidArgument);
    return readWhole(r, kMaxManifestBytes, QLatin1String(kManifest));
}
} // namespace

Result<BackupSummary> readBackupSummary(const QString &path)
{
    ArchiveReader r;
    auto text = openManifest(r, path);
    if (!text)
        return text.failure();
    auto m = parseManifest(text.value());
    if (!m)
        return makeError(path.toStdString() + ": " + m.error(), ErrorCode::InvalidArgument);
    return summaryOf(m.value(), path);
}

namespace {
// One pass over the archive: every member checked against the manifest; with a cipher every sealed member is
// opened. destination (optional, restore): where each member is written; a plain member is streamed to
// <destination>.part and renamed once its hash matches, a sealed one is written (0600 or its mode) once opened.
Result<json> checkArchive(const QString &path, const QByteArray &passphrase, const Progress &onProgress,
                          bool *secretsChecked, const std::function<Result<QString>(const json &member)> &destination)
{
    ArchiveReader r;
    auto text = openManifest(r, path);
    if (!text)
        return text.failure();
    auto parsed = parseManifest(text.value());
    if (!parsed)
        return parsed.failure();
    archive_entry *e = nullptr;
    const json &m = parsed.value();
    std::optional<PassphraseCipher> cipher;
    const bool encrypted = m.contains("encryption") && m["encryption"].is_object();
    if (encrypted && !passphrase.isEmpty()) {
        auto c = cipherFor(m, passphrase);
        if (!c)
            return c.failure();
        cipher = std::move(c.value());
    } // a passphrase for a backup made without one has nothing to open: it is not needed, and not an error
    *secretsChecked = cipher.has_value() || !encrypted;

    std::map<std::string, const json *> expected;
    qint64 total = 0;
    for (const auto &member : m["members"]) {
        expected[member["name"].get<std::string>()] = &member;
        total += member["size"].get<qint64>();
    }
    QStringList problems;
    std::set<std::string> seen;
    qint64 done = 0;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(r.a, &e)) == ARCHIVE_OK) {
        const std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
        auto found = expected.find(name);
        if (found == expected.end()) {
            problems << QStringLiteral("added: %1").arg(QString::fromStdString(name));
            continue;
        }
        if (!seen.insert(name).second) {
            problems << QStringLiteral("twice: %1").arg(QString::fromStdString(name));
            continue;
        }
        if (onProgress)
            onProgress(total > 0 ? double(done) / double(total) : 0.0, QString::fromStdString(name));
        const json &member = *found->second;
        const bool sealed = member.value("sealed", false);
        // Sealed members (at most kMaxSecretBytes) are kept to be opened; plain ones are streamed to their file.
        QString target;
        std::unique_ptr<QFile> out;
        if (destination) {
            auto d = destination(member);
            if (!d)
                return d.failure();
            target = d.value();
            if (!sealed) {
                out = std::make_unique<QFile>(target + QStringLiteral(".part"));
                if (!out->open(QIODevice::WriteOnly | QIODevice::Truncate))
                    return makeError("cannot write " + target.toStdString() + ": " + out->errorString().toStdString());
            }
        }
        QCryptographicHash h(QCryptographicHash::Sha256);
        QByteArray kept;
        qint64 size = 0;
        char buf[kChunk];
        bool damaged = false;
        for (;;) {
            const la_ssize_t n = archive_read_data(r.a, buf, sizeof buf);
            if (n == 0)
                break;
            if (n < 0) {
                damaged = true;
                break;
            }
            h.addData(QByteArrayView(buf, qsizetype(n)));
            size += n;
            done += n;
            if (sealed && size <= kMaxSecretBytes)
                kept.append(buf, qsizetype(n));
            if (out && out->write(buf, qsizetype(n)) != n)
                return makeError("cannot write " + target.toStdString() + ": " + out->errorString().toStdString());
        }
        if (damaged) {
            problems << QStringLiteral("truncated: %1 (%2)")
                            .arg(QString::fromStdString(name), QString::fromStdString(r.error()));
            break; // nothing after a damaged gzip stream can be trusted
        }
        if (const qint64 listed = member["size"].get<qint64>(); size != listed) {
            problems << (size < listed ? QStringLiteral("truncated: %1 (%2 of %3 bytes)")
                                       : QStringLiteral("changed: %1 (%2 bytes, the manifest says %3)"))
                            .arg(QString::fromStdString(name))
                            .arg(size)
                            .arg(listed);
            continue;
        }
        if (h.result().toHex() != QByteArray::fromStdString(member["sha256"].get<std::string>())) {
            problems << QStringLiteral("changed: %1").arg(QString::fromStdString(name));
            continue;
        }
        const int mode = member.value("mode", 0600) & 0777;
        if (sealed && cipher) {
            auto opened = cipher->open(kept, QByteArray::fromStdString(name));
            if (!opened) {
                problems << QStringLiteral("fails authentication: %1").arg(QString::fromStdString(name));
                continue;
            }
            if (!target.isEmpty())
                if (auto written = writePrivateFile(target, opened.value(), mode); !written)
                    return written.failure();
        } else if (out) {
            if (!out->flush() || ::fsync(out->handle()) != 0 ||
                ::chmod(QFile::encodeName(out->fileName()).constData(), mode_t(mode)) != 0)
                return makeError("cannot write " + target.toStdString());
            out->close();
            if (::rename(QFile::encodeName(out->fileName()).constData(), QFile::encodeName(target).constData()) != 0)
                return makeError("cannot write " + target.toStdString());
        }
    }
    if (rc != ARCHIVE_EOF && rc != ARCHIVE_OK && problems.isEmpty())
        problems << QStringLiteral("truncated or damaged archive (%1)").arg(QString::fromStdString(r.error()));
    if (rc == ARCHIVE_EOF || rc == ARCHIVE_OK)
        for (const auto &[name, member] : expected)
            if (!seen.count(name))
                problems << QStringLiteral("missing: %1").arg(QString::fromStdString(name));
    if (!problems.isEmpty())
        return makeError(path.toStdString() + ": " + problems.join(QStringLiteral("; ")).toStdString(),
                         ErrorCode::InvalidArgument);
    if (onProgress)
        onProgress(1.0, QString());
    return m;
}
} // namespace

Result<VerifyReport> verifyBackup(const QString &archive, const QByteArray &passphrase, const Progress &onProgress)
{
    VerifyReport report;
    auto m = checkArchive(archive, passphrase, onProgress, &report.secretsChecked, {});
    if (!m)
        return m.failure();
    report.summary = summaryOf(m.value(), archive);
    return report;
}

Result<RestoreReport> restoreBackup(const RestoreOptions &o)
{
    const QString target = QFileInfo(o.configDir).absoluteFilePath();
    const QDir targetDir(target);
    const bool exists = QFileInfo::exists(target);
    const bool empty =
        !exists || targetDir.isEmpty(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
    if (!empty && !o.force)
        return makeError(target.toStdString() + " is not empty; restore into a new folder, or force (the folder is "
                                                "then moved aside first)",
                         ErrorCode::InvalidArgument);
    auto summary = readBackupSummary(o.archive);
    if (!summary)
        return summary.failure();
    if (summary->encrypted && o.passphrase.isEmpty())
        return makeError("this backup's secrets are sealed with a passphrase: give it to restore",
                         ErrorCode::InvalidArgument);
    bool secretsChecked = false;

    const QString parent = QFileInfo(target).absolutePath();
    if (!QDir().mkpath(parent))
        return makeError("cannot create " + parent.toStdString());
    QTemporaryDir staging(parent + QLatin1Char('/') + QFileInfo(target).fileName() +
                          QStringLiteral(".restoring-XXXXXX"));
    if (!staging.isValid())
        return makeError("cannot create a staging folder in " + parent.toStdString());
    ::chmod(QFile::encodeName(staging.path()).constData(), 0700);
    // The data folder ([storage] data_dir of the restored server.conf, which precedes data members in the archive):
    // the config folder itself, a folder inside it, or one elsewhere (a system install's /var/lib/smartbot), which
    // then gets its own staging folder beside it and the same rules (empty, or moved aside with force).
    struct DataPlace {
        QString root;   // where data members are written now
        QString target; // where they end up
        std::unique_ptr<QTemporaryDir> staging;
        bool moveAside = false;
    };
    std::optional<DataPlace> data;
    const auto dataPlace = [&]() -> Result<QString> {
        if (data)
            return data->root;
        DataPlace d;
        d.target = target;
        if (auto file = ConfigFile::read(QDir(staging.path()).filePath(QStringLiteral("server.conf"))); file)
            if (auto parsed = ServerConfig::parse(file.value(), target); parsed)
                d.target = parsed->dataDir;
        if (d.target == target) {
            d.root = staging.path();
        } else if (d.target.startsWith(target + QLatin1Char('/'))) {
            d.root = QDir(staging.path()).filePath(d.target.mid(target.size() + 1));
        } else {
            const bool busy =
                QFileInfo::exists(d.target) &&
                !QDir(d.target).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
            if (busy && !o.force)
                return makeError("the backup's data folder " + d.target.toStdString() +
                                     " ([storage] data_dir) is not empty; force moves it aside first",
                                 ErrorCode::InvalidArgument);
            d.moveAside = busy;
            const QString parentOfData = QFileInfo(d.target).absolutePath();
            if (!QDir().mkpath(parentOfData))
                return makeError("cannot create " + parentOfData.toStdString());
            d.staging = std::make_unique<QTemporaryDir>(d.target + QStringLiteral(".restoring-XXXXXX"));
            if (!d.staging->isValid())
                return makeError("cannot create a staging folder in " + parentOfData.toStdString());
            ::chmod(QFile::encodeName(d.staging->path()).constData(), 0700);
            d.root = d.staging->path();
        }
        data = std::move(d);
        return data->root;
    };
    // Everything goes into the staging folders, removed with all of it when any member fails its check.
    const auto destination = [&](const json &member) -> Result<QString> {
        const QString name = QString::fromStdString(member["name"].get<std::string>());
        QString root = staging.path(), relative;
        if (name.startsWith(QLatin1String("config/"))) {
            relative = name.mid(7);
        } else if (name.startsWith(QLatin1String("data/")) || name == QLatin1String("database/smartbot.db")) {
            auto place = dataPlace();
            if (!place)
                return place.failure();
            root = place.value();
            relative = name.startsWith(QLatin1String("data/")) ? name.mid(5) : QStringLiteral("smartbot.db");
        } else if (name.startsWith(QLatin1String("models/"))) {
            relative = name;
        } else {
            return makeError("unknown member " + name.toStdString());
        }
        const QString path = QDir(root).filePath(relative);
        const QString folder = QFileInfo(path).absolutePath();
        if (!QFileInfo(folder).isDir()) {
            if (!QDir().mkpath(folder))
                return makeError("cannot create " + folder.toStdString());
            ::chmod(QFile::encodeName(folder).constData(), 0700);
        }
        return path;
    };
    if (auto r = checkArchive(o.archive, o.passphrase, o.onProgress, &secretsChecked, destination); !r)
        return r.failure();

    RestoreReport report;
    report.summary = summary.value();
    if (exists && !empty) {
        report.movedAside = target + QStringLiteral(".before-restore-") +
                            QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        if (::rename(QFile::encodeName(target).constData(), QFile::encodeName(report.movedAside).constData()) != 0)
            return makeError("cannot move " + target.toStdString() + " aside");
    } else if (exists) {
        QDir().rmdir(target);
    }
    staging.setAutoRemove(false);
    if (::rename(QFile::encodeName(staging.path()).constData(), QFile::encodeName(target).constData()) != 0) {
        staging.setAutoRemove(true);
        return makeError("cannot rename the restored folder into " + target.toStdString());
    }
    if (data && data->staging) {
        const QByteArray dataTarget = QFile::encodeName(data->target);
        if (data->moveAside) {
            report.dataMovedAside = data->target + QStringLiteral(".before-restore-") +
                                    QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
            if (::rename(dataTarget.constData(), QFile::encodeName(report.dataMovedAside).constData()) != 0)
                return makeError("cannot move the data folder " + data->target.toStdString() + " aside");
        } else if (QFileInfo::exists(data->target)) {
            QDir().rmdir(data->target);
        }
        data->staging->setAutoRemove(false);
        if (::rename(QFile::encodeName(data->staging->path()).constData(), dataTarget.constData()) != 0) {
            data->staging->setAutoRemove(true);
            return makeError("cannot rename the restored data folder into " + data->target.toStdString());
        }
    }
    return report;
}

QString newBackupPath(const QString &folder)
{
    const QString name = backupFileName(QDateTime::currentDateTimeUtc());
    QString path = QDir(folder).filePath(name);
    for (int n = 2; QFileInfo::exists(path) || QFileInfo::exists(path + QStringLiteral(".part")); ++n)
        path = QDir(folder).filePath(
            QString(name).replace(QStringLiteral(".tar.gz"), QStringLiteral("-%1.tar.gz").arg(n)));
    return path;
}

Result<BackupSummary> makeServerBackup(const ServerConfig &config, const QByteArray &passphrase, bool withModels,
                                       const QString &version, const Progress &onProgress)
{
    // One at a time per process: two would race for the same names and retention, and double the load.
    static std::atomic_bool running{false};
    if (running.exchange(true))
        return makeError("a backup is running", ErrorCode::Unavailable);
    struct Done {
        ~Done() { running = false; }
    } done;
    const QString dir = config.backupDir;
    if (!QFileInfo(dir).isDir() &&
        (!QDir().mkpath(QFileInfo(dir).absolutePath()) || ::mkdir(QFile::encodeName(dir).constData(), 0700) != 0))
        return makeError("cannot create the backup folder " + dir.toStdString());
    CreateOptions o;
    o.configDir = config.configDir;
    o.outPath = newBackupPath(dir);
    o.passphrase = passphrase;
    if (o.passphrase.isEmpty() && !config.backupPassphraseFile.isEmpty()) {
        auto read = readPassphraseFile(config.backupPassphraseFile);
        if (!read)
            return read.failure();
        o.passphrase = read.value();
    }
    o.withoutSecrets = o.passphrase.isEmpty();
    o.withModels = withModels;
    o.version = version;
    o.onProgress = onProgress;
    auto made = createBackup(o);
    if (made)
        pruneBackups(dir, config.backupKeep);
    return made;
}

std::vector<BackupSummary> listBackups(const QString &folder)
{
    std::vector<BackupSummary> out;
    for (const QFileInfo &f : QDir(folder).entryInfoList({QStringLiteral("*.tar.gz")}, QDir::Files))
        if (auto s = readBackupSummary(f.absoluteFilePath()); s)
            out.push_back(s.value());
    std::sort(out.begin(), out.end(),
              [](const BackupSummary &a, const BackupSummary &b) { return a.created > b.created; });
    return out;
}

QStringList pruneBackups(const QString &folder, int keep)
{
    QStringList removed;
    const auto all = listBackups(folder);
    for (size_t i = size_t(std::max(keep, 1)); i < all.size(); ++i)
        if (QFile::remove(all[i].path))
            removed << QFileInfo(all[i].path).fileName();
    return removed;
}

} // namespace smartbot::backup
