// AuditLog and UsageStore over a real Storage (SQLite) in a temporary folder; time from an injected clock.
#include <QtTest>

#include "core/audit_log.h"
#include "core/storage.h"
#include "core/usage_store.h"

using namespace smartbot;

class TestAuditLog : public QObject {
    Q_OBJECT
    QTemporaryDir dir;
    std::unique_ptr<Storage> storage;
    qint64 now = 1'700'000'000;
    Clock clock = [this] { return now; };

private Q_SLOTS:
    void initTestCase()
    {
        auto s = Storage::open(dir.path());
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        storage = std::move(s.value());
    }

    void auditNewestFirst()
    {
        AuditLog audit(*storage, clock);
        audit.record(QStringLiteral("admin key"), QStringLiteral("127.0.0.1"), QStringLiteral("key.create"),
                     QStringLiteral("x"));
        now += 1;
        audit.record(QStringLiteral("key k (sb_x)"), QStringLiteral("::1"), QStringLiteral("key.list"));
        auto one = audit.list(1);
        QVERIFY(one.ok());
        QCOMPARE(one->size(), 1);
        QCOMPARE(one->first().action, QStringLiteral("key.list"));
        auto both = audit.list(10);
        QVERIFY(both.ok());
        QCOMPARE(both->size(), 2);
        QCOMPARE(both->last().actor, QStringLiteral("admin key"));
        QCOMPARE(both->last().detail, QStringLiteral("x"));
    }

    void usageAddsUp()
    {
        UsageStore usage(*storage, clock);
        usage.add(QStringLiteral("user:alice"), 1, 0, 0);
        usage.add(QStringLiteral("user:alice"), 0, 5, 7);
        usage.add(QStringLiteral("key:sb_abc"), 2, 1, 1);
        auto rows = usage.list();
        QVERIFY(rows.ok());
        QCOMPARE(rows->size(), 2);
        for (const auto &row : rows.value()) {
            if (row.subject != QLatin1String("user:alice"))
                continue;
            QCOMPARE(row.requests, qint64(1));
            QCOMPARE(row.promptTokens, qint64(5));
            QCOMPARE(row.generatedTokens, qint64(7));
        }
    }
};

QTEST_GUILESS_MAIN(TestAuditLog)
#include "test_audit_log.moc"
