// TokenLedger: the JWTs this service issued (jti, subject, scope, issued, expires, who issued them), so that an
// operator can see which tokens are still valid and revoke one (the desktop app's Tokens panel). Never the token
// itself: a token is a bearer credential, and its jti is enough to revoke it. Rows are dropped once expired.
// Recorded by every issuer: POST /admin/token, `smartbotd token issue`, the app.
#pragma once

#include <QList>
#include <QString>

#include "core/clock.h"
#include "core/storage.h"
#include "core/token_service.h"

namespace smartbot {

struct LedgerEntry {
    QString jti;
    QString subject;
    QString scope;
    qint64 issuedAt = 0;
    qint64 expiresAt = 0;
    QString issuer; // the audit actor that issued it: "admin key", "cli (alice)", "gui (alice)"
    bool revoked = false;
};

class TokenLedger {
public:
    explicit TokenLedger(const Storage &storage, Clock clock = systemClock())
        : storage_(storage), clock_(std::move(clock))
    {
    }

    // Records an issued token's claims (and drops expired rows).
    Result<void> record(const TokenClaims &claims, const QString &issuer) const;
    // Tokens not yet expired, newest first; `revoked` from the revocation list.
    Result<QList<LedgerEntry>> listValid() const;
    // Puts jti on the revocation list until expiresAt (and drops entries a day past their expiry: no clock skew can
    // make those tokens valid again). Every issuer's revocation goes through here (the API, the CLI, the app).
    Result<void> revoke(const QString &jti, qint64 expiresAt) const;
    // Whether jti is on the revocation list; an error when the database cannot say.
    Result<bool> isRevoked(const QString &jti) const;

private:
    const Storage &storage_;
    Clock clock_;
};

} // namespace smartbot
