// KV-cache memory over HTTP against a real smartbotd: the prefix cache serves a shared system prompt (usage
// reports prompt_tokens_details.cached_tokens, /metrics counts it), a request that can never fit
// [model] kv_cache_mb is refused naming max_tokens, and requests that do not fit right now wait and are answered.
#include <QtTest>

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>

#include "daemon_process.h"
#include "random_model.h"

namespace {
const QByteArray kAdminKey = "kv-test-admin-key";

QMap<QString, double> metrics(const DaemonProcess &d)
{
    QMap<QString, double> out;
    for (const QByteArray &line : d.request("GET", "/metrics").body.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        out.insert(QString::fromUtf8(line.left(space)), line.mid(space + 1).toDouble());
    }
    return out;
}

QJsonObject chat(const QString &system, const QString &user, int maxTokens)
{
    QJsonArray messages;
    if (!system.isEmpty())
        messages.append(QJsonObject{{"role", "system"}, {"content", system}});
    messages.append(QJsonObject{{"role", "user"}, {"content", user}});
    return {{"model", "kvmodel"}, {"messages", messages}, {"max_tokens", maxTokens}};
}
} // namespace

class TestKvCache : public QObject {
    Q_OBJECT
    QTemporaryDir dir;
    DaemonProcess daemon;
    QList<QPair<QByteArray, QByteArray>> auth;

private Q_SLOTS:
    void initTestCase()
    {
        const QString tokenizer = sharedModelDir();
        if (!QFileInfo::exists(tokenizer + "/tokenizer.json"))
            QSKIP("shared data ../shared/models/stories260K is absent: KV-cache tests skipped");
        // A random-weight model whose KV cache is big enough per position for a 2 MiB budget to bite:
        // K and V x 4 layers x 4 KV heads x head_dim 64 x fp32 = 8 KiB per position, so kv_cache_mb = 2 holds 256.
        smartbot::testsupport::RandomModelSpec spec;
        spec.hidden = 256, spec.intermediate = 512, spec.layers = 4, spec.heads = 4, spec.kvHeads = 4;
        spec.maxPositions = 1024;
        spec.keepValues = false;
        spec.tokenizerDir = tokenizer.toStdString();
        smartbot::testsupport::writeRandomModel(dir.filePath("kvmodel").toStdString(), spec);
        QFile conf(dir.filePath("server.conf"));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("[model]\nkv_cache_mb = 2\nprefix_cache = true\n");
        conf.close();
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SMARTBOT_ADMIN_KEY", QString::fromLatin1(kAdminKey));
        QVERIFY2(daemon.start(dir.path(), {"--model", dir.filePath("kvmodel")}, env), qPrintable(daemon.output()));
        QVERIFY2(daemon.waitForLog("ready"), qPrintable(daemon.output()));
        QVERIFY2(daemon.output().contains("KV cache 2 MiB (8192 bytes per position), prefix cache on"),
                 qPrintable(daemon.output()));
        auto t = daemon.postJson("/admin/token", {{"username", "kv"}}, {{"X-API-Key", kAdminKey}});
        QCOMPARE(t.status, 200);
        auth = {{"Authorization", "Bearer " + t.json().value("token").toString().toLatin1()}};
    }

    void cleanupTestCase() { daemon.stop(); }

    void sharedSystemPromptIsReused()
    {
        const QString system = QStringLiteral("You are a kind storyteller. You tell short stories about a little girl "
                                              "named Lily and her dog, who live in a small house by the sea.");
        auto first = daemon.postJson("/v1/chat/completions", chat(system, "Tell me a story.", 4), auth);
        QCOMPARE(first.status, 200);
        const QJsonObject u1 = first.json().value("usage").toObject();
        QCOMPARE(u1.value("prompt_tokens_details").toObject().value("cached_tokens").toInt(-1), 0);

        auto second = daemon.postJson("/v1/chat/completions", chat(system, "What did the dog do?", 4), auth);
        QCOMPARE(second.status, 200);
        const QJsonObject u2 = second.json().value("usage").toObject();
        const int cached = u2.value("prompt_tokens_details").toObject().value("cached_tokens").toInt(-1);
        // The system prompt alone is over 30 tokens; the differing user turn is not cached.
        QVERIFY2(cached > 30 && cached < u2.value("prompt_tokens").toInt(), qPrintable(QString::number(cached)));

        // The plain chat route reports it too.
        auto plain =
            daemon.postJson("/api/v1/chat", {{"message", system + " Once upon a time"}, {"max_tokens", 2}}, auth);
        QCOMPARE(plain.status, 200);
        QVERIFY(plain.json().value("usage").toObject().contains("prompt_tokens_details"));

        const auto m = metrics(daemon);
        QVERIFY(m.value("smartbot_prefix_cache_hits_total") >= 1);
        QVERIFY(m.value("smartbot_prompt_tokens_cached_total") >= cached);
        QVERIFY(m.value("smartbot_prefix_cache_tokens") > 0);
        QCOMPARE(m.value("smartbot_kv_cache_budget_bytes"), double(2 << 20));
    }

    void requestThatCanNeverFitIsRefused()
    {
        // 300 new tokens need > 256 positions: more than the whole budget.
        auto r = daemon.postJson("/v1/chat/completions", chat({}, "Hi", 300), auth);
        QCOMPARE(r.status, 400);
        const QJsonObject e = r.json().value("error").toObject();
        QCOMPARE(e.value("code").toString(), QStringLiteral("kv_cache_exceeded"));
        QCOMPARE(e.value("param").toString(), QStringLiteral("max_tokens"));
        QVERIFY2(e.value("message").toString().contains("kv_cache_mb"), qPrintable(e.value("message").toString()));
        // The server goes on serving.
        QCOMPARE(daemon.postJson("/v1/chat/completions", chat({}, "Hi", 4), auth).status, 200);
    }

    void requestsThatDoNotFitNowWait()
    {
        // Six requests of ~100 positions each against 256 run two at a time: the others wait their turn.
        const double waitsBefore = metrics(daemon).value("smartbot_kv_cache_waits_total");
        QNetworkAccessManager nam;
        QList<QNetworkReply *> replies;
        for (int i = 0; i < 6; ++i) {
            QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(daemon.port())));
            req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
            req.setRawHeader(auth.first().first, auth.first().second);
            replies.append(nam.post(req, QJsonDocument(chat({}, QStringLiteral("Story %1").arg(i), 96)).toJson()));
        }
        for (QNetworkReply *r : replies) {
            if (!r->isFinished())
                QVERIFY(QSignalSpy(r, &QNetworkReply::finished).wait(60000));
            QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            r->deleteLater();
        }
        const auto m = metrics(daemon);
        qInfo("requests that waited: %g", m.value("smartbot_kv_cache_waits_total") - waitsBefore);
        QVERIFY2(m.value("smartbot_kv_cache_waits_total") >= waitsBefore + 1,
                 qPrintable(QString::number(m.value("smartbot_kv_cache_waits_total"))));
        QCOMPARE(m.value(R"(smartbot_kv_cache_bytes{use="sequences"})"), 0.0);
        QVERIFY(m.value(R"(smartbot_kv_cache_bytes{use="prefix_cache"})") <= double(2 << 20));
        QVERIFY(m.value(R"(smartbot_kv_cache_bytes{use="prefix_cache"})") > 0);
    }
};

QTEST_MAIN(TestKvCache)
#include "test_kv_cache.moc"
