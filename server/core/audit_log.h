// AuditLog: every admin action (who, from where, what, when), kept in Storage. Never holds a secret: actors are
// named by key name and visible prefix, or "admin key".
#pragma once

#include <QJsonArray>
#include <QString>

#include "core/clock.h"
#include "core/storage.h"

namespace smartbot {

struct AuditEntry {
    qint64 id = 0;
    qint64 at = 0;
    QString actor;
    QString address;
    QString action;
    QString detail;
};

class AuditLog {
public:
    explicit AuditLog(const Storage &storage, Clock clock = systemClock()) : storage_(storage), clock_(std::move(clock))
    {
    }

    void record(const QString &actor, const QString &address, const QString &action, const QString &detail = {}) const;
    // Newest first, at most limit entries.
    Result<QList<AuditEntry>> list(int limit = 100) const;
    static QJsonArray toJson(const QList<AuditEntry> &entries);

private:
    const Storage &storage_;
    Clock clock_;
};

} // namespace smartbot
