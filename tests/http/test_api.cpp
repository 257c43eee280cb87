// The seed's flow over real sockets against a real smartbotd: /admin/token then /api/v1/chat, and every bad input.
#include <QtTest>

#include "require_data.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpSocket>

#include <sys/stat.h>

#include "daemon_process.h"

namespace {
int modeOf(const QString &path)
{
    struct stat st {};
    ::stat(QFile::encodeName(path).constData(), &st);
    return int(st.st_mode & 07777);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
}

// llama2.c's greedy text for "Once upon a time" (reference_greedy.json, first case).
QString referenceText()
{
    const auto doc = QJsonDocument::fromJson(readFile(sharedModelDir() + "/reference_greedy.json"));
    return doc.object().value("cases").toArray().at(0).toObject().value("greedy_text").toString();
}
} // namespace

class TestApi : public QObject {
    Q_OBJECT
    QTemporaryDir configDir;
    DaemonProcess daemon;
    QByteArray adminKey;
    QByteArray token;

    QList<QPair<QByteArray, QByteArray>> bearer() const { return {{"Authorization", "Bearer " + token}}; }

private Q_SLOTS:
    void initTestCase()
    {
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        QVERIFY(QFileInfo::exists(smartbotdPath()));
        QDir().mkpath(configDir.path());
        QFile conf(configDir.filePath("server.conf"));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("[network]\nmax_body_bytes = 4096\nmax_header_bytes = 2048\n[model]\nmax_tokens = 32\n");
        conf.close();
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("SMARTBOT_ADMIN_KEY");
        QVERIFY2(daemon.start(configDir.path(), {"--model", sharedModelDir()}, env), qPrintable(daemon.output()));
        QVERIFY2(daemon.waitForLog("ready"), qPrintable(daemon.output()));
        adminKey = readFile(configDir.filePath("admin.key"));
        QVERIFY(adminKey.startsWith("sbadmin_"));
    }

    void cleanupTestCase()
    {
        daemon.stop();
        // Secrets never reach the log.
        QVERIFY(!adminKey.isEmpty());
        QVERIFY2(!daemon.output().contains(QString::fromLatin1(adminKey)), "admin key leaked into the log");
        if (!token.isEmpty())
            QVERIFY2(!daemon.output().contains(QString::fromLatin1(token)), "token leaked into the log");
    }

    void secretFilesArePrivate()
    {
        QCOMPARE(modeOf(configDir.filePath("admin.key")), 0600);
        QCOMPARE(modeOf(configDir.filePath("auth/secret.key")), 0400);
        QVERIFY(readFile(configDir.filePath("server.conf")).contains("[network]"));
    }

