// [database] driver = postgresql against a real PostgreSQL server the test starts itself (postgres_cluster.h):
//  - `smartbotd db status|migrate` on an empty database, and two migrations racing on another; a database the
//    previous release made, upgraded at start with its data kept;
//  - start-up errors that say what is wrong: server not reachable, password refused, no such database or user, a
//    password file others can read, TLS demanded of a server without it, a schema newer than this release;
//  - two smartbotd with their own config folders on one database: a key created through A authenticates on B, and
//    once revoked through A is refused by B at its next request; B lists A's audit entries; a conversation started
//    on A continues on B;
//  - [limits] requests_per_minute and [auth] admin_max_failures hold across two servers (core/shared_rate_limiter.h);
//  - JWT signing keys kept in the database, sealed (core/database_keyring.h): the first server creates the key file,
//    a server without a copy is refused at start, a token issued by A is accepted by B, a rotation through the CLI
//    reaches both within the stated second (and B accepts A's new tokens at once), no key is in the database in the
//    clear;
//  - the database stopped under a running server: 503 database_unavailable (Retry-After), /healthz "degraded",
//    /readyz 503; started again: the same server answers 200 without a restart.
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include "../support/require_data.h"
#include "core/api_keys.h"
#include "core/database_keyring.h"
#include "core/storage.h"
#include "core/token_service.h"
#include "daemon_process.h"
#include "postgres_cluster.h"

namespace {

const QString kPassword = QStringLiteral("pg-test-password-4711");
const QByteArray kAdminKey = "postgres-test-admin-key-0123456789";

struct CliResult {
    int exitCode = -1;
    QString output;
};

CliResult runCli(const QStringList &args)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(smartbotdPath(), args);
    CliResult r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        r.output = QStringLiteral("(timed out) ");
    }
    r.output += QString::fromLocal8Bit(p.readAll());
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

QProcessEnvironment adminEnv()
{
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SMARTBOT_ADMIN_KEY"), QString::fromLatin1(kAdminKey));
    return env;
}

} // namespace

class TestPostgres : public QObject {
    Q_OBJECT

    PostgresCluster pg_;
    QTemporaryDir root_;
    int configs_ = 0;
    QString secretsKeyFile_; // [database] secrets_key_file of the configs made (one for every server)

    // A config folder whose [database] points at the test cluster, with `overrides` (key = value lines) after it.
    QString config(const QString &database, const QString &overrides = {}, const QString &password = kPassword,
                   QFile::Permissions passwordMode = QFile::ReadOwner | QFile::WriteOwner)
    {
        QDir dir(root_.filePath(QStringLiteral("config%1").arg(++configs_)));
        dir.mkpath(QStringLiteral("."));
        PostgresCluster::writePasswordFile(dir.path(), password, passwordMode);
        QFile conf(dir.filePath(QStringLiteral("server.conf")));
        conf.open(QIODevice::WriteOnly);
        conf.write(
            "[logging]\ndir = none\n" +
            pg_.databaseSection(
                   database, QStringLiteral("pool_size = 4\nsecrets_key_file = %1\n%2").arg(secretsKeyFile_, overrides))
                .toUtf8());
        conf.close();
        conf.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        return dir.path();
    }

    // [database] of config(name) as this process opens it (Storage, DatabaseKeyring).
    smartbot::DatabaseConfig pgConfig(const QString &name, const QString &dir) const
    {
        smartbot::DatabaseConfig db;
        db.driver = smartbot::DatabaseConfig::Driver::PostgreSql;
        db.port = pg_.port();
        db.name = name;
        db.passwordFile = dir + QStringLiteral("/db.pass");
        return db;
    }

private Q_SLOTS:
    void initTestCase()
    {
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        const QString started = pg_.start();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        secretsKeyFile_ = root_.filePath(QStringLiteral("database.key"));
        for (const char *db : {"smartbot", "cli", "race", "newer", "keys"}) {
            const QString made = pg_.createDatabase(QString::fromLatin1(db), QStringLiteral("smartbot"), kPassword);
            QVERIFY2(made.isEmpty(), qPrintable(made));
        }
    }

