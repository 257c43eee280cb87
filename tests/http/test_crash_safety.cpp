// Crash safety of the database: smartbotd is killed with SIGKILL at a random moment, ten times, while clients create
// API keys and chat concurrently. After each kill the database is intact (SQLite in WAL, [storage] synchronous =
// normal, the default, and full: the sqlite3 CLI's PRAGMA integrity_check; PostgreSQL, the test's own cluster:
// amcheck's bt_index_check of every index), and after a restart every key whose 201 the client received is there and
// still authenticates. The seed is printed so that a failure can be replayed (SMARTBOT_CRASH_SEED=N).
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <csignal>
#include <memory>

#include "../support/require_data.h"
#include "daemon_process.h"
#include "postgres_cluster.h"

namespace {

const QByteArray kAdminKey = "crash-test-admin-key-0123456789abc";
const QString kPgPassword = QStringLiteral("crash-test-pg-password-31337");

// One round's traffic against a running daemon: `creators` clients each create keys one after another, `chatters`
// chat one request after another, until stop() (the daemon is gone). Keys whose 201 came back whole are kept.
class Traffic : public QObject {
public:
    Traffic(quint16 port, QByteArray chatToken, int creators, int chatters, int round)
        : port_(port), chatToken_(std::move(chatToken)), round_(round)
    {
        for (int i = 0; i < creators + chatters; ++i) {
            clients_.push_back(std::make_unique<QNetworkAccessManager>()); // one each: parallel connections
            QTimer::singleShot(0, this, [this, i, creators] { next(i, i < creators); });
        }
    }
    void stop() { stopped_ = true; }
    bool idle() const { return pending_ == 0; }
    // Acknowledged keys: {id, key}.
    QList<QPair<QString, QByteArray>> created;
    int chats = 0;

private:
    void next(int client, bool creator)
    {
        if (stopped_)
            return;
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1%2")
                     .arg(port_)
                     .arg(creator ? QStringLiteral("/admin/keys") : QStringLiteral("/v1/chat/completions"))));
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        if (creator)
            request.setRawHeader("X-API-Key", kAdminKey);
        else
            request.setRawHeader("Authorization", "Bearer " + chatToken_);
        request.setTransferTimeout(20000);
        const QJsonObject body =
            creator ? QJsonObject{{"name", QStringLiteral("r%1-c%2-%3").arg(round_).arg(client).arg(++serial_)}}
                    : QJsonObject{{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Once upon"}}}},
                                  {"max_tokens", 8}};
        ++pending_;
        QNetworkReply *reply = clients_[size_t(client)]->post(request, QJsonDocument(body).toJson());
        connect(reply, &QNetworkReply::finished, this, [this, reply, client, creator] {
            --pending_;
            reply->deleteLater();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (reply->error() == QNetworkReply::NoError) {
                const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
                if (creator && status == 201)
                    created.append({o["id"].toVariant().toString(), o["key"].toString().toLatin1()});
                else if (!creator && status == 200)
                    ++chats;
            }
            next(client, creator);
        });
    }
    quint16 port_;
    QByteArray chatToken_;
    int round_;
    int serial_ = 0;
    int pending_ = 0;
    bool stopped_ = false;
    std::vector<std::unique_ptr<QNetworkAccessManager>> clients_;
};

// PRAGMA integrity_check by the sqlite3 CLI, on a copy of the database and its WAL as they are: opening the original
// would recover and checkpoint it, and the next start would no longer meet the state the kill left.
QString integrityCheck(const QString &db)
{
    QTemporaryDir copy;
    const QString target = copy.filePath(QStringLiteral("copy.db"));
    if (db != QLatin1String(":memory:"))
        for (const char *suffix : {"", "-wal"})
            if (QFile::exists(db + QLatin1String(suffix)) &&
                !QFile::copy(db + QLatin1String(suffix), target + QLatin1String(suffix)))
                return QStringLiteral("cannot copy ") + db + QLatin1String(suffix);
    QProcess p;
    p.start(QStringLiteral("sqlite3"),
            {db == QLatin1String(":memory:") ? db : target, QStringLiteral("PRAGMA integrity_check;")});
    if (!p.waitForFinished(30000))
        return QStringLiteral("sqlite3 did not finish");
    return QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()).trimmed();
}

} // namespace

