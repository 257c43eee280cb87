// Scale-out, as an operator runs it: three smartbotd, each with its own config folder, on one PostgreSQL (the test's
// own cluster, postgres_cluster.h) behind a real nginx on loopback (least_conn, and the package sample's retry rule:
// proxy_next_upstream error http_503 non_idempotent). Through nginx and through each daemon directly:
//  - a key revoked through daemon A is refused by B and C at their next request;
//  - a token issued through nginx is accepted by every daemon (the signing keys are shared: core/database_keyring.h);
//  - a conversation started on A continues on C and B lists it;
//  - [limits] requests_per_minute = 60 holds across the three (60 to 63 of 100 pass: one more per server at most);
//  - one daemon killed with SIGKILL while hey keeps 6 clients of chat requests going through nginx: the failures are
//    counted and printed, at most one per client in flight (nginx retries the rest on the others), and a second run
//    after the kill has none.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <array>

#include "../support/require_data.h"
#include "daemon_process.h"
#include "postgres_cluster.h"

namespace {

const QString kPassword = QStringLiteral("scale-test-password-0815");
const QByteArray kAdminKey = "scale-out-test-admin-key-0123456789";
using Headers = QList<QPair<QByteArray, QByteArray>>;

QString findProgram(const QString &name)
{
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(name, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
    return path;
}

// nginx in front of the daemons: its own prefix folder, a plain-HTTP site on a free loopback port.
class Nginx {
public:
    ~Nginx() { stop(); }
    QString start(const QString &dir, const QList<quint16> &upstreams)
    {
        dir_ = dir;
        QDir(dir).mkpath(QStringLiteral("tmp"));
        port_ = PostgresCluster::freePort();
        QString servers;
        for (quint16 p : upstreams)
            servers += QStringLiteral("        server 127.0.0.1:%1 max_fails=1 fail_timeout=10s;\n").arg(p);
        QFile conf(dir + QStringLiteral("/nginx.conf"));
        if (!conf.open(QIODevice::WriteOnly))
            return QStringLiteral("cannot write nginx.conf");
        conf.write(QStringLiteral(R"(pid %1/nginx.pid;
error_log %1/error.log;
worker_processes 1;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %1/tmp/body;
    proxy_temp_path %1/tmp/proxy;
    fastcgi_temp_path %1/tmp/fastcgi;
    uwsgi_temp_path %1/tmp/uwsgi;
    scgi_temp_path %1/tmp/scgi;
    upstream smartbot {
        least_conn;
%2        keepalive 16;
    }
    server {
        listen 127.0.0.1:%3;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_read_timeout 120s;
        proxy_next_upstream error http_503 non_idempotent;
        location / { proxy_pass http://smartbot; }
    }
}
)")
                       .arg(dir, servers)
                       .arg(port_)
                       .toUtf8());
        conf.close();
        return run({});
    }
    void stop()
    {
        if (!dir_.isEmpty())
            run({QStringLiteral("-s"), QStringLiteral("quit")});
        dir_.clear();
    }
    quint16 port() const { return port_; }

private:
    QString run(const QStringList &extra)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(findProgram(QStringLiteral("nginx")),
                QStringList{QStringLiteral("-p"), dir_, QStringLiteral("-c"), dir_ + QStringLiteral("/nginx.conf")} +
                    extra);
        if (!p.waitForFinished(20000) || p.exitCode() != 0)
            return QStringLiteral("nginx %1: %2")
                .arg(extra.join(QLatin1Char(' ')), QString::fromLocal8Bit(p.readAll()));
        return {};
    }
    QString dir_;
    quint16 port_ = 0;
};

struct HeyResult {
    int total = 0;   // answered, any status
    int ok = 0;      // 200
    QString summary; // hey's status code distribution and error lines
};

// hey -n requests -c clients, POSTing a short chat completion through `port`, in the background.
class Hey {
public:
    // perClientQps: each client's rate (hey -q), 0 = as fast as answered.
    void start(quint16 port, const QByteArray &key, int requests, int clients, int perClientQps = 0)
    {
        p_.setProcessChannelMode(QProcess::MergedChannels);
        const QByteArray body = R"({"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":8})";
        p_.start(findProgram(QStringLiteral("hey")),
                 {"-n", QString::number(requests), "-c", QString::number(clients), "-q", QString::number(perClientQps),
                  "-t", "60", "-m", "POST", "-T", "application/json", "-H",
                  "Authorization: Bearer " + QString::fromLatin1(key), "-d", QString::fromLatin1(body),
                  QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(port)});
    }
    bool running() const { return p_.state() == QProcess::Running; }
    // Waits for it; the 200s among its answers.
    HeyResult finish()
    {
        // In the event loop: the daemons' log pipes are read there (a full pipe would stop a daemon).
        QElapsedTimer waited;
        waited.start();
        while (p_.state() != QProcess::NotRunning && waited.elapsed() < 180000)
            QTest::qWait(50);
        if (p_.state() != QProcess::NotRunning) {
            p_.kill();
            p_.waitForFinished();
        }
        const QString out = QString::fromLocal8Bit(p_.readAll());
        HeyResult r;
        const qsizetype from = out.indexOf(QStringLiteral("Status code distribution"));
        r.summary = from >= 0 ? out.mid(from).trimmed() : out.right(2000);
        auto it = QRegularExpression(QStringLiteral("\\[(\\d+)\\]\\s+(\\d+) responses")).globalMatch(out);
        while (it.hasNext()) {
            const auto m = it.next();
            r.total += m.captured(2).toInt();
            if (m.captured(1) == QLatin1String("200"))
                r.ok += m.captured(2).toInt();
        }
        return r;
    }

private:
    QProcess p_;
};

} // namespace

