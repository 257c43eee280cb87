// screenshot_tour OUT_DIR: the desktop app as an operator sees it, for a person to look at (tests/gui/screenshots.sh
// runs it under Xvfb at 1280x800). For each language (en, zh_CN): a fresh config folder, the server started from the
// Server panel on the bundled demo model (or ../shared's stories260K), some data made through the same services the
// panels use (keys created, rotated and revoked; tokens issued; chat requests, so usage and logs have lines), then
// every panel shown and the window saved as OUT_DIR/<lang>-<panel>.png. Prints the panels the app does not have yet.
// Exit status: 0 when every existing panel was saved.
#include <QApplication>
#include <QDir>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

#include "app/audit_panel.h"
#include "app/dashboard_panel.h"
#include "app/i18n.h"
#include "app/keys_panel.h"
#include "app/log_panel.h"
#include "app/main_window.h"
#include "app/playground_panel.h"
#include "app/server_panel.h"
#include "app/backups_panel.h"
#include "app/certificates_panel.h"
#include "app/models_panel.h"
#include "app/network_panel.h"
#include "app/tokens_panel.h"
#include "core/log_buffer.h"
#include "http/server/smartbot_server.h"

using namespace smartbot;
using ModelState = service::InferenceWorker::ModelState;

namespace {

// The panels the desktop-app issue names, in its order; those the window does not have are reported, not faked.
const char *const kPanels[] = {"server", "network", "certificates", "keys",       "tokens", "models",
                               "logs",   "backups", "dashboard",    "playground", "audit"};

QWidget *panelFor(gui::MainWindow &w, const QString &name)
{
    const QHash<QString, QWidget *> panels = {
        {QStringLiteral("server"), w.serverPanel()},
        {QStringLiteral("keys"), w.keysPanel()},
        {QStringLiteral("tokens"), w.tokensPanel()},
        {QStringLiteral("logs"), w.logPanel()},
        {QStringLiteral("audit"), w.auditPanel()},
        {QStringLiteral("playground"), w.playgroundPanel()},
        {QStringLiteral("dashboard"), w.dashboardPanel()},
        {QStringLiteral("network"), w.networkPanel()},
        {QStringLiteral("certificates"), w.certificatesPanel()},
        {QStringLiteral("models"), w.modelsPanel()},
        {QStringLiteral("backups"), w.backupsPanel()},
    };
    return panels.value(name);
}

void chat(quint16 port, const QByteArray &credential, int n)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    for (int i = 0; i < n; ++i) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/chat").arg(port)));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        request.setRawHeader("Authorization", "Bearer " + credential);
        std::unique_ptr<QNetworkReply> reply(nam.post(request, R"({"message":"Once upon a time","max_tokens":24})"));
        QSignalSpy done(reply.get(), &QNetworkReply::finished);
        done.wait(20000);
    }
}

template <typename T> T *child(QWidget *root, const char *name)
{
    return root->findChild<T *>(QLatin1String(name));
}

