// The attack catalogue against a real smartbotd over real sockets: forged, expired, revoked and retired JWTs,
// API keys with the wrong scope or from the wrong address, spoofed X-Forwarded-For, admin brute force, rate limits,
// the network allow list, and CLI changes seen by a running server. After each attack a legitimate request must
// still succeed.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>

#include <sys/stat.h>

#include "daemon_process.h"

namespace {
using Headers = QList<QPair<QByteArray, QByteArray>>;

QByteArray b64(const QByteArray &b)
{
    return b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
}

QByteArray hs256(const QByteArray &header, const QByteArray &payload, const QByteArray &key)
{
    const QByteArray input = b64(header) + '.' + b64(payload);
    return input + '.' + b64(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256));
}

QByteArray claims(qint64 nbf, qint64 exp, const char *aud = "smartbot", const char *jti = "t1")
{
    return QByteArray(R"({"sub":"mallory","iss":"smartbot","scope":"chat","aud":")") + aud + R"(","jti":")" + jti +
           R"(","iat":)" + QByteArray::number(nbf) + R"(,"nbf":)" + QByteArray::number(nbf) + R"(,"exp":)" +
           QByteArray::number(exp) + "}";
}

QByteArray kidOf(const QByteArray &key)
{
    return QCryptographicHash::hash("kid:" + key, QCryptographicHash::Sha256).toHex().left(16);
}

qint64 now()
{
    return QDateTime::currentSecsSinceEpoch();
}

// Resident memory of a process, in KiB (/proc/PID/status VmRSS); -1 when unreadable.
qint64 rssKib(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

// Runs `smartbotd args...`; stdout.
QByteArray cli(const QStringList &args, int *exitCode = nullptr)
{
    QProcess p;
    p.start(smartbotdPath(), args);
    p.waitForFinished(30000);
    if (exitCode)
        *exitCode = p.exitCode();
    return p.readAllStandardOutput().trimmed();
}
} // namespace

class TestSecurity : public QObject {
    Q_OBJECT
    QTemporaryDir configDir;
    DaemonProcess daemon;
    QByteArray adminKey;
    QByteArray token; // a legitimate JWT
    bool haveModel = false;
    QList<QByteArray> secrets; // must never reach the log

    QString conf(const QString &name) const { return configDir.filePath(name); }
    QByteArray jwtKey() const { return QByteArray::fromBase64(readFile(conf("auth/secret.key"))); }
    Headers admin() const { return {{"X-API-Key", adminKey}}; }
    static Headers bearer(const QByteArray &t) { return {{"Authorization", "Bearer " + t}}; }

