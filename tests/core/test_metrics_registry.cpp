// Metrics: the Prometheus registry in-process: each family named once, counters and histograms add up, labels are
// escaped, buckets are cumulative.
#include <QtTest>

#include "core/metrics.h"

using smartbot::HistogramCounts;
using smartbot::Metrics;
using smartbot::MetricsSnapshot;

namespace {
double sampleValue(const QByteArray &text, const QByteArray &series)
{
    for (const QByteArray &line : text.split('\n'))
        if (line.startsWith(series + ' '))
            return line.mid(series.size() + 1).toDouble();
    return -1;
}
} // namespace

class TestMetricsRegistry : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { Metrics::instance().resetForTests(); }

    void familiesNamedOnce()
    {
        Metrics &m = Metrics::instance();
        m.observeRequest(QStringLiteral("/healthz"), 200, 0.001);
        m.observeRequest(QStringLiteral("/api/v1/chat"), 429, 0.002);
        const QByteArray text = m.render();
        QSet<QByteArray> types;
        for (const QByteArray &line : text.split('\n')) {
            if (!line.startsWith("# TYPE "))
                continue;
            const QByteArray name = line.split(' ').value(2);
            QVERIFY2(!types.contains(name), name.constData());
            types.insert(name);
        }
        QVERIFY(types.size() >= 15);
    }

    void countersAddUp_data()
    {
        QTest::addColumn<int>("requests");
        QTest::newRow("1") << 1;
        QTest::newRow("7") << 7;
    }
    void countersAddUp()
    {
        QFETCH(int, requests);
        Metrics &m = Metrics::instance();
        for (int i = 0; i < requests; ++i)
            m.observeRequest(QStringLiteral("/v1/models"), 200, 0.003);
        m.addTokens(10, 20);
        m.addTokens(1, 2);
        const QByteArray text = m.render();
        QCOMPARE(sampleValue(text, R"(smartbot_http_requests_total{route="/v1/models",status="200"})"),
                 double(requests));
        QCOMPARE(sampleValue(text, R"(smartbot_http_request_duration_seconds_count{route="/v1/models"})"),
                 double(requests));
    }

    void histogramBucketsCumulative()
    {
        Metrics &m = Metrics::instance();
        for (double s : {0.0005, 0.01, 0.2, 3.0, 100.0})
            m.observeTimeToFirstToken(s);
        const QByteArray text = m.render();
        double previous = -1;
        int buckets = 0;
        for (const QByteArray &line : text.split('\n')) {
            if (!line.startsWith("smartbot_time_to_first_token_seconds_bucket"))
                continue;
            const double v = line.mid(line.lastIndexOf(' ') + 1).toDouble();
            QVERIFY2(v >= previous, line.constData());
            previous = v;
            ++buckets;
        }
        QVERIFY(buckets >= 3);
        QCOMPARE(previous, 5.0); // +Inf holds every observation
        QCOMPARE(sampleValue(text, "smartbot_time_to_first_token_seconds_count"), 5.0);
    }

    // histogram_quantile's estimate: linear inside the bucket holding the rank.
    void quantile_data()
    {
        QTest::addColumn<QList<quint64>>("counts"); // bounds 1, 2, 4, then +Inf
        QTest::addColumn<double>("q");
        QTest::addColumn<double>("expected"); // NaN: no estimate
        QTest::newRow("empty") << QList<quint64>{0, 0, 0, 0} << 0.5 << std::nan("");
        QTest::newRow("all in first, median") << QList<quint64>{10, 0, 0, 0} << 0.5 << 0.5;
        QTest::newRow("second bucket") << QList<quint64>{0, 4, 0, 0} << 0.25 << 1.25;
        QTest::newRow("p99 in third") << QList<quint64>{50, 40, 10, 0} << 0.99 << 3.8;
        QTest::newRow("+Inf: highest bound") << QList<quint64>{0, 0, 0, 5} << 0.5 << 4.0;
        QTest::newRow("q 0") << QList<quint64>{0, 3, 3, 0} << 0.0 << 1.0;
    }
    void quantile()
    {
        QFETCH(QList<quint64>, counts);
        QFETCH(double, q);
        QFETCH(double, expected);
        HistogramCounts h{{1, 2, 4}, std::vector<quint64>(counts.begin(), counts.end())};
        const double got = h.quantile(q);
        if (std::isnan(expected))
            QVERIFY2(std::isnan(got), qPrintable(QString::number(got)));
        else
            QVERIFY2(std::abs(got - expected) < 1e-9, qPrintable(QString::number(got)));
    }

    void snapshotAndSince()
    {
        Metrics &m = Metrics::instance();
        const MetricsSnapshot before = m.snapshot();
        m.observeRequest(QStringLiteral("/a"), 200, 0.003);
        m.observeRequest(QStringLiteral("/b"), 404, 0.003);
        m.observeTimeToFirstToken(0.02);
        m.addTokens(5, 7);
        m.setActiveSequences(3);
        const MetricsSnapshot after = m.snapshot();
        QCOMPARE(after.requests - before.requests, quint64(2));
        QCOMPARE(after.generatedTokens - before.generatedTokens, quint64(7));
        QCOMPARE(after.activeSequences, 3);
        const HistogramCounts window = after.requestSeconds.since(before.requestSeconds);
        QCOMPARE(window.total(), quint64(2)); // both routes merged
        const double median = window.quantile(0.5);
        QVERIFY2(median > 0.0025 && median <= 0.005, qPrintable(QString::number(median)));
        QCOMPARE(after.firstTokenSeconds.since(before.firstTokenSeconds).total(), quint64(1));
    }

    void labelsEscaped()
    {
        Metrics::instance().observeRequest(QStringLiteral("a\"b\\c\nd"), 404, 0.001);
        const QByteArray text = Metrics::instance().render();
        const QByteArray escaped = "route=\"a\\\"b\\\\c\\nd\""; // route="a\"b\\c\nd"
        QVERIFY2(text.contains(escaped), text.constData());
    }
};

QTEST_GUILESS_MAIN(TestMetricsRegistry)
#include "test_metrics_registry.moc"