    void health()
    {
        auto r = daemon.request("GET", "/healthz");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value("status").toString(), QStringLiteral("ok"));
        QCOMPARE(daemon.request("GET", "/readyz").status, 200);
    }

    void seedFlow()
    {
        auto t =
            daemon.postJson("/admin/token", {{"username", "alice"}, {"expires_in", 3600}}, {{"X-API-Key", adminKey}});
        QCOMPARE(t.status, 200);
        token = t.json().value("token").toString().toLatin1();
        QCOMPARE(token.count('.'), 2);
        QCOMPARE(t.json().value("expires_in").toInt(), 3600);

        // Default expiry is [auth] token_expire_hours (24 h).
        auto d = daemon.postJson("/admin/token", {{"username", "bob"}}, {{"X-API-Key", adminKey}});
        QCOMPARE(d.status, 200);
        QCOMPARE(d.json().value("expires_in").toInt(), 24 * 3600);

        // Greedy reply = the reference continuation of the same prompt.
        auto c = daemon.postJson("/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 8}}, bearer());
        QCOMPARE(c.status, 200);
        const QJsonObject o = c.json();
        QCOMPARE(o.value("reply").toString(), QStringLiteral(", there was a little girl"));
        QVERIFY(referenceText().startsWith(QStringLiteral("Once upon a time") + o.value("reply").toString()));
        QCOMPARE(o.value("model").toString(), QStringLiteral("stories260K"));
        QCOMPARE(o.value("finish_reason").toString(), QStringLiteral("length"));
        QCOMPARE(o.value("usage").toObject().value("prompt_tokens").toInt(), 5);
        QCOMPARE(o.value("usage").toObject().value("completion_tokens").toInt(), 8);
        QCOMPARE(o.value("usage").toObject().value("total_tokens").toInt(), 13);

        // Default reply length is [model] max_tokens (32).
        auto def = daemon.postJson("/api/v1/chat", {{"message", "Tom and his dog"}}, bearer());
        QCOMPARE(def.status, 200);
        QVERIFY(def.json().value("usage").toObject().value("completion_tokens").toInt() <= 32);
        QVERIFY(!def.json().value("reply").toString().isEmpty());
    }

    void chatOptions()
    {
        // model: the loaded one is accepted, another is 404.
        auto ok = daemon.postJson(
            "/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 3}, {"model", "stories260K"}}, bearer());
        QCOMPARE(ok.status, 200);
        auto other = daemon.postJson("/api/v1/chat", {{"message", "hi"}, {"model", "llama-70b"}}, bearer());
        QCOMPARE(other.status, 404);
        QCOMPARE(other.errorCode(), QStringLiteral("model_not_found"));
        QCOMPARE(other.json().value("error").toObject().value("param").toString(), QStringLiteral("model"));
        // stop strings end the reply before them.
        auto stop = daemon.postJson("/api/v1/chat",
                                    {{"message", "Once upon a time"}, {"max_tokens", 30}, {"stop", "girl"}}, bearer());
        QCOMPARE(stop.json().value("reply").toString(), QStringLiteral(", there was a little "));
        QCOMPARE(stop.json().value("finish_reason").toString(), QStringLiteral("stop"));
    }

    // Issue 16, item 5: no seed means fresh randomness per request ("regenerate" gives another reply); the same
    // seed gives the same reply.
    void unseededSamplingVaries()
    {
        QSet<QString> unseeded;
        for (int i = 0; i < 4; ++i) {
            auto r = daemon.postJson(
                "/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 24}, {"temperature", 1.0}}, bearer());
            QCOMPARE(r.status, 200);
            unseeded << r.json().value("reply").toString();
        }
        QVERIFY2(unseeded.size() >= 2, "four unseeded replies at temperature 1 were all the same");
        QSet<QString> seeded;
        for (int i = 0; i < 3; ++i) {
            auto r = daemon.postJson(
                "/api/v1/chat",
                {{"message", "Once upon a time"}, {"max_tokens", 24}, {"temperature", 1.0}, {"seed", 7}}, bearer());
            QCOMPARE(r.status, 200);
            seeded << r.json().value("reply").toString();
        }
        QCOMPARE(seeded.size(), 1);
    }

    void conversations()
    {
        auto first = daemon.postJson("/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 6}}, bearer());
        QCOMPARE(first.status, 200);
        const QString id = first.json().value("conversation_id").toString();
        QVERIFY(id.startsWith("conv_"));
        auto second = daemon.postJson("/api/v1/chat",
                                      {{"message", "The end"}, {"max_tokens", 6}, {"conversation_id", id}}, bearer());
        QCOMPARE(second.status, 200);
        QCOMPARE(second.json().value("conversation_id").toString(), id);
        // The history is part of the prompt: more prompt tokens than the message alone.
        auto alone = daemon.postJson("/api/v1/chat", {{"message", "The end"}, {"max_tokens", 6}}, bearer());
        QVERIFY(alone.json().value("conversation_id").toString() != id);
        QVERIFY(second.json().value("usage").toObject().value("prompt_tokens").toInt() >
                alone.json().value("usage").toObject().value("prompt_tokens").toInt() + 6);
        // Unknown ids, and another user's conversation, are not found.
        auto unknown = daemon.postJson("/api/v1/chat", {{"message", "x"}, {"conversation_id", "conv_nope"}}, bearer());
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.errorCode(), QStringLiteral("conversation_not_found"));
        auto bob = daemon.postJson("/admin/token", {{"username", "bob"}}, {{"X-API-Key", adminKey}});
        auto stolen = daemon.postJson("/api/v1/chat", {{"message", "x"}, {"conversation_id", id}},
                                      {{"Authorization", "Bearer " + bob.json().value("token").toString().toLatin1()}});
        QCOMPARE(stolen.status, 404);
        QCOMPARE(daemon.postJson("/api/v1/chat", {{"message", "x"}, {"conversation_id", 5}}, bearer()).status, 400);

        // The owner lists and reads them; nobody else sees them.
        const QList<QPair<QByteArray, QByteArray>> bobBearer{
            {"Authorization", "Bearer " + bob.json().value("token").toString().toLatin1()}};
        auto listed = daemon.request("GET", "/api/v1/conversations?limit=1000", {}, bearer());
        QCOMPARE(listed.status, 200);
        QStringList ids;
        for (const QJsonValue &c : listed.json()["data"].toArray())
            ids << c["id"].toString();
        QVERIFY2(ids.contains(id), listed.body.constData());
        QCOMPARE(daemon.request("GET", "/api/v1/conversations", {}, bobBearer).json()["data"].toArray().size(), 0);
        QCOMPARE(daemon.request("GET", "/api/v1/conversations?limit=0", {}, bearer()).status, 400);
        QCOMPARE(daemon.request("GET", "/api/v1/conversations").status, 401);
        auto one = daemon.request("GET", "/api/v1/conversations/" + id.toLatin1(), {}, bearer());
        QCOMPARE(one.status, 200);
        QCOMPARE(one.json()["turns"].toInt(), 2);
        QCOMPARE(one.json()["model"].toString(), QStringLiteral("stories260K"));
        const QJsonArray messages = one.json()["messages"].toArray();
        QCOMPARE(messages.size(), 4);
        QCOMPARE(messages[0]["role"].toString(), QStringLiteral("user"));
        QCOMPARE(messages[0]["content"].toString(), QStringLiteral("Once upon a time"));
        QCOMPARE(messages[2]["content"].toString(), QStringLiteral("The end"));
        QCOMPARE(messages[3]["content"].toString(), second.json().value("reply").toString());
        QCOMPARE(daemon.request("GET", "/api/v1/conversations/" + id.toLatin1(), {}, bobBearer).status, 404);
        QCOMPARE(daemon.request("DELETE", "/api/v1/conversations/" + id.toLatin1(), {}, bobBearer).status, 404);

        // They survive a restart of the server (they are in the database), and the owner can delete them.
        daemon.stop();
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("SMARTBOT_ADMIN_KEY");
        QVERIFY2(daemon.start(configDir.path(), {"--model", sharedModelDir()}, env), qPrintable(daemon.output()));
        QVERIFY2(daemon.waitForLog("ready"), qPrintable(daemon.output()));
        auto third = daemon.postJson("/api/v1/chat", {{"message", "Again"}, {"max_tokens", 4}, {"conversation_id", id}},
                                     bearer());
        QCOMPARE(third.status, 200);
        QCOMPARE(daemon.request("GET", "/api/v1/conversations/" + id.toLatin1(), {}, bearer()).json()["turns"].toInt(),
                 3);
        auto deleted = daemon.request("DELETE", "/api/v1/conversations/" + id.toLatin1(), {}, bearer());
        QCOMPARE(deleted.status, 200);
        QCOMPARE(deleted.json()["deleted"].toBool(), true);
        QCOMPARE(daemon.request("GET", "/api/v1/conversations/" + id.toLatin1(), {}, bearer()).status, 404);
        QCOMPARE(daemon.postJson("/api/v1/chat", {{"message", "x"}, {"conversation_id", id}}, bearer()).status, 404);
    }

    void chatStreaming()
    {
        QNetworkAccessManager nam;
        QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/chat").arg(daemon.port())));
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        req.setRawHeader("Authorization", "Bearer " + token);
        QNetworkReply *reply = nam.post(req, R"({"message":"Tom and his dog","max_tokens":30,"stream":true})");
        QByteArray all;
        int reads = 0;
        QObject::connect(reply, &QNetworkReply::readyRead, [&] {
            all += reply->readAll();
            ++reads;
        });
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
        all += reply->readAll();
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY(reply->header(QNetworkRequest::ContentTypeHeader).toString().startsWith("text/event-stream"));
        QString streamed;
        QJsonObject final;
        int deltas = 0;
        const QList<QByteArray> events = all.split('\n');
        QVERIFY(all.trimmed().endsWith("data: [DONE]"));
        for (const QByteArray &line : events) {
            if (!line.startsWith("data: ") || line == "data: [DONE]")
                continue;
            const QJsonObject e = QJsonDocument::fromJson(line.mid(6)).object();
            if (e.contains("delta")) {
                streamed += e.value("delta").toString();
                ++deltas;
            } else if (e.value("done").toBool()) {
                final = e;
            }
        }
        QVERIFY(deltas > 3);
        QCOMPARE(streamed, final.value("reply").toString());
        QVERIFY(final.value("usage").toObject().value("completion_tokens").toInt() > 0);
        auto plain = daemon.postJson("/api/v1/chat", {{"message", "Tom and his dog"}, {"max_tokens", 30}}, bearer());
        QCOMPARE(streamed, plain.json().value("reply").toString());
        reply->deleteLater();
    }

    void authFailures()
    {
        QCOMPARE(daemon.postJson("/admin/token", {{"username", "x"}}).status, 401);
        auto wrong = daemon.postJson("/admin/token", {{"username", "x"}}, {{"X-API-Key", adminKey + "x"}});
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.errorCode(), QStringLiteral("invalid_api_key"));
        QCOMPARE(daemon.postJson("/api/v1/chat", {{"message", "hi"}}).status, 401);
        auto bad = daemon.postJson("/api/v1/chat", {{"message", "hi"}}, {{"Authorization", "Bearer abc.def.ghi"}});
        QCOMPARE(bad.status, 401);
        QVERIFY(!bad.json().value("error").toObject().value("message").toString().isEmpty());
        QCOMPARE(bad.header("WWW-Authenticate"), QByteArray("Bearer"));
        // The admin key is not a chat token.
        QCOMPARE(daemon.postJson("/api/v1/chat", {{"message", "hi"}}, {{"Authorization", "Bearer " + adminKey}}).status,
                 401);
        // A tampered token.
        QByteArray t = token;
        t[t.size() - 3] = t[t.size() - 3] == 'A' ? 'B' : 'A';
        QCOMPARE(daemon.postJson("/api/v1/chat", {{"message", "hi"}}, {{"Authorization", "Bearer " + t}}).status, 401);
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("needle");
        QTest::newRow("malformed json") << QByteArray("/api/v1/chat") << QByteArray("{\"message\": ")
                                        << QByteArray("application/json") << 400 << "JSON";
        QTest::newRow("not an object") << QByteArray("/api/v1/chat") << QByteArray("[1,2]")
                                       << QByteArray("application/json") << 400 << "object";
        QTest::newRow("missing message") << QByteArray("/api/v1/chat") << QByteArray("{}")
                                         << QByteArray("application/json") << 400 << "message";
        QTest::newRow("message number") << QByteArray("/api/v1/chat") << QByteArray("{\"message\": 5}")
                                        << QByteArray("application/json") << 400 << "message";
        QTest::newRow("message null") << QByteArray("/api/v1/chat") << QByteArray("{\"message\": null}")
                                      << QByteArray("application/json") << 400 << "message";
        QTest::newRow("max_tokens") << QByteArray("/api/v1/chat")
                                    << QByteArray("{\"message\": \"a\", \"max_tokens\": -1}")
                                    << QByteArray("application/json") << 400 << "max_tokens";
        QTest::newRow("temperature") << QByteArray("/api/v1/chat")
                                     << QByteArray("{\"message\": \"a\", \"temperature\": \"hot\"}")
                                     << QByteArray("application/json") << 400 << "temperature";
        QTest::newRow("content type") << QByteArray("/api/v1/chat") << QByteArray("{\"message\": \"a\"}")
                                      << QByteArray("text/plain") << 415 << "application/json";
        QTest::newRow("no content type") << QByteArray("/api/v1/chat") << QByteArray("{\"message\": \"a\"}")
                                         << QByteArray() << 415 << "application/json";
        QTest::newRow("token username") << QByteArray("/admin/token") << QByteArray("{\"username\": 3}")
                                        << QByteArray("application/json") << 400 << "username";
        QTest::newRow("token expires") << QByteArray("/admin/token")
                                       << QByteArray("{\"username\": \"a\", \"expires_in\": 99999999999}")
                                       << QByteArray("application/json") << 400 << "expires_in";
    }
    void badInput()
    {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, contentType);
        QFETCH(int, status);
        QFETCH(QString, needle);
        QList<QPair<QByteArray, QByteArray>> h =
            path == "/admin/token" ? QList<QPair<QByteArray, QByteArray>>{{"X-API-Key", adminKey}} : bearer();
        if (!contentType.isEmpty())
            h.push_back({"Content-Type", contentType});
        auto r = daemon.request("POST", path, body, h);
        QCOMPARE(r.status, status);
        QCOMPARE(r.header("Content-Type"), QByteArray("application/json"));
        const QString msg = r.json().value("error").toObject().value("message").toString();
        QVERIFY2(msg.contains(needle), qPrintable(msg));
        QVERIFY(!r.errorCode().isEmpty());
    }

    void routing()
    {
        auto nf = daemon.request("GET", "/nope");
        QCOMPARE(nf.status, 404);
        QCOMPARE(nf.errorCode(), QStringLiteral("not_found"));
        auto m = daemon.request("GET", "/api/v1/chat", {}, bearer());
        QCOMPARE(m.status, 405);
        QCOMPARE(m.errorCode(), QStringLiteral("method_not_allowed"));
        QCOMPARE(m.header("Allow"), QByteArray("POST"));
        QCOMPARE(daemon.request("DELETE", "/healthz").status, 405);
    }

    void limits()
    {
        // Body over max_body_bytes: answered from the head alone, before the body is read.
        QByteArray head =
            "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
            token + "\r\nContent-Length: 50000000\r\n\r\n{\"message\":\"";
        auto big = daemon.raw(head);
        QCOMPARE(big.status, 413);
        QCOMPARE(big.errorCode(), QStringLiteral("payload_too_large"));
        // Just over the limit, sent whole.
        const QByteArray body = "{\"message\":\"" + QByteArray(5000, 'a') + "\"}";
        auto r = daemon.request("POST", "/api/v1/chat", body,
                                bearer() + QList<QPair<QByteArray, QByteArray>>{{"Content-Type", "application/json"}});
        QCOMPARE(r.status, 413);
        // Head over max_header_bytes.
        auto h = daemon.request("GET", "/healthz", {}, {{"X-Filler", QByteArray(4000, 'x')}});
        QCOMPARE(h.status, 431);
        // Chunked bodies need Content-Length.
        auto c = daemon.raw(
            "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        QCOMPARE(c.status, 411);
        // The server keeps serving.
        QCOMPARE(daemon.request("GET", "/healthz").status, 200);
    }

    void keepAliveAndPipelining()
    {
        QTcpSocket s;
        s.connectToHost("127.0.0.1", daemon.port());
        QVERIFY(s.waitForConnected(5000));
        s.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray data;
        QElapsedTimer t;
        t.start();
        while (data.count("HTTP/1.1 200") < 2 && t.elapsed() < 5000) {
            s.waitForReadyRead(100);
            data += s.readAll();
        }
        QCOMPARE(data.count("HTTP/1.1 200"), 2);
    }

    void concurrentClients()
    {
        QNetworkAccessManager nam;
        const QUrl url(QStringLiteral("http://127.0.0.1:%1/api/v1/chat").arg(daemon.port()));
        QList<QNetworkReply *> replies;
        const int n = 24;
        for (int i = 0; i < n; ++i) {
            QNetworkRequest req(url);
            req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
            req.setRawHeader("Authorization", "Bearer " + token);
            const QJsonObject body{{"message", QStringLiteral("Lily had a ball %1").arg(i)},
                                   {"max_tokens", 400},
                                   {"temperature", 0.8},
                                   {"seed", i}};
            replies << nam.post(req, QJsonDocument(body).toJson());
        }
        // While they run, /healthz answers at once (the server thread is not blocked by inference).
        QTRY_VERIFY_WITH_TIMEOUT(
            daemon.request("GET", "/metrics").body.contains("\nsmartbot_active_sequences 0\n") == false, 10000);
        QElapsedTimer healthTimer;
        healthTimer.start();
        QCOMPARE(daemon.request("GET", "/healthz").status, 200);
        const qint64 healthMs = healthTimer.elapsed();
        const bool stillRunning = !daemon.request("GET", "/metrics").body.contains("\nsmartbot_active_sequences 0\n");
        QVERIFY2(stillRunning, "the generations ended before the health check: it proved nothing");
        QVERIFY2(healthMs < 1000, qPrintable(QString::number(healthMs)));
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(replies.begin(), replies.end(), [](auto *r) { return r->isFinished(); }),
                                 60000);
        // Every client got its own answer.
        for (auto *r : replies) {
            QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            const auto o = QJsonDocument::fromJson(r->readAll()).object();
            QVERIFY(o.value("usage").toObject().value("completion_tokens").toInt() > 0);
            r->deleteLater();
        }
    }

    void clientDisconnectDoesNotHurt()
    {
        // A client that sends a chat and hangs up must not crash or wedge the server.
        for (int i = 0; i < 5; ++i) {
            QTcpSocket s;
            s.connectToHost("127.0.0.1", daemon.port());
            QVERIFY(s.waitForConnected(5000));
            const QByteArray body = "{\"message\":\"Once upon a time\",\"max_tokens\":200}";
            s.write(
                "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
                token + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
            s.waitForBytesWritten(1000);
            s.abort();
        }
        QCOMPARE(daemon.request("GET", "/healthz").status, 200);
        auto c = daemon.postJson("/api/v1/chat", {{"message", "The sun was"}, {"max_tokens", 4}}, bearer());
        QCOMPARE(c.status, 200);
    }

    // No model anywhere: the bundled stories260K (resources/models) answers, so that a fresh install chats at once;
    // `[model] path = none` (or --model none) means no model.
    void demoModelWhenNoneConfigured()
    {
        QTemporaryDir dir;
        DaemonProcess d;
        QVERIFY2(d.start(dir.path()), qPrintable(d.output()));
        QVERIFY2(d.waitForLog("bundled demo model"), qPrintable(d.output()));
        QVERIFY2(QTest::qWaitFor([&] { return d.request("GET", "/readyz").status == 200; }, 20000),
                 qPrintable(d.output()));
        const QByteArray admin = readFile(dir.filePath("admin.key")).trimmed();
        auto t = d.postJson("/admin/token", {{"username", "u"}}, {{"X-API-Key", admin}});
        QCOMPARE(t.status, 200);
        auto c = d.postJson("/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 8}},
                            {{"Authorization", "Bearer " + t.json().value("token").toString().toLatin1()}});
        QCOMPARE(c.status, 200);
        QVERIFY(!c.json().value("reply").toString().isEmpty());
        QCOMPARE(c.json().value("model").toString(), QStringLiteral("stories260K"));
        d.stop();

        QTemporaryDir off;
        QFile conf(off.filePath("server.conf"));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("[model]\npath = none\n");
        conf.close();
        QVERIFY(conf.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
        DaemonProcess none;
        QVERIFY2(none.start(off.path()), qPrintable(none.output()));
        QCOMPARE(none.request("GET", "/readyz").status, 503);
        QVERIFY2(!none.output().contains("demo model"), qPrintable(none.output()));
    }

    void noModelMeans503()
    {
        QTemporaryDir dir;
        DaemonProcess d;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SMARTBOT_ADMIN_KEY", "an-admin-key-from-the-environment");
        QVERIFY2(d.start(dir.path(), {"--model", "none"}, env), qPrintable(d.output()));
        QVERIFY(!QFile::exists(dir.filePath("admin.key")));
        auto t = d.postJson("/admin/token", {{"username", "u"}}, {{"X-API-Key", "an-admin-key-from-the-environment"}});
        QCOMPARE(t.status, 200);
        auto c = d.postJson("/api/v1/chat", {{"message", "hi"}},
                            {{"Authorization", "Bearer " + t.json().value("token").toString().toLatin1()}});
        QCOMPARE(c.status, 503);
        QCOMPARE(c.errorCode(), QStringLiteral("model_not_loaded"));
        QCOMPARE(d.request("GET", "/readyz").status, 503);
        // A token from another server (other secret) is refused here.
        QCOMPARE(daemon
                     .postJson("/api/v1/chat", {{"message", "hi"}},
                               {{"Authorization", "Bearer " + t.json().value("token").toString().toLatin1()}})
                     .status,
                 401);
    }

    void refusesOpenSecretFiles()
    {
        QTemporaryDir dir;
        {
            DaemonProcess first;
            auto env = QProcessEnvironment::systemEnvironment();
            env.remove("SMARTBOT_ADMIN_KEY");
            QVERIFY(first.start(dir.path(), {}, env));
        }
        QVERIFY(::chmod(QFile::encodeName(dir.filePath("admin.key")).constData(), 0640) == 0);
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("SMARTBOT_ADMIN_KEY");
        p.setProcessEnvironment(env);
        p.start(smartbotdPath(), {"serve", "--config", dir.path(), "--port", "0"});
        QVERIFY(p.waitForFinished(20000));
        QVERIFY(p.exitCode() != 0);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains("admin.key") && err.contains("0640"), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestApi)
#include "test_api.moc"
