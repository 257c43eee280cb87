// Several models in one smartbotd (service/model_pool.h) over real sockets: /v1/models, on-demand loads, keep_alive,
// /admin/models load/unload, the memory budget, and a hot swap with hundreds of requests in flight.
#include <QtTest>

#include "require_data.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>

#include "daemon_process.h"
#include "random_model.h"

namespace {
const QByteArray kPrompt = "Once upon a time";

QJsonObject chatBody(const QString &model, int maxTokens)
{
    return {{"model", model},
            {"max_tokens", maxTokens},
            {"temperature", 0},
            {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", QString::fromLatin1(kPrompt)}}}}};
}

QString replyText(const HttpReply &r)
{
    return r.json()["choices"].toArray().at(0).toObject()["message"].toObject()["content"].toString();
}

QJsonObject heldModel(const HttpReply &list, const QString &name)
{
    for (const QJsonValue &m : list.json()["models"].toArray())
        if (m["name"].toString() == name)
            return m.toObject();
    return {};
}

// Sends every body at once, each on its own connection, and collects the statuses and the time each answer ended
// (ms since `clock` started). A status of 0: no answer within the timeout.
struct Answer {
    int status = 0;
    qint64 endedMs = 0;
    QJsonObject json; // the body
};
std::vector<Answer> concurrentPosts(quint16 port, const QByteArray &path, const QByteArray &authorization,
                                    const std::vector<QByteArray> &bodies, const QElapsedTimer &clock,
                                    const std::function<void(const std::vector<Answer> &)> &whileWaiting)
{
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    std::vector<QByteArray> received(bodies.size());
    std::vector<Answer> answers(bodies.size());
    for (size_t i = 0; i < bodies.size(); ++i) {
        auto s = std::make_unique<QTcpSocket>();
        QTcpSocket *raw = s.get();
        QObject::connect(raw, &QTcpSocket::readyRead, raw, [raw, &received, i] { received[i] += raw->readAll(); });
        QObject::connect(raw, &QTcpSocket::disconnected, raw, [&answers, &received, &clock, i] {
            const QList<QByteArray> line = received[i].left(received[i].indexOf('\r')).split(' ');
            answers[i].status = line.size() > 1 ? line[1].toInt() : -1;
            answers[i].endedMs = clock.elapsed();
            answers[i].json = QJsonDocument::fromJson(received[i].mid(received[i].indexOf("\r\n\r\n") + 4)).object();
        });
        raw->connectToHost(QStringLiteral("127.0.0.1"), port);
        raw->write("POST " + path +
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: " + authorization +
                   "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(bodies[i].size()) +
                   "\r\n\r\n" + bodies[i]);
        sockets.push_back(std::move(s));
    }
    whileWaiting(answers);
    (void)QTest::qWaitFor(
        [&] { return std::all_of(answers.begin(), answers.end(), [](const Answer &a) { return a.status != 0; }); },
        120000);
    return answers;
}
} // namespace

class TestModels : public QObject {
    Q_OBJECT
    QTemporaryDir configDir;
    DaemonProcess daemon;
    QByteArray adminKey;
    QString storiesReply; // stories260K's greedy reply to kPrompt

    QByteArray token; // a chat credential (the admin key is not one)

    QList<QPair<QByteArray, QByteArray>> admin() const { return {{"X-API-Key", adminKey}}; }
    QList<QPair<QByteArray, QByteArray>> bearer() const { return {{"Authorization", "Bearer " + token}}; }
    QByteArray tokenFrom(const DaemonProcess &d) const
    {
        return d.postJson("/admin/token", {{"username", "models-test"}}, admin()).json()["token"].toString().toLatin1();
    }
    HttpReply models() const { return daemon.request("GET", "/admin/models", {}, admin()); }

    static void writeConfig(const QString &dir, const QByteArray &text)
    {
        QFile conf(QDir(dir).filePath("server.conf"));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(text);
    }
    // A folder of models: alpha (stories260K's files, linked) and beta (random weights, stories' tokenizer).
    static void writeModels(const QString &dir)
    {
        QDir().mkpath(dir + "/alpha");
        for (const QString &f : QDir(sharedModelDir()).entryList(QDir::Files))
            QVERIFY(QFile::link(sharedModelDir() + "/" + f, dir + "/alpha/" + f));
        smartbot::testsupport::RandomModelSpec spec;
        spec.vocab = 512;
        spec.seed = 7;
        spec.tokenizerDir = sharedModelDir().toStdString();
        spec.keepValues = false;
        smartbot::testsupport::writeRandomModel((dir + "/beta").toStdString(), spec);
    }

private Q_SLOTS:
    void initTestCase()
    {
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        writeModels(configDir.filePath("models"));
        writeConfig(configDir.path(), "[model]\nfolders = models\nkeep_alive = 2\npreload = alpha\nkv_cache_mb = 16\n"
                                      "[limits]\nmax_queue = 1024\n[network]\nmax_connections_per_address = 1000\n");
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SMARTBOT_ADMIN_KEY", "models-test-admin-key");
        adminKey = "models-test-admin-key";
        QVERIFY2(daemon.start(configDir.path(), {"--model", sharedModelDir()}, env), qPrintable(daemon.output()));
        QVERIFY2(daemon.waitForLog("model alpha ready"), qPrintable(daemon.output()));
        QVERIFY2(daemon.waitForLog("model stories260K ready"), qPrintable(daemon.output()));
        token = tokenFrom(daemon);
        QVERIFY(!token.isEmpty());
        auto r = daemon.postJson("/v1/chat/completions", chatBody("stories260K", 8), bearer());
        QCOMPARE(r.status, 200);
        storiesReply = replyText(r);
        QVERIFY(!storiesReply.isEmpty());
    }

    void listsHeldAndAvailableModels()
    {
        auto v1 = daemon.request("GET", "/v1/models", {}, bearer());
        QCOMPARE(v1.status, 200);
        QMap<QString, QString> status;
        for (const QJsonValue &m : v1.json()["data"].toArray())
            status[m["id"].toString()] = m["status"].toString();
        QCOMPARE(status.value("stories260K"), QStringLiteral("ready"));
        QCOMPARE(status.value("alpha"), QStringLiteral("ready")); // [model] preload
        QCOMPARE(status.value("beta"), QStringLiteral("available"));
        QCOMPARE(daemon.request("GET", "/v1/models/beta", {}, bearer()).json()["status"].toString(),
                 QStringLiteral("available")); // a retrieve loads nothing
        QCOMPARE(daemon.request("GET", "/v1/models/nope", {}, bearer()).status, 404);

        auto list = models();
        QCOMPARE(list.status, 200);
        QCOMPARE(list.json()["models"].toArray().size(), 2);
        QCOMPARE(list.json()["models"].toArray().at(0)["name"].toString(), QStringLiteral("stories260K"));
        QVERIFY(list.json()["models"].toArray().at(0)["default"].toBool());
        QVERIFY(heldModel(list, "alpha")["pinned"].toBool());
        QVERIFY(heldModel(list, "alpha")["unload_at_ms"].isNull()); // preloaded: kept
        QCOMPARE(list.json()["available"].toArray().size(), 2);
        const QJsonObject memory = list.json()["memory"].toObject();
        QVERIFY(memory["used_bytes"].toDouble() > 2 * 16 * 1024 * 1024); // two KV budgets of 16 MiB, and weights
        QVERIFY(memory["budget_bytes"].toDouble() > memory["used_bytes"].toDouble());
        QCOMPARE(daemon.request("GET", "/admin/models").status, 401);
    }

    void requestLoadsAModelOnDemandAndKeepAliveUnloadsIt()
    {
        // The first request naming beta waits for its load and is answered by it.
        auto r = daemon.postJson("/v1/chat/completions", chatBody("beta", 8), bearer());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json()["model"].toString(), QStringLiteral("beta"));
        QVERIFY(replyText(r) != storiesReply);
        QVERIFY2(daemon.waitForLog("loading model beta on demand", 5000), qPrintable(daemon.output()));
        const QJsonObject beta = heldModel(models(), "beta");
        QCOMPARE(beta["state"].toString(), QStringLiteral("ready"));
        QVERIFY(!beta["pinned"].toBool());
        QVERIFY(beta["unload_at_ms"].toDouble() > 0);
        // alpha is stories260K's files under another name: the same reply.
        QCOMPARE(replyText(daemon.postJson("/v1/chat/completions", chatBody("alpha", 8), bearer())), storiesReply);
        // keep_alive = 2: beta goes after two idle seconds; the preloaded and default models stay.
        QTRY_VERIFY_WITH_TIMEOUT(heldModel(models(), "beta").isEmpty(), 10000);
        QVERIFY2(daemon.waitForLog("model beta idle for 2 s", 5000), qPrintable(daemon.output()));
        QCOMPARE(models().json()["models"].toArray().size(), 2);
        // Named again, it comes back.
        QCOMPARE(daemon.postJson("/v1/chat/completions", chatBody("beta", 4), bearer()).status, 200);
    }

    void unknownModelIs404()
    {
        auto r = daemon.postJson("/v1/chat/completions", chatBody("gamma", 4), bearer());
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorCode(), QStringLiteral("model_not_found"));
        QVERIFY(r.json()["error"].toObject()["message"].toString().contains("[model] folders"));
        auto u = daemon.postJson("/admin/models/unload", {{"model", "gamma"}}, admin());
        QCOMPARE(u.status, 404);
        auto bad = daemon.postJson("/admin/models/load", {{"model", 3}}, admin());
        QCOMPARE(bad.status, 400);
        // Paths outside [model] folders are refused: an admin key names models, it does not open files.
        auto outside = daemon.postJson("/admin/models/load", {{"model", "x"}, {"path", "/etc"}}, admin());
        QCOMPARE(outside.status, 403);
        QCOMPARE(outside.errorCode(), QStringLiteral("path_not_allowed"));
    }

