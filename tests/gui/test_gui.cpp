// GUI tests: drive the real MainWindow (offscreen) against the in-process server and a tiny model.
#include <QCheckBox>
#include <QClipboard>
#include <QGuiApplication>
#include <QHostAddress>
#include <QFileInfo>
#include <QAction>
#include <QApplication>
#include <QTimer>
#include <QStatusBar>
#include <QMessageBox>
#include <QFontDatabase>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QDialog>
#include <QTextBrowser>
#include <QtTest>

#include "app/i18n.h"
#include "app/keys_panel.h"
#include "app/log_panel.h"
#include "app/main_window.h"
#include "app/usage_help.h"
#include "app/server_panel.h"
#include "app/tokens_panel.h"
#include "core/log_buffer.h"
#include "http/server/smartbot_server.h"
#include "gui_testing.h"
#include "require_data.h"
#include "screenshot.h"

using smartbot::gui::MainWindow;
using smartbot::gui::ServerPanel;
using smartbot::testsupport::child;
using smartbot::testsupport::saveScreenshot;
using ModelState = smartbot::service::InferenceWorker::ModelState;

namespace {

const QString kModelDir = smartbot::testsupport::kStoriesModel;

struct HttpResult {
    bool finished = false;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    int status = 0;
    QByteArray body;
};

HttpResult httpGet(const QUrl &url)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(url);
    request.setTransferTimeout(10000);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    QSignalSpy done(reply.get(), &QNetworkReply::finished);
    HttpResult r;
    r.finished = done.wait(15000) || reply->isFinished();
    r.error = reply->error();
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    return r;
}

} // namespace