    HttpReply chat(const QByteArray &credential, const DaemonProcess &d) const
    {
        return d.postJson("/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 2}}, bearer(credential));
    }
    HttpReply chat(const QByteArray &credential) const { return chat(credential, daemon); }

    // Auth passed: 200 with a model, 503 model_not_loaded without one.
    bool passed(const HttpReply &r) const
    {
        return haveModel ? r.status == 200 : (r.status == 503 && r.errorCode() == QLatin1String("model_not_loaded"));
    }
    void expectError(const HttpReply &r, int status, const QString &code, const QString &messagePart = {})
    {
        QVERIFY2(r.status == status,
                 qPrintable(QStringLiteral("status %1: %2").arg(r.status).arg(QString::fromUtf8(r.body))));
        QCOMPARE(r.errorCode(), code);
        const QString message = r.json().value("error").toObject().value("message").toString();
        QVERIFY(!message.isEmpty());
        if (!messagePart.isEmpty())
            QVERIFY2(message.contains(messagePart), qPrintable(message));
    }

    // Starts smartbotd on the test's config folder (admin key from admin.key) and waits until it is ready.
    void startDaemon()
    {
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("SMARTBOT_ADMIN_KEY");
        QStringList extra;
        if (haveModel)
            extra << "--model" << sharedModelDir();
        QVERIFY2(daemon.start(configDir.path(), extra, env), qPrintable(daemon.output()));
        if (haveModel)
            QTRY_COMPARE_WITH_TIMEOUT(daemon.request("GET", "/readyz").status, 200, 20000);
    }

    void legitimateStillServed()
    {
        const HttpReply r = chat(token);
        QVERIFY2(passed(r), qPrintable(QString::number(r.status) + " " + QString::fromUtf8(r.body)));
    }

    QJsonObject createKey(const QJsonObject &body)
    {
        const HttpReply r = daemon.postJson("/admin/keys", body, admin());
        if (r.status != 201)
            qWarning("create key: %d %s", r.status, r.body.constData());
        secrets << r.json().value("key").toString().toLatin1();
        return r.json();
    }

    QByteArray issueToken(qint64 seconds)
    {
        const HttpReply r = daemon.postJson("/admin/token", {{"username", "alice"}, {"expires_in", seconds}}, admin());
        return r.json().value("token").toString().toLatin1();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(smartbotdPath()));
        haveModel = QFileInfo::exists(sharedModelDir() + "/config.json");
        QFile f(conf("server.conf"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[network]\ntrusted_proxies = 127.0.0.3\n"
                "[auth]\nleeway_seconds = 0\nmax_token_hours = 1\ntoken_expire_hours = 1\n"
                "admin_max_failures = 5\nadmin_failure_window_s = 60\n[model]\nmax_tokens = 4\n");
        f.close();
        startDaemon();
        if (QTest::currentTestFailed())
            return;
        adminKey = readFile(conf("admin.key"));
        secrets << adminKey << readFile(conf("auth/secret.key"));
        token = issueToken(3600);
        QVERIFY(!token.isEmpty());
        secrets << token;
        legitimateStillServed();
    }

    void cleanupTestCase()
    {
        daemon.stop();
        if (qEnvironmentVariableIsSet("SMARTBOT_TEST_SHOW_LOG"))
            qInfo("%s", qPrintable(daemon.output()));
        for (const QByteArray &s : secrets)
            if (!s.isEmpty())
                QVERIFY2(!daemon.output().contains(QString::fromLatin1(s)), "a secret reached the log");
    }

    void algNone()
    {
        const QByteArray t = b64(R"({"alg":"none","typ":"JWT"})") + '.' + b64(claims(now(), now() + 600)) + '.';
        expectError(chat(t), 401, "invalid_api_key", "HS256");
        legitimateStillServed();
    }

    void algSwapped()
    {
        const QByteArray input512 = b64(R"({"alg":"HS512","typ":"JWT"})") + '.' + b64(claims(now(), now() + 600));
        const QByteArray t512 =
            input512 + '.' + b64(QMessageAuthenticationCode::hash(input512, jwtKey(), QCryptographicHash::Sha512));
        expectError(chat(t512), 401, "invalid_api_key", "HS256");
        // RS256 "signed" with the HMAC secret as if it were a public key (algorithm confusion).
        const QByteArray rs =
            b64(R"({"alg":"RS256","typ":"JWT"})") + '.' + b64(claims(now(), now() + 600)) + ".c2lnbmF0dXJl";
        expectError(chat(rs), 401, "invalid_api_key", "HS256");
        legitimateStillServed();
    }

    void tamperedPayloadAndSignature()
    {
        const QList<QByteArray> p = token.split('.');
        QByteArray payload = QByteArray::fromBase64(p[1], QByteArray::Base64UrlEncoding);
        payload.replace("alice", "admin");
        expectError(chat(p[0] + '.' + b64(payload) + '.' + p[2]), 401, "invalid_api_key", "signature");
        QByteArray sig = p[2];
        sig[0] = sig[0] == 'A' ? 'B' : 'A';
        expectError(chat(p[0] + '.' + p[1] + '.' + sig), 401, "invalid_api_key", "signature");
        legitimateStillServed();
    }

    void expired()
    {
        const QByteArray shortLived = issueToken(1);
        QVERIFY(passed(chat(shortLived)));
        QTest::qWait(2200); // leeway_seconds = 0
        expectError(chat(shortLived), 401, "invalid_api_key", "expired");
        legitimateStillServed();
    }

    void notBeforeAndAudience()
    {
        const QByteArray header = QByteArray(R"({"alg":"HS256","typ":"JWT","kid":")") + kidOf(jwtKey()) + "\"}";
        QVERIFY(passed(chat(hs256(header, claims(now(), now() + 600), jwtKey())))); // the forger's control
        expectError(chat(hs256(header, claims(now() + 600, now() + 1200), jwtKey())), 401, "invalid_api_key",
                    "not valid yet");
        expectError(chat(hs256(header, claims(now(), now() + 600, "someone-else"), jwtKey())), 401, "invalid_api_key",
                    "audience");
        legitimateStillServed();
    }

    void revokedJtiSurvivesRestart()
    {
        const HttpReply issued = daemon.postJson("/admin/token", {{"username", "bob"}, {"expires_in", 600}}, admin());
        const QByteArray t = issued.json().value("token").toString().toLatin1();
        const QString jti = issued.json().value("jti").toString();
        QVERIFY(!jti.isEmpty());
        QVERIFY(passed(chat(t)));
        QCOMPARE(daemon.postJson("/admin/token/revoke", {{"jti", jti}}, admin()).status, 200);
        expectError(chat(t), 401, "invalid_api_key", "revoked");
        legitimateStillServed();

        daemon.stop();
        startDaemon();
        if (QTest::currentTestFailed())
            return;
        expectError(chat(t), 401, "invalid_api_key", "revoked");
        legitimateStillServed();
    }

    void rotatedSecret()
    {
        // A retired key within its window verifies; one past it (max_token_hours = 1) does not.
        const QByteArray recent(32, 'r'), old(32, 'o');
        for (const auto &[key, age] : {std::pair{recent, qint64(60)}, std::pair{old, qint64(2 * 3600)}}) {
            const QString path = conf(QStringLiteral("auth/retired-%1.key").arg(now() - age));
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(key.toBase64() + '\n');
            f.close();
            QFile::setPermissions(path, QFile::ReadOwner);
        }
        auto signedWith = [](const QByteArray &key) {
            return hs256(QByteArray(R"({"alg":"HS256","kid":")") + kidOf(key) + "\"}", claims(now(), now() + 600), key);
        };
        QVERIFY(passed(chat(signedWith(recent))));
        expectError(chat(signedWith(old)), 401, "invalid_api_key", "retired");
        legitimateStillServed();

        // smartbotd token rotate-secret on the running server: old tokens keep working, new ones use the new key.
        const QByteArray before = issueToken(600);
        int rc = -1;
        cli({"token", "rotate-secret", "--config", configDir.path()}, &rc);
        QCOMPARE(rc, 0);
        QVERIFY(passed(chat(before)));
        const QByteArray after = issueToken(600);
        QVERIFY(after.split('.')[0] != before.split('.')[0]); // a new kid
        QVERIFY(passed(chat(after)));
        const QByteArray cliToken =
            cli({"token", "issue", "--config", configDir.path(), "--user", "carol", "--expires", "60"}, &rc);
        QCOMPARE(rc, 0);
        QVERIFY(passed(chat(cliToken)));
        legitimateStillServed();
    }

    void chatKeyOnAdminRoute()
    {
        const QJsonObject chatKey = createKey({{"name", "client"}, {"scope", "chat"}});
        const QByteArray key = chatKey.value("key").toString().toLatin1();
        QVERIFY(key.startsWith("sb_"));
        QVERIFY(passed(chat(key)));
        expectError(daemon.request("GET", "/admin/keys", {}, {{"X-API-Key", key}}), 403, "insufficient_scope");
        expectError(daemon.postJson("/admin/token", {{"username", "x"}}, {{"X-API-Key", key}}), 403,
                    "insufficient_scope");
        // An admin-scope key works on admin routes, and not for chat.
        const QByteArray adminScoped =
            createKey({{"name", "ops"}, {"scope", "admin"}}).value("key").toString().toLatin1();
        const HttpReply list = daemon.request("GET", "/admin/keys", {}, {{"X-API-Key", adminScoped}});
        QCOMPARE(list.status, 200);
        QVERIFY(!list.body.contains(key)); // listings never show keys
        expectError(chat(adminScoped), 403, "insufficient_scope");
        legitimateStillServed();
    }

    void keyOutsideItsIpList()
    {
        const QByteArray key =
            createKey({{"name", "pinned"}, {"allow", "127.0.0.2/32, fd00::/8"}}).value("key").toString().toLatin1();
        expectError(chat(key), 403, "address_not_allowed"); // from 127.0.0.1
        legitimateStillServed();
        daemon.setSourceAddress(QStringLiteral("127.0.0.2"));
        const HttpReply fromAllowed = chat(key);
        daemon.setSourceAddress({});
        QVERIFY2(passed(fromAllowed), fromAllowed.body.constData());
    }

    void spoofedForwardedFor()
    {
        const QByteArray key =
            createKey({{"name", "behind-proxy"}, {"allow", "10.1.2.3"}}).value("key").toString().toLatin1();
        const Headers spoofed =
            bearer(key) + Headers{{"X-Forwarded-For", "10.1.2.3"}, {"Content-Type", "application/json"}};
        const QByteArray body = R"({"message":"hi","max_tokens":2})";
        // From 127.0.0.1 (not a trusted proxy) the header is ignored.
        expectError(daemon.request("POST", "/api/v1/chat", body, spoofed), 403, "address_not_allowed");
        legitimateStillServed();
        // From the trusted proxy 127.0.0.3 its last hop is the client.
        daemon.setSourceAddress(QStringLiteral("127.0.0.3"));
        const HttpReply viaProxy = daemon.request(
            "POST", "/api/v1/chat", body,
            bearer(key) + Headers{{"X-Forwarded-For", "6.6.6.6, 10.1.2.3"}, {"Content-Type", "application/json"}});
        const HttpReply audited = daemon.postJson("/admin/token", {{"username", "proxied"}},
                                                  Headers{{"X-Forwarded-For", "10.9.9.9"}} + admin());
        daemon.setSourceAddress({});
        QVERIFY2(passed(viaProxy), viaProxy.body.constData());
        QCOMPARE(audited.status, 200);
        const HttpReply audit = daemon.request("GET", "/admin/audit?limit=5", {}, admin());
        QCOMPARE(audit.status, 200);
        bool seen = false;
        for (const auto &e : audit.json().value("entries").toArray())
            seen = seen || (e.toObject().value("action") == QLatin1String("token.issue") &&
                            e.toObject().value("address") == QLatin1String("10.9.9.9"));
        QVERIFY2(seen, audit.body.constData());
    }

    void adminBruteForce()
    {
        daemon.setSourceAddress(QStringLiteral("127.0.0.4"));
        for (int i = 0; i < 5; ++i)
            expectError(
                daemon.postJson("/admin/token", {{"username", "x"}}, {{"X-API-Key", "guess" + QByteArray::number(i)}}),
                401, "invalid_api_key");
        const HttpReply blocked = daemon.postJson("/admin/token", {{"username", "x"}}, {{"X-API-Key", "guess"}});
        const HttpReply blockedEvenRight = daemon.postJson("/admin/token", {{"username", "x"}}, admin());
        daemon.setSourceAddress({});
        expectError(blocked, 429, "too_many_failures");
        QVERIFY(blocked.header("Retry-After").toInt() > 0);
        expectError(blockedEvenRight, 429, "too_many_failures");
        // Other addresses are not affected.
        QCOMPARE(daemon.postJson("/admin/token", {{"username", "x"}}, admin()).status, 200);
        legitimateStillServed();
    }

    void rateLimited()
    {
        const QByteArray key =
            createKey({{"name", "metered"}, {"requests_per_minute", 3}}).value("key").toString().toLatin1();
        // OpenAI's x-ratelimit-* headers count down with each request (clients pace themselves by them).
        for (int i = 0; i < 3; ++i) {
            const HttpReply ok = chat(key);
            QVERIFY(passed(ok));
            QCOMPARE(ok.header("x-ratelimit-limit-requests"), QByteArray("3"));
            QCOMPARE(ok.header("x-ratelimit-remaining-requests").toInt(), 2 - i);
            QVERIFY(ok.header("x-ratelimit-reset-requests").endsWith("s"));
            QVERIFY(ok.header("x-ratelimit-limit-tokens").isEmpty()); // no token limit set
        }
        const HttpReply r = chat(key);
        expectError(r, 429, "rate_limit_exceeded");
        QCOMPARE(r.header("x-ratelimit-remaining-requests"), QByteArray("0"));
        const int reset = r.header("x-ratelimit-reset-requests").chopped(1).toInt();
        QVERIFY2(reset > 0 && reset <= 60, r.header("x-ratelimit-reset-requests").constData());
        const int retry = r.header("Retry-After").toInt();
        QVERIFY2(retry > 0 && retry <= 60, r.header("Retry-After").constData());
        legitimateStillServed(); // other subjects are not limited
        // Usage is recorded per key.
        const HttpReply usage = daemon.request("GET", "/admin/usage", {}, admin());
        QCOMPARE(usage.status, 200);
        const QString subject = "key:" + QString::fromLatin1(key.left(11));
        bool found = false;
        for (const auto &u : usage.json().value("usage").toArray()) {
            const QJsonObject o = u.toObject();
            if (o.value("subject").toString() != subject)
                continue;
            found = true;
            QCOMPARE(o.value("requests").toInt(), 3);
            if (haveModel)
                QVERIFY(o.value("generated_tokens").toInt() > 0);
        }
        QVERIFY2(found, usage.body.constData());
    }

    void tokenRateLimited()
    {
        if (!haveModel)
            QSKIP("tokens_per_minute needs a model (../shared/models/stories260K)");
        const QByteArray key =
            createKey({{"name", "few-tokens"}, {"tokens_per_minute", 2}}).value("key").toString().toLatin1();
        const HttpReply first = chat(key);
        QVERIFY(passed(first)); // charged afterwards: prompt + generated > 2
        QCOMPARE(first.header("x-ratelimit-remaining-tokens"), QByteArray("2"));
        const HttpReply r = chat(key);
        expectError(r, 429, "rate_limit_exceeded", "token");
        QCOMPARE(r.header("x-ratelimit-remaining-tokens"), QByteArray("0"));
        QVERIFY(r.header("Retry-After").toInt() > 0);
        legitimateStillServed();
    }

    void securityMetrics()
    {
        const HttpReply m = daemon.request("GET", "/metrics");
        QCOMPARE(m.status, 200);
        QVERIFY(m.body.contains("smartbot_api_keys_rotation_due 0"));
        QVERIFY(m.body.contains("smartbot_auth_failures_total"));
        for (const QByteArray &s : secrets)
            if (!s.isEmpty())
                QVERIFY(!m.body.contains(s));
    }

    void cliChangesSeenAtOnce()
    {
        int rc = -1;
        const QByteArray key =
            cli({"key", "create", "--config", configDir.path(), "--name", "from-cli", "--scope", "chat"}, &rc);
        QCOMPARE(rc, 0);
        secrets << key;
        QVERIFY(key.startsWith("sb_"));
        QVERIFY(passed(chat(key)));
        const QByteArray list = cli({"key", "list", "--config", configDir.path(), "--json"}, &rc);
        QCOMPARE(rc, 0);
        QVERIFY(list.contains("from-cli"));
        QVERIFY(!list.contains(key));
        cli({"key", "revoke", key.left(11), "--config", configDir.path()}, &rc);
        QCOMPARE(rc, 0);
        expectError(chat(key), 401, "invalid_api_key", "revoked");
        // Rotation: the old key keeps working during the grace period, the new one works at once.
        const QByteArray a = cli({"key", "create", "--config", configDir.path(), "--name", "rotating"}, &rc);
        const QByteArray b = cli({"key", "rotate", a.left(11), "--config", configDir.path()}, &rc);
        QCOMPARE(rc, 0);
        secrets << a << b;
        QVERIFY(b.startsWith("sb_") && b != a);
        QVERIFY(passed(chat(a)));
        QVERIFY(passed(chat(b)));
        // Per-key limit from the CLI, usage from the CLI, token revocation from the CLI.
        const QByteArray limited =
            cli({"key", "create", "--config", configDir.path(), "--name", "cli-rpm", "--rpm", "1"}, &rc);
        QCOMPARE(rc, 0);
        secrets << limited;
        QVERIFY(passed(chat(limited)));
        expectError(chat(limited), 429, "rate_limit_exceeded");
        const QByteArray usage = cli({"key", "usage", "--config", configDir.path()}, &rc);
        QCOMPARE(rc, 0);
        QVERIFY2(usage.contains("key:" + limited.left(11)), usage.constData());
        const HttpReply issued = daemon.postJson("/admin/token", {{"username", "dora"}, {"expires_in", 600}}, admin());
        const QByteArray t = issued.json().value("token").toString().toLatin1();
        QVERIFY(passed(chat(t)));
        cli({"token", "revoke", issued.json().value("jti").toString(), "--config", configDir.path()}, &rc);
        QCOMPARE(rc, 0);
        expectError(chat(t), 401, "invalid_api_key", "revoked");
        const QByteArray audit = cli({"audit", "list", "--config", configDir.path()}, &rc);
        QCOMPARE(rc, 0);
        QVERIFY(audit.contains("key.rotate") && audit.contains("key.revoke"));
        legitimateStillServed();
    }

    void adminKeyRoutes()
    {
        const QJsonObject k = createKey({{"name", "to-delete"}});
        const QByteArray key = k.value("key").toString().toLatin1();
        QVERIFY(passed(chat(key)));
        QCOMPARE(
            daemon.request("DELETE", "/admin/keys?id=" + QByteArray::number(k.value("id").toInt()), {}, admin()).status,
            200);
        expectError(chat(key), 401, "invalid_api_key", "revoked");
        expectError(daemon.request("DELETE", "/admin/keys?id=sb_nothere", {}, admin()), 404, "key_not_found");
        // A revoke or rotate that names no key: 400 naming the field.
        expectError(daemon.request("DELETE", "/admin/keys", {}, admin()), 400, "invalid_request", "say which key");
        expectError(daemon.postJson("/admin/keys/rotate", {}, admin()), 400, "invalid_request", "say which key");
        const HttpReply rotated =
            daemon.postJson("/admin/keys/rotate", {{"id", createKey({{"name", "r"}}).value("prefix")}}, admin());
        QCOMPARE(rotated.status, 201);
        secrets << rotated.json().value("key").toString().toLatin1();
        QVERIFY(passed(chat(rotated.json().value("key").toString().toLatin1())));
        expectError(daemon.request("GET", "/admin/audit", {}, {{"X-API-Key", "sb_wrong"}}), 401, "invalid_api_key");
        legitimateStillServed();
    }

    void rotationDueAtStart()
    {
        QTemporaryDir dir;
        int rc = -1;
        const QByteArray key = cli({"key", "create", "--config", dir.path(), "--name", "ancient"}, &rc);
        QCOMPARE(rc, 0);
        secrets << key;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "age-keys");
            db.setDatabaseName(dir.filePath("smartbot.db"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE api_keys SET created_at = created_at - 100 * 86400")));
            db.close();
        }
        QSqlDatabase::removeDatabase("age-keys");
        const QByteArray list = cli({"key", "list", "--config", dir.path(), "--json"}, &rc);
        QVERIFY(list.contains("\"rotation_due\": true"));
        QVERIFY(cli({"key", "list", "--config", dir.path()}).contains("rotation due"));
        DaemonProcess d;
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("SMARTBOT_ADMIN_KEY");
        QVERIFY2(d.start(dir.path(), {}, env), qPrintable(d.output()));
        QVERIFY2(d.output().contains("due for rotation"), qPrintable(d.output()));
        QVERIFY(d.request("GET", "/metrics").body.contains("smartbot_api_keys_rotation_due 1"));
        // Rotating it clears the flag.
        const QByteArray fresh = cli({"key", "rotate", key.left(11), "--config", dir.path()}, &rc);
        QCOMPARE(rc, 0);
        secrets << fresh;
        QVERIFY(!cli({"key", "list", "--config", dir.path(), "--json"}).contains("\"rotation_due\": true"));
        d.stop();
        QVERIFY(!d.output().contains(QString::fromLatin1(key)));
    }

    // Issue 16, items 1 and 2: heads whose framing two parsers could read differently are refused with a 400 JSON
    // before QHttpServer sees them.
    void ambiguousFraming_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("messagePart");
        const QByteArray body = R"({"username":"alice"})";
        const QByteArray post = "POST /admin/token HTTP/1.1\r\nHost: x\r\nX-API-Key: ADMIN\r\n"
                                "Content-Type: application/json\r\n";
        QTest::newRow("two different Content-Lengths")
            << post + "Content-Length: " + QByteArray::number(body.size()) + "\r\nContent-Length: 5\r\n\r\n" + body
            << 400 << "more than one Content-Length";
        QTest::newRow("Content-Length +N")
            << post + "Content-Length: +" + QByteArray::number(body.size()) + "\r\n\r\n" + body << 400
            << "decimal number";
        QTest::newRow("obs-folded Content-Length")
            << post + "X-Foo: a\r\n Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body << 400
            << "line folding";
        QTest::newRow("space before colon")
            << post + "Content-Length : 20\r\n\r\n" + body << 400 << "whitespace before ':'";
        QTest::newRow("bare LF head") << QByteArray("GET /healthz HTTP/1.1\nHost: x\n\n") << 400 << "bare CR or LF";
        QTest::newRow("bare CR head") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\r\rZ\r\n\r\n") << 400
                                      << "bare CR or LF";
        QTest::newRow("TE with CL") << post + "Transfer-Encoding: chunked\r\nContent-Length: 20\r\n\r\n" + body << 400
                                    << "Transfer-Encoding and Content-Length";
        QTest::newRow("garbage request line") << QByteArray("HELLO\r\n\r\n") << 400 << "request line";
        QTest::newRow("no Host") << QByteArray("GET /healthz HTTP/1.1\r\n\r\n") << 400 << "Host";
        QTest::newRow("websocket upgrade")
            << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            << 400 << "Upgrade";
        QTest::newRow("HTTP/2.0") << QByteArray("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n") << 505 << "HTTP/1.1";
    }
    void ambiguousFraming()
    {
        QFETCH(QByteArray, request);
        request.replace("ADMIN", adminKey);
        QFETCH(int, status);
        QFETCH(QString, messagePart);
        const HttpReply r = daemon.raw(request, 5000);
        QVERIFY2(r.status == status,
                 qPrintable(QStringLiteral("status %1: %2").arg(r.status).arg(QString::fromUtf8(r.body))));
        QCOMPARE(r.header("Content-Type"), QByteArray("application/json"));
        const QString message = r.json().value("error").toObject().value("message").toString();
        QVERIFY2(message.contains(messagePart), qPrintable(message));
        legitimateStillServed();
    }

