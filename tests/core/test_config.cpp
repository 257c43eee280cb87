// server.conf creation and validation; secret files: creation, modes, refusal when too open.
#include <QtTest>

#include <sys/stat.h>

#include "core/config_file.h"
#include "core/secret_files.h"
#include "core/server_config.h"

using namespace smartbot;

namespace {
int modeOf(const QString &path)
{
    struct stat st {};
    ::stat(QFile::encodeName(path).constData(), &st);
    return int(st.st_mode & 07777);
}
void writeConf(const QString &dir, const QByteArray &text)
{
    QFile f(QDir(dir).filePath("server.conf"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}
} // namespace

class TestConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void createsCommentedDefaults()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("conf");
        auto c = ServerConfig::loadOrCreate(dir);
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().c_str());
        QCOMPARE(c->port, quint16(18789));
        QCOMPARE(c->bindAddress, QStringLiteral("127.0.0.1"));
        QCOMPARE(c->tokenExpireHours, 24);
        QFile f(QDir(dir).filePath("server.conf"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains("[network]"));
        QVERIFY(text.contains("bind_address = 127.0.0.1"));
        QVERIFY(text.contains("port = 18789"));
        QVERIFY(text.contains("[auth]"));
        QVERIFY(text.contains("token_expire_hours = 24"));
        // Every key written belongs to a group of keys with a comment above it that says what they are.
        int keys = 0;
        bool commented = false;
        for (const QByteArray &raw : text.split('\n')) {
            const QByteArray line = raw.trimmed();
            if (line.startsWith("; ")) {
                commented = true;
            } else if (line.isEmpty() || line.startsWith('[')) {
                commented = false;
            } else {
                ++keys;
                QVERIFY2(commented, line.constData());
            }
        }
        QVERIFY(keys >= 20);
    }

    void readsValues()
    {
        QTemporaryDir tmp;
        writeConf(tmp.path(), "[network]\nbind_address = 0.0.0.0\nport = 8080\nmax_body_bytes = 2048\n"
                              "[auth]\ntoken_expire_hours = 2\n[model]\npath = models/x\n");
        auto c = ServerConfig::loadOrCreate(tmp.path());
        QVERIFY(c.ok());
        QCOMPARE(c->bindAddress, QStringLiteral("0.0.0.0"));
        QCOMPARE(c->port, quint16(8080));
        QCOMPARE(c->maxBodyBytes, qint64(2048));
        QCOMPARE(c->tokenExpireHours, 2);
        QCOMPARE(c->modelPath, QDir(tmp.path()).absoluteFilePath("models/x"));
    }

