// BackupScheduler: [backup] schedule = hourly | daily in a running server: every interval, one server-made backup
// (backup::makeServerBackup: [backup] dir, passphrase_file, keep) on Qt's thread pool, its result logged. The first
// runs one interval after start (a restart loop does not pile up backups). Threading: lives on the server thread;
// finished() is emitted there.
#pragma once

#include <QObject>
#include <QTimer>

#include "backup/backup.h"

namespace smartbot::backup {

class BackupScheduler : public QObject {
    Q_OBJECT
public:
    BackupScheduler(const ServerConfig &config, const QString &version, QObject *parent = nullptr);
    ~BackupScheduler() override; // waits for a backup in progress

    // The interval of a [backup] schedule value in milliseconds; 0 for off.
    static qint64 intervalMs(const QString &schedule);
    void start(qint64 intervalMs); // 0 stops
    bool isActive() const { return timer_.isActive(); }
    bool isBackingUp() const { return *inFlight_ > 0; } // a backup started by a tick has not finished yet

Q_SIGNALS:
    void finished(bool ok, const QString &what); // the backup's file name, or why it failed

private:
    void runOnce();

    ServerConfig config_;
    QString version_;
    QTimer timer_;
    std::shared_ptr<std::atomic_int> inFlight_ = std::make_shared<std::atomic_int>(0);
};

} // namespace smartbot::backup