class TestGui : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // keep QSettings out of the user's ~/.config
        smartbot::LogBuffer::instance().install(true);
        QVERIFY(smartbot::gui::installTranslations(QStringLiteral("en")) == false); // English: the source texts
    }

    void windowLayout()
    {
        MainWindow w;
        QCOMPARE(w.windowTitle(), QStringLiteral("SmartBot"));
        auto *button = child<QPushButton>(&w, "startStopButton");
        QVERIFY(button);
        QCOMPARE(button->text(), QStringLiteral("Start server"));
        QVERIFY(child<QLabel>(&w, "statusLabel"));
        QCOMPARE(child<QLabel>(&w, "statusLabel")->text(), QStringLiteral("Stopped"));
        QVERIFY(child<QLabel>(&w, "urlLabel"));
        QVERIFY(child<QLabel>(&w, "modelLabel"));
        QVERIFY(child<QLineEdit>(&w, "configDirEdit"));
        QVERIFY(child<QLineEdit>(&w, "modelDirEdit"));
        auto *copy = child<QPushButton>(&w, "copyAdminKeyButton");
        QVERIFY(copy);
        QCOMPARE(copy->text(), QStringLiteral("Copy admin key"));
        QVERIFY(!copy->isEnabled()); // nothing to copy while stopped
        auto *spin = child<QSpinBox>(&w, "portSpin");
        QVERIFY(spin);
        QCOMPARE(spin->minimum(), 0);
        QCOMPARE(spin->maximum(), 65535);
        QStringList labels;
        for (const QLabel *l : w.serverPanel()->findChildren<QLabel *>())
            labels << l->text();
        for (const char *text :
             {"Status:", "Address:", "Model:", "Keys:", "Port:", "Bind address:", "Config folder:", "Model folder:"})
            QVERIFY2(labels.contains(QLatin1String(text)), text);
        auto *log = w.logPanel()->view();
        QVERIFY(log->isReadOnly());
        qInfo("a line for the log panel");
        QTRY_VERIFY(log->toPlainText().contains(QStringLiteral("a line for the log panel")));
        // A long line does not leave the view scrolled sideways: lines are read from their start.
        // (Measured: it opened scrolled to the end of the last line when lines came while another panel showed.)
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        qInfo("%s", QByteArray(2000, 'x').constData());
        QTRY_VERIFY(log->toPlainText().contains(QString(2000, QLatin1Char('x'))));
        w.showPanel(w.panelIndex(w.logPanel()));
        QTest::qWait(50);
        QVERIFY(log->horizontalScrollBar()->maximum() > 0);
        QCOMPARE(log->horizontalScrollBar()->value(), 0);
        qInfo("%s", QByteArray(3000, 'y').constData()); // and while it shows
        QTRY_VERIFY(log->toPlainText().contains(QString(3000, QLatin1Char('y'))));
        QCOMPARE(log->horizontalScrollBar()->value(), 0);
    }

    void startStopWithModel()
    {
        if (!QFileInfo::exists(kModelDir + QStringLiteral("/config.json")))
            QSKIP(qPrintable(QStringLiteral("test model missing: %1 (see shared/models)").arg(kModelDir)));
        QTemporaryDir config;
        QVERIFY(config.isValid());

        MainWindow w;
        w.show();
        ServerPanel *panel = w.serverPanel();
        auto *button = child<QPushButton>(&w, "startStopButton");
        auto *status = child<QLabel>(&w, "statusLabel");
        auto *url = child<QLabel>(&w, "urlLabel");
        auto *model = child<QLabel>(&w, "modelLabel");
        auto *spin = child<QSpinBox>(&w, "portSpin");
        auto *bind = child<QLineEdit>(&w, "bindEdit");
        QVERIFY(button && status && url && model && spin && bind);

        child<QLineEdit>(&w, "configDirEdit")->setText(config.path());
        child<QLineEdit>(&w, "modelDirEdit")->setText(kModelDir);
        child<QCheckBox>(&w, "overrideNetworkCheck")->setChecked(true);
        spin->setValue(0);
        bind->setText(QStringLiteral("127.0.0.1"));

        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY(w.server()->isRunning());
        QCOMPARE(status->text(), QStringLiteral("Running for 0 min; 0 request(s) in flight"));
        QCOMPARE(button->text(), QStringLiteral("Stop server"));
        QVERIFY(!spin->isEnabled());
        QVERIFY(!bind->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(
            w.server()->modelState() != ModelState::Loading && w.server()->modelState() != ModelState::None, 60000);
        QCOMPARE(int(w.server()->modelState()), int(ModelState::Ready));
        // The label follows the server's (queued) modelStateChanged.
        QTRY_COMPARE(model->text(), QStringLiteral("stories260K: Ready"));
        saveScreenshot(&w, QStringLiteral("server_running"));

        const int port = spin->value();
        QVERIFY(port > 0);
        QCOMPARE(port, int(w.server()->port()));
        const QString base = QStringLiteral("http://127.0.0.1:%1").arg(port);
        QVERIFY2(url->text().contains(base), qPrintable(url->text()));
        QVERIFY(panel->summary().contains(base));

        const HttpResult ok = httpGet(QUrl(base + QStringLiteral("/healthz")));
        QVERIFY(ok.finished);
        QCOMPARE(ok.error, QNetworkReply::NoError);
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.body.trimmed(), QByteArray(R"({"database":"ok","status":"ok"})"));

        // The fields were saved when the server started (0 = any port, as asked).
        QSettings settings(QStringLiteral("SmartBot"), QStringLiteral("smartbot"));
        QCOMPARE(settings.value(QStringLiteral("server/configDir")).toString(), config.path());
        QCOMPARE(settings.value(QStringLiteral("server/port")).toInt(), 0);

        // Copying the address puts it on the clipboard and says so.
        QTest::mouseClick(child<QPushButton>(&w, "copyUrlButton"), Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), base);
        QVERIFY(w.statusBar()->currentMessage().startsWith(QStringLiteral("Address ")));

        // Copying the admin key says so in the status bar.
        QTest::mouseClick(child<QPushButton>(&w, "copyAdminKeyButton"), Qt::LeftButton);
        QCOMPARE(w.statusBar()->currentMessage(), QStringLiteral("Admin key copied to the clipboard"));

        // Closing the window while the server runs asks; Cancel keeps both.
        const auto answerClose = [](const char *buttonName) {
            QTimer::singleShot(0, [buttonName] {
                QTRY_VERIFY(qobject_cast<QMessageBox *>(QApplication::activeModalWidget()));
                auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
                QCOMPARE(box->objectName(), QStringLiteral("closeQuestion"));
                auto *choice = box->findChild<QPushButton *>(QLatin1String(buttonName));
                QVERIFY2(choice, buttonName);
                choice->click();
            });
        };
        answerClose("cancelCloseButton");
        QVERIFY(!w.close());
        QVERIFY(w.isVisible());
        QVERIFY(w.server()->isRunning());

        // Restart keeps it serving (a new listener, the same settings); Drain stops it gracefully.
        QTest::mouseClick(child<QPushButton>(&w, "restartButton"), Qt::LeftButton);
        QTRY_VERIFY(w.server()->isRunning());
        QTest::mouseClick(child<QPushButton>(&w, "drainButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!w.server()->isRunning(), 10000);
        QTRY_VERIFY(w.statusBar()->currentMessage().startsWith(QStringLiteral("Drained")));
        QCOMPARE(status->text(), QStringLiteral("Stopped"));
        QCOMPARE(button->text(), QStringLiteral("Start server"));
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY(w.server()->isRunning());

        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY(!w.server()->isRunning());
        QCOMPARE(status->text(), QStringLiteral("Stopped"));
        QCOMPARE(button->text(), QStringLiteral("Start server"));
        QVERIFY(spin->isEnabled());
        QVERIFY(bind->isEnabled());
        QCOMPARE(spin->value(), 0); // back to "any free port"

        const HttpResult refused = httpGet(QUrl(base + QStringLiteral("/healthz")));
        QVERIFY(refused.finished);
        QCOMPARE(refused.error, QNetworkReply::ConnectionRefusedError);
    }

    // server.conf decides where the server listens; the panel's port and address replace it only when asked to.
    void serverConfDecidesUnlessOverridden()
    {
        QTemporaryDir config;
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 confPort = probe.serverPort();
        probe.close();
        QFile conf(config.filePath(QStringLiteral("server.conf")));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral("[network]\nport = %1\nbind_address = 127.0.0.1\n[model]\npath = none\n")
                       .arg(confPort)
                       .toLatin1());
        conf.close();
        QVERIFY(conf.setPermissions(QFile::ReadOwner | QFile::WriteOwner));

        MainWindow w;
        w.show();
        auto *check = child<QCheckBox>(&w, "overrideNetworkCheck");
        auto *spin = child<QSpinBox>(&w, "portSpin");
        child<QLineEdit>(&w, "configDirEdit")->setText(config.path());
        check->setChecked(false);
        QVERIFY(!spin->isEnabled()); // greyed: server.conf's value applies
        spin->setValue(18789);
        QTest::mouseClick(child<QPushButton>(&w, "startStopButton"), Qt::LeftButton);
        QTRY_VERIFY(w.server()->isRunning());
        QCOMPARE(w.server()->port(), confPort);
        QCOMPARE(spin->value(), int(confPort)); // the panel shows what is in effect
        QVERIFY(!check->isEnabled());
        QTest::mouseClick(child<QPushButton>(&w, "startStopButton"), Qt::LeftButton);
        QTRY_VERIFY(!w.server()->isRunning());
        QVERIFY(check->isEnabled());
        QSettings settings(QStringLiteral("SmartBot"), QStringLiteral("smartbot"));
        QCOMPARE(settings.value(QStringLiteral("server/overrideNetwork")).toBool(), false);
    }

    // One app per config folder: a second window cannot start a server on a folder the first one serves.
    void oneWindowPerConfigFolder()
    {
        QTemporaryDir config;
        MainWindow first, second;
        for (MainWindow *w : {&first, &second}) {
            child<QLineEdit>(w, "configDirEdit")->setText(config.path());
            child<QLineEdit>(w, "modelDirEdit")->setText(QStringLiteral("none"));
            w->serverPanel()->setBindAddress(QStringLiteral("127.0.0.1"));
            w->serverPanel()->setPort(0);
        }
        QVERIFY(first.serverPanel()->startServer());
        QVERIFY(!second.serverPanel()->startServer());
        const QString status = child<QLabel>(&second, "statusLabel")->text();
        QVERIFY2(status.contains(QStringLiteral("already runs the config folder")), qPrintable(status));
        first.serverPanel()->stopServer();
        QVERIFY(second.serverPanel()->startServer()); // free again once the first stopped
        second.serverPanel()->stopServer();
    }

    void closeWhileRunningStopsOnlyWhenAsked()
    {
        REQUIRE_DATA(kModelDir + "/config.json");
        QTemporaryDir config;
        MainWindow w;
        w.show();
        child<QLineEdit>(&w, "configDirEdit")->setText(config.path());
        child<QLineEdit>(&w, "modelDirEdit")->setText(kModelDir);
        w.serverPanel()->setPort(0);
        QTest::mouseClick(child<QPushButton>(&w, "startStopButton"), Qt::LeftButton);
        QTRY_VERIFY(w.server()->isRunning());
        QTimer::singleShot(0, [] {
            QTRY_VERIFY(qobject_cast<QMessageBox *>(QApplication::activeModalWidget()));
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            // No tray offscreen: only stop-and-quit and cancel are offered.
            QVERIFY(!box->findChild<QPushButton *>(QStringLiteral("keepRunningButton")));
            box->findChild<QPushButton *>(QStringLiteral("stopAndQuitButton"))->click();
        });
        QVERIFY(w.close());
        QVERIFY(!w.isVisible());
        QVERIFY(!w.server()->isRunning());
        // Stopped: closing asks nothing.
        w.show();
        QVERIFY(w.close());
    }

    void portInUseShowsError()
    {
        QTemporaryDir config;
        QVERIFY(config.isValid());
        QTcpServer blocker;
        QVERIFY(blocker.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        const int port = blocker.serverPort();

        MainWindow w;
        w.show();
        auto *button = child<QPushButton>(&w, "startStopButton");
        auto *status = child<QLabel>(&w, "statusLabel");
        auto *spin = child<QSpinBox>(&w, "portSpin");
        QVERIFY(button && status && spin);
        child<QLineEdit>(&w, "configDirEdit")->setText(config.path());
        child<QLineEdit>(&w, "modelDirEdit")->clear();
        child<QCheckBox>(&w, "overrideNetworkCheck")->setChecked(true);
        child<QLineEdit>(&w, "bindEdit")->setText(QStringLiteral("127.0.0.1"));
        spin->setValue(port);

        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(!w.server()->isRunning());
        QVERIFY2(status->text().startsWith(QStringLiteral("Failed to start")), qPrintable(status->text()));
        QVERIFY2(status->text().contains(QString::number(port)), qPrintable(status->text()));
        QVERIFY(status->styleSheet().contains(QStringLiteral("color")));
        QCOMPARE(button->text(), QStringLiteral("Start server"));
        QVERIFY(button->isEnabled());
        QVERIFY(spin->isEnabled());
        QCOMPARE(spin->value(), port);
        QTRY_VERIFY(w.logPanel()->view()->toPlainText().contains(QStringLiteral("cannot start the server")));
        saveScreenshot(&w, QStringLiteral("server_port_in_use"));
        w.showPanel(w.panelIndex(w.logPanel()));
        saveScreenshot(&w, QStringLiteral("logs"));
        w.showPanel(0);

        // A bad bind address is an error too, not a crash.
        child<QLineEdit>(&w, "bindEdit")->setText(QStringLiteral("not-an-address"));
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(!w.server()->isRunning());
        QVERIFY2(status->text().contains(QStringLiteral("not-an-address")), qPrintable(status->text()));
    }

    // Every string of the app is translated: lupdate (cmake --build build --target smartbot_gui_lupdate) leaves
    // no unfinished entry in the committed .ts file.
    // The menus: language switch at run time (remembered), About with the versions, Quit.
    void menus()
    {
        MainWindow w;
        w.show();
        auto *zh = w.findChild<QAction *>(QStringLiteral("languageZhAction"));
        auto *en = w.findChild<QAction *>(QStringLiteral("languageEnAction"));
        QVERIFY(zh && en && w.findChild<QAction *>(QStringLiteral("quitAction")));
        QVERIFY(en->isChecked());
        zh->trigger();
        QTRY_COMPARE(child<QPushButton>(&w, "startStopButton")->text(), QStringLiteral("启动服务器"));
        QVERIFY(zh->isChecked());
        QCOMPARE(QSettings().value(QStringLiteral("ui/language")).toString(), QStringLiteral("zh_CN"));
        en->trigger();
        QTRY_COMPARE(child<QPushButton>(&w, "startStopButton")->text(), QStringLiteral("Start server"));
        const QString about = w.aboutText();
        QVERIFY2(about.contains(QStringLiteral("Qt ") + QLatin1String(qVersion())), qPrintable(about));
        QVERIFY2(about.contains(QStringLiteral("libtorch 1.")), qPrintable(about));
        QVERIFY2(about.contains(QStringLiteral("CPU matmul kernel")), qPrintable(about));

        // Help > Usage: the README's usage section, bundled, in a window that does not block the app.
        auto *usage = w.findChild<QAction *>(QStringLiteral("usageAction"));
        QVERIFY(usage);
        usage->trigger();
        auto *dialog = w.findChild<QDialog *>(QStringLiteral("usageDialog"));
        QVERIFY(dialog && dialog->isVisible());
        const QString text = child<QTextBrowser>(dialog, "usageText")->toPlainText();
        QVERIFY2(text.startsWith(QStringLiteral("Using it")), qPrintable(text.left(80)));
        QVERIFY(text.contains(QStringLiteral("/admin/token")));
        QVERIFY(!text.contains(QStringLiteral("Credentials."))); // the next section (Security) is not shown
        usage->trigger();                                        // raised again, not opened twice
        QCOMPARE(w.findChildren<QDialog *>(QStringLiteral("usageDialog")).size(), 1);
        dialog->close();
    }

    // markdownSection: a section runs to the next heading of its level or higher; code blocks are not headings.
    void markdownSection_data()
    {
        QTest::addColumn<QString>("markdown");
        QTest::addColumn<QString>("section");
        QTest::newRow("to next") << "# T\n## A\na\n### A1\nx\n## B\nb"
                                 << "## A\na\n### A1\nx";
        QTest::newRow("code hash") << "## A\n```\n# not a heading\n```\n## B"
                                   << "## A\n```\n# not a heading\n```";
        QTest::newRow("last") << "## B\n## A\nend"
                              << "## A\nend";
        QTest::newRow("missing") << "## B\nb"
                                 << "";
    }
    void markdownSection()
    {
        QFETCH(QString, markdown);
        QFETCH(QString, section);
        QCOMPARE(smartbot::gui::markdownSection(markdown, QStringLiteral("## A")), section);
    }

    // Usable at 800x600: every panel fits (no widget pushed outside the window).
    void smallWindow()
    {
        MainWindow w;
        w.resize(800, 600);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(
            w.minimumSizeHint().width() <= 800 && w.minimumSizeHint().height() <= 600,
            qPrintable(QStringLiteral("%1x%2").arg(w.minimumSizeHint().width()).arg(w.minimumSizeHint().height())));
        QCOMPARE(w.size(), QSize(800, 600));
        for (QWidget *panel : {static_cast<QWidget *>(w.serverPanel()), static_cast<QWidget *>(w.tokensPanel()),
                               static_cast<QWidget *>(w.keysPanel())}) {
            w.showPanel(w.panelIndex(panel));
            saveScreenshot(&w, QStringLiteral("small_") + panel->objectName());
        }
    }

    void translationsComplete()
    {
        QFile ts(QStringLiteral(SMARTBOT_SOURCE_DIR "/translations/smartbot_zh_CN.ts"));
        QVERIFY2(ts.open(QIODevice::ReadOnly), qPrintable(ts.fileName()));
        const QByteArray text = ts.readAll();
        QVERIFY(text.contains("<translation>"));
        QCOMPARE(text.count("type=\"unfinished\""), 0);
    }

    void chineseTranslation()
    {
        QVERIFY(smartbot::gui::installTranslations(QStringLiteral("zh_CN")));
        // Qt's own strings (standard buttons) in Chinese too, and a font that can draw them (setup-debian.sh installs
        // qt6-translations-l10n and fonts-wqy-microhei).
        QCOMPARE(QCoreApplication::translate("QPlatformTheme", "Cancel"), QStringLiteral("取消"));
        QVERIFY2(!QFontDatabase::families(QFontDatabase::SimplifiedChinese).isEmpty(), "no font covers 简体中文");
        {
            MainWindow w;
            QCOMPARE(child<QPushButton>(&w, "startStopButton")->text(), QStringLiteral("启动服务器"));
            QCOMPARE(child<QLabel>(&w, "statusLabel")->text(), QStringLiteral("已停止"));
            w.show();
            saveScreenshot(&w, QStringLiteral("server_zh_CN"));
            // Switching back at run time retranslates the open window.
            smartbot::gui::installTranslations(QStringLiteral("en"));
            QTRY_COMPARE(child<QPushButton>(&w, "startStopButton")->text(), QStringLiteral("Start server"));
        }
    }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