    void modelAliases_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("asked");
        QTest::addColumn<QString>("target"); // "" = no alias applies
        QTest::newRow("exact") << "gpt-4o-mini: default, gpt-3.5-turbo: stories260K"
                               << "gpt-3.5-turbo"
                               << "stories260K";
        QTest::newRow("not listed") << "gpt-4o-mini: default"
                                    << "gpt-4o"
                                    << "";
        QTest::newRow("wildcard") << "gpt-4o-mini: stories260K, *: default"
                                  << "claude-3"
                                  << "default";
        QTest::newRow("exact before wildcard") << "*: default, gpt-4o-mini: stories260K"
                                               << "gpt-4o-mini"
                                               << "stories260K";
        QTest::newRow("names with slashes and colons") << "meta-llama/Llama-3.2-1B: default, llama3:8b: default"
                                                       << "llama3:8b"
                                                       << "default";
        QTest::newRow("empty") << ""
                               << "gpt-4o-mini"
                               << "";
    }
    void modelAliases()
    {
        QFETCH(QString, text);
        QFETCH(QString, asked);
        QFETCH(QString, target);
        auto aliases = parseModelAliases(text);
        QVERIFY2(aliases, aliases ? "" : aliases.error().c_str());
        QCOMPARE(resolveModelAlias(aliases.value(), asked), target);
    }

    void securityValues()
    {
        QTemporaryDir tmp;
        auto d = ServerConfig::loadOrCreate(tmp.path());
        QVERIFY(d.ok());
        QCOMPARE(d->leewaySeconds, 30);
        QCOMPARE(d->keyRotationDays, 90);
        QCOMPARE(d->keyRotationGraceHours, 24);
        QCOMPARE(d->requestsPerMinute, 0);
        QVERIFY(d->allow.isEmpty());
        QFile f(tmp.filePath("server.conf"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        for (const char *key : {"allow =", "trusted_proxies =", "leeway_seconds = 30", "key_rotation_days = 90",
                                "key_rotation_grace_hours = 24", "admin_max_failures = 10", "requests_per_minute = 0",
                                "tokens_per_minute = 0"})
            QVERIFY2(text.contains(key), key);
        QTemporaryDir tmp2;
        writeConf(tmp2.path(),
                  "[network]\nallow = 192.168.1.0/24, 10.0.0.5\ntrusted_proxies = ::1\n"
                  "[auth]\nleeway_seconds = 0\nkey_rotation_grace_hours = 1\n[limits]\ntokens_per_minute = 500\n");
        auto c = ServerConfig::loadOrCreate(tmp2.path());
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().c_str());
        QCOMPARE(c->allow, QStringLiteral("192.168.1.0/24, 10.0.0.5"));
        QCOMPARE(c->trustedProxies, QStringLiteral("::1"));
        QCOMPARE(c->leewaySeconds, 0);
        QCOMPARE(c->keyRotationGraceHours, 1);
        QCOMPARE(c->tokensPerMinute, 500);
    }

    void engineValues()
    {
        QTemporaryDir tmp;
        auto d = ServerConfig::loadOrCreate(tmp.path());
        QVERIFY(d.ok());
        QCOMPARE(d->kvCacheMb, 0);
        QCOMPARE(d->prefixCache, true);
        QCOMPARE(d->dtype, QStringLiteral("auto"));
        QCOMPARE(d->maxSequences, 64);
        QCOMPARE(d->cpuDecode, QStringLiteral("fused"));
        QCOMPARE(d->modelFolders, QStringList{QDir(tmp.path()).filePath("models")});
        QTemporaryDir tmp2;
        writeConf(tmp2.path(),
                  "[model]\nkv_cache_mb = 512\nprefix_cache = false\ndtype = bfloat16\ncpu_decode = libtorch\n"
                  "folders = mine, /srv/models\n"
                  "[limits]\nmax_sequences = 8\n");
        auto c = ServerConfig::loadOrCreate(tmp2.path());
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().c_str());
        QCOMPARE(c->kvCacheMb, 512);
        QCOMPARE(c->prefixCache, false);
        QCOMPARE(c->dtype, QStringLiteral("bfloat16"));
        QCOMPARE(c->maxSequences, 8);
        QCOMPARE(c->cpuDecode, QStringLiteral("libtorch"));
        QCOMPARE(c->modelFolders, (QStringList{QDir(tmp2.path()).filePath("mine"), QStringLiteral("/srv/models")}));
    }

    // The package's /etc/smartbot/server.conf: the defaults with the system layout, the production settings as
    // comments (a server installed from the package still listens on loopback only until the operator decides).
    void systemLayout()
    {
        auto text = ServerConfig::systemConfigText();
        QVERIFY2(text, text ? "" : text.error().c_str());
        const ConfigFile file = ConfigFile::fromText(text.value());
        QCOMPARE(file.problem(), QString());
        auto c = ServerConfig::parse(file, QStringLiteral("/etc/smartbot"));
        QVERIFY2(c, c ? "" : c.error().c_str());
        QCOMPARE(c->dataDir, QStringLiteral("/var/lib/smartbot"));
        QCOMPARE(c->logDir, QStringLiteral("/var/log/smartbot"));
        QCOMPARE(c->backupDir, QStringLiteral("/var/lib/smartbot/backups"));
        QCOMPARE(c->modelFolders, QStringList{QStringLiteral("/var/lib/smartbot/models")});
        QCOMPARE(c->bindAddress, QStringLiteral("127.0.0.1"));
        QVERIFY(!c->sslEnable);
        QVERIFY(text->contains(QStringLiteral("; bind_address = 0.0.0.0\n")));
        QVERIFY(text->contains(QStringLiteral("ssl_cert = /etc/smartbot/tls/server.crt")));
        QVERIFY(text->contains(QStringLiteral("; Production: allow = ")));
        // The default layout keeps everything in the config folder.
        auto d = ServerConfig::parse(ConfigFile::fromText(ServerConfig::defaultConfigText()),
                                     QStringLiteral("/home/u/.config/SmartBot"));
        QVERIFY(d);
        QCOMPARE(d->dataDir, QStringLiteral("/home/u/.config/SmartBot"));
    }

    void rejectsBadValues_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("needle");
        QTest::newRow("port range") << QByteArray("[network]\nport = 70000\n") << "port";
        QTest::newRow("port text") << QByteArray("[network]\nport = abc\n") << "port";
        QTest::newRow("bind") << QByteArray("[network]\nbind_address = not-an-ip\n") << "bind_address";
        QTest::newRow("expire") << QByteArray("[auth]\ntoken_expire_hours = 0\n") << "token_expire_hours";
        QTest::newRow("body") << QByteArray("[network]\nmax_body_bytes = -5\n") << "max_body_bytes";
        QTest::newRow("allow") << QByteArray("[network]\nallow = 10.0.0.0/8, nonsense\n") << "allow";
        QTest::newRow("proxies") << QByteArray("[network]\ntrusted_proxies = 1.2.3.4/33\n") << "trusted_proxies";
        QTest::newRow("leeway") << QByteArray("[auth]\nleeway_seconds = -1\n") << "leeway_seconds";
        QTest::newRow("rotation") << QByteArray("[auth]\nkey_rotation_days = x\n") << "key_rotation_days";
        QTest::newRow("failures") << QByteArray("[auth]\nadmin_max_failures = 0\n") << "admin_max_failures";
        QTest::newRow("rpm") << QByteArray("[limits]\nrequests_per_minute = -2\n") << "requests_per_minute";
        QTest::newRow("sequences") << QByteArray("[limits]\nmax_sequences = 0\n") << "max_sequences";
        QTest::newRow("kv") << QByteArray("[model]\nkv_cache_mb = -1\n") << "kv_cache_mb";
        QTest::newRow("prefix") << QByteArray("[model]\nprefix_cache = maybe\n") << "prefix_cache";
        QTest::newRow("dtype") << QByteArray("[model]\ndtype = int4\n") << "dtype";
        QTest::newRow("cpu_decode") << QByteArray("[model]\ncpu_decode = fast\n") << "cpu_decode";
        QTest::newRow("cors origin") << QByteArray("[network]\ncors_origins = https://a.example, not an origin\n")
                                     << "cors_origins: 'not an origin'";
        QTest::newRow("cors path") << QByteArray("[network]\ncors_origins = https://a.example/app\n")
                                   << "https://a.example/app";
        QTest::newRow("schedule") << QByteArray("[backup]\nschedule = weekly\n") << "[backup] schedule";
        QTest::newRow("keep") << QByteArray("[backup]\nkeep = 0\n") << "[backup] keep";
        QTest::newRow("log level") << QByteArray("[logging]\nlevel = loud\n") << "[logging] level";
        QTest::newRow("log keep") << QByteArray("[logging]\nkeep = 0\n") << "[logging] keep";
        QTest::newRow("synchronous") << QByteArray("[storage]\nsynchronous = off\n")
                                     << "[storage] synchronous must be normal or full";
        QTest::newRow("log daily") << QByteArray("[logging]\nrotate_daily = sometimes\n") << "[logging] rotate_daily";
        QTest::newRow("alias without target") << QByteArray("[model]\naliases = gpt-4o-mini\n") << "[model] aliases";
        QTest::newRow("alias here and at a provider")
            << QByteArray("[model]\naliases = fast: default\n[provider.up]\nbase_url = http://h/v1\nmodels = m\n"
                          "aliases = fast: m\n")
            << "the alias 'fast' is in both [model] aliases and [provider.up] aliases";
        QTest::newRow("alias twice") << QByteArray("[model]\naliases = a: default, a: b\n") << "twice";
        QTest::newRow("not a setting") << QByteArray("[network]\nport 80\n") << "line 2: 'port 80'";
    }
    void rejectsBadValues()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, needle);
        QTemporaryDir tmp;
        writeConf(tmp.path(), conf);
        auto c = ServerConfig::loadOrCreate(tmp.path());
        QVERIFY(!c.ok());
        QVERIFY2(QString::fromStdString(c.error()).contains(needle), c.error().c_str());
    }

    void createsSecretsWithPrivateModes()
    {
        QTemporaryDir tmp;
        auto s = loadOrCreateSecrets(tmp.path(), {});
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        QVERIFY(s->adminKeyCreated);
        const QString secret = tmp.filePath("auth/secret.key"), admin = tmp.filePath("admin.key");
        QCOMPARE(modeOf(secret), 0400);
        QCOMPARE(modeOf(admin), 0600);
        QFile f(secret);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QByteArray::fromBase64(f.readAll().trimmed()).size(), 32);
        QCOMPARE(s->jwtKey.size(), 32);
        QFile a(admin);
        QVERIFY(a.open(QIODevice::ReadOnly));
        const QByteArray key = a.readAll().trimmed();
        QVERIFY(key.startsWith("sbadmin_"));
        QCOMPARE(s->adminKeyHash, sha256(key));
        // Second start: same secrets, nothing recreated.
        auto again = loadOrCreateSecrets(tmp.path(), {});
        QVERIFY(again.ok());
        QVERIFY(!again->adminKeyCreated);
        QCOMPARE(again->jwtKey, s->jwtKey);
        QCOMPARE(again->adminKeyHash, s->adminKeyHash);
    }

    void refusesOpenPermissions()
    {
        QTemporaryDir tmp;
        QVERIFY(loadOrCreateSecrets(tmp.path(), {}).ok());
        const QString admin = tmp.filePath("admin.key");
        QVERIFY(::chmod(QFile::encodeName(admin).constData(), 0644) == 0);
        auto r = loadOrCreateSecrets(tmp.path(), {});
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains("admin.key") &&
                     QString::fromStdString(r.error()).contains("0644"),
                 r.error().c_str());
        QVERIFY(::chmod(QFile::encodeName(admin).constData(), 0600) == 0);
        const QString secret = tmp.filePath("auth/secret.key");
        QVERIFY(::chmod(QFile::encodeName(secret).constData(), 0440) == 0);
        r = loadOrCreateSecrets(tmp.path(), {});
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains("secret.key"), r.error().c_str());
    }

    void adminKeyFromEnvironment()
    {
        QTemporaryDir tmp;
        auto s = loadOrCreateSecrets(tmp.path(), "a-long-enough-admin-key");
        QVERIFY(s.ok());
        QVERIFY(!QFile::exists(tmp.filePath("admin.key")));
        QCOMPARE(s->adminKeyHash, sha256("a-long-enough-admin-key"));
        QVERIFY(!loadOrCreateSecrets(tmp.path(), "short").ok());
    }

    void constantTimeCompare()
    {
        QVERIFY(constantTimeEquals("abc", "abc"));
        QVERIFY(!constantTimeEquals("abc", "abd"));
        QVERIFY(!constantTimeEquals("abc", "abcd"));
    }
};

QTEST_APPLESS_MAIN(TestConfig)
#include "test_config.moc"
