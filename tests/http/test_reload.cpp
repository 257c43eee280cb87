// SIGHUP (systemctl reload smartbotd) against a real smartbotd over real sockets (SmartbotServer::reload):
// - the live settings of an edited server.conf take effect at once (table rows: the allow list, the reply length
//   limit, rate limits, token lifetime), while a change that needs a restart (the port) is named and left alone;
// - a server.conf that does not pass the start-up check changes nothing, and the server keeps serving;
// - a renewed TLS certificate is served to new connections; a certificate whose key does not match is refused
//   and the one in use stays.
#include <QProcess>
#include <QSslCertificate>
#include <QSslSocket>
#include <QtTest>

#include <csignal>
#include <sys/stat.h>

#include "daemon_process.h"

namespace {
using Headers = QList<QPair<QByteArray, QByteArray>>;
const QByteArray kAdminKey = "reload-test-admin-key-0123456789";

void writeFile(const QString &path, const QByteArray &data, int mode = 0600)
{
    QFile::remove(path);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
    f.close();
    ::chmod(QFile::encodeName(path).constData(), mode_t(mode));
}
QProcessEnvironment adminEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("SMARTBOT_ADMIN_KEY", QString::fromLatin1(kAdminKey));
    return env;
}
// Sends SIGHUP and waits for the answer's log line; returns that line.
QString sighup(DaemonProcess &d, const QString &logLine)
{
    d.waitForLog(QString(), 0); // read what is there
    const qsizetype from = d.output().size();
    ::kill(pid_t(d.process().processId()), SIGHUP);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000) {
        d.process().waitForReadyRead(100);
        d.waitForLog(QString(), 0);
        const QString fresh = d.output().mid(from);
        if (const qsizetype at = fresh.indexOf(logLine); at >= 0)
            return fresh.mid(at).section(QLatin1Char('\n'), 0, 0);
    }
    return {};
}
// The SHA-256 of the certificate a new TLS connection to the port is given.
QByteArray servedFingerprint(quint16 port)
{
    QSslSocket s;
    s.setPeerVerifyMode(QSslSocket::VerifyNone);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForEncrypted(10000))
        return {};
    return s.peerCertificate().digest(QCryptographicHash::Sha256).toHex();
}
QByteArray fileFingerprint(const QString &pem)
{
    const auto certs = QSslCertificate::fromPath(pem);
    return certs.isEmpty() ? QByteArray() : certs.first().digest(QCryptographicHash::Sha256).toHex();
}
} // namespace

class TestReload : public QObject {
    Q_OBJECT

