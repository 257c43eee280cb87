// Backups of a config folder: one engine for `smartbotd backup ...`, POST /admin/backups and the desktop app's
// Backups panel. An archive is a tar.gz (libarchive) holding, in this order:
//   manifest.json          format, versions, time, and every other member's name, size, mode and SHA-256; with a
//                          passphrase also the scrypt parameters, a key check and an HMAC over the manifest;
//   config/<path>          every file of the config folder (server.conf, certificates, ...) except the database,
//                          its WAL files, app.lock, logs/, backups/ and models/; private files (mode without group
//                          or other bits, e.g. admin.key, auth/*.key, a TLS key) are secrets: sealed with the
//                          passphrase (backup/passphrase_cipher.h), or left out only when asked;
//   data/<path>            with a separate data folder ([storage] data_dir), its files as config/ above;
//   database/smartbot.db   a consistent snapshot of the live database (SQLite online backup API);
//   models/<name>/<file>   with withModels: the model folders of [model] folders and [model] path.
// Everything is written to OUT.part and renamed when complete: a failure (disk full) leaves no archive behind.
// Threading: every function is self-contained (no shared state) and may run on any thread; long ones report
// progress through onProgress on the calling thread.
#pragma once

#include <QDateTime>
#include <QStringList>

#include <functional>
#include <vector>

#include "core/server_config.h"
#include "smartbot/common/result.h"

namespace smartbot::backup {

using Progress = std::function<void(double fraction, const QString &member)>;

struct BackupSummary {
    QString path;
    QDateTime created; // UTC
    QString smartbotVersion;
    int members = 0;        // besides the manifest
    qint64 bytes = 0;       // the archive's size
    bool encrypted = false; // secrets sealed with a passphrase
    bool withModels = false;
    QStringList secretsLeftOut; // config-relative paths of secrets not in the archive
};

struct CreateOptions {
    QString configDir;
    QString outPath;       // the archive to write; an existing file is not replaced
    QByteArray passphrase; // seals the secrets; required when there are any, unless withoutSecrets
    bool withoutSecrets = false;
    bool withModels = false;
    QString version; // the SmartBot version recorded in the manifest
    Progress onProgress;
};
Result<BackupSummary> createBackup(const CreateOptions &options);

// Reads the whole archive: every member against the manifest (changed, missing, added, truncated), and with the
// passphrase the key check, the manifest's HMAC and every sealed member. The error names each problem found.
// Without a passphrase, sealed members are checked against their hashes only (secretsChecked = false).
struct VerifyReport {
    BackupSummary summary;
    bool secretsChecked = false;
};
Result<VerifyReport> verifyBackup(const QString &archive, const QByteArray &passphrase,
                                  const Progress &onProgress = {});

struct RestoreOptions {
    QString archive;
    QString configDir;     // created (0700); must be empty or missing unless force; a data folder the restored
                           // server.conf names outside it ([storage] data_dir) likewise
    QByteArray passphrase; // required when the archive holds sealed secrets
    bool force = false;    // a non-empty configDir is first renamed to <configDir>.before-restore-<time>
    Progress onProgress;
};
struct RestoreReport {
    BackupSummary summary;
    QString movedAside;     // where the old folder went (force), or ""
    QString dataMovedAside; // where an old data folder outside the config folder went (force), or ""
};
// Verifies first; then extracts into a staging folder beside configDir and renames it into place, so a failure
// leaves configDir as it was.
Result<RestoreReport> restoreBackup(const RestoreOptions &options);

// A backup as the server makes it (POST /admin/backups, the schedule, the desktop app): into [backup] dir (created
// 0700), the secrets sealed with passphrase, else with [backup] passphrase_file, else left out (the summary says
// which); then only the newest [backup] keep backups are kept there.
Result<BackupSummary> makeServerBackup(const ServerConfig &config, const QByteArray &passphrase, bool withModels,
                                       const QString &version, const Progress &onProgress = {});

// The backups in folder (*.tar.gz with a SmartBot manifest), newest first; unreadable files are skipped.
std::vector<BackupSummary> listBackups(const QString &folder);
// Reads only the manifest (the first member).
Result<BackupSummary> readBackupSummary(const QString &archive);

// Deletes the oldest backups in folder beyond keep (keep >= 1). The names deleted.
QStringList pruneBackups(const QString &folder, int keep);

// The passphrase in a file (its first line, without the line end). The file must not be readable by group or
// others (it is a secret like the keys it protects); an empty one is an error.
Result<QByteArray> readPassphraseFile(const QString &path);

// Frees OpenSSL's state for the calling thread (OPENSSL_thread_stop). Call it at the end of a backup job on a
// pooled thread: the pool keeps the thread, and OpenSSL's per-thread state (from scrypt and AES-GCM) would otherwise
// outlive the job until the thread exits, which LeakSanitizer reported at the end of a test. OpenSSL sets it up
// again when the thread next uses it.
void releaseThreadCrypto();

// A file name for a new backup: smartbot-backup-<yyyyMMdd-HHmmss>.tar.gz (UTC).
QString backupFileName(const QDateTime &when);
// A path in folder for a backup made now that no file has yet (-2, -3, ... for several in one second).
QString newBackupPath(const QString &folder);

} // namespace smartbot::backup