    void migrateCommand()
    {
        const QString dir = config(QStringLiteral("cli"));
        auto status = runCli({"db", "status", "--config", dir});
        QCOMPARE(status.exitCode, 3);
        QVERIFY2(status.output.contains(QStringLiteral("schema version: 0")), qPrintable(status.output));
        QVERIFY2(status.output.contains(QStringLiteral("postgresql://smartbot@127.0.0.1:%1/cli").arg(pg_.port())),
                 qPrintable(status.output));
        QVERIFY2(!status.output.contains(kPassword), "the password must never be printed");
        auto migrated = runCli({"db", "migrate", "--config", dir});
        QCOMPARE(migrated.exitCode, 0);
        QVERIFY2(migrated.output.contains(QStringLiteral("from schema version 0 to")), qPrintable(migrated.output));
        status = runCli({"db", "status", "--config", dir});
        QCOMPARE(status.exitCode, 0);
        QVERIFY2(status.output.contains(QStringLiteral("up to date")), qPrintable(status.output));
        QCOMPARE(runCli({"db", "migrate", "--config", dir}).exitCode, 0); // again: nothing to do
        // The CLI's key commands work on PostgreSQL too.
        auto key = runCli({"key", "create", "--config", dir, "--name", "from-cli"});
        QVERIFY2(key.exitCode == 0 && key.output.contains(QStringLiteral("sb_")), qPrintable(key.output));
        auto listed = runCli({"key", "list", "--config", dir});
        QVERIFY2(listed.output.contains(QStringLiteral("from-cli")), qPrintable(listed.output));
    }

