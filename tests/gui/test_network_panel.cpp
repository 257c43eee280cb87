// NetworkPanel, offscreen, on a real config folder and the real in-process server: every keystroke is checked by the
// start-up check (its message names the field, which is marked, and Save waits); Save edits server.conf in place
// (comments kept, an edit made meanwhile in an editor kept, mode 0600); saved values are marked until the server
// restarts, and after Restart the server enforces them (413 for a body over the new limit, 403 outside the new
// allow list).
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QtTest>

#include <sys/stat.h>

#include "app/network_panel.h"
#include "core/demo_model.h"
#include "core/server_config.h"
#include "gui_testing.h"

using smartbot::gui::NetworkPanel;
using namespace smartbot::testsupport;

namespace {
QString confText(const QTemporaryDir &dir)
{
    QFile f(dir.filePath(QStringLiteral("server.conf")));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}
// Types into a field as a person does (textEdited fires).
void typeInto(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}
} // namespace

class TestNetworkPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void validatesAsYouType_data()
    {
        QTest::addColumn<QString>("section");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("port") << "network"
                              << "port"
                              << "70000"
                              << "[network] port = '70000'";
        QTest::newRow("port text") << "network"
                                   << "port"
                                   << "http"
                                   << "[network] port";
        QTest::newRow("bind") << "network"
                              << "bind_address"
                              << "my-host"
                              << "[network] bind_address";
        QTest::newRow("allow") << "network"
                               << "allow"
                               << "10.0.0.0/8, nonsense"
                               << "[network] allow: ";
        QTest::newRow("proxies") << "network"
                                 << "trusted_proxies"
                                 << "1.2.3.4/33"
                                 << "[network] trusted_proxies";
        QTest::newRow("cors") << "network"
                              << "cors_origins"
                              << "https://a.example/path"
                              << "[network] cors_origins: 'https://a.example/path'";
        QTest::newRow("body") << "network"
                              << "max_body_bytes"
                              << "10"
                              << "[network] max_body_bytes";
        QTest::newRow("queue") << "limits"
                               << "max_queue"
                               << "0"
                               << "[limits] max_queue";
        QTest::newRow("rpm") << "limits"
                             << "requests_per_minute"
                             << "-1"
                             << "[limits] requests_per_minute";
    }
    void validatesAsYouType()
    {
        QFETCH(QString, section);
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, message);
        QTemporaryDir dir;
        smartbot::http::SmartbotServer server;
        NetworkPanel panel(&server);
        panel.setConfigDir(dir.path());
        panel.show();
        auto *save = child<QPushButton>(&panel, "networkSaveButton");
        QVERIFY(panel.errorText().isEmpty());
        QVERIFY(!save->isEnabled()); // nothing changed yet

        QLineEdit *edit = panel.field(section, key);
        QVERIFY(edit);
        const QString good = edit->text();
        typeInto(edit, value);
        QVERIFY2(panel.errorText().contains(message), qPrintable(panel.errorText()));
        QCOMPARE(child<QLabel>(&panel, "networkMessage")->text(), panel.errorText());
        QVERIFY(!edit->styleSheet().isEmpty()); // the field named is marked
        QVERIFY(!save->isEnabled());
        QVERIFY(!panel.save());
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("server.conf")))); // nothing written

        typeInto(edit, good); // back to what it was (empty included)
        QVERIFY2(panel.errorText().isEmpty(), qPrintable(panel.errorText()));
        QVERIFY(edit->styleSheet().isEmpty());
    }

    void savesInPlaceKeepingComments()
    {
        QTemporaryDir dir;
        QVERIFY(smartbot::ServerConfig::loadOrCreate(dir.path()).ok());
        const QString before = confText(dir);
        smartbot::http::SmartbotServer server;
        NetworkPanel panel(&server);
        panel.setConfigDir(dir.path());
        QCOMPARE(panel.field("network", "port")->text(), QStringLiteral("18789"));

        typeInto(panel.field("network", "max_body_bytes"), QStringLiteral("4096"));
        // Meanwhile someone edits server.conf in a text editor: their change survives the save.
        {
            QFile f(dir.filePath(QStringLiteral("server.conf")));
            QVERIFY(f.open(QIODevice::Append));
            f.write("; a note added by hand\n");
        }
        auto *save = child<QPushButton>(&panel, "networkSaveButton");
        QVERIFY(save->isEnabled());
        save->click();
        const QString after = confText(dir);
        QVERIFY(after.contains(QStringLiteral("\nmax_body_bytes = 4096\n")));
        QVERIFY(after.contains(QStringLiteral("; a note added by hand")));
        QString expected = before;
        expected.replace(QStringLiteral("max_body_bytes = 1048576"), QStringLiteral("max_body_bytes = 4096"));
        QCOMPARE(after, expected + QStringLiteral("; a note added by hand\n")); // nothing else moved
        struct stat st {};
        QCOMPARE(::stat(QFile::encodeName(dir.filePath(QStringLiteral("server.conf"))).constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);
        QVERIFY(!save->isEnabled());
        QCOMPARE(smartbot::ServerConfig::loadOrCreate(dir.path())->maxBodyBytes, qint64(4096));
    }

    void savedValuesTakeEffectAfterRestart()
    {
        QTemporaryDir dir;
        smartbot::http::SmartbotServer server;
        smartbot::http::ServerOverrides o;
        o.modelPath = QLatin1String(smartbot::kNoModel); // the limits are checked before any model is needed
        o.port = 0;
        o.bindAddress = QStringLiteral("127.0.0.1");
        NetworkPanel panel(&server);
        panel.setConfigDir(dir.path());
        panel.show();
        QVERIFY(server.start(dir.path(), o).ok());
        connect(&panel, &NetworkPanel::restartRequested, this, [&] {
            server.stop();
            QVERIFY(server.start(dir.path(), o).ok());
        });
        const QByteArray big(5000, 'x');
        QVERIFY(postJson(server.port(), "/api/v1/chat", big, "Authorization", "Bearer x").status != 413);

        auto *restart = child<QPushButton>(&panel, "networkRestartButton");
        QVERIFY(restart->isHidden());
        typeInto(panel.field("network", "max_body_bytes"), QStringLiteral("4096"));
        QVERIFY(panel.save());
        QVERIFY(!restart->isHidden()); // saved, not yet in use
        auto *form = panel.field("network", "max_body_bytes")->parentWidget();
        bool marked = false;
        for (QLabel *label : form->findChildren<QLabel *>())
            marked = marked || label->text().endsWith(QStringLiteral(" *"));
        QVERIFY(marked);
        QVERIFY(postJson(server.port(), "/api/v1/chat", big, "Authorization", "Bearer x").status != 413);

        restart->click();
        QVERIFY(server.isRunning());
        QTRY_VERIFY(restart->isHidden());
        QCOMPARE(postJson(server.port(), "/api/v1/chat", big, "Authorization", "Bearer x").status, 413);

        typeInto(panel.field("network", "allow"), QStringLiteral("10.9.9.9"));
        QVERIFY(panel.save());
        restart->click();
        QCOMPARE(postJson(server.port(), "/api/v1/chat", "{}", "Authorization", "Bearer x").status, 403);
        server.stop();
    }
};

QTEST_MAIN(TestNetworkPanel)
#include "test_network_panel.moc"
