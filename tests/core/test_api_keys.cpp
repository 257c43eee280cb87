// Storage (migrations, file mode), API keys (create/verify/revoke/rotate/expiry/IP lists/rotation due) and the JWT
// keyring on disk; time comes from an injected clock. Address lists, the rate limiter, the audit log and usage have
// tests of their own.
#include <QtTest>

#include <cstdio>
#include <sys/stat.h>

#include "core/address_list.h"
#include "core/api_keys.h"
#include "core/jwt_keyring.h"
#include "core/secret_files.h"
#include "core/storage.h"

using namespace smartbot;

namespace {
int modeOf(const QString &path)
{
    struct stat st {};
    ::stat(QFile::encodeName(path).constData(), &st);
    return int(st.st_mode & 07777);
}
} // namespace

class TestApiKeys : public QObject {
    Q_OBJECT
    QTemporaryDir dir;
    std::unique_ptr<Storage> storage;
    qint64 now = 1'700'000'000;
    Clock clock = [this] { return now; };
    const QHostAddress local{QStringLiteral("127.0.0.1")};

private Q_SLOTS:
    void initTestCase()
    {
        auto s = Storage::open(dir.path());
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        storage = std::move(s.value());
    }

    void storageFileAndSchema()
    {
        QCOMPARE(modeOf(dir.filePath("smartbot.db")), 0600);
        QCOMPARE(storage->schemaVersion().value(), Storage::currentSchemaVersion());
        // Reopening does not migrate twice.
        auto again = Storage::open(dir.path());
        QVERIFY(again.ok());
        QCOMPARE(again.value()->schemaVersion().value(), Storage::currentSchemaVersion());
        auto q = storage->exec(QStringLiteral("SELECT COUNT(*) FROM schema_version"));
        QVERIFY(q.ok() && q->next());
        QCOMPARE(q->value(0).toInt(), Storage::currentSchemaVersion()); // one row per migration applied, each once
    }

    void createVerifyList()
    {
        ApiKeyStore keys(*storage, clock);
        auto k = keys.create({QStringLiteral("alice"), QStringLiteral("chat"), 0, QString(), -1, -1});
        QVERIFY2(k.ok(), k.ok() ? "" : k.error().c_str());
        QVERIFY(k->key.startsWith("sb_"));
        QCOMPARE(k->key.size(), 3 + 43);
        QCOMPARE(k->info.prefix, QString::fromLatin1(k->key.left(ApiKeyStore::kVisiblePrefix)));
        // Only the hash is stored.
        auto q = storage->exec(QStringLiteral("SELECT hash FROM api_keys WHERE id = ?"), {k->info.id});
        QVERIFY(q.ok() && q->next());
        QCOMPARE(q->value(0).toByteArray(), sha256(k->key));
        auto v = keys.verify(k->key, local);
        QVERIFY(v.ok());
        QCOMPARE(v->name, QStringLiteral("alice"));
        QVERIFY(!keys.verify(k->key + "x", local).ok());
        QVERIFY(!keys.verify("sb_nope", local).ok());
        QVERIFY(!keys.create({QString(), QStringLiteral("chat"), 0, QString(), -1, -1}).ok());
        QVERIFY(!keys.create({QStringLiteral("x"), QStringLiteral("root"), 0, QString(), -1, -1}).ok());
        QVERIFY(
            !keys.create({QStringLiteral("x"), QStringLiteral("chat"), 0, QStringLiteral("10.0.0.0/99"), -1, -1}).ok());
        auto list = keys.list();
        QVERIFY(list.ok());
        QVERIFY(!list->isEmpty());
        const QJsonObject json = ApiKeyStore::toJson(list->first());
        QVERIFY(!json.contains("key") && !json.contains("hash"));
        QCOMPARE(keys.find(k->info.prefix)->id, k->info.id);
        keys.touch(k->info.id);
        QCOMPARE(keys.find(QString::number(k->info.id))->lastUsedAt, now);
    }

