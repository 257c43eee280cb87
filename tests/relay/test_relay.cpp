// The relay to upstream providers ([provider.NAME], server/relay/) through real sockets: a second smartbotd is the
// provider (plain and streamed relays equal its direct answers, usage is charged on the relaying side, an alias
// reaches it, a wrong platform key is a clear 502, a provider over https is verified against its ca_file), and a
// misbehaving provider on loopback (fake_upstream.h) drives the failure paths: down (502 fast), silent (504 at
// timeout_s), 429 then success (one retry), a stream cut mid-way (an error event), a client that hangs up (the upstream
// request is aborted), a key quoted back (never echoed), a redirect (not followed), and the circuit breaker.
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/types.h>

#include "../http/daemon_process.h"
#include "../support/require_data.h"
#include "fake_upstream.h"

namespace {

struct Reply {
    int status = 0;
    QByteArray body;
    QMap<QByteArray, QByteArray> headers;
    qint64 ms = 0;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString errorCode() const { return json()["error"].toObject()["code"].toString(); }
    QString errorMessage() const { return json()["error"].toObject()["message"].toString(); }
    // The data payloads of an SSE body, parsed where they are JSON ("[DONE]" as {"done": true}).
    QList<QJsonObject> events() const
    {
        QList<QJsonObject> out;
        for (const QByteArray &part : body.split('\n'))
            if (part.startsWith("data: "))
                out << (part.mid(6) == "[DONE]" ? QJsonObject{{"done", true}}
                                                : QJsonDocument::fromJson(part.mid(6)).object());
        return out;
    }
    QString streamedText() const
    {
        QString text;
        for (const QJsonObject &e : events())
            for (const QJsonValue &c : e["choices"].toArray())
                text += c.toObject()["delta"].toObject()["content"].toString();
        return text;
    }
};

// A POST through QNetworkAccessManager, the event loop turning meanwhile (the fake provider lives in it).
// hangUpAfterFirstBytes: the client aborts as soon as the answer has begun.
Reply post(quint16 port, const QByteArray &path, const QJsonObject &body, const QByteArray &bearer,
           bool hangUpAfterFirstBytes = false)
{
    QNetworkAccessManager nam;
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(QString::fromLatin1(path))));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    request.setRawHeader("Authorization", "Bearer " + bearer);
    request.setTransferTimeout(30000);
    QElapsedTimer t;
    t.start();
    QNetworkReply *reply = nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    Reply out;
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::readyRead, &loop, [&] {
        out.body += reply->readAll();
        if (hangUpAfterFirstBytes)
            reply->abort();
    });
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    out.ms = t.elapsed();
    out.body += reply->readAll();
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    for (const auto &[k, v] : reply->rawHeaderPairs())
        out.headers[k.toLower()] = v;
    reply->deleteLater();
    return out;
}

QJsonObject chat(const QString &model, bool stream = false, int maxTokens = 16)
{
    QJsonObject o{{"model", model},
                  {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Once upon a time"}}}},
                  {"max_tokens", maxTokens},
                  {"temperature", 0.8},
                  {"seed", 7}};
    if (stream)
        o["stream"] = true;
    return o;
}

void writeFile(const QString &path, const QByteArray &text, QFile::Permissions mode)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
    f.close();
    QVERIFY(f.setPermissions(mode));
}

// A port nothing listens on: bound, then closed.
quint16 deadPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    const quint16 port = s.serverPort();
    s.close();
    return port;
}

} // namespace

class TestRelay : public QObject {
    Q_OBJECT
    QTemporaryDir upstreamDir, relayDir, tlsDir;
    DaemonProcess upstream, relayd, tlsUpstream; // tlsUpstream: https, with a self-signed certificate
    FakeUpstream fake;
    QByteArray upstreamToken, token;
    const QByteArray adminKey = "relay-test-admin-key-0123456789";

