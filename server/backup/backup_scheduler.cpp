#include "backup/backup_scheduler.h"

#include <QFileInfo>
#include <QPointer>
#include <QThread>
#include <QThreadPool>

namespace smartbot::backup {

BackupScheduler::BackupScheduler(const ServerConfig &config, const QString &version, QObject *parent)
    : QObject(parent), config_(config), version_(version)
{
    timer_.setTimerType(Qt::CoarseTimer); // not VeryCoarse: it rounds to whole seconds, 0 for short test intervals
    connect(&timer_, &QTimer::timeout, this, &BackupScheduler::runOnce);
}

BackupScheduler::~BackupScheduler()
{
    timer_.stop();
    while (*inFlight_ > 0) // a backup half-written at exit would only leave a .part behind; finish it
        QThread::msleep(20);
}

qint64 BackupScheduler::intervalMs(const QString &schedule)
{
    static const std::pair<const char *, qint64> kIntervals[] = {{"hourly", 3600'000}, {"daily", 86400'000}};
    for (const auto &[name, ms] : kIntervals)
        if (schedule == QLatin1String(name))
            return ms;
    return 0;
}

void BackupScheduler::start(qint64 intervalMs)
{
    if (intervalMs <= 0) {
        timer_.stop();
        return;
    }
    timer_.start(std::chrono::milliseconds(intervalMs));
}

void BackupScheduler::runOnce()
{
    if (*inFlight_ > 0) { // the last one is still being written (a large model folder): this tick is skipped
        qInfo("scheduled backup skipped: the previous one is still running");
        return;
    }
    ++*inFlight_;
    QPointer<BackupScheduler> self(this);
    QThreadPool::globalInstance()->start([self, config = config_, version = version_, inFlight = inFlight_] {
        auto made = makeServerBackup(config, {}, false, version);
        releaseThreadCrypto();
        const bool ok = made.ok();
        const QString what = ok ? QFileInfo(made->path).fileName() : QString::fromStdString(made.error());
        if (ok)
            qInfo("scheduled backup written: %s (%lld bytes%s)", qPrintable(made->path), made->bytes,
                  made->secretsLeftOut.isEmpty() ? "" : ", key files left out: no [backup] passphrase_file");
        else
            qWarning("scheduled backup failed: %s", qPrintable(what));
        if (self)
            QMetaObject::invokeMethod(
                self.data(), [self, ok, what] { Q_EMIT self->finished(ok, what); }, Qt::QueuedConnection);
        --*inFlight;
    });
}

} // namespace smartbot::backup
