// Storage (core/storage.h) on a real SQLite file: WAL mode, the synchronous setting server.conf asks for, mode 0600,
// the schema migrated to this release's version, and a database from a newer release refused.
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
        QTest::newRow("normal") << int(ServerConfig::SqliteSync::Normal) << 1;
        QTest::newRow("full") << int(ServerConfig::SqliteSync::Full) << 2;
    }
    void opensAsConfigured()
    {
        QFETCH(int, sync);
        QFETCH(int, pragma);
        QTemporaryDir dir;
        auto s = Storage::open(dir.path(), ServerConfig::SqliteSync(sync));
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        auto q = s.value()->exec(QStringLiteral("PRAGMA synchronous"));
        QVERIFY(q && q->next());
        QCOMPARE(q->value(0).toInt(), pragma);
        auto mode = s.value()->exec(QStringLiteral("PRAGMA journal_mode"));
        QVERIFY(mode && mode->next());
        QCOMPARE(mode->value(0).toString(), QStringLiteral("wal"));
        QVERIFY(s.value()->schemaVersion() > 0);
        struct stat st {};
        QCOMPARE(::stat(QFile::encodeName(s.value()->path()).constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);
    }

    void newerSchemaIsRefused()
    {
        QTemporaryDir dir;
        {
            auto s = Storage::open(dir.path());
            QVERIFY(s.ok());
            QVERIFY(s.value()
                        ->exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)"),
                               {s.value()->schemaVersion() + 1})
                        .ok());
        }
        auto again = Storage::open(dir.path());
        QVERIFY(!again.ok());
        QVERIFY2(QString::fromStdString(again.error()).contains("newer than this SmartBot"), again.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestStorage)
#include "test_storage.moc"
