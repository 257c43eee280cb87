#include "core/token_ledger.h"

#include "smartbot/common/units.h"

namespace smartbot {

Result<void> TokenLedger::record(const TokenClaims &claims, const QString &issuer) const
{
    const qint64 now = clock_();
    if (auto r = storage_.exec(QStringLiteral("DELETE FROM issued_tokens WHERE expires_at <= ?"), {now}); !r)
        return r.failure();
    auto r = storage_.exec(QStringLiteral("INSERT INTO issued_tokens (jti, subject, scope, issued_at, expires_at, "
                                          "issuer) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (jti) DO UPDATE SET "
                                          "subject = excluded.subject, scope = excluded.scope, issued_at = "
                                          "excluded.issued_at, expires_at = excluded.expires_at, issuer = "
                                          "excluded.issuer"),
                           {claims.jti, claims.subject, claims.scope, claims.issuedAt, claims.expiresAt, issuer});
    if (!r)
        return r.failure();
    return {};
}

Result<QList<LedgerEntry>> TokenLedger::listValid() const
{
    auto q = storage_.exec(QStringLiteral("SELECT t.jti, t.subject, t.scope, t.issued_at, t.expires_at, t.issuer, "
                                          "r.jti IS NOT NULL FROM issued_tokens t LEFT JOIN revoked_tokens r ON "
                                          "r.jti = t.jti WHERE t.expires_at > ? ORDER BY t.issued_at DESC, t.jti"),
                           {clock_()});
    if (!q)
        return q.failure();
    QList<LedgerEntry> out;
    while (q->next())
        out.push_back({.jti = q->value(0).toString(),
                       .subject = q->value(1).toString(),
                       .scope = q->value(2).toString(),
                       .issuedAt = q->value(3).toLongLong(),
                       .expiresAt = q->value(4).toLongLong(),
                       .issuer = q->value(5).toString(),
                       .revoked = q->value(6).toBool()});
    return out;
}

Result<void> TokenLedger::revoke(const QString &jti, qint64 expiresAt) const
{
    const qint64 now = clock_();
    storage_.exec(QStringLiteral("DELETE FROM revoked_tokens WHERE expires_at < ?"), {now - kSecondsPerDay});
    auto r = storage_.exec(QStringLiteral("INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES (?, ?, ?) "
                                          "ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at, "
                                          "revoked_at = excluded.revoked_at"),
                           {jti, expiresAt, now});
    if (!r)
        return r.failure();
    return {};
}

Result<bool> TokenLedger::isRevoked(const QString &jti) const
{
    auto q = storage_.exec(QStringLiteral("SELECT 1 FROM revoked_tokens WHERE jti = ?"), {jti});
    if (!q)
        return q.failure();
    return q->next();
}

} // namespace smartbot
