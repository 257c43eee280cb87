// BackupsPanel, offscreen, on a real config folder with the in-process server running: create (sealed with a
// passphrase, and without one: key files left out), list, verify (a wrong passphrase is named), restore into a new
// folder from which a second server starts with the same admin key; the running server's own folder is refused;
// the schedule is saved to server.conf; actions are audited as the app.
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QtTest>

#include "app/backups_panel.h"
#include "core/audit_log.h"
#include "core/demo_model.h"
#include "core/server_config.h"
#include "gui_testing.h"
#include "http/auth/authenticator.h"

using smartbot::gui::BackupsPanel;
using namespace smartbot::testsupport;

namespace {
// Runs one panel action and returns its (ok, text).
std::pair<bool, QString> waitFor(BackupsPanel &panel, const std::function<void()> &action)
{
    QSignalSpy done(&panel, &BackupsPanel::finished);
    action();
    if (!done.wait(60000))
        return {false, QStringLiteral("timed out")};
    return {done.first().at(0).toBool(), done.first().at(1).toString()};
}
} // namespace

class TestBackupsPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void createVerifyRestore()
    {
        QTemporaryDir config, elsewhere;
        smartbot::http::SmartbotServer server;
        smartbot::http::ServerOverrides o;
        o.modelPath = QLatin1String(smartbot::kNoModel);
        o.port = 0;
        o.bindAddress = QStringLiteral("127.0.0.1");
        QVERIFY(server.start(config.path(), o).ok());
        BackupsPanel panel(&server);
        panel.setConfigDir(config.path());
        panel.show();
        auto *table = child<QTableWidget>(&panel, "backupsTable");
        auto *passphrase = child<QLineEdit>(&panel, "backupPassphraseEdit");
        QCOMPARE(table->rowCount(), 0);

        passphrase->setText(QStringLiteral("correct horse"));
        auto [ok, text] = waitFor(panel, [&] { child<QPushButton>(&panel, "createBackupButton")->click(); });
        QVERIFY2(ok, qPrintable(text));
        QVERIFY(!child<QProgressBar>(&panel, "backupProgress")->isVisible());
        QCOMPARE(child<QProgressBar>(&panel, "backupProgress")->value(), 100);
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(table->item(0, 4)->text(), QStringLiteral("sealed"));

        passphrase->clear();
        std::tie(ok, text) = waitFor(panel, [&] { panel.createBackup(); });
        QVERIFY2(ok && text.contains(QStringLiteral("without the key files")), qPrintable(text));
        QCOMPARE(table->rowCount(), 2);
        QVERIFY(table->item(0, 4)->text().startsWith(QStringLiteral("left out")));

        // The sealed one (older: second row): a wrong passphrase is named, the right one passes.
        table->selectRow(1);
        passphrase->setText(QStringLiteral("wrong"));
        std::tie(ok, text) = waitFor(panel, [&] { child<QPushButton>(&panel, "verifyBackupButton")->click(); });
        QVERIFY(!ok);
        QVERIFY2(text.contains(QStringLiteral("wrong passphrase")), qPrintable(text));
        passphrase->setText(QStringLiteral("correct horse"));
        std::tie(ok, text) = waitFor(panel, [&] { panel.verifySelected(); });
        QVERIFY2(ok && text.contains(QStringLiteral("intact")), qPrintable(text));

        // Not over the running server's own folder.
        child<QLineEdit>(&panel, "restoreFolderEdit")->setText(config.path());
        panel.restoreSelected(true);
        QVERIFY(panel.resultText().contains(QStringLiteral("running server uses")));

        const QString target = elsewhere.filePath(QStringLiteral("restored"));
        child<QLineEdit>(&panel, "restoreFolderEdit")->setText(target);
        std::tie(ok, text) = waitFor(panel, [&] { child<QPushButton>(&panel, "restoreBackupButton")->click(); });
        QVERIFY2(ok, qPrintable(text));
        smartbot::http::SmartbotServer second;
        QVERIFY(second.start(target, o).ok());
        const HttpReply keys = postJson(second.port(), QStringLiteral("/admin/keys"), R"({"name":"after restore"})",
                                        "X-API-Key", adminKeyOf(config));
        QCOMPARE(keys.status, 201); // the admin key came back with the sealed key files
        second.stop();

        // Audited as the app, in the running server's log.
        auto entries = server.authenticator()->auditLog().list(50);
        QVERIFY(entries.ok());
        QStringList actions;
        for (const auto &e : entries.value())
            if (e.actor.startsWith(QStringLiteral("gui (")))
                actions << e.action;
        QVERIFY2(actions.contains(QStringLiteral("backup.create")) &&
                     actions.contains(QStringLiteral("backup.restore")),
                 qPrintable(actions.join(',')));
        server.stop();
    }

    void scheduleIsSavedToServerConf()
    {
        QTemporaryDir config;
        smartbot::http::SmartbotServer server;
        BackupsPanel panel(&server);
        panel.setConfigDir(config.path());
        child<QComboBox>(&panel, "backupScheduleCombo")->setCurrentIndex(2); // daily
        child<QSpinBox>(&panel, "backupKeepSpin")->setValue(3);
        child<QLineEdit>(&panel, "backupPassFileEdit")->setText(QStringLiteral("backup.pass"));
        QVERIFY(panel.saveSchedule());
        auto conf = smartbot::ServerConfig::loadOrCreate(config.path());
        QVERIFY(conf.ok());
        QCOMPARE(conf->backupSchedule, QStringLiteral("daily"));
        QCOMPARE(conf->backupKeep, 3);
        QCOMPARE(conf->backupPassphraseFile, config.filePath(QStringLiteral("backup.pass")));
    }
};

QTEST_MAIN(TestBackupsPanel)
#include "test_backups_panel.moc"
