// Storage (core/storage.h) on a real SQLite file: WAL mode, the synchronous setting server.conf asks for, mode 0600,
// the schema migrated to this release's version, and a database from a newer release refused; a query's rows keep
// their connection, and a statement's own error is told apart from an outage.
#include <QtTest>
#include <sys/stat.h>

#include "core/storage.h"

using namespace smartbot;

class TestStorage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void opensAsConfigured_data()
    {
        QTest::addColumn<int>("sync");
        QTest::addColumn<int>("pragma"); // SQLite's PRAGMA synchronous: 1 = NORMAL, 2 = FULL
        QTest::newRow("normal") << int(DatabaseConfig::SqliteSync::Normal) << 1;
        QTest::newRow("full") << int(DatabaseConfig::SqliteSync::Full) << 2;
    }
    void opensAsConfigured()
    {
        QFETCH(int, sync);
        QFETCH(int, pragma);
        QTemporaryDir dir;
        DatabaseConfig config;
        config.sqliteSync = DatabaseConfig::SqliteSync(sync);
        auto s = Storage::open(dir.path(), config);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        auto q = s.value()->exec(QStringLiteral("PRAGMA synchronous"));
        QVERIFY(q && q->next());
        QCOMPARE(q->value(0).toInt(), pragma);
        auto mode = s.value()->exec(QStringLiteral("PRAGMA journal_mode"));
        QVERIFY(mode && mode->next());
        QCOMPARE(mode->value(0).toString(), QStringLiteral("wal"));
        QVERIFY(s.value()->schemaVersion().value() > 0);
        struct stat st {};
        QCOMPARE(::stat(QFile::encodeName(s.value()->path()).constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);
    }

    // A Query holds its connection: with pool_size = 0 (nothing kept idle) its rows stay readable to the end, and a
    // second statement meanwhile gets a connection of its own.
    void queryKeepsItsConnection()
    {
        QTemporaryDir dir;
        DatabaseConfig config;
        config.poolSize = 0;
        auto s = Storage::open(dir.path(), config);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        for (int i = 0; i < 50; ++i)
            QVERIFY(s.value()->exec(QStringLiteral("INSERT INTO usage (subject) VALUES (?)"), {QString::number(i)}));
        auto rows = s.value()->exec(QStringLiteral("SELECT subject FROM usage ORDER BY CAST(subject AS INTEGER)"));
        QVERIFY(rows.ok());
        int n = 0;
        while (rows->next()) {
            QCOMPARE(rows->value(0).toString(), QString::number(n++));
            if (n == 10)
                QVERIFY(s.value()->exec(QStringLiteral("SELECT COUNT(*) FROM api_keys")).ok());
        }
        QCOMPARE(n, 50);
        QCOMPARE(s.value()->poolStats().open, 1); // the rows' connection; the other one was closed at once
    }

    // A failed statement on a working connection is the statement's fault (Failed), not an outage.
    void statementErrorIsNotAnOutage()
    {
        QTemporaryDir dir;
        auto s = Storage::open(dir.path());
        QVERIFY(s.ok());
        QVERIFY(s.value()->exec(QStringLiteral("INSERT INTO usage (subject) VALUES ('a')")).ok());
        auto dup = s.value()->exec(QStringLiteral("INSERT INTO usage (subject) VALUES ('a')"));
        QVERIFY(!dup.ok());
        QCOMPARE(dup.code(), ErrorCode::Failed);
        auto bad = s.value()->exec(QStringLiteral("SELECT nothing FROM nowhere"));
        QVERIFY(!bad.ok());
        QCOMPARE(bad.code(), ErrorCode::Failed);
        QVERIFY(s.value()->ping().ok());
    }

    // exec() keeps each statement prepared on its connection: run again with other values, it gives their rows and
    // is not prepared again; a SELECT held open (its rows unread) makes the next run use another connection, prepared
    // there; a failed run is prepared afresh next time.
    void keptStatementsRunWithTheirValues_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<int>("runs");
        QTest::newRow("select") << QStringLiteral("SELECT ? + 1") << 100;
        QTest::newRow("select-bound-twice") << QStringLiteral("SELECT ? * 2 + ?") << 40;
        QTest::newRow("insert-returning")
            << QStringLiteral("INSERT INTO usage (subject, requests) VALUES (?, ?) RETURNING requests + 1") << 30;
    }
    void keptStatementsRunWithTheirValues()
    {
        QFETCH(QString, sql);
        QFETCH(int, runs);
        QTemporaryDir dir;
        auto s = Storage::open(dir.path());
        QVERIFY(s.ok());
        Storage &st = *s.value();
        const int placeholders = int(sql.count(QLatin1Char('?')));
        auto valuesOf = [&](int i) {
            QVariantList v;
            if (placeholders == 1)
                v = {i};
            else if (sql.startsWith(QLatin1String("INSERT")))
                v = {QStringLiteral("s%1").arg(i), i};
            else
                v = {i, 7};
            return v;
        };
        auto expected = [&](int i) {
            return placeholders == 1 || sql.startsWith(QLatin1String("INSERT")) ? i + 1 : i * 2 + 7;
        };
        const quint64 before = st.poolStats().prepared;
        for (int i = 0; i < runs; ++i) {
            auto q = st.exec(sql, valuesOf(i));
            QVERIFY2(q.ok(), q.ok() ? "" : q.error().c_str());
            QVERIFY(q->next());
            QCOMPARE(q->value(0).toInt(), expected(i));
            QVERIFY(!q->next());
        }
        QCOMPARE(st.poolStats().prepared, before + 1);

        const bool insert = sql.startsWith(QLatin1String("INSERT"));
        if (!insert) {                                // (an INSERT held open would hold SQLite's write lock: storage.h)
            auto held = st.exec(sql, valuesOf(runs)); // rows not read yet: its connection stays leased
            QVERIFY(held.ok());
            auto other = st.exec(sql, valuesOf(runs + 1));
            QVERIFY(other.ok() && other->next());
            QCOMPARE(other->value(0).toInt(), expected(runs + 1));
            QVERIFY(held->next());
            QCOMPARE(held->value(0).toInt(), expected(runs));
            QCOMPARE(st.poolStats().prepared, before + 2);
            held = Storage::Query();
            other = Storage::Query();
        }

        if (insert) { // a run that fails (the subject exists) is prepared again
            QVERIFY(!st.exec(sql, valuesOf(0)).ok());
            const quint64 afterFailure = st.poolStats().prepared;
            auto again = st.exec(sql, valuesOf(runs + 2));
            QVERIFY(again.ok() && again->next());
            QCOMPARE(again->value(0).toInt(), expected(runs + 2));
            QCOMPARE(st.poolStats().prepared, afterFailure + 1);
        }
    }

    // A kept SELECT whose rows were not all read ends its read when its Query goes: a checkpoint can then copy every
    // WAL frame back and truncate the WAL (an open read would pin them: busy = 1).
    void keptSelectEndsItsRead()
    {
        QTemporaryDir dir;
        auto s = Storage::open(dir.path());
        QVERIFY(s.ok());
        Storage &st = *s.value();
        for (int i = 0; i < 20; ++i)
            QVERIFY(st.exec(QStringLiteral("INSERT INTO usage (subject) VALUES (?)"), {QString::number(i)}));
        {
            auto rows = st.exec(QStringLiteral("SELECT subject FROM usage"));
            QVERIFY(rows.ok() && rows->next()); // one row of twenty
        }
        QVERIFY(st.exec(QStringLiteral("INSERT INTO usage (subject) VALUES ('late')")));
        auto checkpoint = st.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
        QVERIFY(checkpoint.ok() && checkpoint->next());
        QCOMPARE(checkpoint->value(0).toInt(), 0); // busy
        QCOMPARE(checkpoint->value(1).toInt(), 0); // frames left in the WAL: it was truncated
    }

    void newerSchemaIsRefused()
    {
        QTemporaryDir dir;
        {
            auto s = Storage::open(dir.path());
            QVERIFY(s.ok());
            QVERIFY(s.value()
                        ->exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)"),
                               {s.value()->schemaVersion().value() + 1})
                        .ok());
        }
        auto again = Storage::open(dir.path());
        QVERIFY(!again.ok());
        QVERIFY2(QString::fromStdString(again.error()).contains("newer than this SmartBot"), again.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestStorage)
#include "test_storage.moc"
