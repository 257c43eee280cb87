// ProviderConfig (core/provider_config.h): [provider.NAME] sections parsed and checked, and the platform key file
// (providers/NAME.env, 0600) written and read back.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "core/config_file.h"
#include "core/provider_config.h"

using namespace smartbot;

class TestProviderConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error"); // "" = parses
        QTest::newRow("none") << "[model]\npath = none\n"
                              << "";
        QTest::newRow("minimal") << "[provider.up]\nbase_url = https://api.example.com/v1/\nmodels = a, b\n"
                                 << "";
        QTest::newRow("fleet")
            << "[provider.f]\nbase_url = http://10.0.0.1:8080/v1, http://10.0.0.2:8080/v1\nmodels = *\n"
            << "";
        QTest::newRow("no base_url") << "[provider.up]\nmodels = a\n"
                                     << "[provider.up] needs base_url";
        QTest::newRow("no models") << "[provider.up]\nbase_url = http://h/v1\n"
                                   << "[provider.up] needs models";
        QTest::newRow("star not alone") << "[provider.up]\nbase_url = http://h/v1\nmodels = *, a\n"
                                        << "* stands alone";
        QTest::newRow("ftp") << "[provider.up]\nbase_url = ftp://h/v1\nmodels = a\n"
                             << "must start with http";
        QTest::newRow("relative") << "[provider.up]\nbase_url = /v1\nmodels = a\n"
                                  << "not an absolute URL";
        QTest::newRow("key in url") << "[provider.up]\nbase_url = https://u:secret@h/v1\nmodels = a\n"
                                    << "must not hold a user name";
        QTest::newRow("query") << "[provider.up]\nbase_url = https://h/v1?key=1\nmodels = a\n"
                               << "a query";
        QTest::newRow("bad name") << "[provider.a b]\nbase_url = http://h/v1\nmodels = a\n"
                                  << "a provider name has";
        QTest::newRow("timeout range") << "[provider.up]\nbase_url = http://h/v1\nmodels = a\ntimeout_s = 0\n"
                                       << "[provider.up] timeout_s = '0' must be a whole number from 1";
        QTest::newRow("aliases") << "[provider.up]\nbase_url = http://h/v1\nmodels = gpt-4o, mini\n"
                                    "aliases = gpt4: gpt-4o, small: mini\n"
                                 << "";
        QTest::newRow("alias to any name") << "[provider.up]\nbase_url = http://h/v1\nmodels = *\naliases = a: b\n"
                                           << "";
        QTest::newRow("alias outside models") << "[provider.up]\nbase_url = http://h/v1\nmodels = a\naliases = x: b\n"
                                              << "[provider.up] aliases: 'x' points at 'b', which is not in models";
        QTest::newRow("alias malformed") << "[provider.up]\nbase_url = http://h/v1\nmodels = a\naliases = x\n"
                                         << "[provider.up] aliases entry 'x' is not 'name: target'";
        QTest::newRow("alias star") << "[provider.up]\nbase_url = http://h/v1\nmodels = a\naliases = *: a\n"
                                    << "[provider.up] aliases entry '*: a'";
        QTest::newRow("alias with a slash")
            << "[provider.up]\nbase_url = http://h/v1\nmodels = a\naliases = other/a: a\n"
            << "[provider.up] aliases: 'other/a' has a '/'";
        QTest::newRow("alias in two providers") << "[provider.p]\nbase_url = http://h/v1\nmodels = a\naliases = x: a\n"
                                                   "[provider.q]\nbase_url = http://g/v1\nmodels = b\naliases = x: b\n"
                                                << "the alias 'x' is in both [provider.p] and [provider.q]";
        QTest::newRow("retries range") << "[provider.up]\nbase_url = http://h/v1\nmodels = a\nretries = 11\n"
                                       << "retries = '11'";
    }
    void parses()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        auto r = parseProviders(ConfigFile::fromText(text), QStringLiteral("/etc/smartbot"));
        if (error.isEmpty())
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
        else
            QVERIFY2(!r.ok() && QString::fromStdString(r.error()).contains(error),
                     r.ok() ? "parsed" : r.error().c_str());
    }

    void keepsValuesAndOrder()
    {
        auto r = parseProviders(
            ConfigFile::fromText("[provider.b]\nbase_url = https://api.example.com/v1/\nmodels = x, y, x\n"
                                 "timeout_s = 7\nconnect_timeout_s = 3\nmax_concurrent = 4\nretries = 0\n"
                                 "ca_file = certs/ca.pem\nbreaker_failures = 9\nbreaker_cooldown_s = 11\n"
                                 "aliases = fast: y, slow: x\n"
                                 "[provider.a]\nbase_url = http://10.0.0.1/v1, http://10.0.0.2/v1\nmodels = *\n"),
            QStringLiteral("/etc/smartbot"));
        QVERIFY(r.ok());
        QCOMPARE(r.value().size(), size_t(2));
        const ProviderConfig &b = r.value()[0];
        QCOMPARE(b.name, QStringLiteral("b"));
        QCOMPARE(b.baseUrls.value(0).toString(), QStringLiteral("https://api.example.com/v1")); // no trailing slash
        QCOMPARE(b.models, (QStringList{"x", "y"}));
        QVERIFY(b.serves("y") && !b.serves("z"));
        QCOMPARE(b.timeoutS, 7);
        QCOMPARE(b.connectTimeoutS, 3);
        QCOMPARE(b.maxConcurrent, 4);
        QCOMPARE(b.retries, 0);
        QCOMPARE(b.caFile, QStringLiteral("/etc/smartbot/certs/ca.pem"));
        QCOMPARE(b.breakerFailures, 9);
        QCOMPARE(b.breakerCooldownS, 11);
        QCOMPARE(b.aliases, (ModelAliases{{"fast", "y"}, {"slow", "x"}}));
        const ProviderConfig &a = r.value()[1];
        QCOMPARE(a.baseUrls.size(), 2);
        QVERIFY(a.discoverModels && a.serves("anything"));
    }

    void keyFileRoundTrip()
    {
        QTemporaryDir dir;
        const QDateTime now = QDateTime::fromString(QStringLiteral("2026-12-02T10:00:00Z"), Qt::ISODate);
        QVERIFY(!readProviderKey(dir.path(), QStringLiteral("up")).ok()); // missing: names set-key
        QVERIFY(
            QString::fromStdString(readProviderKey(dir.path(), QStringLiteral("up")).error()).contains("set-key up"));
        QVERIFY(writeProviderKey(dir.path(), QStringLiteral("up"), "sk-test-123\n", now).ok());
        QCOMPARE(QFile(providerKeyPath(dir.path(), QStringLiteral("up"))).permissions() & 0x0077, QFile::Permissions());
        auto key = readProviderKey(dir.path(), QStringLiteral("up"));
        QVERIFY(key.ok());
        QCOMPARE(key->key, QByteArray("sk-test-123"));
        QCOMPARE(key->setAt, now);
        QVERIFY(!writeProviderKey(dir.path(), QStringLiteral("../x"), "k", now).ok());
        QVERIFY(!writeProviderKey(dir.path(), QStringLiteral("up"), "two\nlines", now).ok());
        // A hand-written file: quotes stripped; readable by others: refused, naming chmod.
        QFile f(providerKeyPath(dir.path(), QStringLiteral("hand")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# platform key\nAPI_KEY=\"sk-quoted\"\n");
        f.close();
        QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
        QCOMPARE(readProviderKey(dir.path(), QStringLiteral("hand"))->key, QByteArray("sk-quoted"));
        QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
        auto loose = readProviderKey(dir.path(), QStringLiteral("hand"));
        QVERIFY(!loose.ok() && QString::fromStdString(loose.error()).contains("chmod 600"));
    }
};

QTEST_APPLESS_MAIN(TestProviderConfig)
#include "test_provider_config.moc"
