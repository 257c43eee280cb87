// TokenLedger over a real Storage (SQLite) in a temporary folder; time from an injected clock. Also: a database of
// schema version 1 (before the ledger) is upgraded in place, its keys kept.
#include <QSqlQuery>
#include <QtTest>

#include "core/api_keys.h"
#include "core/storage.h"
#include "core/token_ledger.h"

using namespace smartbot;

class TestTokenLedger : public QObject {
    Q_OBJECT
    qint64 now = 1'700'000'000;
    Clock clock = [this] { return now; };

    TokenClaims claims(const QString &jti, const QString &subject, qint64 lifetime) const
    {
        return {.subject = subject,
                .scope = QStringLiteral("chat"),
                .jti = jti,
                .issuedAt = now,
                .expiresAt = now + lifetime};
    }

private Q_SLOTS:
    void validOnlyNewestFirstWithRevocation()
    {
        QTemporaryDir dir;
        auto storage = Storage::open(dir.path());
        QVERIFY2(storage.ok(), storage.ok() ? "" : storage.error().c_str());
        const TokenLedger ledger(*storage.value(), clock);
        QVERIFY(ledger.record(claims("a", "alice", 60), QStringLiteral("admin key")).ok());
        now += 1;
        QVERIFY(ledger.record(claims("b", "bob", 3600), QStringLiteral("gui (op)")).ok());
        auto both = ledger.listValid();
        QVERIFY(both.ok());
        QCOMPARE(both->size(), 2);
        QCOMPARE(both->first().jti, QStringLiteral("b")); // newest first
        QCOMPARE(both->first().issuer, QStringLiteral("gui (op)"));
        QCOMPARE(both->last().expiresAt, now - 1 + 60);
        QVERIFY(!both->first().revoked);

        // Revoked (the revocation list the Authenticator writes): still listed, marked.
        QVERIFY(storage.value()
                    ->exec(QStringLiteral("INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES (?, ?, ?)"),
                           {QStringLiteral("b"), now + 3600, now})
                    .ok());
        auto marked = ledger.listValid();
        QVERIFY(marked->first().revoked);

        // Expired: not listed, and dropped at the next record.
        now += 120;
        auto later = ledger.listValid();
        QCOMPARE(later->size(), 1);
        QCOMPARE(later->first().jti, QStringLiteral("b"));
        QVERIFY(ledger.record(claims("c", "carol", 60), QStringLiteral("admin key")).ok());
        auto rows = storage.value()->exec(QStringLiteral("SELECT COUNT(*) FROM issued_tokens WHERE jti = 'a'"));
        QVERIFY(rows.ok() && rows->next());
        QCOMPARE(rows->value(0).toInt(), 0);
    }

    void upgradesVersion1()
    {
        QTemporaryDir dir;
        QString prefix;
        {
            // What the first release made: schema 1 (its own SQL), no ledger, conversation or signing-key tables.
            auto storage = Storage::open(dir.path(), {}, Storage::Migrate::No);
            QVERIFY(storage.ok());
            QVERIFY(storage.value()->migrate(1).ok());
            QCOMPARE(storage.value()->schemaVersion().value(), 1);
            QVERIFY(!storage.value()->exec(QStringLiteral("SELECT 1 FROM issued_tokens")).ok());
            auto key = ApiKeyStore(*storage.value()).create({.name = QStringLiteral("old")});
            QVERIFY(key.ok());
            prefix = key->info.prefix;
        }
        auto storage = Storage::open(dir.path());
        QVERIFY2(storage.ok(), storage.ok() ? "" : storage.error().c_str());
        QCOMPARE(storage.value()->schemaVersion().value(), Storage::currentSchemaVersion());
        QVERIFY(TokenLedger(*storage.value(), clock).record(claims("x", "u", 60), QStringLiteral("cli (op)")).ok());
        auto kept = ApiKeyStore(*storage.value()).find(prefix);
        QVERIFY(kept.ok());
        QCOMPARE(kept->name, QStringLiteral("old"));
    }
};

QTEST_GUILESS_MAIN(TestTokenLedger)
#include "test_token_ledger.moc"