// Data for the panels, made by clicking them as an operator would.
void makeData(gui::MainWindow &w)
{
    QWidget *keys = w.keysPanel();
    for (const char *name : {"mobile app", "website", "nightly batch"}) {
        child<QLineEdit>(keys, "keyNameEdit")->setText(QString::fromUtf8(name));
        child<QPushButton>(keys, "createKeyButton")->click();
    }
    const QByteArray key = child<QLineEdit>(keys, "newKeyEdit")->text().toLatin1();
    auto *table = child<QTableWidget>(keys, "keysTable");
    table->selectRow(1);
    child<QPushButton>(keys, "rotateKeyButton")->click();
    table->selectRow(0);
    child<QPushButton>(keys, "revokeKeyButton")->click();
    // An upstream provider saved in the Keys panel (not reached: the tour makes no request to it).
    child<QLineEdit>(keys, "providerNameEdit")->setText(QStringLiteral("openai"));
    child<QLineEdit>(keys, "providerUrlEdit")->setText(QStringLiteral("https://api.openai.com/v1"));
    child<QLineEdit>(keys, "providerModelsEdit")->setText(QStringLiteral("gpt-4o-mini, gpt-4o"));
    child<QLineEdit>(keys, "providerKeyEdit")->setText(QStringLiteral("sk-tour-not-a-real-key"));
    child<QPushButton>(keys, "saveProviderButton")->click();

    QWidget *tokens = w.tokensPanel();
    for (const char *user : {"bob", "alice"}) {
        child<QLineEdit>(tokens, "tokenUserEdit")->setText(QString::fromUtf8(user));
        child<QPushButton>(tokens, "issueTokenButton")->click();
    }
    const QByteArray token = child<QLineEdit>(tokens, "newTokenEdit")->text().toLatin1();
    chat(w.server()->port(), key, 3);
    chat(w.server()->port(), token, 2);

    // A saved allow list (marked: the running server uses it after a restart) and an edit not saved yet.
    gui::NetworkPanel *network = w.networkPanel();
    network->field(QStringLiteral("network"), QStringLiteral("allow"))
        ->setText(QStringLiteral("127.0.0.1, 192.168.1.0/24"));
    network->save();
    QLineEdit *rpm = network->field(QStringLiteral("limits"), QStringLiteral("requests_per_minute"));
    rpm->setText(QStringLiteral("60"));
    Q_EMIT rpm->textEdited(rpm->text());

    // Two backups (one with the key files sealed), made in the Backups panel.
    gui::BackupsPanel *backups = w.backupsPanel();
    for (const char *passphrase : {"", "correct horse battery staple"}) {
        child<QLineEdit>(backups, "backupPassphraseEdit")->setText(QString::fromUtf8(passphrase));
        QSignalSpy made(backups, &gui::BackupsPanel::finished);
        backups->createBackup();
        made.wait(30000);
    }
    child<QTableWidget>(backups, "backupsTable")->selectRow(0);

    // A self-signed certificate generated for this machine (not saved: the tour's server stays on plain HTTP).
    w.certificatesPanel()->generate();

    gui::PlaygroundPanel *playground = w.playgroundPanel();
    child<QPlainTextEdit>(playground, "playgroundMessage")->setPlainText(QStringLiteral("Once upon a time"));
    QSignalSpy done(playground, &gui::PlaygroundPanel::finished);
    playground->send();
    done.wait(30000);
}

bool tour(const QString &lang, const QString &outDir, const QString &model)
{
    gui::installTranslations(lang);
    QTemporaryDir config;
    gui::MainWindow w;
    w.resize(1280, 800);
    w.show();
    gui::ServerPanel *server = w.serverPanel();
    server->setConfigDir(config.path());
    server->setModelDir(model);
    server->setPort(0);
    server->setBindAddress(QStringLiteral("127.0.0.1"));
    if (!server->startServer()) {
        std::fprintf(stderr, "screenshot_tour: the server did not start\n");
        return false;
    }
    if (!QTest::qWaitFor([&] { return w.server()->modelState() == ModelState::Ready; }, 60000)) {
        std::fprintf(stderr, "screenshot_tour: the model did not load\n");
        return false;
    }
    makeData(w);
    bool ok = true;
    QStringList missing;
    for (const char *name : kPanels) {
        QWidget *panel = panelFor(w, QLatin1String(name));
        if (!panel) {
            missing << QLatin1String(name);
            continue;
        }
        w.showPanel(w.panelIndex(panel));
        QTest::qWait(200); // layouts settle, tables fill
        const QString path = QDir(outDir).filePath(QStringLiteral("%1-%2.png").arg(lang, QLatin1String(name)));
        if (!w.grab().save(path)) {
            std::fprintf(stderr, "screenshot_tour: cannot save %s\n", qPrintable(path));
            ok = false;
        } else {
            std::printf("%s\n", qPrintable(path));
        }
    }
    if (!missing.isEmpty())
        std::printf("not in the app yet (%s): %s\n", qPrintable(lang), qPrintable(missing.join(QStringLiteral(", "))));
    w.server()->stop();
    return ok;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("SmartBot"));
    QCoreApplication::setApplicationName(QStringLiteral("smartbot-screenshots"));
    LogBuffer::instance().install(false);
    if (argc < 2) {
        std::fprintf(stderr, "usage: screenshot_tour OUT_DIR [MODEL_DIR]\n");
        return 2;
    }
    const QString outDir = QString::fromLocal8Bit(argv[1]);
    if (!QDir().mkpath(outDir)) {
        std::fprintf(stderr, "screenshot_tour: cannot create %s\n", argv[1]);
        return 1;
    }
    const QString model = argc > 2 ? QString::fromLocal8Bit(argv[2]) : QString(); // empty: the bundled demo model
    bool ok = true;
    for (const char *lang : {"en", "zh_CN"})
        ok = tour(QLatin1String(lang), outDir, model) && ok;
    return ok ? 0 : 1;
}
