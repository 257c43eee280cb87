// TokenService: issues and verifies HS256 JWTs (libjwt). The algorithm is pinned to HS256.
// Claims: sub, iat, nbf, exp, jti, scope, iss ("smartbot"), aud ("smartbot"); the header names the signing key
// (kid). Previous signing keys (after a secret rotation) are accepted until their own deadline; revoked jtis are
// refused through an injectable check (persisted by the server in Storage).
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <functional>

#include "core/clock.h"
#include "core/server_config.h"

namespace smartbot {

struct TokenClaims {
    QString subject;
    QString scope;
    QString jti;
    qint64 issuedAt = 0;
    qint64 expiresAt = 0;
};

struct IssuedToken {
    QByteArray token;
    qint64 expiresIn = 0;
    TokenClaims claims;
};

class TokenService {
public:
    static constexpr qint64 kLeewaySeconds = 30; // default of [auth] leeway_seconds
    static constexpr const char *kIssuer = "smartbot";
    static constexpr const char *kAudience = "smartbot";
    // Longest subject (username) the issuers accept: it is kept in the audit log, the usage ledger, the token ledger.
    static constexpr qsizetype kMaxSubjectChars = 256;

    TokenService(QByteArray key, Clock clock = systemClock());

    // The signing key's id: a hash prefix that says nothing about the key.
    static QString keyId(const QByteArray &key);

    void setLeeway(qint64 seconds) { leeway_ = seconds; }
    qint64 leeway() const { return leeway_; }
    // Replaces the signing key and the previous keys (each accepted until acceptUntil, epoch seconds).
    struct PreviousKey {
        QByteArray key;
        qint64 acceptUntil = 0;
    };
    void setKeys(QByteArray current, QList<PreviousKey> previous);
    QString currentKeyId() const { return keyId(key_); } // the kid new tokens carry
    // Whether kid is the current key's or a previous key's (accepted or not any more).
    bool knowsKeyId(const QString &kid) const;
    // The kid in a token's header; empty when it has none or is not a JWT.
    static QString keyIdOf(const QByteArray &token);
    // Whether a jti has been revoked; an error (the database is down) fails verify() with the error's code.
    void setRevocationCheck(std::function<Result<bool>(const QString &jti)> isRevoked)
    {
        isRevoked_ = std::move(isRevoked);
    }

    Result<IssuedToken> issue(const QString &subject, qint64 expiresInSeconds,
                              const QString &scope = QStringLiteral("chat")) const;
    // Verifies header (alg HS256 exactly, kid), signature, iss, aud, sub, nbf and exp (with leeway), revocation.
    // The error says why, for 401 bodies.
    Result<TokenClaims> verify(const QByteArray &token) const;

private:
    QByteArray key_;
    QString kid_;
    QList<PreviousKey> previous_;
    Clock clock_;
    qint64 leeway_ = kLeewaySeconds;
    std::function<Result<bool>(const QString &)> isRevoked_;
};

} // namespace smartbot