    void hotSwapUnderLoadFailsNoRequest()
    {
        // 300 requests to alpha (stories260K) run long enough to span the swap to beta's files under alpha's name.
        const int n = 300;
        std::vector<QByteArray> bodies;
        for (int i = 0; i < n; ++i) {
            QJsonObject b = chatBody("alpha", 120);
            bodies.push_back(QJsonDocument(b).toJson(QJsonDocument::Compact));
        }
        QElapsedTimer clock;
        clock.start();
        qint64 swappedMs = -1;
        HttpReply swap;
        const QString betaPath = configDir.filePath("models/beta");
        auto answers = concurrentPosts(
            daemon.port(), "/v1/chat/completions", "Bearer " + token, bodies, clock,
            [&](const std::vector<Answer> &now) {
                // Once every request has reached the server (in flight there, or answered already), load the new
                // version and wait for it to serve.
                // The count of the server's is asked without blocking this thread, so the answers that arrive
                // meanwhile are counted as done (a blocking request left them unseen while the server finished
                // them: under load the sum then stayed below n for 30 s). A request that finished while the
                // answer travelled counts twice, hence >=.
                auto arrived = [&] {
                    QNetworkAccessManager nam;
                    nam.setProxy(QNetworkProxy::NoProxy);
                    QNetworkRequest request(
                        QUrl(QStringLiteral("http://127.0.0.1:%1/admin/models").arg(daemon.port())));
                    request.setRawHeader("X-API-Key", adminKey);
                    std::unique_ptr<QNetworkReply> reply(nam.get(request));
                    QEventLoop loop;
                    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
                    loop.exec();
                    HttpReply list;
                    list.body = reply->readAll();
                    const int inFlight = heldModel(list, "alpha")["requests_in_flight"].toInt();
                    const auto done =
                        std::count_if(now.begin(), now.end(), [](const Answer &a) { return a.status != 0; });
                    return inFlight + done >= n;
                };
                QTRY_VERIFY_WITH_TIMEOUT(arrived(), 30000);
                swap = daemon.postJson("/admin/models/load", {{"model", "alpha"}, {"path", betaPath}, {"wait", true}},
                                       admin());
                swappedMs = clock.elapsed();
            });
        QCOMPARE(swap.status, 200);
        QCOMPARE(swap.json()["path"].toString(), betaPath);
        int ok = 0, afterSwap = 0, oldVersion = 0;
        QMap<int, int> statuses;
        for (const Answer &a : answers) {
            ++statuses[a.status];
            ok += a.status == 200;
            // Greedy and batch-invariant: the old version's 120 tokens begin with its 8-token reply.
            oldVersion += a.json["choices"].toArray().at(0)["message"]["content"].toString().startsWith(storiesReply);
            afterSwap += a.endedMs > swappedMs;
        }
        qInfo("%d of %d answered 200; %d finished after the swap (at %lld ms); statuses %s", ok, n, afterSwap,
              swappedMs,
              qPrintable(QString::fromLatin1(QJsonDocument(QJsonObject::fromVariantMap([&] {
                                                 QVariantMap m;
                                                 for (auto it = statuses.begin(); it != statuses.end(); ++it)
                                                     m[QString::number(it.key())] = it.value();
                                                 return m;
                                             }()))
                                                 .toJson(QJsonDocument::Compact))));
        QCOMPARE(ok, n);
        QCOMPARE(oldVersion, n); // queued before the swap: answered by the version they were queued on
        QVERIFY2(afterSwap > 0, "no request was in flight through the swap");
        // New requests get the new version; the old one is freed once its last reply went out.
        QVERIFY(replyText(daemon.postJson("/v1/chat/completions", chatBody("alpha", 8), bearer())) != storiesReply);
        QTRY_COMPARE_WITH_TIMEOUT(heldModel(models(), "alpha")["retiring_versions"].toInt(), 0, 10000);
        QVERIFY2(daemon.waitForLog("model alpha: the new version", 5000), qPrintable(daemon.output()));
    }