class TestCrashSafety : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void acknowledgedKeysSurviveKill9_data()
    {
        QTest::addColumn<QByteArray>("synchronous");
        QTest::addColumn<bool>("postgresql");
        QTest::newRow("sqlite, synchronous = normal (default)") << QByteArray() << false;
        QTest::newRow("sqlite, synchronous = full") << QByteArray("full") << false;
        QTest::newRow("postgresql") << QByteArray() << true;
    }
    void acknowledgedKeysSurviveKill9()
    {
        QFETCH(QByteArray, synchronous);
        QFETCH(bool, postgresql);
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        if (integrityCheck(QStringLiteral(":memory:")) != QLatin1String("ok"))
            QFAIL("the sqlite3 CLI is missing (installers/setup-debian.sh installs it)");
        // PostgreSQL: the test's own cluster; its indexes are checked with amcheck after each kill (PostgreSQL's
        // durability is its own: what is tested is that no acknowledged write was left uncommitted by smartbotd).
        PostgresCluster pg;
        if (postgresql) {
            const QString started = pg.start();
            QVERIFY2(started.isEmpty(), qPrintable(started));
            const QString made = pg.createDatabase(QStringLiteral("crash"), QStringLiteral("smartbot"), kPgPassword);
            QVERIFY2(made.isEmpty(), qPrintable(made));
            QString error;
            pg.psql(QStringLiteral("CREATE EXTENSION amcheck"), QStringLiteral("crash"), &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
        }
        const quint32 seed = qEnvironmentVariableIsSet("SMARTBOT_CRASH_SEED")
                                 ? quint32(qEnvironmentVariableIntValue("SMARTBOT_CRASH_SEED"))
                                 : QRandomGenerator::global()->generate();
        qInfo("seed %u (replay with SMARTBOT_CRASH_SEED=%u)", seed, seed);
        QRandomGenerator random(seed);
        QTemporaryDir dir;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SMARTBOT_ADMIN_KEY", QString::fromLatin1(kAdminKey));
        const QString db = dir.filePath("smartbot.db");
        if (!synchronous.isEmpty() || postgresql) {
            QFile conf(dir.filePath("server.conf"));
            QVERIFY(conf.open(QIODevice::WriteOnly));
            if (!synchronous.isEmpty())
                conf.write("[storage]\nsynchronous = " + synchronous + "\n");
            if (postgresql) {
                conf.write(pg.databaseSection(QStringLiteral("crash")).toUtf8());
                const QString written = PostgresCluster::writePasswordFile(dir.path(), kPgPassword);
                QVERIFY2(written.isEmpty(), qPrintable(written));
            }
            conf.close();
            QVERIFY(conf.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
        }
        // The database as a kill left it: intact (SQLite: integrity_check on a copy, WAL and all; PostgreSQL: every
        // index of the schema checked against its table).
        auto intact = [&] {
            if (!postgresql)
                return integrityCheck(db);
            QString error;
            pg.psql(QStringLiteral("SELECT bt_index_check(c.oid, true) FROM pg_class c WHERE c.relkind = 'i' AND "
                                   "c.relnamespace = 'public'::regnamespace"),
                    QStringLiteral("crash"), &error);
            return error.isEmpty() ? QStringLiteral("ok") : error;
        };
        qint64 trafficMs = 0;

        QList<QPair<QString, QByteArray>> acknowledged;
        int chats = 0;
        constexpr int kRounds = 10;
        for (int round = 0; round < kRounds; ++round) {
            DaemonProcess daemon;
            QVERIFY2(daemon.start(dir.path(), {"--model", sharedModelDir()}, env), qPrintable(daemon.output()));
            QVERIFY2(daemon.waitForLog("model stories260K ready"), qPrintable(daemon.output()));
            // Everything acknowledged so far is here and still authenticates (one key per round: the rest by list).
            if (!acknowledged.isEmpty()) {
                const auto listed = daemon.request("GET", "/admin/keys", {}, {{"X-API-Key", kAdminKey}});
                QCOMPARE(listed.status, 200);
                QSet<QString> ids;
                for (const QJsonValue &k : listed.json()["keys"].toArray())
                    ids << k["id"].toVariant().toString();
                for (const auto &[id, key] : acknowledged)
                    QVERIFY2(ids.contains(id), qPrintable(QStringLiteral("key %1 was acknowledged (201) and is lost "
                                                                         "after round %2 (seed %3)")
                                                              .arg(id)
                                                              .arg(round)
                                                              .arg(seed)));
                const QByteArray sample = acknowledged[int(random.bounded(acknowledged.size()))].second;
                QCOMPARE(daemon.request("GET", "/v1/models", {}, {{"Authorization", "Bearer " + sample}}).status, 200);
            }

            const QByteArray token =
                daemon.postJson("/admin/token", {{"username", "chatter"}}, {{"X-API-Key", kAdminKey}})
                    .json()["token"]
                    .toString()
                    .toLatin1();
            QVERIFY(!token.isEmpty());
            Traffic traffic(daemon.port(), token, 4, 2, round);
            const int killAfterMs = 300 + int(random.bounded(1200));
            QEventLoop loop;
            QTimer::singleShot(killAfterMs, &loop, [&] {
                ::kill(pid_t(daemon.process().processId()), SIGKILL);
                traffic.stop();
            });
            QTimer poll;
            QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
                if (daemon.process().state() == QProcess::NotRunning && traffic.idle())
                    loop.quit();
            });
            poll.start(20);
            daemon.process().waitForStarted();
            loop.exec();
            daemon.process().waitForFinished(5000);
            QCOMPARE(daemon.process().exitStatus(), QProcess::CrashExit);
            trafficMs += killAfterMs;
            acknowledged += traffic.created;
            chats += traffic.chats;
            qInfo("round %d: killed after %d ms; %lld keys acknowledged, %d chats answered", round + 1, killAfterMs,
                  qlonglong(traffic.created.size()), traffic.chats);
            QCOMPARE(intact(), QStringLiteral("ok"));
        }
        QVERIFY2(acknowledged.size() >= kRounds, "the traffic created keys before the kills");
        qInfo("%s: %.0f keys created per second (4 clients, 2 chatting beside them)",
              postgresql              ? "postgresql"
              : synchronous.isEmpty() ? "sqlite, synchronous = normal"
                                      : "sqlite, synchronous = full",
              1000.0 * double(acknowledged.size()) / double(trafficMs));
        QVERIFY(chats > 0);

        // A last start: everything acknowledged is there.
        DaemonProcess daemon;
        QVERIFY2(daemon.start(dir.path(), {"--model", sharedModelDir()}, env), qPrintable(daemon.output()));
        const auto listed = daemon.request("GET", "/admin/keys", {}, {{"X-API-Key", kAdminKey}});
        QSet<QString> ids;
        for (const QJsonValue &k : listed.json()["keys"].toArray())
            ids << k["id"].toVariant().toString();
        for (const auto &[id, key] : acknowledged)
            QVERIFY2(ids.contains(id), qPrintable(id));
        for (const auto &[id, key] : acknowledged.mid(0, 20))
            QCOMPARE(daemon.request("GET", "/v1/models", {}, {{"Authorization", "Bearer " + key}}).status, 200);
        daemon.stop();
        QCOMPARE(intact(), QStringLiteral("ok"));
    }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "test_crash_safety.moc"
