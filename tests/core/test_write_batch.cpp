// WriteBatch (core/write_batch.h) on a real SQLite database: writes added in one pass of the event loop are committed
// in one transaction when the loop comes back round, their `then`s run after the commit (and see the rows); a bad
// write sends the batch round again one write per transaction, so that only it fails; a `then` whose context is gone
// is not run; flush() from another thread does nothing. UsageStore and ConversationStore over a batch: counts summed
// per subject and readers that see what was queued before them.
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include "core/storage.h"
#include "core/usage_store.h"
#include "core/write_batch.h"
#include "service/conversation_store.h"

using namespace smartbot;

class TestWriteBatch : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<Storage> storage_;
    int table_ = 0;

    // A fresh table per test row, so that counts start at zero.
    QString makeTable()
    {
        const QString name = QStringLiteral("t%1").arg(++table_);
        auto r = storage_->exec(QStringLiteral("CREATE TABLE %1 (v INTEGER PRIMARY KEY)").arg(name));
        return r.ok() ? name : QString();
    }
    int rows(const QString &table) const
    {
        auto q = storage_->exec(QStringLiteral("SELECT COUNT(*) FROM %1").arg(table));
        return q.ok() && q->next() ? q->value(0).toInt() : -1;
    }
    static WriteBatch::Write insert(const QString &table, int v)
    {
        return [table, v](const Storage::Transaction &tx) -> Result<void> {
            auto r = tx.exec(QStringLiteral("INSERT INTO %1 (v) VALUES (?)").arg(table), {v});
            if (!r)
                return r.failure();
            return {};
        };
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto s = Storage::open(dir_.path());
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        storage_ = std::move(s.value());
    }

    void oneCommitPerPass_data()
    {
        QTest::addColumn<QList<int>>("values"); // one write each; a repeated value breaks the primary key
        QTest::addColumn<int>("commits");
        QTest::addColumn<int>("stored");
        QTest::addColumn<int>("failed"); // thens told of a failure
        QTest::newRow("one") << QList<int>{1} << 1 << 1 << 0;
        QTest::newRow("sixty-four") << [] {
            QList<int> v;
            for (int i = 0; i < 64; ++i)
                v << i;
            return v;
        }() << 1 << 64 << 0;
        QTest::newRow("a bad one among good ones") << QList<int>{1, 2, 2, 3} << 3 << 3 << 1;
        QTest::newRow("a bad one alone") << QList<int>{5, 5} << 1 << 1 << 1;
    }
    void oneCommitPerPass()
    {
        QFETCH(QList<int>, values);
        QFETCH(int, commits);
        QFETCH(int, stored);
        QFETCH(int, failed);
        const QString table = makeTable();
        QVERIFY(!table.isEmpty());
        WriteBatch batch(*storage_);
        int ran = 0;
        int told = 0;
        int seenAtThen = -1;
        for (int v : values)
            batch.add(insert(table, v), [&](const Result<void> &r) {
                ++ran;
                told += r.ok() ? 0 : 1;
                seenAtThen = std::max(seenAtThen, rows(table));
            });
        QCOMPARE(batch.pending(), size_t(values.size()));
        QCOMPARE(rows(table), 0); // nothing before the loop comes round
        QTRY_COMPARE(ran, values.size());
        QCOMPARE(batch.commits(), quint64(commits));
        QCOMPARE(rows(table), stored);
        QCOMPARE(told, failed);
        QCOMPARE(seenAtThen, stored); // the thens ran after their commit
        QCOMPARE(batch.pending(), size_t(0));
    }

    void thenNotRunWhenItsContextIsGone()
    {
        const QString table = makeTable();
        WriteBatch batch(*storage_);
        auto context = std::make_unique<QObject>();
        bool ran = false;
        batch.add(
            insert(table, 1), [&](const Result<void> &) { ran = true; }, context.get());
        context.reset();
        batch.flush();
        QCOMPARE(rows(table), 1); // written all the same
        QVERIFY(!ran);
    }

    void flushElsewhereDoesNothing()
    {
        const QString table = makeTable();
        WriteBatch batch(*storage_);
        batch.add(insert(table, 1));
        std::unique_ptr<QThread> other(QThread::create([&batch] { batch.flush(); }));
        other->start();
        QVERIFY(other->wait(10000));
        QCOMPARE(batch.pending(), size_t(1));
        QCOMPARE(rows(table), 0);
        batch.flush();
        QCOMPARE(rows(table), 1);
    }

    void destructionCommits()
    {
        const QString table = makeTable();
        {
            WriteBatch batch(*storage_);
            batch.add(insert(table, 1));
        }
        QCOMPARE(rows(table), 1);
    }

    void usageSummedPerSubject()
    {
        WriteBatch batch(*storage_);
        qint64 now = 1'700'000'000;
        UsageStore usage(
            *storage_, [&now] { return now; }, &batch);
        for (int i = 0; i < 10; ++i) { // as a chat request counts: the request, then its tokens
            usage.add(QStringLiteral("user:batched"), 1, 0, 0);
            usage.add(QStringLiteral("user:batched"), 0, 3, 5);
            ++now;
        }
        usage.add(QStringLiteral("key:sb_batched"), 1, 1, 1);
        QCOMPARE(batch.pending(), size_t(1)); // one write takes them all
        auto list = usage.list();             // flushes first
        QVERIFY(list.ok());
        QCOMPARE(batch.commits(), quint64(1));
        bool found = false;
        for (const UsageRow &row : list.value())
            if (row.subject == QLatin1String("user:batched")) {
                found = true;
                QCOMPARE(row.requests, qint64(10));
                QCOMPARE(row.promptTokens, qint64(30));
                QCOMPARE(row.generatedTokens, qint64(50));
                QCOMPARE(row.lastAt, now - 1);
            }
        QVERIFY(found);
        usage.add(QStringLiteral("user:batched"), 1, 0, 0); // counted again after a batch took the last counts
        QTRY_COMPARE(batch.commits(), quint64(2));
        auto again = usage.list();
        QVERIFY(again.ok());
        for (const UsageRow &row : again.value())
            if (row.subject == QLatin1String("user:batched"))
                QCOMPARE(row.requests, qint64(11));
    }

    void conversationReadersSeeQueuedTurns()
    {
        WriteBatch batch(*storage_);
        service::ConversationStore store(*storage_, 30, 64, systemClock(), &batch);
        const QString id = store.newId();
        bool sent = false;
        store.appendThen(id, QStringLiteral("alice"), QStringLiteral("m"), "hello", "hi", nullptr,
                         [&] { sent = true; });
        QVERIFY(!sent);
        auto history = store.history(id, QStringLiteral("alice")); // flushes the batch first
        QVERIFY2(history.ok(), history.ok() ? "" : history.error().c_str());
        QCOMPARE(history->size(), size_t(2));
        QVERIFY(sent);
        // Another owner's conversation: the turn is refused, logged, and the reply still goes.
        bool refusedSent = false;
        store.appendThen(id, QStringLiteral("mallory"), QStringLiteral("m"), "x", "y", nullptr,
                         [&] { refusedSent = true; });
        QTRY_VERIFY(refusedSent);
        auto after = store.history(id, QStringLiteral("alice"));
        QVERIFY(after.ok());
        QCOMPARE(after->size(), size_t(2));
    }
};

QTEST_GUILESS_MAIN(TestWriteBatch)
#include "test_write_batch.moc"
