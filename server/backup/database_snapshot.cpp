#include "backup/database_snapshot.h"

#include <QFile>

#include <sqlite3.h>
#include <sys/stat.h>

namespace smartbot::backup {

Result<void> snapshotSqlite(const QString &source, const QString &target)
{
    sqlite3 *src = nullptr, *dst = nullptr;
    const auto close = [&] {
        sqlite3_close(dst);
        sqlite3_close(src);
    };
    const QByteArray from = QFile::encodeName(source), to = QFile::encodeName(target);
    // Read-write (never created): a WAL database is read through its -shm index, which a reader updates.
    if (sqlite3_open_v2(from.constData(), &src, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        const std::string why = src ? sqlite3_errmsg(src) : "out of memory";
        close();
        return makeError("cannot open the database " + source.toStdString() + ": " + why);
    }
    sqlite3_busy_timeout(src, 10000);
    if (sqlite3_open_v2(to.constData(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        const std::string why = dst ? sqlite3_errmsg(dst) : "out of memory";
        close();
        return makeError("cannot create " + target.toStdString() + ": " + why);
    }
    ::chmod(to.constData(), 0600);
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        const std::string why = sqlite3_errmsg(dst);
        close();
        return makeError("cannot snapshot the database: " + why);
    }
    int rc = SQLITE_OK;
    // All pages in one step: one read transaction, so the copy is of one moment. Busy/locked: a writer holds a
    // lock for a moment; try again.
    for (int attempt = 0; attempt < 200; ++attempt) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    const std::string why = sqlite3_errmsg(dst);
    close();
    if (rc != SQLITE_DONE) {
        QFile::remove(target);
        return makeError("cannot snapshot the database " + source.toStdString() + ": " + why);
    }
    return {};
}

} // namespace smartbot::backup
