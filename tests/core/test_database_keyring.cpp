// DatabaseKeyring (core/database_keyring.h) on a real database (SQLite here, the same schema and SQL as PostgreSQL's;
// tests/http/test_postgres drives it between servers): the first server creates the key file and seals its own keys
// into the database; a second server with a copy of the file gets the same keys, one without it or with another file
// is refused with a message that says what to copy; a rotation through one is seen by the other's stamp() and load();
// retired keys are accepted for the stated time and deleted at a later rotation; nothing in the database is in the
// clear.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <thread>

#include "core/database_keyring.h"
#include "core/secret_files.h"
#include "core/storage.h"

using namespace smartbot;

class TestDatabaseKeyring : public QObject {
    Q_OBJECT
    static constexpr qint64 kAccept = 3600;
    static constexpr qint64 kStart = 1'800'000'000;

    struct Server {
        std::unique_ptr<Storage> storage;
        std::unique_ptr<DatabaseKeyring> ring;
    };
    // A "server": its own connection to the database in dir.
    static std::unique_ptr<Storage> connect(const QString &dir)
    {
        auto s = Storage::open(dir);
        if (!s)
            qFatal("%s", s.error().c_str());
        return std::move(s.value());
    }
    static JwtKeyring seed(char fill, QList<TokenService::PreviousKey> previous = {})
    {
        return {QByteArray(32, fill), std::move(previous)};
    }
    static QStringList kids(const JwtKeyring &ring)
    {
        QStringList out{TokenService::keyId(ring.current)};
        for (const auto &p : ring.previous)
            out << TokenService::keyId(p.key);
        return out;
    }

private Q_SLOTS:
    void firstServerSealsItsKeys()
    {
        QTemporaryDir dir;
        const QString keyFile = dir.filePath(QStringLiteral("database.key"));
        auto storage = connect(dir.path());
        // Its current key and a retired one still within its acceptance; an expired one is left out.
        const JwtKeyring own = seed('a', {{QByteArray(32, 'r'), kStart + 100}, {QByteArray(32, 'x'), kStart - 1}});
        auto ring = DatabaseKeyring::open(*storage, keyFile, own, kAccept, kStart);
        QVERIFY2(ring.ok(), ring.ok() ? "" : ring.error().c_str());
        QVERIFY(checkPrivateFile(keyFile).ok()); // created 0400
        QCOMPARE(QFile(keyFile).permissions() & (QFile::ReadOwner | QFile::WriteOwner), QFile::ReadOwner);
        auto loaded = ring.value()->load(kStart, kAccept);
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->current, own.current);
        QCOMPARE(loaded->previous.size(), 1);
        QCOMPARE(loaded->previous[0].key, QByteArray(32, 'r'));
        QCOMPARE(loaded->previous[0].acceptUntil, kStart + 100);
        // Sealed: no key is in the database in the clear.
        auto q = storage->exec(QStringLiteral("SELECT sealed FROM signing_keys"));
        int rows = 0;
        while (q->next()) {
            ++rows;
            QVERIFY(!q->value(0).toByteArray().contains(QByteArray(16, 'a')));
            QVERIFY(!q->value(0).toByteArray().contains(QByteArray(16, 'r')));
        }
        QCOMPARE(rows, 2);
    }

    void otherServersShareTheKeys()
    {
        QTemporaryDir dir;
        const QString keyFile = dir.filePath(QStringLiteral("database.key"));
        Server a{connect(dir.path()), {}};
        a.ring = std::move(DatabaseKeyring::open(*a.storage, keyFile, seed('a'), kAccept, kStart).value());
        // B has a key of its own: the database's current key wins, and B's is kept as a retired one, so that the
        // tokens B issued before it joined stay valid until they expire.
        Server b{connect(dir.path()), {}};
        auto rb = DatabaseKeyring::open(*b.storage, keyFile, seed('b'), kAccept, kStart);
        QVERIFY2(rb.ok(), rb.ok() ? "" : rb.error().c_str());
        b.ring = std::move(rb.value());
        QCOMPARE(b.ring->load(kStart, kAccept)->current, QByteArray(32, 'a'));
        QCOMPARE(b.ring->load(kStart, kAccept)->previous.size(), 1);
        QCOMPARE(b.ring->load(kStart, kAccept)->previous[0].key, QByteArray(32, 'b'));
        QCOMPARE(b.ring->load(kStart, kAccept)->previous[0].acceptUntil, kStart + kAccept);
        QCOMPARE(a.ring->load(kStart, kAccept)->previous.size(), 1); // A sees it too

        // A rotation through A: B's stamp changes, and B loads the new key as current, the old one accepted.
        const QString stampBefore = b.ring->stamp().value();
        auto kid = a.ring->rotate(kStart + 10, kAccept);
        QVERIFY(kid.ok());
        QVERIFY(b.ring->stamp().value() != stampBefore);
        QCOMPARE(b.ring->stamp().value(), a.ring->stamp().value());
        auto afterB = b.ring->load(kStart + 10, kAccept);
        QCOMPARE(TokenService::keyId(afterB->current), kid.value());
        QCOMPARE(afterB->previous.size(), 2);
        QCOMPARE(afterB->previous[0].key, QByteArray(32, 'a')); // by age: A's first key, then B's own
        QCOMPARE(afterB->previous[0].acceptUntil, kStart + 10 + kAccept);
        // The acceptance in force applies (a reload that changes max_token_hours changes it).
        QCOMPARE(b.ring->load(kStart + 10, 2 * kAccept)->previous[0].acceptUntil, kStart + 10 + 2 * kAccept);

        // Two rotations in a row (one each): the newer is current, the other retired and still accepted.
        auto k1 = a.ring->rotate(kStart + 20, kAccept);
        auto k2 = b.ring->rotate(kStart + 20, kAccept);
        const JwtKeyring both = a.ring->load(kStart + 20, kAccept).value();
        QCOMPARE(TokenService::keyId(both.current), k2.value());
        QVERIFY(kids(both).contains(k1.value()));
        QCOMPARE(kids(b.ring->load(kStart + 20, kAccept).value()), kids(both));
    }

    // Two servers starting at once on an empty database, each with its own (missing) key file: they take turns, so
    // one seals the keys with the file it creates and the other is refused, told to copy that file, having written
    // nothing. Before, both could seal keys with their own file and lock each other out for good.
    void serversStartingTogether()
    {
        for (int round = 0; round < 5; ++round) {
            QTemporaryDir dir;
            connect(dir.path()); // the schema, before the race
            const QStringList files{dir.filePath(QStringLiteral("a.key")), dir.filePath(QStringLiteral("b.key"))};
            QString errors[2];
            bool ok[2] = {false, false};
            std::vector<std::thread> threads;
            for (int i = 0; i < 2; ++i)
                threads.emplace_back([&, i] {
                    auto storage = connect(dir.path());
                    auto ring = DatabaseKeyring::open(*storage, files[i], seed(char('a' + i)), kAccept, kStart);
                    ok[i] = ring.ok();
                    if (!ring)
                        errors[i] = QString::fromStdString(ring.error());
                });
            for (auto &t : threads)
                t.join();
            QVERIFY2(ok[0] != ok[1], qPrintable(errors[0] + QLatin1Char('|') + errors[1]));
            const int winner = ok[0] ? 0 : 1;
            QVERIFY2(errors[1 - winner].contains(QLatin1String("copy ") + files[1 - winner]),
                     qPrintable(errors[1 - winner]));
            QVERIFY(QFileInfo::exists(files[winner]));
            QVERIFY(!QFileInfo::exists(files[1 - winner]));
            // Every row opens with the winner's file.
            auto storage = connect(dir.path());
            auto again = DatabaseKeyring::open(*storage, files[winner], seed('c'), kAccept, kStart);
            QVERIFY2(again.ok(), again.ok() ? "" : again.error().c_str());
            QCOMPARE(again.value()->load(kStart, kAccept)->current, QByteArray(32, char('a' + winner)));
        }
    }

    void retiredKeysExpire()
    {
        QTemporaryDir dir;
        auto storage = connect(dir.path());
        auto ring = std::move(
            DatabaseKeyring::open(*storage, dir.filePath(QStringLiteral("k")), seed('a'), kAccept, kStart).value());
        const QString first = TokenService::keyId(QByteArray(32, 'a'));
        ring->rotate(kStart + 100, kAccept); // 'a' retired at +100, accepted until +100 + kAccept
        QVERIFY(kids(ring->load(kStart + 100 + kAccept, kAccept).value()).contains(first));
        QVERIFY(!kids(ring->load(kStart + 101 + kAccept, kAccept).value()).contains(first)); // no longer offered
        // Its row goes at the next rotation after that.
        auto count = [&] {
            auto q = storage->exec(QStringLiteral("SELECT count(*) FROM signing_keys"));
            q->next();
            return q->value(0).toInt();
        };
        QCOMPARE(count(), 2);
        ring->rotate(kStart + 101 + kAccept, kAccept);
        QCOMPARE(count(), 2); // 'a' deleted, the second key retired (still accepted), the third current
        auto q = storage->exec(QStringLiteral("SELECT count(*) FROM signing_keys WHERE kid = ?"), {first});
        q->next();
        QCOMPARE(q->value(0).toInt(), 0);
    }

    void refusedKeyFiles_data()
    {
        QTest::addColumn<QString>("problem");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing, database has keys") << "missing"
                                                    << "holds JWT signing keys sealed with a key";
        QTest::newRow("another server's file") << "other"
                                               << "does not open JWT signing key";
        QTest::newRow("readable by others") << "mode"
                                            << "must not be accessible by group or others";
        QTest::newRow("too short") << "short"
                                   << "must hold at least 32 bytes";
    }
    void refusedKeyFiles()
    {
        QFETCH(QString, problem);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString keyFile = dir.filePath(QStringLiteral("database.key"));
        auto a = connect(dir.path());
        QVERIFY(DatabaseKeyring::open(*a, keyFile, seed('a'), kAccept, kStart).ok());
        const QString otherFile = dir.filePath(QStringLiteral("b.key"));
        if (problem == QLatin1String("other"))
            QVERIFY(writePrivateFile(otherFile, QByteArray(32, 'z').toBase64() + '\n', 0400).ok());
        else if (problem == QLatin1String("mode")) {
            QVERIFY(writePrivateFile(otherFile, QByteArray(32, 'z').toBase64() + '\n', 0400).ok());
            QFile::setPermissions(otherFile, QFile::ReadOwner | QFile::ReadOther);
        } else if (problem == QLatin1String("short"))
            QVERIFY(writePrivateFile(otherFile, QByteArray(16, 'z').toBase64() + '\n', 0400).ok());
        auto b = connect(dir.path());
        auto ring = DatabaseKeyring::open(*b, otherFile, seed('b'), kAccept, kStart);
        QVERIFY(!ring.ok());
        QVERIFY2(QString::fromStdString(ring.error()).contains(message), ring.error().c_str());
        if (problem == QLatin1String("missing") || problem == QLatin1String("other"))
            QVERIFY2(QString::fromStdString(ring.error()).contains(QLatin1String("copy ") + otherFile),
                     ring.error().c_str());                                            // says what to do
        QVERIFY(!QFileInfo::exists(otherFile) || problem != QLatin1String("missing")); // not created behind its back
    }

    void sealedRowsAreBoundToTheirKid()
    {
        // A row's sealed bytes moved to another row (kid) do not open: the kid is the associated data.
        QTemporaryDir dir;
        auto storage = connect(dir.path());
        const QString keyFile = dir.filePath(QStringLiteral("k"));
        auto ring = std::move(DatabaseKeyring::open(*storage, keyFile, seed('a'), kAccept, kStart).value());
        ring->rotate(kStart + 1, kAccept);
        QVERIFY(storage
                    ->exec(QStringLiteral("UPDATE signing_keys SET sealed = (SELECT sealed FROM signing_keys WHERE id "
                                          "= (SELECT min(id) FROM signing_keys)) WHERE id = (SELECT max(id) FROM "
                                          "signing_keys)"))
                    .ok());
        auto loaded = ring->load(kStart + 1, kAccept);
        QVERIFY(!loaded.ok());
        QVERIFY2(QString::fromStdString(loaded.error()).contains(QLatin1String("does not open")),
                 loaded.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestDatabaseKeyring)
#include "test_database_keyring.moc"