    // The exploit of issue 16, item 1: an obs-folded Content-Length made the guard count the next request's head as
    // body, so that request's own Content-Length was never checked and one connection could send any amount. Now the
    // first head gets 400 and the connection closes: the daemon's memory stays flat while 64 MiB are pushed at it.
    void smugglingKeepsMemoryFlat()
    {
        const qint64 pid = daemon.process().processId();
        const qint64 rssBefore = rssKib(pid);
        QVERIFY(rssBefore > 0);
        const QByteArray second = "POST /admin/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 314572800\r\n\r\n";
        const QByteArray first = "POST /admin/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 "X-Foo: a\r\n Content-Length: " +
                                 QByteArray::number(second.size()) + "\r\n\r\n";
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), daemon.port());
        QVERIFY(s.waitForConnected(5000));
        s.write(first + second);
        const QByteArray chunk(1 << 20, 'x');
        qint64 pushed = 0;
        QElapsedTimer t;
        t.start();
        QByteArray reply;
        while (pushed < (qint64(64) << 20) && s.state() == QAbstractSocket::ConnectedState && t.elapsed() < 20000) {
            if (s.bytesToWrite() < (4 << 20)) {
                s.write(chunk);
                pushed += chunk.size();
            }
            s.waitForBytesWritten(50);
            reply += s.readAll();
        }
        while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < 20000 && s.waitForReadyRead(200))
            reply += s.readAll();
        reply += s.readAll();
        const qint64 rssAfter = rssKib(pid);
        qInfo("smuggling attempt: %lld MiB pushed before the close; daemon RSS %lld -> %lld KiB", pushed >> 20,
              rssBefore, rssAfter);
        QVERIFY2(reply.startsWith("HTTP/1.1 400 "), reply.left(200).constData());
        QVERIFY2(reply.contains("line folding"), reply.constData());
        QVERIFY2(s.state() != QAbstractSocket::ConnectedState || !s.waitForReadyRead(2000),
                 "the connection stayed open after the refusal");
        QVERIFY2(rssAfter - rssBefore < 16 * 1024, "the daemon's memory grew: the body was buffered");
        legitimateStillServed();
    }

    // Issue 16, item 3 (part): Connection: close and HTTP/1.0 without keep-alive end the connection after the reply
    // instead of holding it until the idle timeout.
    void connectionCloseHonoured_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<bool>("closes");
        QTest::newRow("1.1 close") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                                   << true;
        QTest::newRow("1.0") << QByteArray("GET /healthz HTTP/1.0\r\n\r\n") << true;
        QTest::newRow("1.0 keep-alive") << QByteArray("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                                        << false;
        QTest::newRow("1.1") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") << false;
    }
    void connectionCloseHonoured()
    {
        QFETCH(QByteArray, request);
        QFETCH(bool, closes);
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), daemon.port());
        QVERIFY(s.waitForConnected(5000));
        s.write(request);
        QByteArray data;
        QElapsedTimer t;
        t.start();
        while (!data.contains("{\"status\"") && t.elapsed() < 5000 && s.waitForReadyRead(200))
            data += s.readAll();
        data += s.readAll();
        QVERIFY2(data.contains(" 200 "), data.constData());
        // Closed within a second of the reply (the idle timeout is a minute), or still open after it.
        QElapsedTimer closing;
        closing.start();
        while (s.state() == QAbstractSocket::ConnectedState && closing.elapsed() < 1500)
            s.waitForReadyRead(100);
        QCOMPARE(s.state() != QAbstractSocket::ConnectedState, closes);
    }

    // Issue 16, item 6: a newline in a logged value cannot forge a log line.
    void logInjectionEscaped()
    {
        const QString forged = QStringLiteral("2026-01-01T00:00:00.000Z WARN forged admin login");
        const HttpReply r = daemon.postJson("/admin/token", {{"username", "bob\n" + forged}}, admin());
        QCOMPARE(r.status, 200);
        secrets << r.json().value("token").toString().toLatin1();
        QVERIFY2(daemon.waitForLog("bob\\n" + forged, 5000), "the escaped username is not in the log");
        for (const QString &line : daemon.output().split('\n'))
            QVERIFY2(!line.startsWith(forged), qPrintable(line));
    }

    // Issue 16, item 4: a file or folder the server trusts that others could write is refused at start, named, with
    // the fix; a new config folder is made private whatever the umask.
    void refusesWritableTrustedPaths_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("extraMode");
        QTest::newRow("config folder o+w") << QString(".") << 0002;
        QTest::newRow("server.conf g+w") << QString("server.conf") << 0020;
        QTest::newRow("server.conf o+w") << QString("server.conf") << 0002;
        QTest::newRow("smartbot.db o+w") << QString("smartbot.db") << 0002;
        QTest::newRow("smartbot.db g+w") << QString("smartbot.db") << 0020;
        QTest::newRow("auth folder o+w") << QString("auth") << 0002;
    }
    void refusesWritableTrustedPaths()
    {
        QFETCH(QString, path);
        QFETCH(int, extraMode);
        QTemporaryDir parent;
        const QString dir = parent.filePath("config");
        int rc = -1;
        const mode_t oldMask = ::umask(0);
        cli({"key", "list", "--config", dir}, &rc); // creates the folder, server.conf and the database
        QProcess first;
        first.start(smartbotdPath(), {"token", "issue", "--config", dir, "--user", "u"}); // and auth/
        QVERIFY(first.waitForFinished(20000));
        ::umask(oldMask);
        QCOMPARE(first.exitCode(), 0);
        struct stat st {};
        QCOMPARE(::stat(QFile::encodeName(dir), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0700);
        QCOMPARE(::stat(QFile::encodeName(dir + "/server.conf"), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);

        const QByteArray target = QFile::encodeName(QDir(dir).filePath(path));
        QCOMPARE(::stat(target.constData(), &st), 0);
        QCOMPARE(::chmod(target.constData(), (st.st_mode & 07777) | extraMode), 0);
        QProcess p;
        p.start(smartbotdPath(), {"serve", "--config", dir, "--port", "0"});
        QVERIFY(p.waitForFinished(20000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitCode() != 0, qPrintable(err));
        QVERIFY2(err.contains("chmod go-w " + QDir::cleanPath(QDir(dir).filePath(path))), qPrintable(err));
        QVERIFY2(err.count('\n') <= 2, qPrintable(err));
        // Repaired: starts again.
        QCOMPARE(::chmod(target.constData(), st.st_mode & 07777), 0);
        DaemonProcess d;
        QVERIFY2(d.start(dir), qPrintable(d.output()));
    }

    // Issue 16, item 8: the smaller findings, each through the real route.
    void smallerFindings()
    {
        const QJsonObject created = createKey({{"name", "item8"}});
        const QString prefix = created.value("prefix").toString();
        QVERIFY(!prefix.isEmpty());
        // Rotate refuses a body that is not JSON (415) like every other admin route.
        const QByteArray idBody = QJsonDocument(QJsonObject{{"id", prefix}}).toJson(QJsonDocument::Compact);
        Headers textPlain = admin();
        textPlain.push_back({"Content-Type", "text/plain"});
        expectError(daemon.request("POST", "/admin/keys/rotate", idBody, textPlain), 415, "unsupported_media_type");
        // ?id= is percent-decoded: "%5F" is the prefix's "_".
        QString encoded = prefix;
        encoded.replace("_", "%5F");
        const HttpReply revoked = daemon.request("DELETE", "/admin/keys?id=" + encoded.toLatin1(), {}, admin());
        QVERIFY2(revoked.status == 200, revoked.body.constData());
        QCOMPARE(revoked.json().value("prefix").toString(), prefix);
        // A lone surrogate escape is not text: 400 naming the field, nothing stored.
        QByteArray lone = R"({"username": "a\ud800b"})";
        Headers json = admin();
        json.push_back({"Content-Type", "application/json"});
        expectError(daemon.request("POST", "/admin/token", lone, json), 400, "invalid_json",
                    "unpaired UTF-16 surrogate");
        expectError(daemon.request("POST", "/admin/keys", R"({"name": "\udc00"})", json), 400, "invalid_json",
                    "'name'");
        // A paired escape is fine.
        QCOMPARE(daemon.request("POST", "/admin/token", R"({"username": "\ud83d\ude00"})", json).status, 200);
        // A huge username is told its size, not "must be a non-empty string".
        expectError(daemon.postJson("/admin/token", {{"username", QString(300000, 'u')}}, admin()), 400,
                    "invalid_request", "at most 256 characters");
        // A huge conversation_id is not echoed back whole.
        const HttpReply conv = daemon.postJson(
            "/api/v1/chat", {{"message", "hi"}, {"conversation_id", QString(300000, 'c')}}, bearer(token));
        QVERIFY2(conv.status == 404 || conv.status == 503, conv.body.left(300).constData());
        QVERIFY2(conv.body.size() < 1024, qPrintable(QString::number(conv.body.size())));
        legitimateStillServed();
    }

    void networkAllowList()
    {
        QTemporaryDir dir;
        QFile f(dir.filePath("server.conf"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[network]\nallow = 127.0.0.2, ::1/128\n");
        f.close();
        DaemonProcess guarded;
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("SMARTBOT_ADMIN_KEY");
        QVERIFY2(guarded.start(dir.path(), {}, env), qPrintable(guarded.output()));
        const HttpReply denied = guarded.request("GET", "/healthz");
        QCOMPARE(denied.status, 403);
        QCOMPARE(denied.errorCode(), QStringLiteral("address_not_allowed"));
        guarded.setSourceAddress(QStringLiteral("127.0.0.2"));
        QCOMPARE(guarded.request("GET", "/healthz").status, 200);
        guarded.stop();
        // A bad allow entry stops the server with a message naming it.
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[network]\nallow = 10.0.0.0/40\n");
        f.close();
        int rc = -1;
        QProcess p;
        p.start(smartbotdPath(), {"serve", "--config", dir.path(), "--port", "0"});
        QVERIFY(p.waitForFinished(20000));
        rc = p.exitCode();
        QVERIFY(rc != 0);
        QVERIFY(p.readAllStandardError().contains("allow"));
        legitimateStillServed();
    }
};

QTEST_GUILESS_MAIN(TestSecurity)
#include "test_security.moc"
