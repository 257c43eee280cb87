#include "core/token_service.h"

#include <jwt.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <cstdlib>
#include <memory>

#include "core/secret_files.h"

namespace smartbot {

namespace {
struct JwtDeleter {
    void operator()(jwt_t *j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

QString grant(jwt_t *j, const char *name)
{
    const char *v = jwt_get_grant(j, name);
    return v ? QString::fromUtf8(v) : QString();
}
} // namespace

TokenService::TokenService(QByteArray key, Clock clock) : clock_(std::move(clock))
{
    setKeys(std::move(key), {});
}

QString TokenService::keyId(const QByteArray &key)
{
    return QString::fromLatin1(sha256("kid:" + key).toHex().left(16));
}

void TokenService::setKeys(QByteArray current, QList<PreviousKey> previous)
{
    key_ = std::move(current);
    kid_ = keyId(key_);
    previous_ = std::move(previous);
}

Result<IssuedToken> TokenService::issue(const QString &subject, qint64 expiresIn, const QString &scope) const
{
    if (subject.isEmpty())
        return makeError("subject must not be empty");
    // libjwt keeps claims as C strings: a NUL would cut the subject, and the token would not verify (fuzz_jwt).
    if (subject.contains(QChar(0)))
        return makeError("subject must not contain NUL characters", ErrorCode::InvalidArgument);
    if (expiresIn <= 0)
        return makeError("expires_in must be positive");
    jwt_t *raw = nullptr;
    if (jwt_new(&raw) != 0)
        return makeError("out of memory creating a token");
    JwtPtr j(raw);
    const qint64 now = clock_();
    IssuedToken out;
    out.expiresIn = expiresIn;
    out.claims = {subject, scope, QString::fromLatin1(randomBytes(16).toHex()), now, now + expiresIn};
    int rc = jwt_add_grant(j.get(), "sub", subject.toUtf8().constData());
    rc |= jwt_add_grant(j.get(), "iss", kIssuer);
    rc |= jwt_add_grant(j.get(), "aud", kAudience);
    rc |= jwt_add_grant(j.get(), "scope", scope.toUtf8().constData());
    rc |= jwt_add_grant(j.get(), "jti", out.claims.jti.toLatin1().constData());
    rc |= jwt_add_grant_int(j.get(), "iat", long(now));
    rc |= jwt_add_grant_int(j.get(), "nbf", long(now));
    rc |= jwt_add_grant_int(j.get(), "exp", long(now + expiresIn));
    rc |= jwt_add_header(j.get(), "kid", kid_.toLatin1().constData());
    rc |= jwt_set_alg(j.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char *>(key_.constData()),
                      int(key_.size()));
    if (rc != 0)
        return makeError("cannot build token");
    char *encoded = jwt_encode_str(j.get());
    if (!encoded)
        return makeError("cannot sign token");
    out.token = QByteArray(encoded);
    std::free(encoded); // libjwt 1.10 allocates with malloc
    return out;
}

bool TokenService::knowsKeyId(const QString &kid) const
{
    if (kid == kid_)
        return true;
    for (const auto &p : previous_)
        if (keyId(p.key) == kid)
            return true;
    return false;
}

QString TokenService::keyIdOf(const QByteArray &token)
{
    const qsizetype dot = token.indexOf('.');
    if (dot <= 0 || dot > 1024)
        return {};
    const QByteArray headerJson = QByteArray::fromBase64(token.left(dot), QByteArray::Base64UrlEncoding);
    return QJsonDocument::fromJson(headerJson).object().value(QStringLiteral("kid")).toString();
}

Result<TokenClaims> TokenService::verify(const QByteArray &token) const
{
    if (token.isEmpty())
        return makeError("missing token");
    if (token.size() > 8192 || token.count('.') != 2)
        return makeError("malformed token");
    // The header must say HS256, exactly, before we let the library near it (no "none", no algorithm confusion).
    const QByteArray headerJson = QByteArray::fromBase64(token.left(token.indexOf('.')), QByteArray::Base64UrlEncoding);
    const QJsonObject header = QJsonDocument::fromJson(headerJson).object();
    if (header.value(QStringLiteral("alg")).toString() != QLatin1String("HS256"))
        return makeError("token algorithm must be HS256");
    const qint64 now = clock_();
    QByteArray key = key_;
    const QJsonValue kid = header.value(QStringLiteral("kid"));
    if (!kid.isUndefined() && kid.toString() != kid_) {
        key.clear();
        for (const auto &p : previous_) {
            if (keyId(p.key) != kid.toString())
                continue;
            if (now > p.acceptUntil)
                return makeError("token was signed with a retired key");
            key = p.key;
        }
        if (key.isEmpty())
            return makeError("token signed with an unknown key");
    }
    jwt_t *raw = nullptr;
    if (jwt_decode(&raw, token.constData(), reinterpret_cast<const unsigned char *>(key.constData()),
                   int(key.size())) != 0 ||
        !raw)
        return makeError("invalid token signature");
    JwtPtr j(raw);
    if (jwt_get_alg(j.get()) != JWT_ALG_HS256)
        return makeError("token algorithm must be HS256");
    TokenClaims c;
    c.subject = grant(j.get(), "sub");
    c.scope = grant(j.get(), "scope");
    c.jti = grant(j.get(), "jti");
    c.issuedAt = jwt_get_grant_int(j.get(), "iat");
    c.expiresAt = jwt_get_grant_int(j.get(), "exp");
    const qint64 nbf = jwt_get_grant_int(j.get(), "nbf");
    if (grant(j.get(), "iss") != QLatin1String(kIssuer))
        return makeError("token issuer is not smartbot");
    if (c.subject.isEmpty())
        return makeError("token has no subject");
    if (c.expiresAt <= 0 || now > c.expiresAt + leeway_)
        return makeError("token expired");
    if (nbf > now + leeway_)
        return makeError("token not valid yet");
    if (grant(j.get(), "aud") != QLatin1String(kAudience))
        return makeError("token audience is not smartbot");
    if (isRevoked_ && c.jti.isEmpty())
        return makeError("token has no jti");
    if (isRevoked_) {
        auto revoked = isRevoked_(c.jti);
        if (!revoked)
            // Not the token's fault: the server cannot tell (an outage, or a database error) -> 503.
            return makeError("cannot check whether the token was revoked: " + revoked.error(),
                             revoked.code() == ErrorCode::Busy ? ErrorCode::Busy : ErrorCode::Unavailable);
        if (revoked.value())
            return makeError("token has been revoked");
    }
    return c;
}

} // namespace smartbot
