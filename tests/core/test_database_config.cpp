// parseDatabaseConfig (core/database_config.h): [database] and [storage] synchronous, each bad value refused with
// the section, key and value named; the defaults; describe() never shows the password file's content.
#include <QtTest>

#include "core/config_file.h"
#include "core/database_config.h"

using namespace smartbot;

class TestDatabaseConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaults()
    {
        auto c = parseDatabaseConfig(ConfigFile::fromText(QString()), QStringLiteral("/etc/sb"));
        QVERIFY(c.ok());
        QVERIFY(!c->isPostgreSql());
        QCOMPARE(c->maxConnections, 100);
        QCOMPARE(c->poolSize, 20);
        QCOMPARE(c->timeoutS, 30);
        QCOMPARE(c->describe(), QStringLiteral("sqlite"));
        QCOMPARE(int(c->sqliteSync), int(DatabaseConfig::SqliteSync::Normal));
    }

    void postgresql()
    {
        auto c = parseDatabaseConfig(ConfigFile::fromText(QStringLiteral(
                                         "[database]\ndriver = PostgreSQL\nhost = db.internal\nport = 6432\nname = "
                                         "bots\nuser = sb\npassword_file = secrets/db.pass\nsslmode = verify-full\n"
                                         "max_connections = 10\npool_size = 10\ntimeout = 5\n")),
                                     QStringLiteral("/etc/sb"));
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().c_str());
        QVERIFY(c->isPostgreSql());
        QCOMPARE(c->describe(), QStringLiteral("postgresql://sb@db.internal:6432/bots"));
        QCOMPARE(c->passwordFile, QStringLiteral("/etc/sb/secrets/db.pass"));
        QCOMPARE(c->sslMode, QStringLiteral("verify-full"));
        QCOMPARE(c->poolSize, 10);
        QCOMPARE(c->timeoutS, 5);
    }

    void refused_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("driver") << "[database]\ndriver = mysql"
                                << "[database] driver must be sqlite or postgresql";
        QTest::newRow("port") << "[database]\nport = 70000"
                              << "port";
        QTest::newRow("max_connections 0") << "[database]\nmax_connections = 0"
                                           << "max_connections";
        QTest::newRow("pool over cap") << "[database]\nmax_connections = 5\npool_size = 6"
                                       << "pool_size (6) must not exceed max_connections (5)";
        QTest::newRow("timeout") << "[database]\ntimeout = 0"
                                 << "timeout";
        QTest::newRow("sslmode") << "[database]\nsslmode = maybe"
                                 << "sslmode must be one of";
        QTest::newRow("empty host") << "[database]\nhost ="
                                    << "[database] host must not be empty";
        QTest::newRow("option injection") << "[database]\nname = bots sslmode=disable"
                                          << "must not contain";
        QTest::newRow("synchronous") << "[storage]\nsynchronous = sometimes"
                                     << "[storage] synchronous";
    }
    void refused()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        auto c = parseDatabaseConfig(ConfigFile::fromText(text), QStringLiteral("/etc/sb"));
        QVERIFY(!c.ok());
        QVERIFY2(QString::fromStdString(c.error()).contains(error), c.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestDatabaseConfig)
#include "test_database_config.moc"