    void revokeAndExpire()
    {
        ApiKeyStore keys(*storage, clock);
        auto k = keys.create({QStringLiteral("bob"), QStringLiteral("admin"), 1, QString(), -1, -1});
        QVERIFY(k.ok());
        QVERIFY(keys.verify(k->key, local).ok());
        now += 86400;
        auto e = keys.verify(k->key, local);
        QVERIFY(!e.ok());
        QVERIFY(QString::fromStdString(e.error()).contains("expired"));
        now -= 86400;
        QVERIFY(keys.revoke(k->info.prefix).ok());
        auto r = keys.verify(k->key, local);
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error()).contains("revoked"));
        QVERIFY(!keys.revoke(k->info.prefix).ok());
        QVERIFY(!keys.revoke(QStringLiteral("sb_missing")).ok());
    }

    void rotateWithGrace()
    {
        ApiKeyStore keys(*storage, clock, 90);
        auto old =
            keys.create({QStringLiteral("carol"), QStringLiteral("chat"), 0, QStringLiteral("127.0.0.0/8"), 5, -1});
        QVERIFY(old.ok());
        now += 91 * 86400;
        QVERIFY(keys.find(old->info.prefix)->rotationDue);
        QVERIFY(keys.rotationDueCount() >= 1);
        auto fresh = keys.rotate(old->info.prefix, 24);
        QVERIFY(fresh.ok());
        QCOMPARE(fresh->info.allow, QStringLiteral("127.0.0.0/8"));
        QCOMPARE(fresh->info.requestsPerMinute, 5);
        QVERIFY(!fresh->info.rotationDue);
        QVERIFY(!keys.find(old->info.prefix)->rotationDue);
        QVERIFY(keys.verify(old->key, local).ok()); // grace
        QVERIFY(keys.verify(fresh->key, local).ok());
        QVERIFY(!keys.rotate(old->info.prefix, 24).ok()); // already rotated
        now += 24 * 3600;
        QVERIFY(!keys.verify(old->key, local).ok()); // grace over
        QVERIFY(keys.verify(fresh->key, local).ok());
    }

    void ipAllowList()
    {
        ApiKeyStore keys(*storage, clock);
        auto k = keys.create({QStringLiteral("dave"), QStringLiteral("chat"), 0,
                              QStringLiteral("192.168.1.0/24, 10.0.0.5 fd00::/8"), -1, -1});
        QVERIFY(k.ok());
        QVERIFY(keys.verify(k->key, QHostAddress(QStringLiteral("192.168.1.77"))).ok());
        QVERIFY(keys.verify(k->key, QHostAddress(QStringLiteral("::ffff:192.168.1.77"))).ok());
        QVERIFY(keys.verify(k->key, QHostAddress(QStringLiteral("10.0.0.5"))).ok());
        QVERIFY(keys.verify(k->key, QHostAddress(QStringLiteral("fd00::1"))).ok());
        auto r = keys.verify(k->key, QHostAddress(QStringLiteral("10.0.0.6")));
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error()).contains("not allowed from"));
        QVERIFY(!keys.verify(k->key, QHostAddress(QStringLiteral("fe80::1"))).ok());
    }

    void keyringOnDisk()
    {
        QTemporaryDir d;
        QVERIFY(loadOrCreateSecrets(d.path(), {}).ok());
        auto before = loadJwtKeyring(d.path(), 3600);
        QVERIFY(before.ok());
        QVERIFY(before->previous.isEmpty());
        const QString stamp = jwtKeyringStamp(d.path());
        auto kid = rotateJwtSecret(d.path(), now, 3600);
        QVERIFY(kid.ok());
        QVERIFY(jwtKeyringStamp(d.path()) != stamp);
        auto after = loadJwtKeyring(d.path(), 3600);
        QVERIFY(after.ok());
        QCOMPARE(after->previous.size(), 1);
        QCOMPARE(after->previous.first().key, before->current);
        QCOMPARE(after->previous.first().acceptUntil, now + 3600);
        QVERIFY(after->current != before->current);
        QCOMPARE(TokenService::keyId(after->current), kid.value());
        const QStringList retired = QDir(d.filePath("auth")).entryList({"retired-*.key"});
        QCOMPARE(retired.size(), 1);
        QCOMPARE(modeOf(d.filePath("auth/" + retired.first())), 0400);
        QCOMPARE(modeOf(d.filePath("auth/secret.key")), 0400);
        // Retired keys past their deadline are removed at the next rotation.
        QVERIFY(rotateJwtSecret(d.path(), now + 7200, 3600).ok());
        QCOMPARE(QDir(d.filePath("auth")).entryList({"retired-*.key"}).size(), 1);
    }

    // The keyring's stamp (asked before every verification) changes with every change a reload would see, done by
    // hand as well as by a rotation, and with nothing else.
    void keyringStampFollowsTheKeys_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<bool>("changes");
        QTest::newRow("nothing") << "nothing" << false;
        QTest::newRow("other file") << "other file" << false;
        QTest::newRow("rotation") << "rotation" << true;
        QTest::newRow("retired key removed") << "retired key removed" << true;
        QTest::newRow("retired key added") << "retired key added" << true;
        QTest::newRow("current key replaced") << "current key replaced" << true;
    }
    void keyringStampFollowsTheKeys()
    {
        QFETCH(QString, change);
        QFETCH(bool, changes);
        QTemporaryDir d;
        QVERIFY(loadOrCreateSecrets(d.path(), {}).ok());
        QVERIFY(rotateJwtSecret(d.path(), now, 3600).ok());
        const QString auth = d.filePath("auth");
        const QString retired = QDir(auth).entryList({"retired-*.key"}).value(0);
        QVERIFY(!retired.isEmpty());
        const QString before = jwtKeyringStamp(d.path());
        QVERIFY(!before.isEmpty());
        if (change == "other file")
            QVERIFY(QFile(auth + "/notes.txt").open(QIODevice::WriteOnly));
        else if (change == "rotation")
            QVERIFY(rotateJwtSecret(d.path(), now + 1, 3600).ok());
        else if (change == "retired key removed")
            QVERIFY(QFile::remove(auth + "/" + retired));
        else if (change == "retired key added")
            QVERIFY(QFile::copy(auth + "/" + retired, auth + "/retired-1700000100.key"));
        else if (change == "current key replaced") { // the same bytes in a new file put in its place
            QVERIFY(QFile::copy(auth + "/secret.key", auth + "/secret.key.new"));
            QVERIFY(::rename(QFile::encodeName(auth + "/secret.key.new").constData(),
                             QFile::encodeName(auth + "/secret.key").constData()) == 0);
        }
        QCOMPARE(jwtKeyringStamp(d.path()) != before, changes);
    }
};

QTEST_GUILESS_MAIN(TestApiKeys)
#include "test_api_keys.moc"
