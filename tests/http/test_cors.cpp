// CORS against a real smartbotd: [network] cors_origins in server.conf decides which browser origins get
// Access-Control-Allow-Origin (on every response, errors included) and a 204 preflight; others get nothing.
#include <QtTest>

#include "daemon_process.h"

namespace {
using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// One request on a fresh connection, with exactly the headers given.
HttpReply exchange(const DaemonProcess &daemon, const QByteArray &method, const QByteArray &path,
                   const HeaderList &headers)
{
    QByteArray req = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto &[k, v] : headers)
        req += k + ": " + v + "\r\n";
    return daemon.raw(req + "\r\n", 10000);
}

bool startWith(DaemonProcess &daemon, const QTemporaryDir &dir, const QByteArray &network)
{
    QFile conf(dir.filePath("server.conf"));
    if (!conf.open(QIODevice::WriteOnly))
        return false;
    conf.write("[network]\n" + network + "\n");
    conf.close();
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("SMARTBOT_ADMIN_KEY", "cors-test-admin-key");
    return daemon.start(dir.path(), {}, env);
}

const QByteArray kApp = "https://app.example";
const QByteArray kDev = "http://localhost:3000";
const QByteArray kEvil = "https://evil.example";
} // namespace

class TestCors : public QObject {
    Q_OBJECT
    QTemporaryDir listDir, anyDir, noneDir;
    DaemonProcess listed, any, none;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(smartbotdPath()));
        // Origins compare without a trailing slash; a bad entry is refused at start (test_config).
        QVERIFY2(startWith(listed, listDir, "cors_origins = " + kApp + ", " + kDev + "/"), qPrintable(listed.output()));
        QVERIFY2(startWith(any, anyDir, "cors_origins = *"), qPrintable(any.output()));
        QVERIFY2(startWith(none, noneDir, "max_body_bytes = 4096"), qPrintable(none.output()));
    }

    void cleanupTestCase()
    {
        listed.stop();
        any.stop();
        none.stop();
    }

    void configuredOriginGetsHeaders_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("origin");
        QTest::addColumn<int>("status");
        QTest::newRow("200") << QByteArray("GET") << QByteArray("/healthz") << kApp << 200;
        QTest::newRow("second origin") << QByteArray("GET") << QByteArray("/healthz") << kDev << 200;
        QTest::newRow("401") << QByteArray("POST") << QByteArray("/admin/token") << kApp << 401;
        QTest::newRow("404") << QByteArray("GET") << QByteArray("/nope") << kApp << 404;
        QTest::newRow("405") << QByteArray("DELETE") << QByteArray("/healthz") << kApp << 405;
        QTest::newRow("metrics") << QByteArray("GET") << QByteArray("/metrics") << kApp << 200;
    }
    void configuredOriginGetsHeaders()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, origin);
        QFETCH(int, status);
        const HttpReply r = exchange(listed, method, path, {{"Origin", origin}, {"Content-Length", "0"}});
        QCOMPARE(r.status, status);
        QCOMPARE(r.header("Access-Control-Allow-Origin"), origin);
        QCOMPARE(r.header("Vary"), QByteArray("Origin"));
    }

    // The preflight allows the request headers it asked for when they are header names (SDKs send their own, e.g.
    // the openai package's x-stainless-*); anything else gets our fixed list.
    void preflight_data()
    {
        QTest::addColumn<QByteArray>("asked"); // Access-Control-Request-Headers ("" = absent)
        QTest::addColumn<QByteArray>("allowed");
        const QByteArray ours = "Authorization, Content-Type, X-API-Key";
        QTest::newRow("asked") << QByteArray("authorization, content-type")
                               << QByteArray("authorization, content-type");
        QTest::newRow("sdk headers") << QByteArray("authorization,x-stainless-os,x-stainless-retry-count")
                                     << QByteArray("authorization,x-stainless-os,x-stainless-retry-count");
        QTest::newRow("none asked") << QByteArray() << ours;
        QTest::newRow("not header names") << QByteArray("authorization, x-a; x-b=1") << ours;
        QTest::newRow("too long") << QByteArray("x-h,").repeated(300) + "x-h" << ours;
    }
    void preflight()
    {
        QFETCH(QByteArray, asked);
        QFETCH(QByteArray, allowed);
        QList<QPair<QByteArray, QByteArray>> headers{{"Origin", kApp}, {"Access-Control-Request-Method", "POST"}};
        if (!asked.isEmpty())
            headers.append({"Access-Control-Request-Headers", asked});
        const HttpReply r = exchange(listed, "OPTIONS", "/api/v1/chat", headers);
        QCOMPARE(r.status, 204);
        QVERIFY(r.body.isEmpty());
        QCOMPARE(r.header("Access-Control-Allow-Origin"), kApp);
        QCOMPARE(r.header("Vary"), QByteArray("Origin"));
        QCOMPARE(r.header("Access-Control-Allow-Methods"), QByteArray("POST"));
        QCOMPARE(r.header("Access-Control-Allow-Headers"), allowed);
        QVERIFY(r.header("Access-Control-Expose-Headers")
                    .startsWith("X-Request-Id, Retry-After, x-ratelimit-limit-requests"));
        QCOMPARE(r.header("Access-Control-Max-Age"), QByteArray("600"));
        QVERIFY(r.header("Content-Length").isEmpty());
        // Unknown routes are still 404s, with CORS headers so the browser can read them.
        const HttpReply nf = exchange(listed, "OPTIONS", "/nope", {{"Origin", kApp}});
        QCOMPARE(nf.status, 404);
        QCOMPARE(nf.header("Access-Control-Allow-Origin"), kApp);
        // The connection stays usable after a 204 (keep-alive, no body).
        QTcpSocket s;
        s.connectToHost("127.0.0.1", listed.port());
        QVERIFY(s.waitForConnected(5000));
        s.write("OPTIONS /healthz HTTP/1.1\r\nHost: x\r\nOrigin: " + kApp +
                "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray data;
        QElapsedTimer t;
        t.start();
        while (!data.contains("HTTP/1.1 200") && t.elapsed() < 5000) {
            s.waitForReadyRead(100);
            data += s.readAll();
        }
        QVERIFY2(data.startsWith("HTTP/1.1 204"), data.constData());
        QVERIFY2(data.contains("Access-Control-Allow-Methods: GET\r\n"), data.constData());
        QVERIFY2(data.contains("HTTP/1.1 200"), data.constData());
        // The second (no Origin) response carries no CORS headers.
        QVERIFY(!data.mid(data.indexOf("HTTP/1.1 200")).contains("Access-Control"));
    }

    void otherOriginsGetNothing()
    {
        const HttpReply r = exchange(listed, "GET", "/healthz", {{"Origin", kEvil}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("Access-Control-Allow-Origin").isEmpty());
        QVERIFY(r.header("Vary").isEmpty());
        // A preflight from elsewhere is an ordinary OPTIONS: 405, no CORS headers.
        const HttpReply p =
            exchange(listed, "OPTIONS", "/api/v1/chat", {{"Origin", kEvil}, {"Access-Control-Request-Method", "POST"}});
        QCOMPARE(p.status, 405);
        QVERIFY(p.header("Access-Control-Allow-Origin").isEmpty());
        QVERIFY(p.header("Access-Control-Allow-Methods").isEmpty());
        // No Origin at all: a plain request.
        QVERIFY(exchange(listed, "GET", "/healthz", {}).header("Access-Control-Allow-Origin").isEmpty());
    }

    void wildcard()
    {
        const HttpReply r = exchange(any, "GET", "/healthz", {{"Origin", kEvil}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Access-Control-Allow-Origin"), QByteArray("*"));
        const HttpReply p =
            exchange(any, "OPTIONS", "/admin/token", {{"Origin", kEvil}, {"Access-Control-Request-Method", "POST"}});
        QCOMPARE(p.status, 204);
        QCOMPARE(p.header("Access-Control-Allow-Origin"), QByteArray("*"));
    }

    void unconfiguredMeansNoCors()
    {
        for (const QByteArray &origin : {kApp, kEvil}) {
            const HttpReply r = exchange(none, "GET", "/healthz", {{"Origin", origin}});
            QCOMPARE(r.status, 200);
            QVERIFY(r.header("Access-Control-Allow-Origin").isEmpty());
            QCOMPARE(exchange(none, "OPTIONS", "/api/v1/chat", {{"Origin", origin}}).status, 405);
        }
    }
};

QTEST_GUILESS_MAIN(TestCors)
#include "test_cors.moc"
