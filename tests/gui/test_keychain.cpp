// KeychainStore against a real Secret Service (gnome-keyring in a private D-Bus session; see run_with_keyring.sh):
// write, read back, overwrite, remove, missing entries, separate services; and the GUI's server taking its admin
// key and JWT secret from the keychain (no key files). Skips when no keychain is reachable.
#include <QClipboard>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "app/keychain_store.h"
#include "app/main_window.h"
#include "app/server_panel.h"
#include "http/server/smartbot_server.h"

using smartbot::app::KeychainStore;
using smartbot::gui::MainWindow;

namespace {

const QString kModelDir = QStringLiteral(SMARTBOT_SHARED_DIR "/models/stories260K");

struct Reply {
    int status = 0;
    QJsonObject json;
};

Reply postJson(const QUrl &url, const QJsonObject &body, const QByteArray &header, const QByteArray &value)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(url);
    request.setTransferTimeout(30000);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    request.setRawHeader(header, value);
    std::unique_ptr<QNetworkReply> reply(nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact)));
    QSignalSpy done(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished())
        done.wait(35000);
    Reply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.json = QJsonDocument::fromJson(reply->readAll()).object();
    return r;
}

} // namespace

class TestKeychain : public QObject {
    Q_OBJECT
    const KeychainStore store{KeychainStore::serviceFor(
        QStringLiteral("/tmp/smartbot-keychain-test-%1").arg(QCoreApplication::applicationPid()))};

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // keep QSettings out of the user's ~/.config
        auto probe = store.write(QStringLiteral("probe"), "x");
        if (!probe.ok())
            QSKIP(qPrintable(QStringLiteral("no keychain reachable (%1): run under dbus-run-session with gnome-keyring")
                                 .arg(QString::fromStdString(probe.error()))));
        QVERIFY(store.remove(QStringLiteral("probe")).ok());
    }

    void roundTrip()
    {
        const QByteArray secret = QByteArray("sbadmin_") + QByteArray(40, 'z') + QByteArray("\x00\xff", 2);
        QVERIFY(store.write(KeychainStore::kAdminKey, secret).ok());
        auto back = store.read(KeychainStore::kAdminKey);
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().c_str());
        QCOMPARE(back.value(), secret);
        QVERIFY(store.write(KeychainStore::kAdminKey, "second").ok());
        QCOMPARE(store.read(KeychainStore::kAdminKey).value(), QByteArray("second"));
    }

    void separateServices()
    {
        const KeychainStore other(KeychainStore::serviceFor(QStringLiteral("/tmp/another-config")));
        QVERIFY(store.write(KeychainStore::kJwtSecret, "jwt-one").ok());
        auto missing = other.read(KeychainStore::kJwtSecret);
        QVERIFY(!missing.ok());
        QVERIFY(QString::fromStdString(missing.error()).contains("not found"));
    }

    void removeAndMissing()
    {
        QVERIFY(store.remove(KeychainStore::kAdminKey).ok());
        QVERIFY(store.remove(KeychainStore::kJwtSecret).ok());
        auto r = store.read(KeychainStore::kAdminKey);
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error()).contains("not found"));
        QVERIFY(store.remove(KeychainStore::kAdminKey).ok()); // removing twice is fine
    }

    // The GUI's Start: admin key and JWT secret come from the keychain (created there on first start), never files.
    void guiServerUsesKeychain()
    {
        if (!QFileInfo::exists(kModelDir + QStringLiteral("/config.json")))
            QSKIP(qPrintable(QStringLiteral("test model missing: %1 (see shared/models)").arg(kModelDir)));
        QTemporaryDir config;
        QVERIFY(config.isValid());
        const KeychainStore gui(KeychainStore::serviceFor(config.path()));
        QVERIFY(!gui.read(KeychainStore::kAdminKey).ok());

        MainWindow w;
        w.show();
        auto *button = w.findChild<QPushButton *>(QStringLiteral("startStopButton"));
        auto *copy = w.findChild<QPushButton *>(QStringLiteral("copyAdminKeyButton"));
        QVERIFY(button && copy);
        QVERIFY(!copy->isEnabled());
        w.findChild<QLineEdit *>(QStringLiteral("configDirEdit"))->setText(config.path());
        w.findChild<QLineEdit *>(QStringLiteral("modelDirEdit"))->setText(kModelDir);
        w.serverPanel()->setBindAddress(QStringLiteral("127.0.0.1"));
        w.serverPanel()->setPort(0);

        QByteArray adminKey;
        for (int round = 0; round < 2; ++round) {
            QTest::mouseClick(button, Qt::LeftButton);
            QTRY_VERIFY(w.server()->isRunning());
            QTRY_VERIFY_WITH_TIMEOUT(w.server()->modelState() == smartbot::service::InferenceWorker::ModelState::Ready,
                                     60000);

            // No key files; both secrets in the keychain.
            QVERIFY(!QFileInfo::exists(QDir(config.path()).filePath(QStringLiteral("admin.key"))));
            QVERIFY(!QFileInfo::exists(QDir(config.path()).filePath(QStringLiteral("auth/secret.key"))));
            auto admin = gui.read(KeychainStore::kAdminKey);
            QVERIFY2(admin.ok(), admin.ok() ? "" : admin.error().c_str());
            auto jwt = gui.read(KeychainStore::kJwtSecret);
            QVERIFY2(jwt.ok(), jwt.ok() ? "" : jwt.error().c_str());
            QVERIFY(admin.value().startsWith("sbadmin_"));
            QVERIFY(admin.value().size() >= 40);
            QCOMPARE(jwt.value().size(), 32);
            if (round == 0)
                adminKey = admin.value();
            else
                QCOMPARE(admin.value(), adminKey); // read back from the keychain, not regenerated

            // "Copy admin key" puts the keychain's key on the clipboard.
            QVERIFY(copy->isEnabled());
            QTest::mouseClick(copy, Qt::LeftButton);
            QCOMPARE(QGuiApplication::clipboard()->text(), QString::fromUtf8(adminKey));

            const QString base = w.server()->url().toString();
            const Reply wrong = postJson(QUrl(base + QStringLiteral("/admin/token")),
                                         {{QStringLiteral("username"), QStringLiteral("alice")}}, "X-API-Key",
                                         "sbadmin_wrong_wrong_wrong_wrong");
            QCOMPARE(wrong.status, 401);
            const Reply token =
                postJson(QUrl(base + QStringLiteral("/admin/token")),
                         {{QStringLiteral("username"), QStringLiteral("alice")}}, "X-API-Key", adminKey);
            QCOMPARE(token.status, 200);
            const QByteArray jwtToken = token.json.value(QStringLiteral("token")).toString().toLatin1();
            QCOMPARE(jwtToken.count('.'), 2);
            const Reply chat = postJson(
                QUrl(base + QStringLiteral("/api/v1/chat")),
                {{QStringLiteral("message"), QStringLiteral("Once upon a time")}, {QStringLiteral("max_tokens"), 4}},
                "Authorization", "Bearer " + jwtToken);
            QCOMPARE(chat.status, 200);
            QVERIFY(!chat.json.value(QStringLiteral("reply")).toString().isEmpty());

            QTest::mouseClick(button, Qt::LeftButton);
            QTRY_VERIFY(!w.server()->isRunning());
            QVERIFY(!copy->isEnabled());
        }
        QVERIFY(!QFileInfo::exists(QDir(config.path()).filePath(QStringLiteral("admin.key"))));
        QVERIFY(!QFileInfo::exists(QDir(config.path()).filePath(QStringLiteral("auth/secret.key"))));
        QVERIFY(gui.remove(KeychainStore::kAdminKey).ok());
        QVERIFY(gui.remove(KeychainStore::kJwtSecret).ok());
    }
};

QTEST_MAIN(TestKeychain)
#include "test_keychain.moc"
