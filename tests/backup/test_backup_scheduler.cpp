// BackupScheduler (server/backup/backup_scheduler.h) with a short interval on a real config folder: each tick writes
// a backup into [backup] dir sealed with [backup] passphrase_file, only the newest [backup] keep stay, and what was
// written verifies with the passphrase. The schedule names map to their intervals.
#include <QSignalSpy>
#include <QtTest>

#include <sys/stat.h>

#include "backup/backup.h"
#include "backup/backup_scheduler.h"
#include "core/config_file.h"
#include "core/server_config.h"
#include "core/server_config_edit.h"

using namespace smartbot;

class TestBackupScheduler : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void intervals_data()
    {
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("off") << "off" << qint64(0);
        QTest::newRow("hourly") << "hourly" << qint64(3600) * 1000;
        QTest::newRow("daily") << "daily" << qint64(86400) * 1000;
        QTest::newRow("unknown") << "weekly" << qint64(0);
    }
    void intervals()
    {
        QFETCH(QString, schedule);
        QFETCH(qint64, ms);
        QCOMPARE(backup::BackupScheduler::intervalMs(schedule), ms);
    }

    void ticksWriteSealedBackupsAndKeepTheNewest()
    {
        QTemporaryDir dir;
        {
            QFile pass(dir.filePath("backup.pass"));
            QVERIFY(pass.open(QIODevice::WriteOnly));
            pass.write("scheduled\n");
            pass.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        }
        ::chmod(QFile::encodeName(dir.path()).constData(), 0700);
        auto config = applyServerConfChanges(
            dir.path(),
            {{"backup", "passphrase_file", "backup.pass"}, {"backup", "keep", "2"}, {"backup", "schedule", "hourly"}});
        QVERIFY2(config.ok(), config.ok() ? "" : config.error().c_str());
        QFile secret(dir.filePath("admin.key")); // a secret to seal
        QVERIFY(secret.open(QIODevice::WriteOnly));
        secret.write("sbadmin_0123456789abcdef\n");
        secret.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        secret.close();

        backup::BackupScheduler scheduler(config.value(), QStringLiteral("test"));
        QSignalSpy finished(&scheduler, &backup::BackupScheduler::finished);
        scheduler.start(300);
        QTRY_VERIFY_WITH_TIMEOUT(finished.size() >= 3, 30000);
        scheduler.start(0);
        QVERIFY(!scheduler.isActive());
        // A tick may have started one more before the timer stopped: let it finish (and prune) before listing.
        QTRY_VERIFY_WITH_TIMEOUT(!scheduler.isBackingUp(), 30000);
        QTest::qWait(50); // its finished() is queued
        for (const auto &call : finished)
            QVERIFY2(call.at(0).toBool(), qPrintable(call.at(1).toString()));
        const auto kept = backup::listBackups(config->backupDir);
        QCOMPARE(int(kept.size()), 2);
        QVERIFY(kept[0].encrypted);
        QVERIFY(kept[0].secretsLeftOut.isEmpty());
        auto verified = backup::verifyBackup(kept[0].path, "scheduled");
        QVERIFY2(verified.ok(), verified.ok() ? "" : verified.error().c_str());
        QVERIFY(verified->secretsChecked);
    }
};

QTEST_GUILESS_MAIN(TestBackupScheduler)
#include "test_backup_scheduler.moc"
