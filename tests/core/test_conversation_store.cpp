// ConversationStore (service/conversation_store.h) on a real SQLite database: turns stored and given back in order,
// the context window of the last maxMessages messages, owners kept apart on every operation, retention (expired
// conversations are not found, not listed, and purged), deletion.
#include <QTemporaryDir>
#include <QtTest>

#include "core/storage.h"
#include "service/conversation_store.h"

using namespace smartbot;
using service::ConversationStore;

class TestConversationStore : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<Storage> storage_;
    qint64 now_ = 1'800'000'000;
    Clock clock() const
    {
        return [this] { return now_; };
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto s = Storage::open(dir_.path());
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        storage_ = std::move(s.value());
    }

    void turnsInOrderWithinTheWindow_data()
    {
        QTest::addColumn<int>("turns");
        QTest::addColumn<int>("maxMessages");
        QTest::addColumn<int>("firstTurnGiven"); // 1-based number of the oldest turn in the history
        QTest::newRow("all fit") << 3 << 64 << 1;
        QTest::newRow("window of 4 messages") << 5 << 4 << 4;
        QTest::newRow("window of 2 messages") << 5 << 2 << 5;
    }
    void turnsInOrderWithinTheWindow()
    {
        QFETCH(int, turns);
        QFETCH(int, maxMessages);
        QFETCH(int, firstTurnGiven);
        ConversationStore store(*storage_, 30, maxMessages, clock());
        const QString id = store.newId();
        QVERIFY(id.startsWith(QStringLiteral("conv_")));
        QCOMPARE(store.history(id, QStringLiteral("alice")).code(), ErrorCode::NotFound); // named, not yet stored
        for (int t = 1; t <= turns; ++t)
            QVERIFY(store.append(id, QStringLiteral("alice"), QStringLiteral("m"), {"user", "q" + std::to_string(t)},
                                 {"assistant", "a" + std::to_string(t)}));
        auto h = store.history(id, QStringLiteral("alice"));
        QVERIFY(h.ok());
        QCOMPARE(int(h->size()), 2 * (turns - firstTurnGiven + 1));
        for (size_t i = 0; i < h->size(); i += 2) {
            const std::string n = std::to_string(firstTurnGiven + int(i / 2));
            QCOMPARE((*h)[i], ConversationStore::Message("user", "q" + n));
            QCOMPARE((*h)[i + 1], ConversationStore::Message("assistant", "a" + n));
        }
        auto found = store.find(id, QStringLiteral("alice"));
        QVERIFY(found.ok());
        QCOMPARE(found->first.turns, turns);
        QCOMPARE(found->second.size(), turns); // every turn, whatever the window
    }

    void ownersAreKeptApart()
    {
        ConversationStore store(*storage_, 30, 64, clock());
        const QString id = store.newId();
        QVERIFY(store.append(id, QStringLiteral("alice"), QStringLiteral("m"), {"user", "hi"}, {"assistant", "yo"}));
        QCOMPARE(store.history(id, QStringLiteral("bob")).code(), ErrorCode::NotFound);
        QCOMPARE(store.find(id, QStringLiteral("bob")).code(), ErrorCode::NotFound);
        QCOMPARE(store.remove(id, QStringLiteral("bob")).code(), ErrorCode::NotFound);
        auto intrude = store.append(id, QStringLiteral("bob"), QStringLiteral("m"), {"user", "x"}, {"assistant", "y"});
        QCOMPARE(intrude.code(), ErrorCode::NotFound);
        QCOMPARE(store.find(id, QStringLiteral("alice"))->first.turns, 1); // bob's turn was not added
        const auto bobs = store.list(QStringLiteral("bob"), 100);
        QVERIFY(bobs.ok());
        for (const auto &s : bobs.value())
            QVERIFY(s.id != id);
    }

    void listNewestFirstAndLimited()
    {
        ConversationStore store(*storage_, 30, 64, clock());
        QStringList made;
        for (int i = 0; i < 3; ++i) {
            made << store.newId();
            now_ += 10;
            QVERIFY(store.append(made.last(), QStringLiteral("carol"), QStringLiteral("m%1").arg(i), {"user", "q"},
                                 {"assistant", "a"}));
        }
        auto two = store.list(QStringLiteral("carol"), 2);
        QVERIFY(two.ok());
        QCOMPARE(two->size(), 2);
        QCOMPARE(two->at(0).id, made[2]);
        QCOMPARE(two->at(0).model, QStringLiteral("m2"));
        QCOMPARE(two->at(1).id, made[1]);
    }

    void retentionAndDeletion()
    {
        ConversationStore store(*storage_, 1, 64, clock()); // one day
        const QString old = store.newId(), recent = store.newId();
        QVERIFY(store.append(old, QStringLiteral("dave"), QStringLiteral("m"), {"user", "q"}, {"assistant", "a"}));
        now_ += 2 * 86400;
        QVERIFY(store.append(recent, QStringLiteral("dave"), QStringLiteral("m"), {"user", "q"}, {"assistant", "a"}));
        QCOMPARE(store.history(old, QStringLiteral("dave")).code(), ErrorCode::NotFound);
        QCOMPARE(store.list(QStringLiteral("dave"), 100)->size(), 1);
        auto purged = store.purgeExpired();
        QVERIFY(purged.ok());
        QVERIFY(purged.value() >= 1);
        auto left =
            storage_->exec(QStringLiteral("SELECT COUNT(*) FROM conversation_turns WHERE conversation_id = ?"), {old});
        QVERIFY(left.ok() && left->next());
        QCOMPARE(left->value(0).toInt(), 0);
        QVERIFY(store.remove(recent, QStringLiteral("dave")));
        QCOMPARE(store.history(recent, QStringLiteral("dave")).code(), ErrorCode::NotFound);
        QCOMPARE(store.remove(recent, QStringLiteral("dave")).code(), ErrorCode::NotFound);
        ConversationStore forever(*storage_, 0, 64, clock());
        QCOMPARE(forever.purgeExpired().value(), 0);
    }
};

QTEST_GUILESS_MAIN(TestConversationStore)
#include "test_conversation_store.moc"
