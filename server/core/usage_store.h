// UsageStore: requests, prompt tokens and generated tokens per subject ("key:<prefix>" or "user:<jwt sub>"),
// accumulated in Storage.
#pragma once

#include <QJsonArray>
#include <QString>

#include "core/clock.h"
#include "core/storage.h"

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
    explicit UsageStore(const Storage &storage, Clock clock = systemClock())
        : storage_(storage), clock_(std::move(clock))
    {
    }

    void add(const QString &subject, qint64 requests, qint64 promptTokens, qint64 generatedTokens) const;
    Result<QList<UsageRow>> list() const;
    static QJsonArray toJson(const QList<UsageRow> &rows);

private:
    const Storage &storage_;
    Clock clock_;
};

} // namespace smartbot
