#include "service/conversation_store.h"

#include <algorithm>

#include "core/secret_files.h"
#include "smartbot/common/units.h"

namespace smartbot::service {

namespace {
Error notFound(const QString &id)
{
    return makeError("conversation '" + id.left(64).toStdString() + "' does not exist or has expired",
                     ErrorCode::NotFound);
}

// A reply goes out even when its turn could not be stored (the client has its answer; the history misses a turn).
void warnIfNotStored(const QString &id, const Result<void> &stored)
{
    if (!stored)
        qWarning("conversation %s: turn not stored: %s", qPrintable(id), stored.error().c_str());
}
} // namespace

ConversationStore::ConversationStore(const Storage &storage, int retentionDays, int maxMessages, Clock clock,
                                     WriteBatch *batch)
    : storage_(storage), retentionDays_(retentionDays), maxMessages_(std::max(2, maxMessages)),
      clock_(std::move(clock)), batch_(batch)
{
}

void ConversationStore::flushBatch() const
{
    if (batch_)
        batch_->flush();
}

QString ConversationStore::newId() const
{
    return QStringLiteral("conv_") + QString::fromLatin1(randomBytes(12).toHex());
}

qint64 ConversationStore::cutoff() const
{
    return retentionDays_ > 0 ? clock_() - qint64(retentionDays_) * kSecondsPerDay : 0;
}

Result<ConversationStore::Summary> ConversationStore::summary(const QString &id, const QString &owner) const
{
    flushBatch();
    auto q = storage_.exec(QStringLiteral("SELECT c.model, c.created_at, c.updated_at, (SELECT COUNT(*) FROM "
                                          "conversation_turns t WHERE t.conversation_id = c.id) FROM conversations c "
                                          "WHERE c.id = ? AND c.owner = ? AND c.updated_at >= ?"),
                           {id, owner, cutoff()});
    if (!q)
        return q.failure();
    if (!q->next())
        return notFound(id);
    return Summary{id, q->value(0).toString(), q->value(1).toLongLong(), q->value(2).toLongLong(), q->value(3).toInt()};
}

Result<std::vector<ConversationStore::Message>> ConversationStore::history(const QString &id,
                                                                           const QString &owner) const
{
    if (auto s = summary(id, owner); !s)
        return s.failure();
    auto q = storage_.exec(QStringLiteral("SELECT user_text, assistant_text FROM conversation_turns WHERE "
                                          "conversation_id = ? ORDER BY turn DESC LIMIT ?"),
                           {id, maxMessages_ / 2});
    if (!q)
        return q.failure();
    std::vector<Message> newestFirst;
    while (q->next()) {
        newestFirst.push_back({"assistant", q->value(1).toString().toStdString()});
        newestFirst.push_back({"user", q->value(0).toString().toStdString()});
    }
    return std::vector<Message>(newestFirst.rbegin(), newestFirst.rend());
}

Result<void> ConversationStore::write(const Storage::Transaction &tx, const QString &id, const QString &owner,
                                      const QString &model, const QString &user, const QString &assistant, qint64 now)
{
    { // The conversation's row: created with the first turn, touched by the others (never another owner's).
        auto head = tx.exec(QStringLiteral("INSERT INTO conversations (id, owner, model, created_at, updated_at) "
                                           "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET model = "
                                           "excluded.model, updated_at = excluded.updated_at WHERE "
                                           "conversations.owner = excluded.owner"),
                            {id, owner, model, now, now});
        if (!head)
            return head.failure();
        if (head->rowsAffected() == 0)
            return notFound(id);
    }
    // The next turn number in the same statement; a concurrent append of the same number fails on the primary key.
    // The casts: PostgreSQL cannot infer a parameter's type in a SELECT list.
    auto turn = tx.exec(QStringLiteral("INSERT INTO conversation_turns (conversation_id, turn, user_text, "
                                       "assistant_text, at) SELECT CAST(? AS TEXT), COALESCE(MAX(turn), 0) + 1, "
                                       "CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT) FROM conversation_turns "
                                       "WHERE conversation_id = ?"),
                        {id, user, assistant, now, id});
    if (!turn)
        return turn.failure();
    return {};
}

Result<void> ConversationStore::append(const QString &id, const QString &owner, const QString &model,
                                       const Message &user, const Message &assistant) const
{
    flushBatch(); // turns queued before this one come first
    const qint64 now = clock_();
    const QString u = QString::fromStdString(user.second);
    const QString a = QString::fromStdString(assistant.second);
    // One transaction: the turn is never stored without its conversation's row.
    return storage_.transaction(0,
                                [&](const Storage::Transaction &tx) { return write(tx, id, owner, model, u, a, now); });
}

void ConversationStore::appendThen(const QString &id, const QString &owner, const QString &model,
                                   const std::string &user, const std::string &assistant, QObject *context,
                                   std::function<void()> then) const
{
    if (!batch_) {
        appendOrLog(id, owner, model, user, assistant);
        then();
        return;
    }
    batch_->add([id, owner, model, u = QString::fromStdString(user), a = QString::fromStdString(assistant),
                 now = clock_()](const Storage::Transaction &tx) { return write(tx, id, owner, model, u, a, now); },
                [id, then = std::move(then)](const Result<void> &stored) {
                    warnIfNotStored(id, stored);
                    then();
                },
                context);
}

void ConversationStore::appendOrLog(const QString &id, const QString &owner, const QString &model,
                                    const std::string &user, const std::string &assistant) const
{
    warnIfNotStored(id, append(id, owner, model, {"user", user}, {"assistant", assistant}));
}

Result<QList<ConversationStore::Summary>> ConversationStore::list(const QString &owner, int limit) const
{
    flushBatch();
    auto q = storage_.exec(QStringLiteral("SELECT c.id, c.model, c.created_at, c.updated_at, (SELECT COUNT(*) FROM "
                                          "conversation_turns t WHERE t.conversation_id = c.id) FROM conversations c "
                                          "WHERE c.owner = ? AND c.updated_at >= ? ORDER BY c.updated_at DESC, c.id "
                                          "LIMIT ?"),
                           {owner, cutoff(), limit});
    if (!q)
        return q.failure();
    QList<Summary> out;
    while (q->next())
        out.push_back({q->value(0).toString(), q->value(1).toString(), q->value(2).toLongLong(),
                       q->value(3).toLongLong(), q->value(4).toInt()});
    return out;
}

Result<std::pair<ConversationStore::Summary, QList<ConversationStore::Turn>>>
ConversationStore::find(const QString &id, const QString &owner) const
{
    auto s = summary(id, owner);
    if (!s)
        return s.failure();
    auto q = storage_.exec(QStringLiteral("SELECT user_text, assistant_text, at FROM conversation_turns WHERE "
                                          "conversation_id = ? ORDER BY turn"),
                           {id});
    if (!q)
        return q.failure();
    QList<Turn> turns;
    while (q->next())
        turns.push_back({q->value(0).toString(), q->value(1).toString(), q->value(2).toLongLong()});
    return std::pair{s.value(), turns};
}

Result<void> ConversationStore::remove(const QString &id, const QString &owner) const
{
    flushBatch();
    // The turns first: if the second statement fails, nothing is left that purgeExpired() could not find. Plain
    // DELETEs return no rows, so holding their Query holds no statement open.
    auto turns = storage_.exec(QStringLiteral("DELETE FROM conversation_turns WHERE conversation_id IN (SELECT id FROM "
                                              "conversations WHERE id = ? AND owner = ? AND updated_at >= ?)"),
                               {id, owner, cutoff()});
    if (!turns)
        return turns.failure();
    auto r = storage_.exec(QStringLiteral("DELETE FROM conversations WHERE id = ? AND owner = ? AND updated_at >= ?"),
                           {id, owner, cutoff()});
    if (!r)
        return r.failure();
    if (r->rowsAffected() == 0)
        return notFound(id);
    return {};
}

Result<int> ConversationStore::purgeExpired() const
{
    if (retentionDays_ <= 0)
        return 0;
    flushBatch();
    const qint64 before = cutoff();
    auto turns = storage_.exec(QStringLiteral("DELETE FROM conversation_turns WHERE conversation_id IN (SELECT id "
                                              "FROM conversations WHERE updated_at < ?)"),
                               {before});
    if (!turns)
        return turns.failure();
    auto r = storage_.exec(QStringLiteral("DELETE FROM conversations WHERE updated_at < ?"), {before});
    if (!r)
        return r.failure();
    // Turns a remove() left behind when its second statement failed (the conversation's row is gone already).
    storage_.exec(QStringLiteral("DELETE FROM conversation_turns WHERE conversation_id NOT IN (SELECT id FROM "
                                 "conversations)"));
    return r->rowsAffected();
}

} // namespace smartbot::service
