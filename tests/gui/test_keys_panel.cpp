// KeysPanel, offscreen, driving its real widgets against the real in-process server with stories260K: a key
// created in the panel chats over HTTP; revoked in the panel, the next request gets 401; rotation shows a new key
// that works while the old one is in its grace period; bad input is a status message, not a crash; every action is
// in the audit log.
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "app/i18n.h"
#include "app/keys_panel.h"
#include "core/audit_log.h"
#include "core/log_buffer.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"
#include "gui_testing.h"
#include "require_data.h"
#include "screenshot.h"

using smartbot::gui::KeysPanel;
using smartbot::http::SmartbotServer;
using ModelState = smartbot::service::InferenceWorker::ModelState;
using namespace smartbot::testsupport;

namespace {

int rowOf(QTableWidget *table, const QString &name)
{
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, 0)->text() == name)
            return r;
    return -1;
}

} // namespace

class TestKeysPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { smartbot::LogBuffer::instance().install(true); }

    void disabledWhileStopped()
    {
        SmartbotServer server;
        KeysPanel panel(&server);
        QVERIFY(!child<QTableWidget>(&panel, "keysTable")->isEnabled());
        QVERIFY(!child<QPushButton>(&panel, "createKeyButton")->isEnabled());
        QCOMPARE(child<QLabel>(&panel, "keysNotice")->text(),
                 QStringLiteral("Start the server to manage its API keys."));
    }

    void chineseTranslation()
    {
        QVERIFY(smartbot::gui::installTranslations(QStringLiteral("zh_CN")));
        SmartbotServer server;
        KeysPanel panel(&server);
        QCOMPARE(child<QLabel>(&panel, "keysNotice")->text(), QStringLiteral("启动服务器后即可管理其 API 密钥。"));
        QCOMPARE(child<QPushButton>(&panel, "createKeyButton")->text(), QStringLiteral("创建密钥"));
        smartbot::gui::installTranslations(QStringLiteral("en"));
        QTRY_COMPARE(child<QPushButton>(&panel, "createKeyButton")->text(), QStringLiteral("Create key"));
    }

    void createUseRevokeRotate()
    {
        REQUIRE_DATA(kStoriesModel + "/config.json");
        QTemporaryDir config;
        SmartbotServer server;
        KeysPanel panel(&server);
        panel.show();
        QSignalSpy messages(&panel, &KeysPanel::statusMessage);
        QVERIFY(startWithModel(server, config));

        auto *table = child<QTableWidget>(&panel, "keysTable");
        auto *name = child<QLineEdit>(&panel, "keyNameEdit");
        auto *create = child<QPushButton>(&panel, "createKeyButton");
        auto *newKey = child<QLineEdit>(&panel, "newKeyEdit");
        QVERIFY(table->isEnabled() && create->isEnabled());
        QVERIFY(!child<QLabel>(&panel, "keysNotice")->isVisible());
        QVERIFY(!newKey->isVisible());

        // An empty name is refused with the store's message; nothing is created.
        QTest::mouseClick(create, Qt::LeftButton);
        QVERIFY(!messages.isEmpty());
        QVERIFY2(messages.last().first().toString().startsWith(QStringLiteral("Key not created")),
                 qPrintable(messages.last().first().toString()));
        QCOMPARE(table->rowCount(), 0);

        // Create: the key appears once, in the table by name and prefix; it chats over HTTP.
        name->setText(QStringLiteral("mobile app"));
        QTest::mouseClick(create, Qt::LeftButton);
        QVERIFY(newKey->isVisible());
        const QString key = newKey->text();
        QVERIFY2(key.startsWith(QStringLiteral("sb_")), qPrintable(key));
        const int row = rowOf(table, QStringLiteral("mobile app"));
        QVERIFY(row >= 0);
        QVERIFY(key.startsWith(table->item(row, 1)->text()));
        QCOMPARE(table->item(row, 2)->text(), QStringLiteral("chat"));
        QCOMPARE(table->item(row, 3)->text(), QStringLiteral("active"));
        QCOMPARE(chatWith(server.port(), key.toLatin1()), 200);

        // Copy confirms in the status bar.
        QTest::mouseClick(child<QPushButton>(&panel, "copyKeyButton"), Qt::LeftButton);
        QCOMPARE(messages.last().first().toString(), QStringLiteral("Key copied to the clipboard"));

        // The filter hides what does not match.
        auto *filter = child<QLineEdit>(&panel, "keyFilterEdit");
        filter->setText(QStringLiteral("no such key"));
        QVERIFY(table->isRowHidden(row));
        filter->setText(QStringLiteral("MOBILE"));
        QVERIFY(!table->isRowHidden(row));
        filter->clear();

        // Rotate: a new key that works; the old one stays valid for the grace period.
        table->selectRow(row);
        QTest::mouseClick(child<QPushButton>(&panel, "rotateKeyButton"), Qt::LeftButton);
        const QString rotated = newKey->text();
        QVERIFY(rotated != key && rotated.startsWith(QStringLiteral("sb_")));
        QCOMPARE(chatWith(server.port(), rotated.toLatin1()), 200);
        QCOMPARE(chatWith(server.port(), key.toLatin1()), 200);
        QCOMPARE(table->rowCount(), 2);
        for (int r = 0; r < table->rowCount(); ++r)
            if (key.startsWith(table->item(r, 1)->text()))
                QVERIFY2(table->item(r, 3)->text().startsWith(QStringLiteral("rotated, valid until")),
                         qPrintable(table->item(r, 3)->text()));

        // Revoke the new key in the panel: the next request with it is 401.
        int newRow = -1;
        for (int r = 0; r < table->rowCount(); ++r)
            if (rotated.startsWith(table->item(r, 1)->text()))
                newRow = r;
        QVERIFY(newRow >= 0);
        table->selectRow(newRow);
        QTest::mouseClick(child<QPushButton>(&panel, "revokeKeyButton"), Qt::LeftButton);
        QCOMPARE(chatWith(server.port(), rotated.toLatin1()), 401);
        panel.resize(900, 560);
        smartbot::testsupport::saveScreenshot(&panel, QStringLiteral("keys"));
        for (int r = 0; r < table->rowCount(); ++r)
            if (rotated.startsWith(table->item(r, 1)->text()))
                QCOMPARE(table->item(r, 3)->text(), QStringLiteral("revoked"));

        // Every action is audited as the GUI.
        auto entries = server.authenticator()->auditLog().list(10);
        QVERIFY(entries.ok());
        QStringList actions;
        for (const auto &e : entries.value()) {
            QVERIFY2(e.actor.startsWith(QStringLiteral("gui (")), qPrintable(e.actor));
            actions << e.action;
        }
        QVERIFY2(actions.contains("key.create") && actions.contains("key.rotate") && actions.contains("key.revoke"),
                 qPrintable(actions.join(',')));
        // The secret itself is never in the log.
        QVERIFY(!smartbot::LogBuffer::instance().recent(1000).join('\n').contains(key));

        server.stop();
        QTRY_VERIFY(!table->isEnabled());
        QCOMPARE(table->rowCount(), 0); // no keys on screen once stopped
    }
};

QTEST_MAIN(TestKeysPanel)
#include "test_keys_panel.moc"
