#include "core/usage_store.h"

#include <QDateTime>
#include <QJsonObject>
#include <algorithm>
#include <optional>

namespace smartbot {

UsageStore::~UsageStore()
{
    if (batch_)
        batch_->flush();
}

Result<void> UsageStore::write(const Storage::Transaction *tx, const Counts &counts) const
{
    static const QString sql = QStringLiteral(
        "INSERT INTO usage (subject, requests, prompt_tokens, generated_tokens, last_at) VALUES (?, ?, ?, ?, ?) ON "
        "CONFLICT(subject) DO UPDATE SET requests = usage.requests + excluded.requests, prompt_tokens = "
        "usage.prompt_tokens + excluded.prompt_tokens, generated_tokens = usage.generated_tokens + "
        "excluded.generated_tokens, last_at = excluded.last_at");
    for (const UsageRow &u : counts) {
        const QVariantList values{u.subject, u.requests, u.promptTokens, u.generatedTokens, u.lastAt};
        if (auto r = tx ? tx->exec(sql, values) : storage_.exec(sql, values); !r)
            return r.failure();
    }
    return {};
}

void UsageStore::add(const QString &subject, qint64 requests, qint64 promptTokens, qint64 generatedTokens)
{
    const qint64 now = clock_();
    if (!batch_) {
        if (auto r = write(nullptr, {{subject, {subject, requests, promptTokens, generatedTokens, now}}}); !r)
            qWarning("usage: %s", r.error().c_str());
        return;
    }
    std::lock_guard lock(mutex_);
    UsageRow &u = counting_[subject];
    u.subject = subject;
    u.requests += requests;
    u.promptTokens += promptTokens;
    u.generatedTokens += generatedTokens;
    u.lastAt = std::max(u.lastAt, now);
    if (queued_)
        return;
    queued_ = true;
    // The counts are taken when the batch first runs the write, and kept for a rerun (WriteBatch's failure path).
    auto taken = std::make_shared<std::optional<Counts>>();
    batch_->add(
        [this, taken](const Storage::Transaction &tx) -> Result<void> {
            if (!*taken) {
                std::lock_guard lock(mutex_);
                taken->emplace();
                (*taken)->swap(counting_);
                queued_ = false;
            }
            return write(&tx, **taken);
        },
        [](const Result<void> &r) {
            if (!r)
                qWarning("usage: %s", r.error().c_str());
        });
}

Result<QList<UsageRow>> UsageStore::list() const
{
    if (batch_)
        batch_->flush();
    auto q = storage_.exec(QStringLiteral("SELECT subject, requests, prompt_tokens, generated_tokens, last_at FROM "
                                          "usage ORDER BY subject"));
    if (!q)
        return q.failure();
    QList<UsageRow> out;
    while (q->next())
        out.push_back({q->value(0).toString(), q->value(1).toLongLong(), q->value(2).toLongLong(),
                       q->value(3).toLongLong(), q->value(4).toLongLong()});
    return out;
}

QJsonArray UsageStore::toJson(const QList<UsageRow> &rows)
{
    QJsonArray a;
    for (const auto &u : rows)
        a.push_back(QJsonObject{
            {QStringLiteral("subject"), u.subject},
            {QStringLiteral("requests"), u.requests},
            {QStringLiteral("prompt_tokens"), u.promptTokens},
            {QStringLiteral("generated_tokens"), u.generatedTokens},
            {QStringLiteral("last_at"),
             u.lastAt ? QDateTime::fromSecsSinceEpoch(u.lastAt, Qt::UTC).toString(Qt::ISODate) : QString()}});
    return a;
}

} // namespace smartbot