class TestScaleOut : public QObject {
    Q_OBJECT

    PostgresCluster pg_;
    QTemporaryDir root_;
    std::array<DaemonProcess, 3> daemons_;
    Nginx nginx_;
    HttpEndpoint front_;
    const Headers admin_{{"X-API-Key", kAdminKey}};

    QString config(int i)
    {
        QDir dir(root_.filePath(QStringLiteral("server%1").arg(i)));
        dir.mkpath(QStringLiteral("."));
        PostgresCluster::writePasswordFile(dir.path(), kPassword);
        QFile conf(dir.filePath(QStringLiteral("server.conf")));
        conf.open(QIODevice::WriteOnly);
        conf.write(
            "[network]\ntrusted_proxies = 127.0.0.1\n[logging]\ndir = none\n" +
            pg_.databaseSection(QStringLiteral("scale"), QStringLiteral("pool_size = 4\nsecrets_key_file = %1")
                                                             .arg(root_.filePath(QStringLiteral("database.key"))))
                .toUtf8());
        conf.close();
        conf.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        return dir.path();
    }
    QByteArray createKey(const QString &name, int requestsPerMinute = 0)
    {
        QJsonObject body{{"name", name}};
        if (requestsPerMinute > 0)
            body["requests_per_minute"] = requestsPerMinute;
        const auto r = front_.postJson("/admin/keys", body, admin_);
        return r.status == 201 ? r.json()["key"].toString().toLatin1() : QByteArray();
    }
    static Headers bearer(const QByteArray &credential) { return {{"Authorization", "Bearer " + credential}}; }

private Q_SLOTS:
    void initTestCase()
    {
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        if (findProgram(QStringLiteral("nginx")).isEmpty() || findProgram(QStringLiteral("hey")).isEmpty())
            QFAIL("nginx and hey are needed (Debian packages nginx-light and hey: installers/setup-debian.sh)");
        const QString started = pg_.start();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        const QString made = pg_.createDatabase(QStringLiteral("scale"), QStringLiteral("smartbot"), kPassword);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SMARTBOT_ADMIN_KEY"), QString::fromLatin1(kAdminKey));
        QList<quint16> ports;
        for (int i = 0; i < 3; ++i) {
            QVERIFY2(daemons_[i].start(config(i), {"--model", sharedModelDir()}, env),
                     qPrintable(daemons_[i].output()));
            ports << daemons_[i].port();
        }
        const QString proxied = nginx_.start(root_.filePath(QStringLiteral("nginx")), ports);
        QVERIFY2(proxied.isEmpty(), qPrintable(proxied));
        front_ = HttpEndpoint(nginx_.port());
        int status = 0;
        for (int i = 0; i < 50 && status != 200; ++i)
            if ((status = front_.request("GET", "/readyz").status) != 200)
                QTest::qWait(100);
        QCOMPARE(status, 200);
    }

    void cleanupTestCase() { nginx_.stop(); }

    void keyRevokedThroughOneIsRefusedByAll()
    {
        const QByteArray key = createKey(QStringLiteral("revoked"));
        QVERIFY(!key.isEmpty());
        for (auto &d : daemons_)
            QCOMPARE(d.request("GET", "/v1/models", {}, bearer(key)).status, 200);
        const auto listed = daemons_[0].request("GET", "/admin/keys", {}, admin_);
        QString id;
        for (const auto &k : listed.json()["keys"].toArray())
            if (k.toObject()["name"].toString() == QLatin1String("revoked"))
                id = k.toObject()["id"].toVariant().toString();
        QVERIFY(!id.isEmpty());
        QCOMPARE(daemons_[0].request("DELETE", "/admin/keys?id=" + id.toLatin1(), {}, admin_).status, 200);
        for (auto &d : daemons_) { // the next request on every daemon
            const auto r = d.request("GET", "/v1/models", {}, bearer(key));
            QCOMPARE(r.status, 401);
            QVERIFY2(r.body.contains("revoked"), r.body.constData());
        }
        QCOMPARE(front_.request("GET", "/v1/models", {}, bearer(key)).status, 401);
    }

