// ProvidersGroup (app/providers_group.h) offscreen, with a real keychain (run_with_keyring.sh) and two in-process
// servers: one serves stories260K and stands for the provider; the form tests the connection (a wrong key, then the
// right one), saves the section to server.conf and the key to the keychain, and a relaying server started with the
// keys the app passes answers a request for up/stories260K; Remove then deletes the section and the key.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "app/provider_key_store.h"
#include "app/providers_group.h"
#include "core/demo_model.h"
#include "core/server_config.h"
#include "gui_testing.h"
#include "http/server/smartbot_server.h"
#include "require_data.h"

using namespace smartbot;
using namespace smartbot::testsupport;
using smartbot::gui::ProvidersGroup;

class TestProvidersGroup : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testSaveAndRelay()
    {
        REQUIRE_DATA(kStoriesModel + "/config.json");
        QTemporaryDir upDir, relayDir;
        http::SmartbotServer up;
        QVERIFY(startWithModel(up, upDir));
        const QByteArray platformKey =
            QJsonDocument::fromJson(postJson(up.port(), QStringLiteral("/admin/token"), R"({"username":"platform"})",
                                             "X-API-Key", adminKeyOf(upDir))
                                        .body)
                .object()["token"]
                .toString()
                .toLatin1();
        QVERIFY(!platformKey.isEmpty());

        http::SmartbotServer relayServer;
        ProvidersGroup group(&relayServer);
        group.show();
        group.setConfigDir(relayDir.path());
        QSignalSpy tested(&group, &ProvidersGroup::tested);
        auto *label = child<QLabel>(&group, "providerTestLabel");
        child<QLineEdit>(&group, "providerNameEdit")->setText(QStringLiteral("up"));
        child<QLineEdit>(&group, "providerUrlEdit")->setText(QStringLiteral("http://127.0.0.1:%1/v1").arg(up.port()));
        child<QLineEdit>(&group, "providerModelsEdit")->setText(QStringLiteral("stories260K"));
        auto *keyEdit = child<QLineEdit>(&group, "providerKeyEdit");
        QCOMPARE(keyEdit->echoMode(), QLineEdit::Password);

        keyEdit->setText(QStringLiteral("not-the-platform-key"));
        child<QPushButton>(&group, "testProviderButton")->click();
        QVERIFY(tested.wait(15000));
        QCOMPARE(tested.last().at(0).toBool(), false);
        QVERIFY2(label->text().contains(QStringLiteral("refused the platform key (HTTP 401)")),
                 qPrintable(label->text()));

        keyEdit->setText(QString::fromLatin1(platformKey));
        child<QPushButton>(&group, "testProviderButton")->click();
        QVERIFY(tested.wait(15000));
        QCOMPARE(tested.last().at(0).toBool(), true);
        QVERIFY2(label->text().contains(QStringLiteral("stories260K")), qPrintable(label->text()));

        // A bad name is refused before anything is written.
        child<QLineEdit>(&group, "providerNameEdit")->setText(QStringLiteral("bad name"));
        child<QPushButton>(&group, "saveProviderButton")->click();
        QVERIFY2(label->text().contains(QStringLiteral("a provider name has")), qPrintable(label->text()));
        QVERIFY(!QFile::exists(relayDir.filePath(QStringLiteral("server.conf"))));

        child<QLineEdit>(&group, "providerNameEdit")->setText(QStringLiteral("up"));
        child<QPushButton>(&group, "saveProviderButton")->click();
        QVERIFY2(label->text().startsWith(QStringLiteral("Saved up")), qPrintable(label->text()));
        QVERIFY(keyEdit->text().isEmpty());
        QFile conf(relayDir.filePath(QStringLiteral("server.conf")));
        QVERIFY(conf.open(QIODevice::ReadOnly));
        const QByteArray confText = conf.readAll();
        QVERIFY(confText.contains("[provider.up]"));
        QVERIFY2(!confText.contains(platformKey), "server.conf never holds the key");
        // run_with_keyring.sh sets SMARTBOT_KEYRING_HOME when it started a keyring: then the keychain must be used.
        if (qEnvironmentVariableIsSet("SMARTBOT_KEYRING_HOME"))
            QVERIFY2(label->text().contains(QStringLiteral("OS keychain")), qPrintable(label->text()));
        if (label->text().contains(QStringLiteral("OS keychain")))
            QVERIFY(!QFile::exists(providerKeyPath(relayDir.path(), QStringLiteral("up"))));
        else // no keychain here: the file, 0600
            QCOMPARE(QFile(providerKeyPath(relayDir.path(), QStringLiteral("up"))).permissions() & 0x0077,
                     QFile::Permissions());
        const auto *table = child<QTableWidget>(&group, "providersTable");
        const int row = group.rowOf(QStringLiteral("up"));
        QVERIFY(row >= 0);
        QVERIFY2(table->item(row, 3)->text().startsWith(QStringLiteral("set ")),
                 qPrintable(table->item(row, 3)->text()));
        QCOMPARE(table->item(row, 4)->text(), QStringLiteral("server stopped"));

        // The relaying server, with the keys the app passes it: a request for up/stories260K is answered upstream.
        http::ServerOverrides o;
        o.modelPath = QLatin1String(kNoModel);
        o.port = 0;
        o.bindAddress = QStringLiteral("127.0.0.1");
        auto config = ServerConfig::readOrDefaults(relayDir.path());
        QVERIFY(config.ok());
        o.providerKeys = app::ProviderKeyStore(relayDir.path()).keychainKeys(config->providers);
        QVERIFY(relayServer.start(relayDir.path(), o).ok());
        const QByteArray token =
            QJsonDocument::fromJson(postJson(relayServer.port(), QStringLiteral("/admin/token"),
                                             R"({"username":"client"})", "X-API-Key", adminKeyOf(relayDir))
                                        .body)
                .object()["token"]
                .toString()
                .toLatin1();
        const auto reply = postJson(relayServer.port(), QStringLiteral("/v1/chat/completions"),
                                    R"({"model":"up/stories260K","messages":[{"role":"user","content":"Once"}],)"
                                    R"("max_tokens":4})",
                                    "Authorization", "Bearer " + token);
        QCOMPARE(reply.status, 200);
        QCOMPARE(QJsonDocument::fromJson(reply.body).object()["model"].toString(), QStringLiteral("up/stories260K"));
        QTRY_COMPARE(table->item(group.rowOf(QStringLiteral("up")), 4)->text(), QStringLiteral("ready"));
        relayServer.stop();
        up.stop();

        // Remove: asked first (No keeps it), then the section and the key are gone; the rest of server.conf stays.
        // The answer is clicked from a timer while the dialog runs; whatever the dialog is, it gets closed, so that a
        // wrong one fails the checks after it instead of hanging the test.
        QString asked;
        const auto answer = [&asked](QMessageBox::StandardButton button) {
            auto *poll = new QTimer;
            QObject::connect(poll, &QTimer::timeout, poll, [poll, button, &asked] {
                auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
                if (!box)
                    return;
                asked = box->objectName();
                if (QAbstractButton *b = box->button(button))
                    b->click();
                else
                    box->reject();
                poll->deleteLater();
            });
            poll->start(20);
        };
        child<QLineEdit>(&group, "providerNameEdit")->setText(QStringLiteral("up"));
        answer(QMessageBox::No);
        child<QPushButton>(&group, "removeProviderButton")->click();
        QCOMPARE(asked, QStringLiteral("removeProviderQuestion"));
        QVERIFY(group.rowOf(QStringLiteral("up")) >= 0);
        QVERIFY(app::ProviderKeyStore(relayDir.path()).load(QStringLiteral("up")).ok()); // No keeps the key too
        asked.clear();
        answer(QMessageBox::Yes);
        child<QPushButton>(&group, "removeProviderButton")->click();
        QCOMPARE(asked, QStringLiteral("removeProviderQuestion"));
        QVERIFY2(label->text().startsWith(QStringLiteral("Removed up")), qPrintable(label->text()));
        QCOMPARE(group.rowOf(QStringLiteral("up")), -1);
        QVERIFY(!app::ProviderKeyStore(relayDir.path()).load(QStringLiteral("up")).ok());
        QVERIFY(!QFile::exists(providerKeyPath(relayDir.path(), QStringLiteral("up"))));
        auto after = ServerConfig::readOrDefaults(relayDir.path());
        QVERIFY(after.ok());
        QVERIFY(after->providers.empty());
        QFile confAfter(relayDir.filePath(QStringLiteral("server.conf")));
        QVERIFY(confAfter.open(QIODevice::ReadOnly));
        const QByteArray textAfter = confAfter.readAll();
        QVERIFY(!textAfter.contains("[provider.up]") && textAfter.contains("[network]"));
        // A name with no section says so and asks nothing.
        child<QLineEdit>(&group, "providerNameEdit")->setText(QStringLiteral("up"));
        child<QPushButton>(&group, "removeProviderButton")->click();
        QVERIFY2(label->text().contains(QStringLiteral("There is no provider up")), qPrintable(label->text()));
    }
};

QTEST_MAIN(TestProvidersGroup)
#include "test_providers_group.moc"
