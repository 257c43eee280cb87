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

    void addAloneStaysBounded()
    {
        // tokens_per_minute = 0: the server adds every reply's tokens and never checks a limit. What add() keeps
        // must still leave with the window (it grew by one event per request for good: issue 16, item 10).
        RateLimiter r(60, clock);
        for (int second = 0; second < 600; ++second, ++now)
            for (int i = 0; i < 10; ++i)
                r.add(QStringLiteral("busy"), 32);
        QVERIFY2(r.eventCount() <= 60 * 10, qPrintable(QString::number(r.eventCount())));
        QCOMPARE(r.total(QStringLiteral("busy")), qint64(59 * 10 * 32)); // the last 59 s (now is past the loop's end)
        // A key gone quiet is dropped at the next sweep.
        r.add(QStringLiteral("once"), 1);
        now += 121;
        r.add(QStringLiteral("busy"), 1);
        QCOMPARE(r.eventCount(), qsizetype(1));
    }
};

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "test_rate_limiter.moc"
