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
