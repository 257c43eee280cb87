#include "core/usage_store.h"

#include <QDateTime>
#include <QJsonObject>

namespace smartbot {

void UsageStore::add(const QString &subject, qint64 requests, qint64 promptTokens, qint64 generatedTokens) const
{
    auto r =
        storage_.exec(QStringLiteral("INSERT INTO usage (subject, requests, prompt_tokens, generated_tokens, last_at) "
                                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT(subject) DO UPDATE SET "
                                     "requests = usage.requests + excluded.requests, "
                                     "prompt_tokens = usage.prompt_tokens + excluded.prompt_tokens, "
                                     "generated_tokens = usage.generated_tokens + excluded.generated_tokens, "
                                     "last_at = excluded.last_at"),
                      {subject, requests, promptTokens, generatedTokens, clock_()});
    if (!r)
        qWarning("usage: %s", r.error().c_str());
}

Result<QList<UsageRow>> UsageStore::list() const
{
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