    void failedSwapKeepsTheOldVersion()
    {
        // A folder that is not a model: the load fails, alpha keeps serving what it served.
        QDir().mkpath(configDir.filePath("models/broken"));
        QFile junk(configDir.filePath("models/broken/config.json"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("{not json");
        junk.close();
        const QString before = replyText(daemon.postJson("/v1/chat/completions", chatBody("alpha", 8), bearer()));
        auto swap = daemon.postJson("/admin/models/load",
                                    {{"model", "alpha"}, {"path", configDir.filePath("models/broken")}, {"wait", true}},
                                    admin());
        QCOMPARE(swap.status, 502);
        QCOMPARE(swap.errorCode(), QStringLiteral("model_load_failed"));
        QCOMPARE(replyText(daemon.postJson("/v1/chat/completions", chatBody("alpha", 8), bearer())), before);
        QVERIFY(!heldModel(models(), "alpha")["error"].toString().isEmpty());
    }

    void unloadIsGraceful()
    {
        auto u = daemon.postJson("/admin/models/unload", {{"model", "alpha"}}, admin());
        QCOMPARE(u.status, 200);
        QVERIFY(heldModel(models(), "alpha").isEmpty());
        QVERIFY2(daemon.waitForLog("model alpha unloaded", 5000), qPrintable(daemon.output()));
        // The default model is untouched; metrics count what is held.
        QCOMPARE(daemon.postJson("/v1/chat/completions", chatBody("", 8), bearer()).status, 200);
        auto m = daemon.request("GET", "/metrics", {}, admin());
        QVERIFY(m.body.contains("smartbot_models_loaded"));
        QVERIFY(m.body.contains("smartbot_model_memory_budget_bytes"));
    }

    // smartbotd model list|load|unload --config DIR: the same routes from the command line (the admin key from
    // $SMARTBOT_ADMIN_KEY, the port from server.conf).
    void commandLineListsLoadsAndUnloads()
    {
        QFile conf(configDir.filePath("server.conf"));
        QVERIFY(conf.open(QIODevice::Append));
        conf.write(QStringLiteral("port = %1\n").arg(daemon.port()).toUtf8()); // the file ends in [network]
        conf.close();
        auto run = [&](const QStringList &args, int &code) {
            QProcess p;
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert("SMARTBOT_ADMIN_KEY", QString::fromLatin1(adminKey));
            p.setProcessEnvironment(env);
            p.start(smartbotdPath(), QStringList{"model"} + args + QStringList{"--config", configDir.path()});
            if (!p.waitForFinished(60000))
                return QString();
            code = p.exitCode();
            return QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
        };
        int code = -1;
        QString out = run({"load", "beta"}, code);
        QCOMPARE(code, 0);
        QVERIFY2(out.startsWith("model beta serving from " + configDir.filePath("models/beta")), qPrintable(out));
        out = run({"list"}, code);
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(QRegularExpression("\\nbeta +ready .*kept")), qPrintable(out));
        QVERIFY2(out.contains(QRegularExpression("\\nstories260K +ready .*default")), qPrintable(out));
        QVERIFY2(out.contains("memory: "), qPrintable(out));
        out = run({"unload", "beta"}, code);
        QCOMPARE(code, 0);
        QVERIFY(heldModel(models(), "beta").isEmpty());
        out = run({"unload", "beta"}, code);
        QCOMPARE(code, 1);
        QVERIFY2(out.contains("not loaded"), qPrintable(out));
        out = run({"load", "nope"}, code);
        QCOMPARE(code, 1);
        QVERIFY2(out.contains("model_not_found") || out.contains("not available"), qPrintable(out));
        out = run({"load"}, code);
        QCOMPARE(code, 2);
    }

    void memoryBudgetEvictsIdleModelsThenRefuses_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("expect");
        // Default (16 MiB KV + weights) and one on-demand model fit in 40 MiB; a second on-demand one evicts the first.
        QTest::newRow("evicts idle") << QByteArray("memory_budget_mb = 40\n") << "evict";
        // The default holds most of 30 MiB and cannot go: another model is refused for now (503, Retry-After).
        QTest::newRow("busy budget") << QByteArray("memory_budget_mb = 30\n") << "503";
        // Smaller than the default model alone: a start-up error naming the budget.
        QTest::newRow("too small") << QByteArray("memory_budget_mb = 8\n") << "start";
    }
    void memoryBudgetEvictsIdleModelsThenRefuses()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, expect);
        QTemporaryDir dir;
        writeModels(dir.filePath("models"));
        QFile::link(configDir.filePath("models/beta"), dir.filePath("models/gamma"));
        writeConfig(dir.path(), "[model]\nfolders = models\nkv_cache_mb = 16\n" + conf);
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SMARTBOT_ADMIN_KEY", "models-test-admin-key");
        DaemonProcess d;
        if (expect == "start") {
            QVERIFY(!d.start(dir.path(), {"--model", sharedModelDir()}, env));
            QVERIFY2(d.waitForLog("memory budget", 5000), qPrintable(d.output()));
            return;
        }
        QVERIFY2(d.start(dir.path(), {"--model", sharedModelDir()}, env), qPrintable(d.output()));
        QVERIFY2(d.waitForLog("model stories260K ready"), qPrintable(d.output()));
        const QList<QPair<QByteArray, QByteArray>> auth{{"Authorization", "Bearer " + tokenFrom(d)}};
        auto beta = d.postJson("/v1/chat/completions", chatBody("beta", 4), auth);
        if (expect == "503") {
            QCOMPARE(beta.status, 503);
            QCOMPARE(beta.errorCode(), QStringLiteral("insufficient_memory"));
            QCOMPARE(beta.header("Retry-After"), QByteArray("5"));
            QVERIFY(beta.json()["error"].toObject()["message"].toString().contains("stories260K"));
            return;
        }
        QCOMPARE(beta.status, 200);
        auto gamma = d.postJson("/v1/chat/completions", chatBody("gamma", 4), auth);
        QCOMPARE(gamma.status, 200);
        const auto list = d.request("GET", "/admin/models", {}, admin());
        QVERIFY(heldModel(list, "beta").isEmpty());
        QVERIFY(!heldModel(list, "gamma").isEmpty());
        QVERIFY2(d.waitForLog("unloading model beta (idle) to make room", 5000), qPrintable(d.output()));
        QVERIFY(list.json()["memory"].toObject()["used_bytes"].toDouble() <= 40.0 * 1024 * 1024);
    }

    // [model.NAME] sections: beta quantized at load, with its own KV budget and a one-second keep_alive; "outside"
    // a model outside [model] folders (its path), with [model]'s options (keep_alive 300). The default model
    // keeps [model]'s options too.
    void perModelSettings()
    {
        QTemporaryDir dir;
        writeModels(dir.filePath("models"));
        QDir().mkpath(dir.filePath("elsewhere"));
        QVERIFY(QFile::link(configDir.filePath("models/beta"), dir.filePath("elsewhere/gamma")));
        writeConfig(dir.path(), "[model]\nfolders = models\nkv_cache_mb = 16\nkeep_alive = 300\n"
                                "[model.beta]\nkeep_alive = 1\nquantize = q8_0\nkv_cache_mb = 8\n"
                                "[model.outside]\npath = elsewhere/gamma\n");
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SMARTBOT_ADMIN_KEY", "models-test-admin-key");
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {"--model", sharedModelDir()}, env), qPrintable(d.output()));
        const QList<QPair<QByteArray, QByteArray>> auth{{"Authorization", "Bearer " + tokenFrom(d)}};
        QStringList available;
        for (const QJsonValue &m : d.request("GET", "/admin/models", {}, admin()).json()["available"].toArray())
            available << m["name"].toString();
        QVERIFY2(available.contains("outside") && available.contains("beta"), qPrintable(available.join(',')));

        QCOMPARE(d.postJson("/v1/chat/completions", chatBody("beta", 4), auth).status, 200);
        QCOMPARE(d.postJson("/v1/chat/completions", chatBody("outside", 4), auth).status, 200);
        const auto list = d.request("GET", "/admin/models", {}, admin());
        const QJsonObject beta = heldModel(list, "beta"), outside = heldModel(list, "outside"),
                          stories = heldModel(list, "stories260K");
        QVERIFY2(!beta["info"]["quantization"].toString().isEmpty(), qPrintable(list.body));
        QVERIFY2(outside["info"]["quantization"].toString().isEmpty(), qPrintable(list.body));
        QVERIFY2(stories["info"]["quantization"].toString().isEmpty(), qPrintable(list.body));
        // Its own KV budget: 8 MiB less than the same weights with [model]'s 16 (and its weights quantized).
        QVERIFY2(outside["memory_bytes"].toDouble() - beta["memory_bytes"].toDouble() >= 8.0 * 1024 * 1024,
                 qPrintable(list.body));
        const double outsideKeep = outside["unload_at_ms"].toDouble() - outside["last_used_ms"].toDouble();
        const double betaKeep = beta["unload_at_ms"].toDouble() - beta["last_used_ms"].toDouble();
        QCOMPARE(betaKeep, 1000.0);
        QCOMPARE(outsideKeep, 300000.0);
        // beta goes after its one idle second; outside stays.
        QVERIFY2(d.waitForLog("model beta idle for 1 s", 10000), qPrintable(d.output()));
        const auto later = d.request("GET", "/admin/models", {}, admin());
        QVERIFY(heldModel(later, "beta").isEmpty());
        QVERIFY(!heldModel(later, "outside").isEmpty());
    }

    void perModelSettingsRefused_data()
    {
        QTest::addColumn<QByteArray>("section");
        QTest::addColumn<QString>("expected");
        QTest::newRow("misspelt key") << QByteArray("[model.beta]\ndtyp = float32\n")
                                      << "[model.beta] dtyp is not a model setting";
        QTest::newRow("bad value") << QByteArray("[model.beta]\nquantize = q3\n")
                                   << "[model.beta] quantize must be none, q8_0, q4_0 or q4_k_m (not 'q3')";
        QTest::newRow("bad name") << QByteArray("[model.-x]\nthreads = 1\n") << "a model name is";
        QTest::newRow("out of range") << QByteArray("[model.beta]\nkeep_alive = -5\n") << "[model.beta] keep_alive";
    }
    void perModelSettingsRefused()
    {
        QFETCH(QByteArray, section);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        writeConfig(dir.path(), "[model]\npath = none\n" + section);
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(smartbotdPath(), {"config", "check", "--config", dir.path()});
        QVERIFY(p.waitForFinished(20000));
        const QString out = QString::fromLocal8Bit(p.readAll());
        QVERIFY(p.exitCode() != 0);
        QVERIFY2(out.contains(expected), qPrintable(out));
    }

    void cleanupTestCase() { daemon.stop(); }
};

QTEST_GUILESS_MAIN(TestModels)
#include "test_models.moc"