    QList<QPair<QByteArray, QByteArray>> admin() const { return {{"X-API-Key", adminKey}}; }
    QProcessEnvironment env() const
    {
        auto e = QProcessEnvironment::systemEnvironment();
        e.insert("SMARTBOT_ADMIN_KEY", QString::fromLatin1(adminKey));
        return e;
    }
    // smartbotd provider ... --config relayDir, with stdin; returns {exit code, output}.
    QPair<int, QString> providerCli(const QStringList &args, const QByteArray &input = {})
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(smartbotdPath(), QStringList{"provider"} + args + QStringList{"--config", relayDir.path()});
        p.waitForStarted();
        p.write(input);
        p.closeWriteChannel();
        p.waitForFinished(30000);
        return {p.exitCode(), QString::fromUtf8(p.readAll())};
    }
    void drainLogs() { relayd.waitForLog(QStringLiteral("\x01"), 1); }

    // A provider over TLS: smartbotd with a self-signed certificate for 127.0.0.1 (made here with the openssl CLI)
    // and an API key of its own (key create). Returns that key.
    QByteArray startTlsUpstream()
    {
        QProcess openssl;
        openssl.setProcessChannelMode(QProcess::MergedChannels);
        openssl.start("openssl",
                      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                       tlsDir.filePath("server.key"), "-out", tlsDir.filePath("server.pem"), "-days", "3", "-subj",
                       "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"});
        if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0) {
            qWarning("openssl: %s", openssl.readAll().constData());
            return {};
        }
        QFile::setPermissions(tlsDir.filePath("server.key"), QFile::ReadOwner | QFile::WriteOwner);
        writeFile(tlsDir.filePath("server.conf"),
                  "[network]\nssl_enable = true\nssl_cert = server.pem\n"
                  "ssl_key = server.key\n",
                  QFile::ReadOwner | QFile::WriteOwner);
        QProcess create;
        create.start(smartbotdPath(), {"key", "create", "--config", tlsDir.path(), "--name", "platform"});
        if (!create.waitForFinished(30000) || create.exitCode() != 0) {
            qWarning("key create: %s", create.readAllStandardError().constData());
            return {};
        }
        const QByteArray key = create.readAllStandardOutput().trimmed();
        if (!tlsUpstream.start(tlsDir.path(), {"--model", sharedModelDir()}, env()) ||
            !tlsUpstream.waitForLog("model stories260K ready")) {
            qWarning("tls upstream: %s", qPrintable(tlsUpstream.output()));
            return {};
        }
        return key;
    }