    void tokenFromAnyDaemonAcceptedByAll()
    {
        const auto issued = front_.postJson("/admin/token", {{"username", "carol"}, {"expires_in", 600}}, admin_);
        QCOMPARE(issued.status, 200);
        const QByteArray token = issued.json()["token"].toString().toLatin1();
        for (auto &d : daemons_)
            QCOMPARE(d.request("GET", "/v1/models", {}, bearer(token)).status, 200);
    }

    void conversationContinuesOnAnotherDaemon()
    {
        const QByteArray key = createKey(QStringLiteral("talker"));
        auto started =
            daemons_[0].postJson("/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 4}}, bearer(key));
        QCOMPARE(started.status, 200);
        const QString id = started.json()["conversation_id"].toString();
        auto continued = daemons_[2].postJson(
            "/api/v1/chat", {{"message", "The end"}, {"max_tokens", 4}, {"conversation_id", id}}, bearer(key));
        QCOMPARE(continued.status, 200);
        QVERIFY(continued.json()["usage"].toObject()["prompt_tokens"].toInt() > 8); // the history was in the prompt
        const auto listed = daemons_[1].request("GET", "/api/v1/conversations/" + id.toLatin1(), {}, bearer(key));
        QCOMPARE(listed.status, 200);
        QCOMPARE(listed.json()["turns"].toInt(), 2);
    }

    void rateLimitHoldsAcrossThree()
    {
        const QByteArray key = createKey(QStringLiteral("limited"), 60);
        QVERIFY(!key.isEmpty());
        int passed = 0, limited = 0;
        for (int i = 0; i < 100; ++i) {
            const auto r = front_.request("GET", "/v1/models", {}, bearer(key));
            if (r.status == 200)
                ++passed;
            else if (r.status == 429 && r.errorCode() == QLatin1String("rate_limit_exceeded"))
                ++limited;
        }
        qInfo("60/min through nginx over three servers: %d of 100 passed, %d refused", passed, limited);
        QVERIFY2(passed >= 60 && passed <= 63, qPrintable(QStringLiteral("%1 of 100 passed").arg(passed)));
        QCOMPARE(passed + limited, 100);
    }

    // Last: it kills a daemon.
    void oneDaemonKilledMidLoad()
    {
        const QByteArray key = createKey(QStringLiteral("load"));
        QVERIFY(!key.isEmpty());
        constexpr int kClients = 6;
        // Chat requests each daemon has answered, from its request log lines.
        auto served = [this] {
            QList<int> n;
            for (auto &d : daemons_)
                n << int(d.output().count(QRegularExpression(QStringLiteral(" /v1/chat/completions 200 "))));
            return n;
        };
        const QList<int> before = served();
        Hey load;
        constexpr int kRequests = 1800; // 6 clients at 40/s each: about 7.5 s, the kill after 2
        load.start(nginx_.port(), key, kRequests, kClients, 40);
        QTest::qWait(2000);
        QVERIFY2(load.running(), "the load ended before the kill: make it longer");
        const QList<int> atKill = served();
        QVERIFY2(atKill[1] > before[1], "the daemon to be killed had not served yet");
        daemons_[1].process().kill(); // SIGKILL, mid-load
        const HeyResult during = load.finish();
        QTRY_COMPARE(daemons_[1].process().state(), QProcess::NotRunning);
        const int failed = kRequests - during.ok;
        qInfo("while one of three daemons was killed: %d of %d requests failed\n%s", failed, kRequests,
              qPrintable(during.summary));
        QVERIFY2(failed <= kClients, qPrintable(during.summary));
        Hey again;
        again.start(nginx_.port(), key, 200, 4);
        const HeyResult after = again.finish();
        qInfo("after: %d of 200 requests answered 200", after.ok);
        QVERIFY2(after.ok == 200, qPrintable(after.summary));
        const QList<int> end = served();
        qInfo("chat requests served by each daemon before the kill: %d, %d, %d; in all: %d, %d (killed), %d",
              atKill[0] - before[0], atKill[1] - before[1], atKill[2] - before[2], end[0] - before[0],
              atKill[1] - before[1], end[2] - before[2]);
        for (int i : {0, 2}) {
            QVERIFY(end[i] > atKill[i]); // the others kept serving
            QCOMPARE(daemons_[i].request("GET", "/readyz").status, 200);
        }
    }
};

QTEST_GUILESS_MAIN(TestScaleOut)
#include "test_scale_out.moc"
