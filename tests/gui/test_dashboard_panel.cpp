// DashboardPanel, offscreen: with chat traffic over HTTP to the in-process server, the charts (read from the
// in-process metrics) show requests/s, latency, tokens/s and KV-cache use above zero, and the summary line says the
// figures; with no traffic the rates go back to zero.
#include <QLabel>
#include <QLineSeries>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "app/dashboard_panel.h"
#include "core/log_buffer.h"
#include "http/server/smartbot_server.h"
#include "gui_testing.h"
#include "require_data.h"
#include "screenshot.h"

using smartbot::gui::DashboardPanel;
using smartbot::http::SmartbotServer;
using ModelState = smartbot::service::InferenceWorker::ModelState;
using namespace smartbot::testsupport;

namespace {
double highest(QLineSeries *s)
{
    double top = 0;
    for (const QPointF &p : s->points())
        top = std::max(top, p.y());
    return top;
}
} // namespace

class TestDashboardPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { smartbot::LogBuffer::instance().install(true); }

    void chartsFollowTraffic()
    {
        REQUIRE_DATA(kStoriesModel + "/config.json");
        QTemporaryDir config;
        SmartbotServer server;
        QVERIFY(startWithModel(server, config));
        const QByteArray admin = adminKeyOf(config);

        DashboardPanel panel(&server);
        panel.setSampleInterval(100);
        panel.resize(1000, 700);
        panel.show();
        for (const char *name :
             {"requests", "latency_p50", "latency_p99", "ttft_p50", "tokens", "streams", "queue", "kv"})
            QVERIFY2(panel.series(QLatin1String(name)), name);

        // Traffic: a token, then chat requests for a while.
        QNetworkAccessManager nam;
        nam.setProxy(QNetworkProxy::NoProxy);
        const QUrl base(QStringLiteral("http://127.0.0.1:%1").arg(server.port()));
        QNetworkRequest tokenRequest(base.resolved(QUrl(QStringLiteral("/admin/token"))));
        tokenRequest.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        tokenRequest.setRawHeader("X-API-Key", admin);
        std::unique_ptr<QNetworkReply> t(nam.post(tokenRequest, R"({"username":"dash"})"));
        QVERIFY(QSignalSpy(t.get(), &QNetworkReply::finished).wait(10000));
        const QByteArray token = QJsonDocument::fromJson(t->readAll()).object().value("token").toString().toLatin1();
        QVERIFY(!token.isEmpty());
        QElapsedTimer clock;
        clock.start();
        int answered = 0;
        while (clock.elapsed() < 1500) {
            QNetworkRequest chat(base.resolved(QUrl(QStringLiteral("/api/v1/chat"))));
            chat.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
            chat.setRawHeader("Authorization", "Bearer " + token);
            std::unique_ptr<QNetworkReply> r(nam.post(chat, R"({"message":"Once upon a time","max_tokens":16})"));
            QSignalSpy done(r.get(), &QNetworkReply::finished);
            QVERIFY(done.wait(10000));
            answered += r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
        }
        QVERIFY(answered > 0);
        QTest::qWait(300); // a sample after the last request

        QVERIFY2(highest(panel.series(QStringLiteral("requests"))) > 0, "no requests/s");
        QVERIFY2(highest(panel.series(QStringLiteral("tokens"))) > 0, "no tokens/s");
        QVERIFY2(highest(panel.series(QStringLiteral("latency_p50"))) > 0, "no latency");
        QVERIFY2(highest(panel.series(QStringLiteral("ttft_p50"))) > 0, "no time to first token");
        QVERIFY2(highest(panel.series(QStringLiteral("kv"))) > 0, "no KV cache in use (prefix cache)");
        const QString summary = panel.findChild<QLabel *>(QStringLiteral("dashboardSummary"))->text();
        QVERIFY2(summary.contains(QStringLiteral("requests/s")), qPrintable(summary));
        smartbot::testsupport::saveScreenshot(&panel, QStringLiteral("dashboard"));

        // Quiet again: the newest rate is zero.
        QTest::qWait(400);
        QCOMPARE(panel.series(QStringLiteral("requests"))->points().last().y(), 0.0);
        server.stop();
    }
};

QTEST_MAIN(TestDashboardPanel)
#include "test_dashboard_panel.moc"
