// DatabasePool (core/database_pool.h) on real SQLite connections: a thread gets its own idle connection back; the cap
// holds across threads, a waiter times out with Busy or gets the place a release frees; pool_size bounds the idle
// ones; a thread's end closes its connections; a failed open or a discarded lease gives its place back; a thread
// holding every connection fails at once; after a failed open, requests fail fast for the reconnect backoff.
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <thread>

#include "core/database_pool.h"

using namespace smartbot;

namespace {
DatabasePool::Options sqlite(const QString &path, int maxConnections, int poolSize, int timeoutMs)
{
    DatabasePool::Options o;
    o.driver = QStringLiteral("QSQLITE");
    o.maxConnections = maxConnections;
    o.poolSize = poolSize;
    o.timeoutMs = timeoutMs;
    o.open = [path](QSqlDatabase &db) -> Result<void> {
        db.setDatabaseName(path);
        if (!db.open())
            return makeError("cannot open", ErrorCode::Unavailable);
        return {};
    };
    return o;
}
// options' connections fail (a server not reachable) while *refuse is true.
void refusable(DatabasePool::Options &options, const bool *refuse)
{
    options.open = [refuse, open = options.open](QSqlDatabase &db) -> Result<void> {
        if (*refuse)
            return makeError("server not reachable", ErrorCode::Unavailable);
        return open(db);
    };
}
} // namespace

class TestDatabasePool : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString path() const { return dir_.filePath(QStringLiteral("pool.db")); }

