// TokensPanel, offscreen, driving its real widgets against the real in-process server with stories260K: a token
// issued in the panel chats over HTTP and is listed as valid; revoked in the panel, the next request gets 401; the
// curl command shown is one that works; a token issued over HTTP (POST /admin/token) is listed too; bad input is a
// status message; nothing stays on screen once the server stops.
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "app/tokens_panel.h"
#include "core/audit_log.h"
#include "http/auth/authenticator.h"
#include "core/log_buffer.h"
#include "http/server/smartbot_server.h"
#include "gui_testing.h"
#include "require_data.h"
#include "screenshot.h"

using smartbot::gui::TokensPanel;
using smartbot::http::SmartbotServer;
using ModelState = smartbot::service::InferenceWorker::ModelState;
using namespace smartbot::testsupport;

namespace {

int rowOfJti(QTableWidget *table, const QString &jti)
{
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, 5)->text() == jti)
            return r;
    return -1;
}

} // namespace

namespace {
QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
// The kid in a JWT's header.
QString kidOf(const QByteArray &jwt)
{
    const QByteArray header = QByteArray::fromBase64(jwt.split('.').value(0), QByteArray::Base64UrlEncoding);
    return QJsonDocument::fromJson(header).object().value(QStringLiteral("kid")).toString();
}
} // namespace

class TestTokensPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { smartbot::LogBuffer::instance().install(true); }

    void disabledWhileStopped()
    {
        SmartbotServer server;
        TokensPanel panel(&server);
        QVERIFY(!child<QPushButton>(&panel, "issueTokenButton")->isEnabled());
        QVERIFY(!child<QTableWidget>(&panel, "tokensTable")->isEnabled());
        QCOMPARE(child<QLabel>(&panel, "tokensNotice")->text(),
                 QStringLiteral("Start the server to issue and revoke tokens."));
    }

    void issueUseListRevoke()
    {
        REQUIRE_DATA(kStoriesModel + "/config.json");
        QTemporaryDir config;
        SmartbotServer server;
        TokensPanel panel(&server);
        panel.show();
        QSignalSpy messages(&panel, &TokensPanel::statusMessage);
        QVERIFY(startWithModel(server, config));

        auto *user = child<QLineEdit>(&panel, "tokenUserEdit");
        auto *issue = child<QPushButton>(&panel, "issueTokenButton");
        auto *token = child<QLineEdit>(&panel, "newTokenEdit");
        auto *curl = child<QPlainTextEdit>(&panel, "curlEdit");
        auto *table = child<QTableWidget>(&panel, "tokensTable");
        QVERIFY(issue->isEnabled());
        QCOMPARE(child<QSpinBox>(&panel, "tokenHoursSpin")->value(), 24);
        QCOMPARE(child<QSpinBox>(&panel, "tokenHoursSpin")->maximum(), server.config().maxTokenHours);

        // No username: refused with TokenService's reason.
        QTest::mouseClick(issue, Qt::LeftButton);
        QVERIFY(!messages.isEmpty());
        QVERIFY2(messages.last().first().toString().startsWith(QStringLiteral("Token not issued")),
                 qPrintable(messages.last().first().toString()));
        QVERIFY(!token->isVisible());

        // Issue: shown with a curl command; chats over HTTP; listed as valid for the user.
        user->setText(QStringLiteral("alice"));
        QTest::mouseClick(issue, Qt::LeftButton);
        QVERIFY(token->isVisible());
        const QString jwt = token->text();
        QCOMPARE(jwt.count(QLatin1Char('.')), 2);
        QVERIFY(curl->toPlainText().contains(jwt));
        QVERIFY(curl->toPlainText().contains(server.url().toString() + QStringLiteral("/api/v1/chat")));
        QCOMPARE(chatWith(server.port(), jwt.toLatin1()), 200);
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("alice"));
        QCOMPARE(table->item(0, 1)->text(), QStringLiteral("valid"));
        QVERIFY2(table->item(0, 4)->text().startsWith(QStringLiteral("gui (")), qPrintable(table->item(0, 4)->text()));
        const QString jti = table->item(0, 5)->text();
        QVERIFY(!jti.isEmpty());
        QTest::mouseClick(child<QPushButton>(&panel, "copyCurlButton"), Qt::LeftButton);
        QCOMPARE(messages.last().first().toString(), QStringLiteral("curl command copied to the clipboard"));

        // A token issued over HTTP is in the same ledger, issued by the admin key.
        const HttpReply http = postJson(server.port(), QStringLiteral("/admin/token"), R"({"username":"bob"})",
                                        "X-API-Key", adminKeyOf(config));
        QCOMPARE(http.status, 200);
        panel.refresh();
        QCOMPARE(table->rowCount(), 2);
        QStringList issuers;
        for (int r = 0; r < table->rowCount(); ++r)
            issuers << table->item(r, 0)->text() + QLatin1Char('=') + table->item(r, 4)->text();
        QVERIFY2(issuers.contains(QStringLiteral("bob=admin key")), qPrintable(issuers.join(',')));
        panel.resize(900, 600);
        smartbot::testsupport::saveScreenshot(&panel, QStringLiteral("tokens"));

        // Revoke alice's token in the panel: 401 from then on, and shown as revoked.
        const int row = rowOfJti(table, jti);
        QVERIFY(row >= 0);
        table->selectRow(row);
        QTest::mouseClick(child<QPushButton>(&panel, "revokeTokenButton"), Qt::LeftButton);
        QCOMPARE(chatWith(server.port(), jwt.toLatin1()), 401);
        QCOMPARE(table->item(rowOfJti(table, jti), 1)->text(), QStringLiteral("revoked"));

        // Rotate the signing key: bob's token (old key) still chats, a new one carries the new kid and chats too;
        // the key files rotated (the old key retired, not deleted); the rotation is audited.
        user->setText(QStringLiteral("bob"));
        QTest::mouseClick(issue, Qt::LeftButton);
        const QByteArray before = token->text().toLatin1();
        const QByteArray oldKey = readAll(config.filePath(QStringLiteral("auth/secret.key")));
        QVERIFY(child<QPushButton>(&panel, "rotateSecretButton")->isEnabled());
        QSignalSpy rotatedKey(&panel, &TokensPanel::signingSecretRotated);
        QVERIFY(panel.rotateSigningSecret(false));
        QCOMPARE(rotatedKey.size(), 0); // kept in files here: nothing for the keychain
        QVERIFY(readAll(config.filePath(QStringLiteral("auth/secret.key"))) != oldKey);
        QCOMPARE(QDir(config.filePath(QStringLiteral("auth"))).entryList({"retired-*.key"}, QDir::Files).size(), 1);
        QCOMPARE(chatWith(server.port(), before), 200);
        QTest::mouseClick(issue, Qt::LeftButton);
        const QByteArray after = token->text().toLatin1();
        QVERIFY(kidOf(after) != kidOf(before));
        QCOMPARE(chatWith(server.port(), after), 200);
        auto entries = server.authenticator()->auditLog().list(20);
        QVERIFY(entries.ok());
        QVERIFY(std::any_of(entries->begin(), entries->end(), [](const smartbot::AuditEntry &e) {
            return e.action == QStringLiteral("token.rotate_secret") && e.actor.startsWith(QStringLiteral("gui ("));
        }));

        // The token itself never reaches the log.
        QVERIFY(!smartbot::LogBuffer::instance().recent(1000).join('\n').contains(jwt));

        server.stop();
        QTRY_VERIFY(!issue->isEnabled());
        QVERIFY(token->text().isEmpty());
        QVERIFY(curl->toPlainText().isEmpty());
        QCOMPARE(table->rowCount(), 0);
    }
};

QTEST_MAIN(TestTokensPanel)
#include "test_tokens_panel.moc"
