#include "core/audit_log.h"

#include <QDateTime>
#include <QJsonObject>

namespace smartbot {

void AuditLog::record(const QString &actor, const QString &address, const QString &action, const QString &detail) const
{
    auto r = storage_.exec(
        QStringLiteral("INSERT INTO audit_log (at, actor, address, action, detail) VALUES (?, ?, ?, ?, ?)"),
        {clock_(), actor, address, action, detail});
    if (!r)
        qWarning("audit log: %s", r.error().c_str());
}

Result<QList<AuditEntry>> AuditLog::list(int limit) const
{
    auto q = storage_.exec(QStringLiteral("SELECT id, at, actor, address, action, detail FROM audit_log ORDER BY id "
                                          "DESC LIMIT ?"),
                           {limit});
    if (!q)
        return q.failure();
    QList<AuditEntry> out;
    while (q->next())
        out.push_back({q->value(0).toLongLong(), q->value(1).toLongLong(), q->value(2).toString(),
                       q->value(3).toString(), q->value(4).toString(), q->value(5).toString()});
    return out;
}

QJsonArray AuditLog::toJson(const QList<AuditEntry> &entries)
{
    QJsonArray a;
    for (const auto &e : entries)
        a.push_back(
            QJsonObject{{QStringLiteral("id"), e.id},
                        {QStringLiteral("at"), QDateTime::fromSecsSinceEpoch(e.at, Qt::UTC).toString(Qt::ISODate)},
                        {QStringLiteral("actor"), e.actor},
                        {QStringLiteral("address"), e.address},
                        {QStringLiteral("action"), e.action},
                        {QStringLiteral("detail"), e.detail}});
    return a;
}

} // namespace smartbot
