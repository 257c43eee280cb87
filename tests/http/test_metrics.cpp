// GET /metrics against a real smartbotd: counters move with the right labels, promtool accepts the exposition,
// and a real Prometheus scrapes it.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpServer>

#include "daemon_process.h"

namespace {
const QByteArray kAdminKey = "metrics-test-admin-key";

// "name{labels}" -> value, for every sample line of a text exposition.
QMap<QString, double> parseSamples(const QByteArray &body)
{
    QMap<QString, double> out;
    for (const QByteArray &line : body.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        out.insert(QString::fromUtf8(line.left(space)), line.mid(space + 1).toDouble());
    }
    return out;
}

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

// GET on a local HTTP API (Prometheus's), with a timeout.
QJsonObject getJson(QNetworkAccessManager &nam, const QUrl &url)
{
    QNetworkReply *reply = nam.get(QNetworkRequest(url));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(3000, &loop, &QEventLoop::quit);
    loop.exec();
    const QJsonObject o = reply->isFinished() ? QJsonDocument::fromJson(reply->readAll()).object() : QJsonObject();
    reply->abort();
    reply->deleteLater();
    return o;
}
} // namespace

class TestMetrics : public QObject {
    Q_OBJECT
    QTemporaryDir configDir;
    DaemonProcess daemon;
    bool withModel = false;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(smartbotdPath()));
        QFile conf(configDir.filePath("server.conf"));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("[model]\nmax_tokens = 8\n");
        conf.close();
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SMARTBOT_ADMIN_KEY", QString::fromLatin1(kAdminKey));
        withModel = QFileInfo::exists(sharedModelDir() + "/config.json");
        const QStringList extra = withModel ? QStringList{"--model", sharedModelDir()} : QStringList{};
        QVERIFY2(daemon.start(configDir.path(), extra, env), qPrintable(daemon.output()));
        if (withModel)
            QVERIFY2(daemon.waitForLog("ready"), qPrintable(daemon.output()));
    }

    void cleanupTestCase() { daemon.stop(); }

    void countersMoveWithLabels()
    {
        const QString ok = R"(smartbot_http_requests_total{route="/healthz",status="200"})";
        const QString unauthorized = R"(smartbot_http_requests_total{route="/admin/token",status="401"})";
        const QString notFound = R"(smartbot_http_requests_total{route="unmatched",status="404"})";
        const QString okCount = R"(smartbot_http_request_duration_seconds_count{route="/healthz"})";
        const QString okInf = R"(smartbot_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"})";
        const HttpReply first = daemon.request("GET", "/metrics");
        QCOMPARE(first.status, 200);
        QCOMPARE(first.header("Content-Type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
        const auto before = parseSamples(first.body);

        QCOMPARE(daemon.request("GET", "/healthz").status, 200);
        QCOMPARE(daemon.postJson("/admin/token", {{"username", "u"}}).status, 401);
        QCOMPARE(daemon.request("GET", "/no/such/route-1234").status, 404);
        QCOMPARE(daemon.request("GET", "/healthz").status, 200);

        const HttpReply second = daemon.request("GET", "/metrics");
        QCOMPARE(second.status, 200);
        const auto after = parseSamples(second.body);
        QCOMPARE(after.value(ok) - before.value(ok), 2.0);
        QCOMPARE(after.value(unauthorized) - before.value(unauthorized), 1.0);
        QCOMPARE(after.value(notFound) - before.value(notFound), 1.0);
        QCOMPARE(after.value(okCount) - before.value(okCount), 2.0);
        QCOMPARE(after.value(okInf), after.value(okCount));
        // The previous scrape was counted once it was written.
        QVERIFY(after.value(R"(smartbot_http_requests_total{route="/metrics",status="200"})") >= 1);
        // Unmatched paths never become label values.
        for (const QString &key : after.keys())
            QVERIFY2(!key.contains("route-1234"), qPrintable(key));
    }

    void exposition()
    {
        const HttpReply r = daemon.request("GET", "/metrics");
        QCOMPARE(r.status, 200);
        const QByteArray text = '\n' + r.body;
        for (const char *family :
             {"smartbot_http_requests_total counter", "smartbot_http_request_duration_seconds histogram",
              "smartbot_time_to_first_token_seconds histogram", "smartbot_inter_token_latency_seconds histogram",
              "smartbot_prompt_tokens_total counter", "smartbot_generated_tokens_total counter",
              "smartbot_queue_depth gauge", "smartbot_active_sequences gauge", "smartbot_model_load_seconds gauge",
              "process_resident_memory_bytes gauge", "process_virtual_memory_bytes gauge",
              "process_start_time_seconds gauge", "process_cpu_seconds_total counter"}) {
            QVERIFY2(text.contains("\n# TYPE " + QByteArray(family) + '\n'), family);
            QVERIFY2(text.contains("\n# HELP " + QByteArray(family).split(' ').first() + ' '), family);
        }
        // Sub-millisecond buckets for token latencies.
        QVERIFY(r.body.contains(R"(smartbot_inter_token_latency_seconds_bucket{le="0.0001"})"));
        const auto s = parseSamples(r.body);
        QVERIFY(s.value("process_resident_memory_bytes") > 1e6);
        QVERIFY(s.value("process_virtual_memory_bytes") >= s.value("process_resident_memory_bytes"));
        QVERIFY(s.value("process_cpu_seconds_total") > 0);
        const double now = double(QDateTime::currentSecsSinceEpoch());
        QVERIFY2(qAbs(s.value("process_start_time_seconds") - now) < 600,
                 qPrintable(QString::number(s.value("process_start_time_seconds"), 'f')));
        QCOMPARE(s.value("smartbot_queue_depth"), 0.0);
        if (withModel)
            QVERIFY(s.value("smartbot_model_load_seconds") > 0);
    }

    void promtoolAccepts()
    {
        const QString promtool = QStandardPaths::findExecutable("promtool");
        if (promtool.isEmpty())
            QSKIP("promtool is not installed (Debian package prometheus; installers/setup-debian.sh)");
        const HttpReply r = daemon.request("GET", "/metrics");
        QCOMPARE(r.status, 200);
        QProcess p;
        p.start(promtool, {"check", "metrics"});
        QVERIFY(p.waitForStarted());
        p.write(r.body);
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(20000));
        const QByteArray report = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitCode() == 0 && report.trimmed().isEmpty(), report.constData());
    }

    void prometheusScrapes()
    {
        const QString prometheus = QStandardPaths::findExecutable("prometheus");
        if (prometheus.isEmpty())
            QSKIP("prometheus is not installed (Debian package prometheus; installers/setup-debian.sh)");
        QTemporaryDir dir;
        const quint16 port = freePort();
        QFile yml(dir.filePath("prometheus.yml"));
        QVERIFY(yml.open(QIODevice::WriteOnly));
        yml.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                  "  - job_name: smartbot\n    static_configs:\n      - targets: ['127.0.0.1:" +
                  QByteArray::number(daemon.port()) + "']\n");
        yml.close();
        QProcess prom;
        prom.setProcessChannelMode(QProcess::MergedChannels);
        prom.start(prometheus, {"--config.file=" + yml.fileName(), "--storage.tsdb.path=" + dir.filePath("data"),
                                QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(port)});
        QVERIFY(prom.waitForStarted(10000));
        auto stop = qScopeGuard([&] {
            prom.terminate();
            if (!prom.waitForFinished(10000))
                prom.kill();
            prom.waitForFinished(5000);
        });

        QNetworkAccessManager nam;
        const QString api = QStringLiteral("http://127.0.0.1:%1/api/v1/").arg(port);
        QString health;
        QElapsedTimer t;
        t.start();
        while (health != "up" && t.elapsed() < 30000 && prom.state() == QProcess::Running) {
            const QJsonArray targets =
                getJson(nam, QUrl(api + "targets")).value("data").toObject().value("activeTargets").toArray();
            health = targets.isEmpty() ? QString() : targets.first().toObject().value("health").toString();
            if (health != "up")
                QTest::qWait(250);
        }
        QVERIFY2(health == "up", prom.readAll().constData());

        QJsonArray series;
        while (series.isEmpty() && t.elapsed() < 45000) {
            series = getJson(nam, QUrl(api + "query?query=smartbot_http_requests_total"))
                         .value("data")
                         .toObject()
                         .value("result")
                         .toArray();
            if (series.isEmpty())
                QTest::qWait(250);
        }
        QVERIFY2(!series.isEmpty(), prom.readAll().constData());
        bool sawHealthz = false;
        for (const QJsonValue &v : series) {
            const QJsonObject m = v.toObject().value("metric").toObject();
            QCOMPARE(m.value("job").toString(), QStringLiteral("smartbot"));
            QVERIFY(!m.value("status").toString().isEmpty());
            sawHealthz |= m.value("route").toString() == "/healthz" && m.value("status").toString() == "200";
        }
        QVERIFY(sawHealthz);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"
