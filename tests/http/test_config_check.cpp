// smartbotd config check: server.conf and every file it names, every problem on its own line, exit 0 or 1.
#include <QProcess>
#include <QtTest>

#include <sys/stat.h>

#include "../support/require_data.h"
#include "daemon_process.h"

namespace {
struct Run {
    int code = -1;
    QString out, err;
};
Run check(const QString &dir)
{
    QProcess p;
    p.start(smartbotdPath(), {"config", "check", "--config", dir});
    p.waitForFinished(60000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}
void writeFile(const QString &path, const QByteArray &data, int mode)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
    f.close();
    ::chmod(QFile::encodeName(path).constData(), mode_t(mode));
}
} // namespace

class TestConfigCheck : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void problemsListed_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("extra");        // a file to make: "admin-open" = admin.key readable by others
        QTest::addColumn<QStringList>("problems"); // one needle per expected line; empty: ok
        QTest::newRow("fine") << QByteArray("[model]\npath = none\n") << "" << QStringList();
        QTest::newRow("bad value") << QByteArray("[network]\nport = 70000\n") << ""
                                   << QStringList{"[network] port = '70000'"};
        QTest::newRow("tls files missing")
            << QByteArray("[network]\nssl_enable = true\nssl_cert = missing.pem\nssl_key = missing.key\n"
                          "[model]\npath = none\n")
            << "" << QStringList{"ssl_cert"};
        QTest::newRow("preload not found") << QByteArray("[model]\npath = none\npreload = nowhere\n") << ""
                                           << QStringList{"[model] preload names 'nowhere'"};
        QTest::newRow("several") << QByteArray("[model]\npath = /nonexistent/model\n[backup]\npassphrase_file = "
                                               "pass\n")
                                 << "admin-open"
                                 << QStringList{"[model] path", "admin.key", "[backup] passphrase_file"};
        QTest::newRow("postgresql secret files readable by others")
            << QByteArray("[model]\npath = none\n[database]\ndriver = postgresql\npassword_file = db.pass\n"
                          "secrets_key_file = db.key\n")
            << "db-open" << QStringList{"db.pass has mode 0644", "db.key has mode 0644"};
    }
    void problemsListed()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, extra);
        QFETCH(QStringList, problems);
        QTemporaryDir dir;
        ::chmod(QFile::encodeName(dir.path()).constData(), 0700);
        writeFile(dir.filePath("server.conf"), conf, 0600);
        if (extra == "admin-open")
            writeFile(dir.filePath("admin.key"), "sbadmin_0123456789abcdefgh\n", 0644);
        if (extra == "db-open") {
            writeFile(dir.filePath("db.pass"), "password\n", 0644);
            writeFile(dir.filePath("db.key"), QByteArray(32, 'k').toBase64() + "\n", 0644);
        }
        const Run r = check(dir.path());
        if (problems.isEmpty()) {
            QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
            QVERIFY(r.out.startsWith("ok: "));
            return;
        }
        QCOMPARE(r.code, 1);
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), problems.size());
        for (int i = 0; i < problems.size(); ++i) {
            QVERIFY2(lines[i].startsWith("problem: "), qPrintable(lines[i]));
            QVERIFY2(lines.join('\n').contains(problems[i]), qPrintable(r.out));
        }
    }

    // smartbotd status: 3 while nothing serves the folder's port, 0 once a daemon is ready there.
    void status()
    {
        QTemporaryDir dir;
        DaemonProcess daemon;
        QVERIFY2(daemon.start(dir.path(), {"--model", "none"}), qPrintable(daemon.output()));
        const quint16 port = daemon.port();
        daemon.stop();
        writeFile(dir.filePath("server.conf"),
                  QStringLiteral("[network]\nport = %1\n[model]\npath = none\n").arg(port).toUtf8(), 0600);
        QProcess s;
        s.start(smartbotdPath(), {"status", "--config", dir.path()});
        QVERIFY(s.waitForFinished(20000));
        QCOMPARE(s.exitCode(), 3);
        QVERIFY(s.readAllStandardOutput().startsWith("not running"));
        // Running without a model: up, but /readyz says not ready.
        QVERIFY2(daemon.start(dir.path(), {"--port", QString::number(port)}), qPrintable(daemon.output()));
        s.start(smartbotdPath(), {"status", "--config", dir.path()});
        QVERIFY(s.waitForFinished(20000));
        QCOMPARE(s.exitCode(), 1);
        QVERIFY(s.readAllStandardOutput().contains("not_ready"));
        daemon.stop();
        // With its model loaded: ready, naming the model.
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        QVERIFY2(daemon.start(dir.path(), {"--port", QString::number(port), "--model", sharedModelDir()}),
                 qPrintable(daemon.output()));
        QVERIFY(daemon.waitForLog(QStringLiteral(" ready: "), 60000));
        s.start(smartbotdPath(), {"status", "--config", dir.path()});
        QVERIFY(s.waitForFinished(20000));
        const QByteArray out = s.readAllStandardOutput();
        QCOMPARE(s.exitCode(), 0);
        QVERIFY2(out.startsWith("ready at http://127.0.0.1:" + QByteArray::number(port) + ", serving stories260K"),
                 out.constData());
        daemon.stop();
    }

    void missingFolder()
    {
        const Run r = check(QStringLiteral("/nonexistent/smartbot"));
        QCOMPARE(r.code, 1);
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY(r.err.contains("does not exist"));
    }
};

QTEST_GUILESS_MAIN(TestConfigCheck)
#include "test_config_check.moc"
