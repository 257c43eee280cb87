// ConversationStore: the conversations of /api/v1/chat (conversation_id), kept in the database (core/storage.h), so
// that they survive restarts and any server sharing a PostgreSQL database continues any of them. A conversation
// belongs to the subject that started it (the token's user or the API key): to anyone else it does not exist, on
// every route. It is kept for [database] conversation_retention_days after its last turn (0 = for ever); the model is
// given its last maxMessages messages.
// A conversation exists once its first turn is stored: newId() only names it, so that a failed first request leaves
// nothing behind. A turn is two statements in one transaction: with the server's WriteBatch, the batch's transaction
// (appendThen), shared with the other replies of the same engine step.
// Threading: any thread (Storage's rule); the readers see every turn appended before them on the batch's thread.
#pragma once

#include <QList>
#include <QString>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/storage.h"
#include "core/write_batch.h"

namespace smartbot::service {

class ConversationStore {
public:
    using Message = std::pair<std::string, std::string>; // (role, content)
    struct Summary {
        QString id;
        QString model; // the model of the last turn (as the client named it)
        qint64 createdAt = 0;
        qint64 updatedAt = 0;
        int turns = 0;
    };
    struct Turn {
        QString user;
        QString assistant;
        qint64 at = 0;
    };

    // batch: where appendThen() queues its turns (null: each in a transaction of its own, at once).
    static constexpr int kDefaultMaxMessages = 64;
    explicit ConversationStore(const Storage &storage, int retentionDays = 30, int maxMessages = kDefaultMaxMessages,
                               Clock clock = systemClock(), WriteBatch *batch = nullptr);

    QString newId() const; // "conv_" + 24 hex digits
    // The last maxMessages messages of id; NotFound when it does not exist, is not owner's, or has expired.
    Result<std::vector<Message>> history(const QString &id, const QString &owner) const;
    // Stores one turn (the user's message and the reply), creating the conversation with its first. Two servers
    // appending to one conversation at the same moment: one of the two turns is refused (logged), none is mixed up.
    Result<void> append(const QString &id, const QString &owner, const QString &model, const Message &user,
                        const Message &assistant) const;
    // append() for a reply already sent: a turn that cannot be stored is logged (the client has its answer).
    void appendOrLog(const QString &id, const QString &owner, const QString &model, const std::string &user,
                     const std::string &assistant) const;
    // Stores the turn with the next batch, then runs then (send the reply from there), unless context is gone by
    // then. A turn that cannot be stored is logged and then runs all the same: the reply is not lost for it.
    void appendThen(const QString &id, const QString &owner, const QString &model, const std::string &user,
                    const std::string &assistant, QObject *context, std::function<void()> then) const;
    // owner's conversations, most recently used first.
    Result<QList<Summary>> list(const QString &owner, int limit) const;
    // One conversation's summary and every turn, oldest first; NotFound as history().
    Result<std::pair<Summary, QList<Turn>>> find(const QString &id, const QString &owner) const;
    // NotFound as history().
    Result<void> remove(const QString &id, const QString &owner) const;
    // Drops conversations past their retention; the number dropped.
    Result<int> purgeExpired() const;

private:
    qint64 cutoff() const; // updated_at before this has expired (0: nothing expires)
    // The turn's two statements, in tx. Static: a batch may run it after this object is gone.
    static Result<void> write(const Storage::Transaction &tx, const QString &id, const QString &owner,
                              const QString &model, const QString &user, const QString &assistant, qint64 now);
    void flushBatch() const; // the batch's pending turns, before a read
    Result<Summary> summary(const QString &id, const QString &owner) const;

    const Storage &storage_;
    int retentionDays_;
    int maxMessages_;
    Clock clock_;
    WriteBatch *batch_;
};

} // namespace smartbot::service
