// UsageStore: requests, prompt tokens and generated tokens per subject ("key:<prefix>" or "user:<jwt sub>"),
// accumulated in Storage. With a WriteBatch (the server's), what add() counts between two batches is summed per
// subject in memory and written in the next batch, one statement per subject: a chat request adds twice (the request,
// then its tokens), and 64 of them a batch would otherwise be 128 statements.
// Threading: any thread (add() takes a lock); list() sees every add() made before it on the batch's thread.
#pragma once

#include <QHash>
#include <QJsonArray>
#include <QString>
#include <memory>
#include <mutex>

#include "core/clock.h"
#include "core/storage.h"
#include "core/write_batch.h"

namespace smartbot {

struct UsageRow {
    QString subject;
    qint64 requests = 0;
    qint64 promptTokens = 0;
    qint64 generatedTokens = 0;
    qint64 lastAt = 0;
};

class UsageStore {
public:
    // batch: null writes each add() at once.
    explicit UsageStore(const Storage &storage, Clock clock = systemClock(), WriteBatch *batch = nullptr)
        : storage_(storage), clock_(std::move(clock)), batch_(batch)
    {
    }
    ~UsageStore(); // what is counted and not yet written is written now
    UsageStore(const UsageStore &) = delete;
    UsageStore &operator=(const UsageStore &) = delete;

    void add(const QString &subject, qint64 requests, qint64 promptTokens, qint64 generatedTokens);
    Result<QList<UsageRow>> list() const;
    static QJsonArray toJson(const QList<UsageRow> &rows);

private:
    using Counts = QHash<QString, UsageRow>; // by subject; lastAt: the newest add()
    Result<void> write(const Storage::Transaction *tx, const Counts &counts) const; // tx null: Storage::exec

    const Storage &storage_;
    Clock clock_;
    WriteBatch *batch_;
    std::mutex mutex_;
    Counts counting_;     // added since the batch's write took the last ones
    bool queued_ = false; // a write in batch_ will take counting_
};

} // namespace smartbot