    void racingMigrationsApplyOnce()
    {
        // Servers starting together on an empty database: one migrates, the other waits and finds it done.
        const QString a = config(QStringLiteral("race")), b = config(QStringLiteral("race"));
        QProcess pa, pb;
        pa.setProcessChannelMode(QProcess::MergedChannels);
        pb.setProcessChannelMode(QProcess::MergedChannels);
        pa.start(smartbotdPath(), {"db", "migrate", "--config", a});
        pb.start(smartbotdPath(), {"db", "migrate", "--config", b});
        QVERIFY(pa.waitForFinished(60000) && pb.waitForFinished(60000));
        QVERIFY2(pa.exitCode() == 0, pa.readAll().constData());
        QVERIFY2(pb.exitCode() == 0, pb.readAll().constData());
        QString error;
        const QString versions =
            pg_.psql(QStringLiteral("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version"),
                     QStringLiteral("race"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // Each of this release's versions once (`db status` names the release's version).
        const auto status = runCli({"db", "status", "--config", a});
        QCOMPARE(status.exitCode, 0);
        const int release =
            QRegularExpression(QStringLiteral("this release: (\\d+)")).match(status.output).captured(1).toInt();
        QVERIFY2(release >= 4, qPrintable(status.output));
        QStringList expected;
        for (int v = 1; v <= release; ++v)
            expected << QString::number(v);
        QCOMPARE(versions, expected.join(QLatin1Char(',')));
    }

    void startupErrors_data()
    {
        QTest::addColumn<QString>("database");
        QTest::addColumn<QString>("overrides");
        QTest::addColumn<QString>("password");
        QTest::addColumn<int>("passwordMode");
        QTest::addColumn<QString>("expected");
        const int owner = int(QFile::ReadOwner | QFile::WriteOwner);
        const int world = owner | int(QFile::ReadOther | QFile::ReadGroup);
        QTest::newRow("server not reachable")
            << "smartbot" << QStringLiteral("port = %1").arg(PostgresCluster::freePort()) << kPassword << owner
            << "cannot reach PostgreSQL at 127.0.0.1";
        QTest::newRow("wrong password") << "smartbot"
                                        << ""
                                        << "not-the-password" << owner << "refused the password of user 'smartbot'";
        QTest::newRow("no such database") << "nope"
                                          << "" << kPassword << owner << "has no database 'nope'";
        QTest::newRow("no such user") << "smartbot"
                                      << "user = ghost" << kPassword << owner << "user 'ghost'";
        QTest::newRow("password file readable by others") << "smartbot"
                                                          << "" << kPassword << world << "chmod 600";
        QTest::newRow("password file missing") << "smartbot"
                                               << "password_file = nothere" << kPassword << owner << "does not exist";
        QTest::newRow("TLS demanded, server has none")
            << "smartbot"
            << "sslmode = require" << kPassword << owner << "check [database] sslmode";
        QTest::newRow("unknown sslmode") << "smartbot"
                                         << "sslmode = sometimes" << kPassword << owner << "sslmode must be one of";
        QTest::newRow("unknown driver") << "smartbot"
                                        << "driver = mysql" << kPassword << owner
                                        << "driver must be sqlite or postgresql";
        QTest::newRow("pool larger than the cap")
            << "smartbot"
            << "max_connections = 2\npool_size = 3" << kPassword << owner << "must not exceed max_connections";
    }

    void startupErrors()
    {
        QFETCH(QString, database);
        QFETCH(QString, overrides);
        QFETCH(QString, password);
        QFETCH(int, passwordMode);
        QFETCH(QString, expected);
        const QString dir = config(database, overrides, password, QFile::Permissions(passwordMode));
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.setProcessEnvironment(adminEnv());
        p.start(smartbotdPath(), {"serve", "--config", dir, "--port", "0", "--model", sharedModelDir()});
        QVERIFY2(p.waitForFinished(30000), "smartbotd kept running with a database it cannot use");
        const QString out = QString::fromLocal8Bit(p.readAll());
        QVERIFY2(p.exitCode() != 0, qPrintable(out));
        QVERIFY2(out.contains(expected), qPrintable(out));
        QVERIFY2(!out.contains(kPassword) && !out.contains(QStringLiteral("not-the-password")),
                 "a password was printed");
    }

    void newerSchemaRefused()
    {
        const QString dir = config(QStringLiteral("newer"));
        QCOMPARE(runCli({"db", "migrate", "--config", dir}).exitCode, 0);
        QString error;
        pg_.psql(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)"),
                 QStringLiteral("newer"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        auto status = runCli({"db", "status", "--config", dir});
        QCOMPARE(status.exitCode, 1);
        QVERIFY2(status.output.contains(QStringLiteral("newer release")), qPrintable(status.output));
        auto serve = runCli({"serve", "--config", dir, "--port", "0", "--model", sharedModelDir()});
        QVERIFY(serve.exitCode != 0);
        QVERIFY2(serve.output.contains(QStringLiteral("schema version 999, newer than this SmartBot")),
                 qPrintable(serve.output));
    }

    // Two servers starting at the same moment on an empty database, each with its own default key file
    // (auth/database.key in its data folder): one seals the keys and serves; the other is refused, told to copy the
    // first one's file, and serves once given it. Neither locks the other out.
    void serversStartingTogether()
    {
        const QString made = pg_.createDatabase(QStringLiteral("together"), QStringLiteral("smartbot"), kPassword);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        const QString ownFile = secretsKeyFile_;
        secretsKeyFile_.clear(); // the default, per data folder
        auto restore = qScopeGuard([&] { secretsKeyFile_ = ownFile; });
        const QStringList dirs{config(QStringLiteral("together")), config(QStringLiteral("together"))};
        QProcess p[2];
        for (int i = 0; i < 2; ++i) {
            p[i].setProcessChannelMode(QProcess::MergedChannels);
            p[i].setProcessEnvironment(adminEnv());
        }
        for (int i = 0; i < 2; ++i)
            p[i].start(smartbotdPath(), {"serve", "--config", dirs[i], "--port", "0", "--model", sharedModelDir()});
        QString out[2];
        auto settled = [&](int i) {
            out[i] += QString::fromLocal8Bit(p[i].readAll());
            return out[i].contains(QStringLiteral("listening on")) || p[i].state() == QProcess::NotRunning;
        };
        QTRY_VERIFY_WITH_TIMEOUT(settled(0) && settled(1), 30000);
        const bool serving[2] = {p[0].state() == QProcess::Running, p[1].state() == QProcess::Running};
        QVERIFY2(serving[0] != serving[1], qPrintable(out[0] + QStringLiteral("\n----\n") + out[1]));
        const int winner = serving[0] ? 0 : 1, loser = 1 - winner;
        const QString winnerFile = dirs[winner] + QStringLiteral("/auth/database.key");
        QVERIFY2(out[loser].contains(QStringLiteral("copy ") + dirs[loser] + QStringLiteral("/auth/database.key")),
                 qPrintable(out[loser]));
        QVERIFY(QFile::copy(winnerFile, dirs[loser] + QStringLiteral("/auth/database.key")));
        DaemonProcess second;
        QVERIFY2(second.start(dirs[loser], {"--model", sharedModelDir()}, adminEnv()), qPrintable(second.output()));
        p[winner].terminate();
        p[winner].waitForFinished(10000);
    }

    // A database the previous release made (schema 4: migrations are never edited once released, so migrate(4) runs
    // that release's SQL) with a key in it, and a JWT that release's server signed with its auth/secret.key: the
    // server upgrades the database at start, and the key and the token still authenticate; `db status` says current.
    void upgradeFromPreviousRelease()
    {
        const QString made = pg_.createDatabase(QStringLiteral("upgrade"), QStringLiteral("smartbot"), kPassword);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        const QString dir = config(QStringLiteral("upgrade"));
        const smartbot::DatabaseConfig db = pgConfig(QStringLiteral("upgrade"), dir);
        // A token the previous release's server signed with its auth/secret.key.
        QDir(dir).mkpath(QStringLiteral("auth"));
        const QByteArray oldSecret = QByteArray(32, 's');
        QFile secret(dir + QStringLiteral("/auth/secret.key"));
        QVERIFY(secret.open(QIODevice::WriteOnly));
        secret.write(oldSecret.toBase64() + "\n");
        secret.close();
        QVERIFY(secret.setPermissions(QFile::ReadOwner));
        auto oldToken = smartbot::TokenService(oldSecret).issue(QStringLiteral("before"), 600);
        QVERIFY(oldToken.ok());
        QByteArray key;
        {
            auto previous = smartbot::Storage::open(dir, db, smartbot::Storage::Migrate::No);
            QVERIFY2(previous.ok(), previous.ok() ? "" : previous.error().c_str());
            QVERIFY(previous.value()->migrate(smartbot::Storage::currentSchemaVersion() - 1).ok());
            auto created = smartbot::ApiKeyStore(*previous.value()).create({.name = QStringLiteral("kept")});
            QVERIFY(created.ok());
            key = created->key;
        }
        auto status = runCli({"db", "status", "--config", dir});
        QCOMPARE(status.exitCode, 3); // a migration pending
        DaemonProcess d;
        QVERIFY2(d.start(dir, {"--model", sharedModelDir()}, adminEnv()), qPrintable(d.output()));
        QCOMPARE(d.request("GET", "/v1/models", {}, {{"Authorization", "Bearer " + key}}).status, 200);
        QCOMPARE(d.request("GET", "/v1/models", {}, {{"Authorization", "Bearer " + oldToken->token}}).status, 200);
        status = runCli({"db", "status", "--config", dir});
        QVERIFY2(status.exitCode == 0, qPrintable(status.output));
    }

    void daemonsShareKeysAndRecoverFromOutage()
    {
        DaemonProcess a, b;
        QVERIFY2(a.start(config(QStringLiteral("smartbot")), {"--model", sharedModelDir()}, adminEnv()),
                 qPrintable(a.output()));
        QVERIFY2(b.start(config(QStringLiteral("smartbot")), {"--model", sharedModelDir()}, adminEnv()),
                 qPrintable(b.output()));
        const QList<QPair<QByteArray, QByteArray>> admin{{"X-API-Key", kAdminKey}};

        auto created = a.postJson("/admin/keys", {{"name", "shared"}}, admin);
        QCOMPARE(created.status, 201);
        const QByteArray key = created.json()["key"].toString().toLatin1();
        const QString id = created.json()["id"].toVariant().toString();
        const QList<QPair<QByteArray, QByteArray>> bearer{{"Authorization", "Bearer " + key}};
        QCOMPARE(b.request("GET", "/v1/models", {}, bearer).status, 200);
        const auto audit = b.request("GET", "/admin/audit?limit=50", {}, admin);
        QCOMPARE(audit.status, 200);
        QVERIFY2(audit.body.contains("key.create"), audit.body.constData());

        // A conversation started on A continues on B, and A lists both turns.
        auto started = a.postJson("/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 4}}, bearer);
        QCOMPARE(started.status, 200);
        const QString conversation = started.json()["conversation_id"].toString();
        auto continued = b.postJson(
            "/api/v1/chat", {{"message", "The end"}, {"max_tokens", 4}, {"conversation_id", conversation}}, bearer);
        QCOMPARE(continued.status, 200);
        QVERIFY(continued.json()["usage"].toObject()["prompt_tokens"].toInt() > 8); // the history was in the prompt
        const auto both = a.request("GET", "/api/v1/conversations/" + conversation.toLatin1(), {}, bearer);
        QCOMPARE(both.status, 200);
        QCOMPARE(both.json()["turns"].toInt(), 2);

        // Revoked through A: B refuses it at its next request (every check reads the database).
        QCOMPARE(a.request("DELETE", "/admin/keys?id=" + id.toLatin1(), {}, admin).status, 200);
        const auto refused = b.request("GET", "/v1/models", {}, bearer);
        QCOMPARE(refused.status, 401);
        QVERIFY2(refused.body.contains("revoked"), refused.body.constData());

        auto live = a.postJson("/admin/keys", {{"name", "live"}}, admin);
        QCOMPARE(live.status, 201);
        const QList<QPair<QByteArray, QByteArray>> liveBearer{
            {"Authorization", "Bearer " + live.json()["key"].toString().toLatin1()}};
        QCOMPARE(a.request("GET", "/v1/models", {}, liveBearer).status, 200);
        const auto metrics = a.request("GET", "/metrics");
        QVERIFY2(metrics.body.contains("smartbot_db_connections{state=\"idle\"}"), metrics.body.constData());

        // The database goes away: a clear 503, health says why; it comes back: the same server answers again.
        QString stopped = pg_.stop();
        QVERIFY2(stopped.isEmpty(), qPrintable(stopped));
        const auto down = a.request("GET", "/v1/models", {}, liveBearer);
        QCOMPARE(down.status, 503);
        QCOMPARE(down.errorCode(), QStringLiteral("database_unavailable"));
        QVERIFY(!down.header("Retry-After").isEmpty());
        QCOMPARE(a.request("GET", "/admin/keys", {}, admin).status, 503);
        const auto health = a.request("GET", "/healthz");
        QCOMPARE(health.status, 200);
        QCOMPARE(health.json()["status"].toString(), QStringLiteral("degraded"));
        QCOMPARE(a.request("GET", "/readyz").status, 503);

        const QString restarted = pg_.restart();
        QVERIFY2(restarted.isEmpty(), qPrintable(restarted));
        int status = 0;
        for (int i = 0; i < 50 && status != 200; ++i) {
            status = a.request("GET", "/v1/models", {}, liveBearer).status;
            if (status != 200)
                QTest::qWait(200);
        }
        QCOMPARE(status, 200);
        QCOMPARE(a.request("GET", "/healthz").json()["status"].toString(), QStringLiteral("ok"));
        QCOMPARE(b.request("GET", "/v1/models", {}, liveBearer).status, 200);
    }

    void signingKeysShared()
    {
        const QList<QPair<QByteArray, QByteArray>> admin{{"X-API-Key", kAdminKey}};
        const QString ownFile = secretsKeyFile_;
        secretsKeyFile_ = root_.filePath(QStringLiteral("keys.key"));
        auto restore = qScopeGuard([&] { secretsKeyFile_ = ownFile; });
        DaemonProcess a, b;
        const QString dirA = config(QStringLiteral("keys"));
        QVERIFY2(a.start(dirA, {"--model", sharedModelDir()}, adminEnv()), qPrintable(a.output()));
        QVERIFY(QFileInfo::exists(secretsKeyFile_));
        const QFile::Permissions mode = QFile(secretsKeyFile_).permissions(); // 0400
        QCOMPARE(mode & (QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::WriteGroup |
                         QFile::ExeGroup | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther),
                 QFile::ReadOwner);

        // No key is in the database in the clear: A's own key (auth/secret.key) was sealed into it.
        QFile own(dirA + QStringLiteral("/auth/secret.key"));
        QVERIFY(own.open(QIODevice::ReadOnly));
        const QByteArray ownHex = QByteArray::fromBase64(own.readAll().trimmed()).toHex();
        QString error;
        QCOMPARE(pg_.psql(QStringLiteral("SELECT count(*), sum(position(decode('%1', 'hex') in sealed)) FROM "
                                         "signing_keys")
                              .arg(QString::fromLatin1(ownHex)),
                          QStringLiteral("keys"), &error)
                     .trimmed(),
                 QStringLiteral("1|0"));
        QVERIFY2(error.isEmpty(), qPrintable(error));

        // A server without the file is refused at start, told what to copy.
        secretsKeyFile_ = root_.filePath(QStringLiteral("missing.key"));
        auto refused =
            runCli({"serve", "--config", config(QStringLiteral("keys")), "--port", "0", "--model", sharedModelDir()});
        QVERIFY(refused.exitCode != 0);
        QVERIFY2(refused.output.contains(QStringLiteral("sealed with a key this server does not have")) &&
                     refused.output.contains(QStringLiteral("copy ") + secretsKeyFile_),
                 qPrintable(refused.output));
        QVERIFY(!QFileInfo::exists(secretsKeyFile_));
        secretsKeyFile_ = root_.filePath(QStringLiteral("keys.key"));

        const QString dirB = config(QStringLiteral("keys"));
        QVERIFY2(b.start(dirB, {"--model", sharedModelDir()}, adminEnv()), qPrintable(b.output()));
        auto issue = [&](DaemonProcess &d) {
            return d.postJson("/admin/token", {{"username", "alice"}, {"expires_in", 600}}, admin)
                .json()["token"]
                .toString()
                .toLatin1();
        };
        auto models = [](DaemonProcess &d, const QByteArray &token) {
            return d.request("GET", "/v1/models", {}, {{"Authorization", "Bearer " + token}}).status;
        };
        auto kidOf = [](const QByteArray &token) {
            return QJsonDocument::fromJson(
                       QByteArray::fromBase64(token.left(token.indexOf('.')), QByteArray::Base64UrlEncoding))
                .object()["kid"]
                .toString();
        };
        const QByteArray fromA = issue(a);
        QVERIFY(!fromA.isEmpty());
        QCOMPARE(models(b, fromA), 200); // issued by A, accepted by B
        QCOMPARE(kidOf(issue(b)), kidOf(fromA));

        // A rotation through the CLI (on B's config folder): B accepts A's tokens of the new key, below.
        auto rotated = runCli({"token", "rotate-secret", "--config", dirB});
        QVERIFY2(rotated.exitCode == 0, qPrintable(rotated.output));
        const QString newKid =
            QRegularExpression(QStringLiteral("new JWT signing key (\\S+);")).match(rotated.output).captured(1);
        QVERIFY2(newKid.size() >= 8, qPrintable(rotated.output));

        // A signs with the new key within the stated second (plus this loop's own requests).
        QElapsedTimer sinceRotation;
        sinceRotation.start();
        QByteArray rotatedToken;
        while (sinceRotation.elapsed() < 5000) {
            rotatedToken = issue(a);
            if (kidOf(rotatedToken) == newKid)
                break;
            QTest::qWait(50);
        }
        QCOMPARE(kidOf(rotatedToken), newKid);
        QVERIFY2(sinceRotation.elapsed() < 3000, qPrintable(QStringLiteral("%1 ms").arg(sinceRotation.elapsed())));
        // Both still accept the old key's token.
        QCOMPARE(models(b, rotatedToken), 200);
        QCOMPARE(models(a, fromA), 200);
        QCOMPARE(models(b, fromA), 200);
        // A rotation made (in this process, through the same keyring) right after B's regular look at the keys, and a
        // token signed with the new key at once: B accepts it although its next regular look is a second away (a
        // kid it does not know makes it look).
        {
            auto storage = smartbot::Storage::open(dirB, pgConfig(QStringLiteral("keys"), dirB));
            QVERIFY(storage.ok());
            auto ring = smartbot::DatabaseKeyring::open(*storage.value(), secretsKeyFile_, {QByteArray(32, 'q'), {}},
                                                        3600, QDateTime::currentSecsSinceEpoch());
            QVERIFY2(ring.ok(), ring.ok() ? "" : ring.error().c_str());
            QTest::qWait(smartbot::DatabaseKeyring::kPollMs + 100);
            QCOMPARE(models(b, fromA), 200); // B's regular look, certainly: the last was more than a second ago
            QElapsedTimer sinceLook;
            sinceLook.start();
            const qint64 now = QDateTime::currentSecsSinceEpoch();
            QVERIFY(ring.value()->rotate(now, 3600).ok());
            auto token =
                smartbot::TokenService(ring.value()->load(now, 3600)->current).issue(QStringLiteral("erin"), 600);
            QVERIFY(token.ok());
            const qint64 lookedAgo = sinceLook.elapsed();
            QCOMPARE(models(b, token->token), 200);
            QVERIFY2(lookedAgo < smartbot::DatabaseKeyring::kPollMs,
                     qPrintable(QStringLiteral("%1 ms: too slow to tell the looks apart").arg(lookedAgo)));
        }

        // A token signed with a key nobody has is refused, however often it is tried (the forced look is bounded).
        QByteArray forged = rotatedToken;
        forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
        QCOMPARE(models(b, forged), 401);
        // A's first key, B's own (kept for the tokens it issued before it joined), the CLI's, this test's 'q' (its
        // own key as it joined) and the last rotation's.
        QCOMPARE(pg_.psql(QStringLiteral("SELECT count(*) FROM signing_keys"), QStringLiteral("keys")).trimmed(),
                 QStringLiteral("5"));
        QCOMPARE(pg_.psql(QStringLiteral("SELECT count(*) FROM signing_keys WHERE retired_at IS NULL"),
                          QStringLiteral("keys"))
                     .trimmed(),
                 QStringLiteral("1"));
    }

    // [limits] requests_per_minute = 60 for one key, its requests spread over two servers: 60 pass in all (within
    // the stated tolerance: at most one more per server), not 60 each.
    void rateLimitHoldsAcrossDaemons()
    {
        const QString limits = QStringLiteral("[limits]\nrequests_per_minute = 60");
        DaemonProcess a, b;
        QVERIFY2(a.start(config(QStringLiteral("smartbot"), limits), {"--model", sharedModelDir()}, adminEnv()),
                 qPrintable(a.output()));
        QVERIFY2(b.start(config(QStringLiteral("smartbot"), limits), {"--model", sharedModelDir()}, adminEnv()),
                 qPrintable(b.output()));
        auto created = a.postJson("/admin/keys", {{"name", "limited"}}, {{"X-API-Key", kAdminKey}});
        QCOMPARE(created.status, 201);
        const QList<QPair<QByteArray, QByteArray>> bearer{
            {"Authorization", "Bearer " + created.json()["key"].toString().toLatin1()}};
        int passed = 0, limited = 0;
        for (int i = 0; i < 100; ++i) {
            const auto r = (i % 2 ? b : a).request("GET", "/v1/models", {}, bearer);
            if (r.status == 200)
                ++passed;
            else if (r.status == 429 && r.errorCode() == QLatin1String("rate_limit_exceeded") &&
                     !r.header("Retry-After").isEmpty())
                ++limited;
        }
        QVERIFY2(passed >= 60 && passed <= 62, qPrintable(QStringLiteral("%1 of 100 passed").arg(passed)));
        QCOMPARE(passed + limited, 100);
    }

    // [auth] admin_max_failures = 4 from one address, the wrong admin keys spread over two servers: the fifth attempt
    // is refused with 429 by either, even with the right key (one server alone would have allowed 4 more).
    void adminFailuresCountAcrossDaemons()
    {
        const QString limits = QStringLiteral("[auth]\nadmin_max_failures = 4");
        DaemonProcess a, b;
        QVERIFY2(a.start(config(QStringLiteral("smartbot"), limits), {"--model", sharedModelDir()}, adminEnv()),
                 qPrintable(a.output()));
        QVERIFY2(b.start(config(QStringLiteral("smartbot"), limits), {"--model", sharedModelDir()}, adminEnv()),
                 qPrintable(b.output()));
        const QList<QPair<QByteArray, QByteArray>> wrong{{"X-API-Key", "not-the-admin-key-000000000000"}};
        for (int i = 0; i < 4; ++i)
            QCOMPARE((i % 2 ? b : a).request("GET", "/admin/keys", {}, wrong).status, 401);
        for (DaemonProcess *d : {&a, &b}) {
            const auto r = d->request("GET", "/admin/keys", {}, {{"X-API-Key", kAdminKey}});
            QCOMPARE(r.status, 429);
            QCOMPARE(r.errorCode(), QStringLiteral("too_many_failures"));
        }
    }
};

QTEST_GUILESS_MAIN(TestPostgres)
#include "test_postgres.moc"
