// SharedRateLimiter (core/shared_rate_limiter.h) on a real database with a fake clock: two limiters on one database
// (two servers) hold a key to one limit together; the two-window estimate lets the previous window's count fade out
// over the current one; retryAfter says when the next request fits; counters are per key and per limit.
#include <QTemporaryDir>
#include <QtTest>

#include "core/shared_rate_limiter.h"
#include "core/storage.h"

using namespace smartbot;

class TestSharedRateLimiter : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<Storage> storage_;
    qint64 now_ = 1'800'000'000 - 1'800'000'000 % 60; // a window's start
    Clock clock() const
    {
        return [this] { return now_; };
    }
    // Hits until the first refusal (at most 1000), alternating between the limiters.
    static int allowed(std::vector<SharedRateLimiter *> servers, const QString &key, int limit)
    {
        int n = 0;
        for (int i = 0; i < 1000; ++i)
            if (servers[size_t(i) % servers.size()]->hit(key, limit) != 0)
                break;
            else
                ++n;
        return n;
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto s = Storage::open(dir_.path());
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        storage_ = std::move(s.value());
    }

    void oneLimitAcrossServers_data()
    {
        QTest::addColumn<int>("servers");
        QTest::addColumn<int>("limit");
        QTest::newRow("one server") << 1 << 10;
        QTest::newRow("two servers") << 2 << 10;
        QTest::newRow("three servers") << 3 << 60;
    }
    void oneLimitAcrossServers()
    {
        QFETCH(int, servers);
        QFETCH(int, limit);
        std::vector<std::unique_ptr<SharedRateLimiter>> owned;
        std::vector<SharedRateLimiter *> all;
        for (int i = 0; i < servers; ++i) {
            owned.push_back(std::make_unique<SharedRateLimiter>(*storage_, QStringLiteral("requests"), 60, clock()));
            all.push_back(owned.back().get());
        }
        const QString key = QStringLiteral("key:%1-%2").arg(servers).arg(limit);
        QCOMPARE(allowed(all, key, limit), limit);
        QCOMPARE(all[0]->total(key), qint64(limit));
        QVERIFY(all.back()->retryAfter(key, limit) > 0);
        // Another key and another limit's counter are untouched.
        QCOMPARE(all[0]->total(key + QStringLiteral("-other")), qint64(0));
        SharedRateLimiter tokens(*storage_, QStringLiteral("tokens"), 60, clock());
        QCOMPARE(tokens.total(key), qint64(0));
    }

    // The previous window's count fades out over the current window: (seconds into the next window, hits allowed).
    void previousWindowFades_data()
    {
        QTest::addColumn<int>("secondsIntoNext");
        QTest::addColumn<int>("allowedThen");
        QTest::newRow("at its start") << 0 << 0;
        QTest::newRow("a quarter in") << 15 << 5;
        QTest::newRow("half way") << 30 << 10;
        QTest::newRow("next but one") << 60 << 20;
    }
    void previousWindowFades()
    {
        QFETCH(int, secondsIntoNext);
        QFETCH(int, allowedThen);
        SharedRateLimiter limiter(*storage_, QStringLiteral("fade"), 60, clock());
        const QString key = QStringLiteral("fade-%1").arg(secondsIntoNext);
        const qint64 start = now_;
        QCOMPARE(allowed({&limiter}, key, 20), 20);
        now_ = start + 60 + secondsIntoNext;
        QCOMPARE(allowed({&limiter}, key, 20), allowedThen);
        now_ = start;
    }

    void retryAfterSaysWhenItFits()
    {
        SharedRateLimiter limiter(*storage_, QStringLiteral("retry"), 60, clock());
        const qint64 start = now_;
        QCOMPARE(allowed({&limiter}, QStringLiteral("r"), 10), 10);
        now_ = start + 60; // the previous window full (10), the current empty: 1 fits once 10 * (1 - t/60) <= 9
        const int wait = limiter.retryAfter(QStringLiteral("r"), 10);
        QCOMPARE(wait, 6);
        now_ += wait;
        QCOMPARE(limiter.hit(QStringLiteral("r"), 10), 0);
        now_ = start;
    }
};

QTEST_GUILESS_MAIN(TestSharedRateLimiter)
#include "test_shared_rate_limiter.moc"
