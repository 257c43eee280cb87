// RateLimiter: per-subject sliding minute windows, Retry-After, token totals; time from an injected clock.
#include <QtTest>

#include "core/rate_limiter.h"

using namespace smartbot;

class TestRateLimiter : public QObject {
    Q_OBJECT
    qint64 now = 1'700'000'000;
    Clock clock = [this] { return now; };

private Q_SLOTS:
    void requestsPerWindow_data()
    {
        QTest::addColumn<int>("limit");
        QTest::newRow("1") << 1;
        QTest::newRow("3") << 3;
        QTest::newRow("60") << 60;
    }
    void requestsPerWindow()
    {
        QFETCH(int, limit);
        RateLimiter r(60, clock);
        for (int i = 0; i < limit; ++i)
            QCOMPARE(r.hit(QStringLiteral("a"), limit), 0);
        const int wait = r.hit(QStringLiteral("a"), limit);
        QVERIFY(wait > 0 && wait <= 60);
        QCOMPARE(r.hit(QStringLiteral("b"), limit), 0); // per subject
        now += 60;
        QCOMPARE(r.hit(QStringLiteral("a"), limit), 0); // the window moved on
    }

    void tokenTotals()
    {
        RateLimiter r(60, clock);
        r.add(QStringLiteral("t"), 100);
        QCOMPARE(r.total(QStringLiteral("t")), qint64(100));
        QVERIFY(r.retryAfter(QStringLiteral("t"), 100) > 0);
        QCOMPARE(r.retryAfter(QStringLiteral("t"), 101), 0);
        now += 61;
        QCOMPARE(r.total(QStringLiteral("t")), qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "test_rate_limiter.moc"
