// Fuzzes JWT verification (server/core/token_service.h, libjwt underneath) with a fixed key and clock.
// The input is either
//   - a raw token (no '\n' in it): verify() must not crash, and whatever it accepts must satisfy the invariants; or
//   - "HEADER_JSON\nPAYLOAD_JSON[\nSUBJECT]": the two JSON texts are signed with the service's key (HS256) so that
//     the claim checks behind the signature are reached; then SUBJECT, when present, goes through issue() and the
//     token issued must verify with exactly that subject (or issue() must refuse it: empty, or holding a NUL).
// Invariants on every accepted token: a non-empty subject, not expired (with leeway); refused by a service with
// another key, and refused once its jti is revoked.
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>

#include "core/token_service.h"
#include "fuzz_check.h"

using namespace smartbot;

namespace {

constexpr qint64 kNow = 1700000000;
const QByteArray kKey = QByteArrayLiteral("fuzz-signing-key-0123456789abcdef0123456789abcdef");
const QByteArray kOtherKey = QByteArrayLiteral("another-key-0123456789abcdef0123456789abcdef0123");

QByteArray b64(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray sign(const QByteArray &header, const QByteArray &payload)
{
    const QByteArray signingInput = b64(header) + '.' + b64(payload);
    return signingInput + '.' + b64(QMessageAuthenticationCode::hash(signingInput, kKey, QCryptographicHash::Sha256));
}

void checkAccepted(const TokenService &tokens, const QByteArray &token, const TokenClaims &claims)
{
    const std::string shown = token.left(300).toStdString();
    FUZZ_CHECK(!claims.subject.isEmpty(), "accepted without a subject: " + shown);
    FUZZ_CHECK(claims.expiresAt > 0 && kNow <= claims.expiresAt + tokens.leeway(), "accepted expired: " + shown);

    TokenService other(kOtherKey, [] { return kNow; });
    FUZZ_CHECK(!other.verify(token).ok(), "accepted under another key: " + shown);

    TokenService revoking(kKey, [] { return kNow; });
    revoking.setRevocationCheck([](const QString &) { return Result<bool>(true); });
    FUZZ_CHECK(!revoking.verify(token).ok(), "accepted although revoked: " + shown);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray in(reinterpret_cast<const char *>(data), qsizetype(size));
    const TokenService tokens(kKey, [] { return kNow; });

    const QList<QByteArray> parts = in.split('\n');
    QByteArray token = in;
    if (parts.size() >= 2)
        token = sign(parts[0], parts[1]);
    if (auto r = tokens.verify(token); r.ok())
        checkAccepted(tokens, token, r.value());
    else
        FUZZ_CHECK(!r.error().empty(), "refused without a reason");

    if (parts.size() >= 3) {
        const QString subject = QString::fromUtf8(parts[2]);
        if (auto issued = tokens.issue(subject, 3600); issued.ok()) {
            auto back = tokens.verify(issued->token);
            FUZZ_CHECK(back.ok(), "an issued token does not verify: " + (back.ok() ? std::string() : back.error()));
            FUZZ_CHECK(back->subject == subject,
                       "issued for '" + subject.toStdString() + "' (" + std::to_string(subject.size()) +
                           " UTF-16 units) but verifies as '" + back->subject.toStdString() + "'");
            FUZZ_CHECK(back->scope == QLatin1String("chat") && back->jti == issued->claims.jti, "claims");
            checkAccepted(tokens, issued->token, back.value());
        } else {
            // The documented refusals: an empty subject, and a NUL (libjwt would cut the claim there).
            FUZZ_CHECK(subject.isEmpty() || subject.contains(QChar(0)),
                       "issue refused '" + subject.toStdString() + "': " + issued.error());
        }
    }
    return 0;
}