private Q_SLOTS:
    void sameThreadReusesItsConnection()
    {
        auto pool = DatabasePool::create(sqlite(path(), 4, 2, 1000));
        QString first;
        {
            auto lease = pool->acquire();
            QVERIFY(lease.ok());
            QVERIFY(!lease->reused());
            QVERIFY(QSqlQuery(lease->db()).exec(QStringLiteral("SELECT 1")));
            first = lease->db().connectionName();
        }
        auto again = pool->acquire();
        QVERIFY(again.ok() && again->reused());
        QCOMPARE(again->db().connectionName(), first);
        QCOMPARE(pool->stats().opened, quint64(1));
        QCOMPARE(pool->stats().inUse, 1);
    }

    // Leases held at once by one thread, then all given back: pool_size of them stay open.
    void idleConnectionsBoundedByPoolSize_data()
    {
        QTest::addColumn<int>("maxConnections");
        QTest::addColumn<int>("poolSize");
        QTest::addColumn<int>("held");
        QTest::addColumn<int>("idleAfter");
        QTest::newRow("pool keeps all") << 8 << 8 << 5 << 5;
        QTest::newRow("pool keeps some") << 8 << 2 << 5 << 2;
        QTest::newRow("pool keeps none") << 8 << 0 << 5 << 0;
        QTest::newRow("at the cap") << 3 << 1 << 3 << 1;
    }
    void idleConnectionsBoundedByPoolSize()
    {
        QFETCH(int, maxConnections);
        QFETCH(int, poolSize);
        QFETCH(int, held);
        QFETCH(int, idleAfter);
        auto pool = DatabasePool::create(sqlite(path(), maxConnections, poolSize, 200));
        {
            std::vector<DatabasePool::Lease> leases;
            for (int i = 0; i < held; ++i) {
                auto l = pool->acquire();
                QVERIFY2(l.ok(), l.ok() ? "" : l.error().c_str());
                leases.push_back(std::move(l.value()));
            }
            QCOMPARE(pool->stats().inUse, held);
            QCOMPARE(pool->stats().open, held);
        }
        QCOMPARE(pool->stats().idle, idleAfter);
        QCOMPARE(pool->stats().open, idleAfter);
        QCOMPARE(pool->stats().inUse, 0);
    }

    void capTimesOutWithBusy()
    {
        auto pool = DatabasePool::create(sqlite(path(), 1, 1, 300));
        auto held = pool->acquire();
        QVERIFY(held.ok());
        Result<DatabasePool::Lease> other = makeError("not run");
        QElapsedTimer t;
        t.start();
        std::thread([&] { other = pool->acquire(); }).join();
        QVERIFY(!other.ok());
        QCOMPARE(other.code(), ErrorCode::Busy);
        QVERIFY2(other.error().find("max_connections") != std::string::npos, other.error().c_str());
        QVERIFY(t.elapsed() >= 290);
        QCOMPARE(pool->stats().timeouts, quint64(1));
        QCOMPARE(pool->stats().waits, quint64(1));
        QVERIFY(pool->stats().waitSeconds >= 0.29);
    }

    // At the cap, another thread's release closes its connection instead of keeping it idle, and the waiter opens
    // one in its place.
    void waiterGetsTheFreedPlace()
    {
        auto pool = DatabasePool::create(sqlite(path(), 1, 1, 10000));
        auto held = std::make_unique<Result<DatabasePool::Lease>>(pool->acquire());
        QVERIFY(held->ok());
        std::atomic<bool> got{false};
        std::atomic<int> code{-1};
        std::thread waiter([&] {
            auto lease = pool->acquire();
            code = lease.ok() ? 0 : int(lease.code());
            if (lease.ok())
                got = QSqlQuery(lease->db()).exec(QStringLiteral("SELECT 1"));
        });
        QTRY_COMPARE(pool->stats().waiting, 1);
        held.reset(); // the release: closed for the waiter, not kept idle
        waiter.join();
        QCOMPARE(code.load(), 0);
        QVERIFY(got.load());
        QCOMPARE(pool->stats().timeouts, quint64(0));
        QCOMPARE(pool->stats().open, 0); // the waiter's thread ended: its idle connection was closed with it
    }

    void threadEndClosesItsConnections()
    {
        auto pool = DatabasePool::create(sqlite(path(), 4, 4, 1000));
        std::thread([&] {
            auto a = pool->acquire();
            auto b = pool->acquire();
        }).join();
        QCOMPARE(pool->stats().opened, quint64(2));
        QCOMPARE(pool->stats().open, 0);
        QCOMPARE(pool->stats().idle, 0);
    }

    void failedOpenAndDiscardGiveThePlaceBack()
    {
        auto options = sqlite(path(), 1, 1, 200);
        bool refuse = true;
        refusable(options, &refuse);
        auto pool = DatabasePool::create(options);
        auto failed = pool->acquire();
        QVERIFY(!failed.ok());
        QCOMPARE(failed.code(), ErrorCode::Unavailable);
        QCOMPARE(pool->stats().open, 0);
        QCOMPARE(pool->stats().openFailures, quint64(1));
        refuse = false;
        {
            auto lease = pool->acquire(); // the place is free again: no Busy
            QVERIFY(lease.ok());
            lease->discard(); // e.g. the server dropped it
        }
        QCOMPARE(pool->stats().open, 0);
        auto fresh = pool->acquire();
        QVERIFY(fresh.ok() && !fresh->reused());
        QCOMPARE(pool->stats().opened, quint64(2));
    }

    // A thread that holds every connection would wait for itself: Busy at once, not after the timeout.
    void holderOfAllFailsAtOnce()
    {
        auto pool = DatabasePool::create(sqlite(path(), 1, 1, 10000));
        auto held = pool->acquire();
        QVERIFY(held.ok());
        QElapsedTimer t;
        t.start();
        auto again = pool->acquire();
        QVERIFY(!again.ok());
        QCOMPARE(again.code(), ErrorCode::Busy);
        QVERIFY(t.elapsed() < 1000);
    }

    // After a failed open, requests fail at once for reconnectBackoffMs instead of each trying to connect.
    void reconnectBackoff()
    {
        auto options = sqlite(path(), 4, 4, 1000);
        options.reconnectBackoffMs = 300;
        bool refuse = true;
        refusable(options, &refuse);
        auto pool = DatabasePool::create(options);
        QCOMPARE(pool->acquire().code(), ErrorCode::Unavailable);
        refuse = false;
        auto soon = pool->acquire();
        QVERIFY(!soon.ok());
        QCOMPARE(soon.code(), ErrorCode::Unavailable);
        QCOMPARE(pool->stats().openFailures, quint64(1)); // not tried again
        QTest::qWait(350);
        QVERIFY(pool->acquire().ok());
    }
};

QTEST_GUILESS_MAIN(TestDatabasePool)
#include "test_database_pool.moc"
