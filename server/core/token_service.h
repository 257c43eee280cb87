// TokenService: issues and verifies HS256 JWTs (libjwt). The algorithm is pinned to HS256.
#pragma once

#include <QByteArray>
#include <QString>

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
    static constexpr qint64 kLeewaySeconds = 30;
    static constexpr const char *kIssuer = "smartbot";

    TokenService(QByteArray key, Clock clock = systemClock());

    Result<IssuedToken> issue(const QString &subject, qint64 expiresInSeconds, const QString &scope = QStringLiteral("chat")) const;
    // Verifies signature (HS256 only), iss, nbf and exp (with leeway). The error says why, for 401 bodies.
    Result<TokenClaims> verify(const QByteArray &token) const;

private:
    QByteArray key_;
    Clock clock_;
};

} // namespace smartbot