    QByteArray issueToken(const DaemonProcess &d, int expiresIn = 0)
    {
        QJsonObject body{{"username", "reload"}};
        if (expiresIn > 0)
            body["expires_in"] = expiresIn;
        return d.postJson("/admin/token", body, {{"X-API-Key", kAdminKey}}).json().value("token").toString().toLatin1();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFileInfo::exists(smartbotdPath())); }

    // Each row: a setting written into server.conf while the server runs, then SIGHUP; a request that the old value
    // allowed and the new one refuses (or the other way round).
    void liveSettings_data()
    {
        QTest::addColumn<QByteArray>("setting"); // appended to server.conf
        QTest::addColumn<QString>("applied");    // how the log names it
        QTest::addColumn<int>("before");         // status of the probe before
        QTest::addColumn<int>("after");          // and after
        QTest::addColumn<QString>("probe");      // which request
        QTest::newRow("allow list") << QByteArray("[network]\nallow = 10.9.9.0/24\n") << "[network] allow" << 200 << 403
                                    << "health";
        QTest::newRow("reply length limit")
            << QByteArray("[model]\nmax_tokens_limit = 4\n") << "[model] max_tokens_limit" << 200 << 400 << "chat";
        QTest::newRow("rate limit") << QByteArray("[limits]\nrequests_per_minute = 1\n")
                                    << "[limits] requests_per_minute" << 200 << 429 << "two chats";
        QTest::newRow("token lifetime") << QByteArray("[auth]\nmax_token_hours = 1\ntoken_expire_hours = 1\n")
                                        << "[auth] max_token_hours" << 200 << 400 << "long token";
    }
    void liveSettings()
    {
        QFETCH(QByteArray, setting);
        QFETCH(QString, applied);
        QFETCH(int, before);
        QFETCH(int, after);
        QFETCH(QString, probe);
        QTemporaryDir dir;
        const QByteArray base = "[logging]\ndir = none\n"; // no model named: the bundled demo model
        writeFile(dir.filePath("server.conf"), base);
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {}, adminEnvironment()), qPrintable(d.output()));
        QVERIFY2(d.waitForLog(" ready: ", 60000), qPrintable(d.output()));
        const auto run = [&]() -> int {
            if (probe == "health")
                return d.request("GET", "/healthz").status;
            if (probe == "long token")
                return d.postJson("/admin/token", {{"username", "u"}, {"expires_in", 7200}}, {{"X-API-Key", kAdminKey}})
                    .status;
            const QByteArray token = issueToken(d);
            const Headers auth{{"Authorization", "Bearer " + token}};
            int status = 0;
            for (int i = 0; i < (probe == "two chats" ? 2 : 1); ++i)
                status = d.postJson("/api/v1/chat", {{"message", "hi"}, {"max_tokens", 8}}, auth).status;
            return status;
        };
        QCOMPARE(run(), before);
        writeFile(dir.filePath("server.conf"), base + setting + "[network]\nport = 1\n");
        QString answer = sighup(d, "SIGHUP: ");
        QVERIFY2(answer.contains("applied " + applied), qPrintable(d.output()));
        QVERIFY2(answer.contains("applied only at the next restart: [network] port"), qPrintable(answer));
        QCOMPARE(run(), after);

        // A file the start-up check refuses changes nothing; the server goes on as it was.
        writeFile(dir.filePath("server.conf"), base + setting + "[network]\nport = 1\nmax_body_bytes = lots\n");
        answer = sighup(d, "SIGHUP: ");
        QVERIFY2(answer.contains("max_body_bytes") && answer.contains("(settings unchanged)"), qPrintable(answer));
        QCOMPARE(run(), after);
        // Back to the original file: applied again, the port change gone.
        writeFile(dir.filePath("server.conf"), base);
        answer = sighup(d, "SIGHUP: ");
        QVERIFY2(answer.contains("applied " + applied) && !answer.contains("restart"), qPrintable(answer));
        QCOMPARE(run(), before);
        d.stop();
    }

    void certificate()
    {
        const QString openssl = QStandardPaths::findExecutable("openssl");
        if (openssl.isEmpty())
            QSKIP("openssl is needed (installers/setup-debian.sh installs it)");
        QTemporaryDir dir;
        const auto makeCert = [&](const QString &name) {
            QProcess p;
            p.start(openssl, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days",
                              "2", "-subj", "/CN=" + name, "-keyout", dir.filePath(name + ".key"), "-out",
                              dir.filePath(name + ".pem")});
            return p.waitForFinished(30000) && p.exitCode() == 0;
        };
        QVERIFY(makeCert("first") && makeCert("renewed"));
        QFile::copy(dir.filePath("first.pem"), dir.filePath("server.pem"));
        QFile::copy(dir.filePath("first.key"), dir.filePath("server.key"));
        ::chmod(QFile::encodeName(dir.filePath("server.key")).constData(), 0600);
        writeFile(dir.filePath("server.conf"),
                  "[network]\nssl_enable = true\nssl_cert = server.pem\nssl_key = server.key\n[model]\npath = none\n");
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {}, adminEnvironment()), qPrintable(d.output()));
        QCOMPARE(servedFingerprint(d.port()), fileFingerprint(dir.filePath("first.pem")));

        // Renewed in place (as certbot's deploy hook copies them), then SIGHUP.
        QFile::remove(dir.filePath("server.pem"));
        QFile::copy(dir.filePath("renewed.pem"), dir.filePath("server.pem"));
        writeFile(dir.filePath("server.key"), [&] {
            QFile f(dir.filePath("renewed.key"));
            f.open(QIODevice::ReadOnly);
            return f.readAll();
        }());
        QVERIFY2(!sighup(d, "certificate reloaded").isEmpty(), qPrintable(d.output()));
        QCOMPARE(servedFingerprint(d.port()), fileFingerprint(dir.filePath("renewed.pem")));

        // A certificate whose key does not match: refused, the renewed one stays.
        QFile::remove(dir.filePath("server.pem"));
        QFile::copy(dir.filePath("first.pem"), dir.filePath("server.pem"));
        QVERIFY2(!sighup(d, "certificate not reloaded").isEmpty(), qPrintable(d.output()));
        QCOMPARE(servedFingerprint(d.port()), fileFingerprint(dir.filePath("renewed.pem")));
        d.stop();
    }
};

QTEST_GUILESS_MAIN(TestReload)
#include "test_reload.moc"
