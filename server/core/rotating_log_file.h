// RotatingLogFile: the server's log on disk ([logging] in server.conf). One file, <dir>/smartbot.log (mode 0640, the
// folder 0750), appended to with one write per line; it is rotated when the UTC day changes or when the next line
// would take it past maxBytes: renamed to smartbot-<yyyyMMdd-HHmmss>-<nnn>.log, then gzip-compressed to .log.gz (0640)
// on Qt's thread pool, and only the newest `keep` rotated files are kept. No line is split or lost at a rotation.
// Thread-safe: write() may be called from any thread (the log handler is); rotation happens under the same lock.
#pragma once

#include <QMutex>
#include <QString>

#include <atomic>
#include <memory>

#include "core/clock.h"
#include "smartbot/common/result.h"

namespace smartbot {

struct LogFileOptions {
    QString dir; // created 0750 when missing
    QString baseName = QStringLiteral("smartbot");
    qint64 maxBytes = qint64(64) << 20; // rotate before a line would pass this (0: no size limit)
    int keep = 7;                       // rotated (compressed) files kept
    bool daily = true;                  // rotate when the UTC day changes
};

class RotatingLogFile {
public:
    RotatingLogFile(LogFileOptions options, Clock clock = systemClock());
    ~RotatingLogFile(); // waits for compressions in progress

    Result<void> open();
    void write(const QString &line); // appends line + '\n' (after a rotation if one is due)
    QString path() const;            // the active file
    void waitForCompression() const; // until every rotated file is compressed and pruned (tests, shutdown)

private:
    void rotateLocked();
    Result<void> openLocked();

    LogFileOptions options_;
    Clock clock_;
    mutable QMutex mutex_;
    int fd_ = -1;
    qint64 size_ = 0;
    qint64 day_ = -1; // UTC days since the epoch of the active file
    std::shared_ptr<std::atomic_int> pending_ = std::make_shared<std::atomic_int>(0);
};

// Compresses path to path + ".gz" (gzip, mode 0640) and removes path; then deletes the oldest
// <baseName>-*.log.gz in dir beyond keep. Used by RotatingLogFile.
Result<void> compressAndPrune(const QString &path, const QString &dir, const QString &baseName, int keep);

} // namespace smartbot
