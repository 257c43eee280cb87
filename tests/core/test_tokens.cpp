// JWT issue/verify with an injected clock: expiry, leeway, tampering, alg confusion.
#include <QtTest>

#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>

#include "core/token_service.h"

using namespace smartbot;

namespace {
QByteArray b64(const QByteArray &b)
{
    return b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray sign(const QByteArray &header, const QByteArray &payload, const QByteArray &key)
{
    const QByteArray input = b64(header) + '.' + b64(payload);
    return input + '.' + b64(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256));
}
} // namespace

class TestTokens : public QObject {
    Q_OBJECT
    const QByteArray key = QByteArray(32, 'k');
    qint64 now = 1'700'000'000;
    Clock clock = [this] { return now; };

private Q_SLOTS:
    void issueAndVerify()
    {
        TokenService t(key, clock);
        auto tok = t.issue(QStringLiteral("alice"), 3600);
        QVERIFY(tok.ok());
        QCOMPARE(tok->expiresIn, qint64(3600));
        const QList<QByteArray> parts = tok->token.split('.');
        QCOMPARE(parts.size(), 3);
        const auto header =
            QJsonDocument::fromJson(QByteArray::fromBase64(parts[0], QByteArray::Base64UrlEncoding)).object();
        QCOMPARE(header.value("alg").toString(), QStringLiteral("HS256"));
        const auto payload =
            QJsonDocument::fromJson(QByteArray::fromBase64(parts[1], QByteArray::Base64UrlEncoding)).object();
        QCOMPARE(payload.value("sub").toString(), QStringLiteral("alice"));
        QCOMPARE(qint64(payload.value("exp").toDouble()), now + 3600);
        QCOMPARE(qint64(payload.value("iat").toDouble()), now);
        QVERIFY(!payload.value("jti").toString().isEmpty());
        auto c = t.verify(tok->token);
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().c_str());
        QCOMPARE(c->subject, QStringLiteral("alice"));
        QCOMPARE(c->scope, QStringLiteral("chat"));
    }

    void expiry()
    {
        TokenService t(key, clock);
        auto tok = t.issue(QStringLiteral("bob"), 60);
        QVERIFY(tok.ok());
        now += 60 + TokenService::kLeewaySeconds; // still inside the leeway
        QVERIFY(t.verify(tok->token).ok());
        now += 1;
        auto r = t.verify(tok->token);
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error()).contains("expired"));
    }

    void notYetValid()
    {
        TokenService t(key, clock);
        const QByteArray future =
            sign(R"({"alg":"HS256","typ":"JWT"})",
                 QByteArray(R"({"sub":"x","iss":"smartbot","aud":"smartbot","nbf":)") + QByteArray::number(now + 3600) +
                     R"(,"exp":)" + QByteArray::number(now + 7200) + "}",
                 key);
        auto r = t.verify(future);
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains("not valid yet"), r.error().c_str());
    }

    void rejectsForgeries()
    {
        TokenService t(key, clock);
        auto tok = t.issue(QStringLiteral("carol"), 3600);
        QVERIFY(tok.ok());
        const QList<QByteArray> p = tok->token.split('.');
        const QByteArray payload = QByteArray::fromBase64(p[1], QByteArray::Base64UrlEncoding);

        // Tampered payload (admin instead of carol), signature kept.
        QByteArray evil = payload;
        evil.replace("carol", "admin");
        QVERIFY(!t.verify(p[0] + '.' + b64(evil) + '.' + p[2]).ok());
        // Tampered signature.
        QByteArray sig = p[2];
        sig[2] = sig[2] == 'A' ? 'B' : 'A';
        QVERIFY(!t.verify(p[0] + '.' + p[1] + '.' + sig).ok());
        // alg none, unsigned.
        QVERIFY(!t.verify(b64(R"({"alg":"none","typ":"JWT"})") + '.' + p[1] + '.').ok());
        // alg HS512 signed with the right key: still refused (algorithm pinned).
        const QByteArray in512 = b64(R"({"alg":"HS512","typ":"JWT"})") + '.' + p[1];
        QVERIFY(!t.verify(in512 + '.' + b64(QMessageAuthenticationCode::hash(in512, key, QCryptographicHash::Sha512)))
                     .ok());
        // Signed with another key.
        TokenService other(QByteArray(32, 'x'), clock);
        QVERIFY(!t.verify(other.issue(QStringLiteral("carol"), 60)->token).ok());
        // Wrong issuer, correctly signed.
        QVERIFY(!t.verify(sign(R"({"alg":"HS256"})", R"({"sub":"x","iss":"evil","exp":9999999999})", key)).ok());
        // Garbage.
        QVERIFY(!t.verify("not-a-token").ok());
        QVERIFY(!t.verify("").ok());
        QVERIFY(!t.verify("a.b.c").ok());
    }

    void claimsAndKid()
    {
        TokenService t(key, clock);
        auto tok = t.issue(QStringLiteral("dave"), 600);
        QVERIFY(tok.ok());
        const QList<QByteArray> parts = tok->token.split('.');
        const auto header =
            QJsonDocument::fromJson(QByteArray::fromBase64(parts[0], QByteArray::Base64UrlEncoding)).object();
        QCOMPARE(header.value("kid").toString(), TokenService::keyId(key));
        const auto payload =
            QJsonDocument::fromJson(QByteArray::fromBase64(parts[1], QByteArray::Base64UrlEncoding)).object();
        for (const char *claim : {"sub", "iat", "nbf", "exp", "jti", "scope", "iss", "aud"})
            QVERIFY2(payload.contains(claim), claim);
        QCOMPARE(payload.value("aud").toString(), QStringLiteral("smartbot"));
    }

    void wrongAudienceAndAlgorithms()
    {
        TokenService t(key, clock);
        const QByteArray exp = QByteArray::number(now + 600);
        const QByteArray good = R"({"sub":"x","iss":"smartbot","aud":"smartbot","jti":"j1","exp":)" + exp + "}";
        QVERIFY(t.verify(sign(R"({"alg":"HS256"})", good, key)).ok());
        auto r = t.verify(
            sign(R"({"alg":"HS256"})", R"({"sub":"x","iss":"smartbot","aud":"other","exp":)" + exp + "}", key));
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains("audience"), r.error().c_str());
        QVERIFY(!t.verify(sign(R"({"alg":"HS256"})", R"({"sub":"x","iss":"smartbot","exp":)" + exp + "}", key)).ok());
        // RS256 / hs256 / an alg list with HS256 inside: refused before any signature check.
        for (const QByteArray &h : {QByteArray(R"({"alg":"RS256"})"), QByteArray(R"({"alg":"hs256"})"),
                                    QByteArray(R"({"alg":"none","x":"HS256"})"), QByteArray(R"({"alg":["HS256"]})")}) {
            auto rr = t.verify(sign(h, good, key));
            QVERIFY2(!rr.ok(), h.constData());
            QVERIFY(QString::fromStdString(rr.error()).contains("HS256"));
        }
    }

    void configurableLeeway()
    {
        TokenService t(key, clock);
        t.setLeeway(0);
        auto tok = t.issue(QStringLiteral("erin"), 10);
        now += 10;
        QVERIFY(t.verify(tok->token).ok());
        now += 1;
        QVERIFY(!t.verify(tok->token).ok());
    }

    void revocation()
    {
        TokenService t(key, clock);
        QSet<QString> revoked;
        t.setRevocationCheck([&revoked](const QString &jti) { return Result<bool>(revoked.contains(jti)); });
        auto tok = t.issue(QStringLiteral("frank"), 600);
        QVERIFY(t.verify(tok->token).ok());
        revoked.insert(tok->claims.jti);
        auto r = t.verify(tok->token);
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error()).contains("revoked"));
    }

    void secretRotation()
    {
        const QByteArray newKey(32, 'n');
        TokenService old(key, clock);
        auto tok = old.issue(QStringLiteral("gina"), 3600);
        TokenService t(newKey, clock);
        // Not known at all: refused.
        QVERIFY(!t.verify(tok->token).ok());
        // Retired key accepted until its deadline, then refused.
        t.setKeys(newKey, {{key, now + 7200}});
        QVERIFY(t.verify(tok->token).ok());
        QVERIFY(t.verify(t.issue(QStringLiteral("gina"), 60)->token).ok());
        now += 7201;
        auto r = t.verify(tok->token);
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains("retired"), r.error().c_str());
        // A kid naming the current key cannot smuggle in a token signed with a retired one.
        const QList<QByteArray> p = tok->token.split('.');
        const QByteArray forged =
            b64(QByteArray(R"({"alg":"HS256","kid":")") + TokenService::keyId(newKey).toLatin1() + "\"}");
        QVERIFY(!t.verify(forged + '.' + p[1] + '.' + p[2]).ok());
    }

    void issueValidation()
    {
        TokenService t(key, clock);
        QVERIFY(!t.issue(QString(), 60).ok());
        QVERIFY(!t.issue(QStringLiteral("x"), 0).ok());
        // A NUL would cut the subject inside libjwt and the token would not verify (found by fuzz_jwt).
        const auto nul = t.issue(QString(QChar(0)), 60);
        QVERIFY(!nul.ok());
        QCOMPARE(nul.code(), smartbot::ErrorCode::InvalidArgument);
        // Any other subject issued verifies as itself.
        const QString odd = QString::fromUtf16(u"a\nb\u2028\U0001F600");
        auto issued = t.issue(odd, 60);
        QVERIFY(issued.ok());
        auto back = t.verify(issued->token);
        QVERIFY(back.ok());
        QCOMPARE(back->subject, odd);
    }
};

QTEST_APPLESS_MAIN(TestTokens)
#include "test_tokens.moc"
