// CertificatesPanel, offscreen, on a real config folder: a generated self-signed pair is shown (subject, names,
// validity), its key is 0600, and once saved the in-process server serves HTTPS that a client trusting exactly
// that certificate verifies, names included. Bad files show the server's own start-up message, and HTTPS cannot
// be saved with them.
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QtTest>

#include <sys/stat.h>

#include "app/certificates_panel.h"
#include "core/demo_model.h"
#include "core/server_config.h"
#include "gui_testing.h"
#include "http/transport/certificate_report.h"
#include "http/transport/self_signed_certificate.h"

using smartbot::gui::CertificatesPanel;
using namespace smartbot::testsupport;

namespace {
int modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}
QString text(QWidget *root, const char *name)
{
    auto *label = child<QLabel>(root, name);
    return label ? label->text() : QString();
}
void writeFile(const QString &path, const QByteArray &data, QFile::Permissions perms)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
    f.close();
    QVERIFY(f.setPermissions(perms));
}
} // namespace

class TestCertificatesPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void generateSaveAndServeHttps()
    {
        QTemporaryDir dir;
        smartbot::http::SmartbotServer server;
        CertificatesPanel panel(&server);
        panel.setConfigDir(dir.path());
        panel.show();
        QVERIFY(!child<QCheckBox>(&panel, "tlsEnableCheck")->isChecked());    // off by default
        QVERIFY(!child<QLineEdit>(&panel, "tlsHostsEdit")->text().isEmpty()); // this machine's names offered

        child<QLineEdit>(&panel, "tlsHostsEdit")->setText(QStringLiteral("localhost, 127.0.0.1"));
        child<QPushButton>(&panel, "tlsGenerateButton")->click();
        const QString cert = dir.filePath(QStringLiteral("tls/server.crt"));
        const QString key = dir.filePath(QStringLiteral("tls/server.key"));
        QCOMPARE(modeOf(key), 0600);
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("tls"))), 0700);
        QCOMPARE(child<QLineEdit>(&panel, "tlsCertEdit")->text(), QStringLiteral("tls/server.crt"));
        QVERIFY(child<QCheckBox>(&panel, "tlsEnableCheck")->isChecked());
        QVERIFY2(panel.verdict().isEmpty(), qPrintable(panel.verdict()));
        QVERIFY(text(&panel, "certSubject").contains(QStringLiteral("CN=localhost")));
        QCOMPARE(text(&panel, "certNames"), QStringLiteral("DNS:localhost, IP:127.0.0.1"));
        QVERIFY(text(&panel, "certIssuer").contains(QStringLiteral("CN=localhost")));
        QVERIFY(text(&panel, "certValidity").contains(QStringLiteral("365")) ||
                text(&panel, "certValidity").contains(QStringLiteral("364")));
        QCOMPARE(text(&panel, "certKeyFile"), QStringLiteral("mode 0600"));
        QVERIFY(text(&panel, "certPublicKey").startsWith(QStringLiteral("EC 256")));

        auto *save = child<QPushButton>(&panel, "tlsSaveButton");
        QVERIFY(save->isEnabled());
        save->click();
        auto conf = smartbot::ServerConfig::loadOrCreate(dir.path());
        QVERIFY2(conf.ok(), conf.ok() ? "" : conf.error().c_str());
        QVERIFY(conf->sslEnable);
        QCOMPARE(conf->sslCert, cert);
        QCOMPARE(conf->sslKey, key);

        smartbot::http::ServerOverrides o;
        o.modelPath = QLatin1String(smartbot::kNoModel);
        o.port = 0;
        o.bindAddress = QStringLiteral("127.0.0.1");
        QVERIFY(server.start(dir.path(), o).ok());
        QCOMPARE(server.url().scheme(), QStringLiteral("https"));
        // A client that trusts only this certificate verifies the chain and the name 127.0.0.1 (subjectAltName).
        QFile certFile(cert);
        QVERIFY(certFile.open(QIODevice::ReadOnly));
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(QSslCertificate::fromData(certFile.readAll()));
        QNetworkAccessManager nam;
        nam.setProxy(QNetworkProxy::NoProxy);
        QNetworkRequest request(QUrl(QStringLiteral("https://127.0.0.1:%1/healthz").arg(server.port())));
        request.setSslConfiguration(tls);
        std::unique_ptr<QNetworkReply> reply(nam.get(request));
        QList<QSslError> errors;
        connect(reply.get(), &QNetworkReply::sslErrors, this, [&](const QList<QSslError> &e) { errors = e; });
        QSignalSpy done(reply.get(), &QNetworkReply::finished);
        QVERIFY(done.wait(15000));
        QVERIFY2(errors.isEmpty(), qPrintable(errors.isEmpty() ? QString() : errors.first().errorString()));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        server.stop();
    }

    void badFilesShowTheServersMessage_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("needle");
        QTest::newRow("not PEM") << "garbage"
                                 << "holds no PEM certificate";
        QTest::newRow("missing key") << "missing"
                                     << "cannot be read";
        QTest::newRow("key readable by others") << "open key"
                                                << "ssl_key";
        QTest::newRow("key of another certificate") << "mismatch"
                                                    << "does not match";
    }
    void badFilesShowTheServersMessage()
    {
        QFETCH(QString, kind);
        QFETCH(QString, needle);
        QTemporaryDir dir;
        const QString cert = dir.filePath("a.crt"), key = dir.filePath("a.key");
        smartbot::http::SelfSignedRequest request{{QStringLiteral("localhost")}, 30};
        QVERIFY(smartbot::http::writeSelfSignedCertificate(request, cert, key).ok());
        if (kind == "garbage")
            writeFile(cert, "not a certificate\n", QFile::ReadOwner | QFile::WriteOwner);
        else if (kind == "missing")
            QVERIFY(QFile::remove(key));
        else if (kind == "open key")
            QVERIFY(
                QFile::setPermissions(key, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
        else if (kind == "mismatch")
            QVERIFY(smartbot::http::writeSelfSignedCertificate(request, dir.filePath("b.crt"), key).ok());

        smartbot::http::SmartbotServer server;
        CertificatesPanel panel(&server);
        panel.setConfigDir(dir.path());
        child<QLineEdit>(&panel, "tlsCertEdit")->setText(QStringLiteral("a.crt"));
        child<QLineEdit>(&panel, "tlsKeyEdit")->setText(QStringLiteral("a.key"));
        child<QCheckBox>(&panel, "tlsEnableCheck")->setChecked(true);
        // Exactly what the server says at start about these files.
        const QString expected = smartbot::http::inspectCertificateFiles(cert, key).problem;
        QVERIFY2(expected.contains(needle), qPrintable(expected));
        QCOMPARE(panel.verdict(), expected);
        QCOMPARE(text(&panel, "certVerdict"), expected);
        QVERIFY(!child<QPushButton>(&panel, "tlsSaveButton")->isEnabled());
        QVERIFY(!panel.save());
        QVERIFY(!smartbot::ServerConfig::loadOrCreate(dir.path())->sslEnable); // nothing turned on
    }

    void refusesBadNames_data()
    {
        QTest::addColumn<QString>("hosts");
        QTest::addColumn<QString>("needle");
        QTest::newRow("space in name") << "my host"
                                       << "'my host' is neither";
        QTest::newRow("underscore") << "a_b.example"
                                    << "'a_b.example'";
        QTest::newRow("none") << " , "
                              << "at least one";
    }
    void refusesBadNames()
    {
        QFETCH(QString, hosts);
        QFETCH(QString, needle);
        QTemporaryDir dir;
        smartbot::http::SmartbotServer server;
        CertificatesPanel panel(&server);
        panel.setConfigDir(dir.path());
        child<QLineEdit>(&panel, "tlsHostsEdit")->setText(hosts);
        QVERIFY(!panel.generate());
        QVERIFY2(text(&panel, "tlsMessage").contains(needle), qPrintable(text(&panel, "tlsMessage")));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("tls/server.key"))));
    }
};

QTEST_MAIN(TestCertificatesPanel)
#include "test_certificates_panel.moc"