private Q_SLOTS:
    void initTestCase()
    {
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        QVERIFY2(upstream.start(upstreamDir.path(), {"--model", sharedModelDir()}, env()),
                 qPrintable(upstream.output()));
        QVERIFY2(upstream.waitForLog("model stories260K ready"), qPrintable(upstream.output()));
        upstreamToken = upstream.postJson("/admin/token", {{"username", "platform"}}, admin())
                            .json()["token"]
                            .toString()
                            .toLatin1();
        QVERIFY(!upstreamToken.isEmpty());

        const QByteArray tlsKey = startTlsUpstream();
        QVERIFY(!tlsKey.isEmpty());
        const QByteArray tlsUp = "https://127.0.0.1:" + QByteArray::number(tlsUpstream.port()) + "/v1";
        const QByteArray up = "http://127.0.0.1:" + QByteArray::number(upstream.port()) + "/v1";
        const QByteArray fakeBase = "http://127.0.0.1:" + QByteArray::number(fake.port());
        const QByteArray dead = "http://127.0.0.1:" + QByteArray::number(deadPort()) + "/v1";
        const QList<QPair<QByteArray, QByteArray>> providers = {
            {"up", "base_url = " + up + "\nmodels = stories260K\naliases = tale: stories260K"},
            {"tls", "base_url = " + tlsUp +
                        "\nmodels = stories260K\nca_file = " + QFile::encodeName(tlsDir.filePath("server.pem"))},
            {"untrusted", "base_url = " + tlsUp + "\nmodels = stories260K\nretries = 4"}, // backoff would be 3.75 s
            {"discover", "base_url = " + up + "\nmodels = *\naliases = stories260K: stories260K"},
            {"badkey", "base_url = " + up + "\nmodels = stories260K"},
            {"loose", "base_url = " + up + "\nmodels = stories260K"},
            {"down", "base_url = " + dead + "\nmodels = m\nretries = 1\nbreaker_failures = 2\nbreaker_cooldown_s = 60"},
            {"slow", "base_url = " + fakeBase + "/slow/v1\nmodels = m\ntimeout_s = 2"},
            {"ratelimited", "base_url = " + fakeBase + "/r429/v1\nmodels = m\nretries = 1"},
            {"cut", "base_url = " + fakeBase + "/cut/v1\nmodels = m"},
            {"hang", "base_url = " + fakeBase + "/hang/v1\nmodels = m"},
            {"leak", "base_url = " + fakeBase + "/leak/v1\nmodels = m"},
            {"redirect", "base_url = " + fakeBase + "/redirect/v1\nmodels = m"},
            {"e500", "base_url = " + fakeBase + "/e500/v1\nmodels = m\nretries = 2"},
            {"e503", "base_url = " + fakeBase + "/e503/v1\nmodels = m\nretries = 1"},
            {"drop", "base_url = " + fakeBase + "/drop/v1\nmodels = m\nretries = 2"},
            {"fleet", "base_url = " + dead + ", " + up + "\nmodels = stories260K\nretries = 0\nhealth_check_s = 1"},
        };
        QByteArray conf = "[model]\npath = none\naliases = storyteller: up/stories260K, *: up/stories260K\n";
        for (const auto &[name, settings] : providers)
            conf += "[provider." + name + "]\n" + settings + "\n";
        writeFile(relayDir.filePath("server.conf"), conf, QFile::ReadOwner | QFile::WriteOwner);

        // The platform keys go in through the CLI, on stdin.
        for (const char *name : {"up", "discover", "slow", "ratelimited", "cut", "hang", "leak", "redirect", "down",
                                 "fleet", "e500", "e503", "drop"}) {
            auto [code, out] = providerCli({"set-key", name}, upstreamToken + "\n");
            QVERIFY2(code == 0, qPrintable(out));
        }
        QCOMPARE(QFileInfo(relayDir.filePath("providers/up.env")).permissions() & 0x0077, QFile::Permissions());
        for (const char *name : {"tls", "untrusted"}) {
            auto [code, out] = providerCli({"set-key", name}, tlsKey + "\n");
            QVERIFY2(code == 0, qPrintable(out));
        }
        auto [badCode, badOut] = providerCli({"set-key", "badkey"}, "not-a-valid-platform-key\n");
        QVERIFY2(badCode == 0, qPrintable(badOut));
        auto [noSection, noSectionOut] = providerCli({"set-key", "nosuch"}, "k\n");
        QCOMPARE(noSection, 1);
        QVERIFY2(noSectionOut.contains("no [provider.nosuch]"), qPrintable(noSectionOut));
        // A key file others may read is refused, naming the fix.
        writeFile(relayDir.filePath("providers/loose.env"), "API_KEY=" + upstreamToken + "\n",
                  QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther);
        auto [listCode, listOut] = providerCli({"list"});
        QCOMPARE(listCode, 0);
        QVERIFY2(listOut.contains("up\thttp://127.0.0.1:") && listOut.contains("key set "), qPrintable(listOut));
        QVERIFY2(listOut.contains("chmod 600"), qPrintable(listOut));
        QVERIFY2(!listOut.contains(QString::fromLatin1(upstreamToken)), "provider list shows no key");
        auto [testCode, testOut] = providerCli({"test", "up"});
        QVERIFY2(testCode == 0 && testOut.contains("answers: 1 models (stories260K)"), qPrintable(testOut));
        auto [wrongCode, wrongOut] = providerCli({"test", "badkey"});
        QCOMPARE(wrongCode, 1);
        QVERIFY2(wrongOut.contains("refused the platform key (HTTP 401)"), qPrintable(wrongOut));

        // The relaying server has a local model too (its alias test: a local name stays local).
        QVERIFY2(relayd.start(relayDir.path(), {"--model", sharedModelDir()}, env()), qPrintable(relayd.output()));
        QVERIFY2(relayd.waitForLog("model stories260K ready"), qPrintable(relayd.output()));
        QVERIFY2(relayd.output().contains("provider loose:") && relayd.output().contains("chmod 600"),
                 qPrintable(relayd.output()));
        token = relayd.postJson("/admin/token", {{"username", "relay-client"}}, admin())
                    .json()["token"]
                    .toString()
                    .toLatin1();
        QVERIFY(!token.isEmpty());
    }

    void plainRelayEqualsDirectAnswer()
    {
        auto direct = upstream.postJson("/v1/chat/completions", chat("stories260K"),
                                        {{"Authorization", "Bearer " + upstreamToken}});
        QCOMPARE(direct.status, 200);
        const Reply relayed = post(relayd.port(), "/v1/chat/completions", chat("up/stories260K"), token);
        QCOMPARE(relayed.status, 200);
        const QJsonObject d = direct.json(), r = relayed.json();
        QCOMPARE(r["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString(),
                 d["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString());
        QCOMPARE(r["usage"].toObject()["completion_tokens"].toInt(),
                 d["usage"].toObject()["completion_tokens"].toInt());
        QCOMPARE(r["model"].toString(), QStringLiteral("up/stories260K")); // as the client named it
        // An alias of a provider's model reaches it too.
        const Reply aliased = post(relayd.port(), "/v1/chat/completions", chat("storyteller"), token);
        QCOMPARE(aliased.status, 200);
        QCOMPARE(aliased.json()["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString(),
                 d["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString());
        // A name known neither here nor to a provider goes where the * alias points; a provider's names stay theirs.
        const Reply anyName = post(relayd.port(), "/v1/chat/completions", chat("gpt-3.5-turbo"), token);
        QCOMPARE(anyName.status, 200);
        QCOMPARE(anyName.json()["model"].toString(), QStringLiteral("gpt-3.5-turbo"));
        QCOMPARE(anyName.json()["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString(),
                 d["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString());
        // So does a provider's own alias ([provider.up] aliases = tale: stories260K), answered under that name.
        const Reply providerAlias = post(relayd.port(), "/v1/chat/completions", chat("tale"), token);
        QCOMPARE(providerAlias.status, 200);
        QCOMPARE(providerAlias.json()["model"].toString(), QStringLiteral("tale"));
        QCOMPARE(providerAlias.json()["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString(),
                 d["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString());
        // Usage is charged on the relaying side, from the provider's own count.
        const int prompt = d["usage"].toObject()["prompt_tokens"].toInt();
        const int completion = d["usage"].toObject()["completion_tokens"].toInt();
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QJsonValue &u : relayd.request("GET", "/admin/usage", {}, admin()).json()["usage"].toArray())
                    if (u["subject"].toString() == QLatin1String("user:relay-client"))
                        return u["generated_tokens"].toInt() == 4 * completion &&
                               u["prompt_tokens"].toInt() == 4 * prompt;
                return false;
            }(),
            10000);
        // A model the provider is not configured for is 404 here, not asked upstream.
        const Reply unknown = post(relayd.port(), "/v1/chat/completions", chat("up/gpt-4o"), token);
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.errorCode(), QStringLiteral("model_not_found"));
        // Without a credential of the relay, nothing goes upstream.
        QCOMPARE(post(relayd.port(), "/v1/chat/completions", chat("up/stories260K"), "wrong").status, 401);
    }

    void streamedRelayEqualsDirectStream()
    {
        const Reply direct = post(upstream.port(), "/v1/chat/completions", chat("stories260K", true), upstreamToken);
        QCOMPARE(direct.status, 200);
        const Reply relayed = post(relayd.port(), "/v1/chat/completions", chat("up/stories260K", true), token);
        QCOMPARE(relayed.status, 200);
        QVERIFY(relayed.headers.value("content-type").startsWith("text/event-stream"));
        QVERIFY(!direct.streamedText().isEmpty());
        QCOMPARE(relayed.streamedText(), direct.streamedText());
        const auto events = relayed.events();
        QVERIFY(events.last()["done"].toBool());
        for (const QJsonObject &e : events.mid(0, events.size() - 1)) {
            QVERIFY2(!e.contains("usage"), "the client did not ask for usage: none is passed on");
            QCOMPARE(e["model"].toString(), QStringLiteral("up/stories260K"));
        }
        // Asked for, the usage event comes through, the provider's count.
        QJsonObject withUsage = chat("up/stories260K", true);
        withUsage["stream_options"] = QJsonObject{{"include_usage", true}};
        const Reply counted = post(relayd.port(), "/v1/chat/completions", withUsage, token);
        const auto countedEvents = counted.events();
        QVERIFY(countedEvents.size() >= 2);
        const QJsonObject usage = countedEvents[countedEvents.size() - 2]["usage"].toObject();
        QVERIFY(usage["completion_tokens"].toInt() > 0);
    }

    void seedChatRouteRelaysWithItsConversation()
    {
        // The deployment guide's route: greedy, the conversation kept here and sent along on the next turn.
        auto directFor = [&](const QJsonArray &messages) {
            QJsonObject body{{"model", "stories260K"}, {"messages", messages}, {"max_tokens", 12}, {"temperature", 0}};
            return upstream.postJson("/v1/chat/completions", body, {{"Authorization", "Bearer " + upstreamToken}})
                .json()["choices"]
                .toArray()[0]
                .toObject()["message"]
                .toObject()["content"]
                .toString();
        };
        const Reply first =
            post(relayd.port(), "/api/v1/chat",
                 {{"message", "Once upon a time"}, {"model", "up/stories260K"}, {"max_tokens", 12}}, token);
        QCOMPARE(first.status, 200);
        const QString reply1 = first.json()["reply"].toString();
        QCOMPARE(reply1, directFor({QJsonObject{{"role", "user"}, {"content", "Once upon a time"}}}));
        QCOMPARE(first.json()["model"].toString(), QStringLiteral("up/stories260K"));
        QVERIFY(first.json()["usage"].toObject()["completion_tokens"].toInt() > 0);
        const QString conversation = first.json()["conversation_id"].toString();
        QVERIFY(!conversation.isEmpty());

        const Reply second = post(relayd.port(), "/api/v1/chat",
                                  {{"message", "The end"},
                                   {"model", "up/stories260K"},
                                   {"max_tokens", 12},
                                   {"conversation_id", conversation},
                                   {"stream", true}},
                                  token);
        QCOMPARE(second.status, 200);
        QString streamed;
        QJsonObject last;
        for (const QJsonObject &e : second.events()) {
            streamed += e["delta"].toString();
            if (e["done"].toBool() && e.contains("reply"))
                last = e;
        }
        const QString expected = directFor({QJsonObject{{"role", "user"}, {"content", "Once upon a time"}},
                                            QJsonObject{{"role", "assistant"}, {"content", reply1}},
                                            QJsonObject{{"role", "user"}, {"content", "The end"}}});
        QCOMPARE(streamed, expected);
        QCOMPARE(last["reply"].toString(), expected);
        QCOMPARE(last["conversation_id"].toString(), conversation);
        QVERIFY(last["usage"].toObject()["completion_tokens"].toInt() > 0);
        // Another caller cannot continue it.
        const QByteArray other = relayd.postJson("/admin/token", {{"username", "someone-else"}}, admin())
                                     .json()["token"]
                                     .toString()
                                     .toLatin1();
        QCOMPARE(post(relayd.port(), "/api/v1/chat",
                      {{"message", "x"}, {"model", "up/stories260K"}, {"conversation_id", conversation}}, other)
                     .status,
                 404);
    }

    void listsProviderModels()
    {
        auto models = relayd.request("GET", "/v1/models", {}, {{"Authorization", "Bearer " + token}});
        QCOMPARE(models.status, 200);
        QStringList ids;
        for (const QJsonValue &m : models.json()["data"].toArray())
            ids << m["id"].toString();
        QVERIFY2(ids.contains("up/stories260K") && ids.contains("slow/m") && ids.contains("tale"),
                 qPrintable(ids.join(',')));
        // models = *: what the provider's /models lists, asked at start.
        QTRY_VERIFY_WITH_TIMEOUT(relayd.request("GET", "/v1/models", {}, {{"Authorization", "Bearer " + token}})
                                     .body.contains("\"discover/stories260K\""),
                                 10000);
        // Retrieved by its id as the SDKs send it: slash and all, or percent-encoded.
        for (const QByteArray path : {"/v1/models/up/stories260K", "/v1/models/up%2Fstories260K"}) {
            auto one = relayd.request("GET", path, {}, {{"Authorization", "Bearer " + token}});
            QCOMPARE(one.status, 200);
            QCOMPARE(one.json()["id"].toString(), QStringLiteral("up/stories260K"));
            QCOMPARE(one.json()["owned_by"].toString(), QStringLiteral("up"));
        }
        QCOMPARE(relayd.request("GET", "/v1/models/up/nope", {}, {{"Authorization", "Bearer " + token}}).status, 404);
    }

    // A provider over https: verified against its ca_file; without one, the self-signed certificate is refused
    // with a clear 502 on the first attempt (a TLS failure is configuration, not retried).
    void tlsProviderIsVerified()
    {
        const Reply direct = post(relayd.port(), "/v1/chat/completions", chat("up/stories260K"), token);
        const Reply tls = post(relayd.port(), "/v1/chat/completions", chat("tls/stories260K"), token);
        QVERIFY2(tls.status == 200, tls.body.constData());
        QCOMPARE(tls.json()["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString(),
                 direct.json()["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString());
        const Reply streamed = post(relayd.port(), "/v1/chat/completions", chat("tls/stories260K", true), token);
        QCOMPARE(streamed.status, 200);
        QVERIFY(streamed.events().last()["done"].toBool());
        QVERIFY(!streamed.streamedText().isEmpty());

        const Reply untrusted = post(relayd.port(), "/v1/chat/completions", chat("untrusted/stories260K"), token);
        QCOMPARE(untrusted.status, 502);
        QCOMPARE(untrusted.errorCode(), QStringLiteral("upstream_error"));
        QVERIFY2(untrusted.errorMessage().contains("could not be reached") &&
                     untrusted.errorMessage().contains("certificate", Qt::CaseInsensitive),
                 untrusted.body.constData());
        QVERIFY2(untrusted.ms < 3000, "not retried (4 retries would wait 3.75 s)");
    }

    void keyProblemsAreClear502s()
    {
        const Reply wrong = post(relayd.port(), "/v1/chat/completions", chat("badkey/stories260K"), token);
        QCOMPARE(wrong.status, 502);
        QCOMPARE(wrong.errorCode(), QStringLiteral("upstream_error"));
        QVERIFY2(wrong.errorMessage().contains("refused the platform key (HTTP 401)"), wrong.body.constData());
        QVERIFY(!wrong.body.contains("not-a-valid-platform-key"));
        const Reply loose = post(relayd.port(), "/v1/chat/completions", chat("loose/stories260K"), token);
        QCOMPARE(loose.status, 502);
        QVERIFY2(loose.errorMessage().contains("chmod 600"), loose.body.constData());
        // A provider that quotes the key back: the client never sees it.
        const Reply leak = post(relayd.port(), "/v1/chat/completions", chat("leak/m"), token);
        QCOMPARE(leak.status, 400);
        QCOMPARE(leak.errorCode(), QStringLiteral("upstream_bad_request"));
        QVERIFY2(leak.errorMessage().contains("holder of key [key]"), leak.body.constData());
        QVERIFY2(!leak.body.contains(upstreamToken), leak.body.constData());
        QCOMPARE(fake.lastAuthorization(), "Bearer " + upstreamToken); // the key went in the header, nowhere else
        // A redirect is not followed to the other host.
        const Reply redirect = post(relayd.port(), "/v1/chat/completions", chat("redirect/m"), token);
        QCOMPARE(redirect.status, 502);
        QVERIFY2(redirect.errorMessage().contains("redirect"), redirect.body.constData());
        QVERIFY(!redirect.body.contains("192.0.2.1"));
    }

    void fleetFailsOverAndMarksTheDeadBaseUrl()
    {
        // Two base_urls, the first dead: the request goes to the second before any byte reached the client, even
        // with retries = 0, and the dead one is marked down until a health check passes.
        for (int i = 0; i < 3; ++i) {
            const Reply r = post(relayd.port(), "/v1/chat/completions", chat("fleet/stories260K"), token);
            QCOMPARE(r.status, 200);
        }
        const QByteArray metrics = relayd.request("GET", "/metrics", {}, admin()).body;
        QVERIFY2(metrics.contains("smartbot_provider_endpoint_up{provider=\"fleet\",endpoint=\"" +
                                  QByteArray("http://127.0.0.1:") + QByteArray::number(upstream.port()) + "/v1\"} 1"),
                 metrics.constData());
        QVERIFY2(QRegularExpression("smartbot_provider_endpoint_up\\{provider=\"fleet\",endpoint=\"[^\"]+\"\\} 0")
                     .match(QString::fromLatin1(metrics))
                     .hasMatch(),
                 metrics.constData());
        QVERIFY2(relayd.waitForLog("is unreachable; requests go to its other base_urls", 5000),
                 qPrintable(relayd.output()));
    }

    void rotatedKeyIsUsedAfterReload()
    {
        QCOMPARE(post(relayd.port(), "/v1/chat/completions", chat("badkey/stories260K"), token).status, 502);
        auto [code, out] = providerCli({"set-key", "badkey"}, upstreamToken + "\n");
        QVERIFY2(code == 0, qPrintable(out));
        ::kill(pid_t(relayd.process().processId()), SIGHUP);
        QVERIFY2(relayd.waitForLog("platform keys reloaded: badkey", 10000), qPrintable(relayd.output()));
        QCOMPARE(post(relayd.port(), "/v1/chat/completions", chat("badkey/stories260K"), token).status, 200);
    }

    void downProviderFailsFastThenTheCircuitOpens()
    {
        const Reply down = post(relayd.port(), "/v1/chat/completions", chat("down/m"), token);
        QCOMPARE(down.status, 502);
        QCOMPARE(down.errorCode(), QStringLiteral("upstream_error"));
        QVERIFY2(down.errorMessage().contains("could not be reached"), down.body.constData());
        QVERIFY2(down.ms < 3000, QByteArray::number(down.ms).constData()); // one retry after 250 ms, no more
        // breaker_failures = 2: the second failure opens the circuit; the third request is refused at once.
        QCOMPARE(post(relayd.port(), "/v1/chat/completions", chat("down/m"), token).status, 502);
        const Reply open = post(relayd.port(), "/v1/chat/completions", chat("down/m"), token);
        QCOMPARE(open.status, 503);
        QCOMPARE(open.errorCode(), QStringLiteral("upstream_unavailable"));
        QVERIFY(open.headers.value("retry-after").toInt() > 0);
        const QByteArray metrics = relayd.request("GET", "/metrics", {}, admin()).body;
        QVERIFY2(metrics.contains("smartbot_provider_circuit_state{provider=\"down\"} 1"), metrics.constData());
        QVERIFY2(metrics.contains("smartbot_provider_requests_total{provider=\"down\",outcome=\"circuit_open\"} 1"),
                 metrics.constData());
        QVERIFY2(metrics.contains("smartbot_provider_requests_total{provider=\"up\",outcome=\"ok\"}"),
                 metrics.constData());
    }

    void silentProviderIs504AtTheTimeout()
    {
        const Reply slow = post(relayd.port(), "/v1/chat/completions", chat("slow/m"), token);
        QCOMPARE(slow.status, 504);
        QCOMPARE(slow.errorCode(), QStringLiteral("upstream_timeout"));
        QVERIFY2(slow.ms >= 1900 && slow.ms < 6000, QByteArray::number(slow.ms).constData()); // timeout_s = 2
        QCOMPARE(fake.requests("slow"), 1); // a silent provider may be working on it: not sent twice
    }

    void onlyFailuresThatDidNotReachTheModelAreRetried()
    {
        // 503: the request did not get through, retried (retries = 1: two requests in all).
        const Reply unavailable = post(relayd.port(), "/v1/chat/completions", chat("e503/m"), token);
        QCOMPARE(unavailable.status, 502);
        QVERIFY2(unavailable.errorMessage().contains("answered HTTP 503: down for a moment"),
                 unavailable.body.constData());
        QCOMPARE(fake.requests("e503"), 2);
        // 500, or a connection closed after the request went: the work may have been done; once only.
        QCOMPARE(post(relayd.port(), "/v1/chat/completions", chat("e500/m"), token).status, 502);
        QCOMPARE(fake.requests("e500"), 1);
        const Reply dropped = post(relayd.port(), "/v1/chat/completions", chat("drop/m"), token);
        QCOMPARE(dropped.status, 502);
        QVERIFY2(dropped.errorMessage().contains("closed the connection before answering"), dropped.body.constData());
        // Qt's HTTP client itself sends a request once more when its connection closes with nothing read (a stale
        // keep-alive connection looks the same); the relay's own retries (2 here) would make it 3 or more.
        QVERIFY2(fake.requests("drop") <= 2, QByteArray::number(fake.requests("drop")).constData());
    }

    void rateLimitedOnceIsRetried()
    {
        const Reply r = post(relayd.port(), "/v1/chat/completions", chat("ratelimited/m"), token);
        QCOMPARE(r.status, 200);
        QCOMPARE(fake.requests("r429"), 2);
        QVERIFY2(r.ms >= 900, QByteArray::number(r.ms).constData()); // its Retry-After: 1 was honoured
        QCOMPARE(r.json()["model"].toString(), QStringLiteral("ratelimited/m"));
    }

    void cutStreamEndsWithAnErrorEvent()
    {
        const Reply r = post(relayd.port(), "/v1/chat/completions", chat("cut/m", true), token);
        QCOMPARE(r.status, 200);
        const auto events = r.events();
        QVERIFY2(events.size() >= 3, r.body.constData());
        QCOMPARE(events[0]["choices"].toArray()[0].toObject()["delta"].toObject()["content"].toString(),
                 QStringLiteral("Once"));
        QCOMPARE(events[events.size() - 2]["error"].toObject()["code"].toString(), QStringLiteral("upstream_error"));
        QVERIFY(events.last()["done"].toBool());
    }

    void clientHangUpAbortsTheUpstreamRequest()
    {
        const Reply r = post(relayd.port(), "/v1/chat/completions", chat("hang/m", true), token, true);
        QVERIFY(r.body.contains("Once"));
        QTRY_VERIFY_WITH_TIMEOUT(fake.closedEarly(), 5000);
        drainLogs();
    }

    // Twelve streams to one provider at once all reach it (Qt 6.4's network manager alone would hold every stream
    // past the 6th back until one of the first ended: network_pool.h), and all are let go when the clients leave.
    void concurrentStreamsAllReachTheProvider()
    {
        const int before = fake.requests("hang");
        constexpr int n = 12;
        std::vector<std::unique_ptr<QNetworkAccessManager>> clients; // one each: a client manager has 6 connections
        QList<QNetworkReply *> replies;
        for (int i = 0; i < n; ++i) {
            clients.push_back(std::make_unique<QNetworkAccessManager>());
            QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(relayd.port())));
            request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
            request.setRawHeader("Authorization", "Bearer " + token);
            replies << clients.back()->post(request, QJsonDocument(chat("hang/m", true)).toJson());
        }
        QTRY_COMPARE_WITH_TIMEOUT(fake.requests("hang") - before, n, 10000);
        for (QNetworkReply *r : replies) {
            QTRY_VERIFY_WITH_TIMEOUT(r->bytesAvailable() > 0, 5000); // each got its first event
            QVERIFY(r->readAll().contains("Once"));
            r->abort();
        }
        QTRY_VERIFY_WITH_TIMEOUT(relayd.request("GET", "/metrics", {}, admin())
                                     .body.contains("smartbot_provider_in_flight{provider=\"hang\"} 0"),
                                 10000);
    }

    // [provider.discover] aliases = stories260K: ... names the relaying server's own local model: the local model
    // answers (prompts stay on the machine); the provider gets nothing.
    void localModelWinsOverAProviderAlias()
    {
        const auto relayedOk = [&] {
            const QByteArray metrics = relayd.request("GET", "/metrics", {}, admin()).body;
            const auto m =
                QRegularExpression("smartbot_provider_requests_total\\{provider=\"discover\",outcome=\"ok\"\\} (\\d+)")
                    .match(QString::fromLatin1(metrics));
            return m.hasMatch() ? m.captured(1).toInt() : 0;
        };
        const int before = relayedOk();
        const Reply local = post(relayd.port(), "/v1/chat/completions", chat("stories260K"), token);
        QCOMPARE(local.status, 200);
        QCOMPARE(local.json()["model"].toString(), QStringLiteral("stories260K"));
        QCOMPARE(relayedOk(), before);
        // The same request by the provider's name form is relayed.
        QCOMPARE(post(relayd.port(), "/v1/chat/completions", chat("discover/stories260K"), token).status, 200);
        QCOMPARE(relayedOk(), before + 1);
    }

    void cleanupTestCase()
    {
        relayd.stop();
        tlsUpstream.stop();
        upstream.stop();
    }
};

QTEST_GUILESS_MAIN(TestRelay)
#include "test_relay.moc"
