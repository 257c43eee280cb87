// smartbotd token issue|rotate-secret|revoke: JWTs signed with the config folder's secret, the secret's rotation
// (the previous one is kept, 0400, and accepted until its tokens have expired), and jti revocation.
#include <QCoreApplication>
#include <QDateTime>
#include <cstdio>

#include "core/audit_log.h"
#include "core/token_ledger.h"
#include "core/jwt_key_source.h"
#include "core/secret_files.h"
#include "core/token_service.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"

namespace smartbot::daemon {

namespace {
int tokenIssue(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("user"), QStringLiteral("Subject of the token."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("expires"), QStringLiteral("Lifetime in seconds."), QStringLiteral("SECONDS")});
    auto ctx = openAdminContext(p, args);
    if (!ctx)
        return 1;
    const QString user = p.value(QStringLiteral("user")).trimmed();
    if (user.isEmpty() || user.size() > 256)
        return fail("--user NAME is required");
    bool ok = true;
    qint64 expires = qint64(ctx->config.tokenExpireHours) * 3600;
    if (p.isSet(QStringLiteral("expires")))
        expires = p.value(QStringLiteral("expires")).toLongLong(&ok);
    if (!ok || expires < 1 || expires > qint64(ctx->config.maxTokenHours) * 3600)
        return fail("--expires must be from 1 to " + std::to_string(qint64(ctx->config.maxTokenHours) * 3600) +
                    " seconds ([auth] max_token_hours)");
    if (auto s = loadOrCreateSecrets(ctx->config.dataDir, qgetenv("SMARTBOT_ADMIN_KEY")); !s)
        return fail(s.error());
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    auto source = openJwtKeySource(ctx->config, *ctx->storage, now);
    if (!source)
        return fail(source.error());
    auto ring = source.value()->load(now, retiredKeyAcceptSeconds(ctx->config));
    if (!ring)
        return fail(ring.error());
    TokenService tokens(ring->current);
    auto token = tokens.issue(user, expires);
    if (!token)
        return fail(token.error());
    if (auto recorded = TokenLedger(*ctx->storage).record(token->claims, cliActor()); !recorded)
        return fail(recorded.error());
    AuditLog(*ctx->storage)
        .record(cliActor(), QStringLiteral("local"), QStringLiteral("token.issue"),
                QStringLiteral("user %1, jti %2, %3 s").arg(user, token->claims.jti).arg(expires));
    std::printf("%s\n", token->token.constData());
    std::fprintf(stderr, "token for '%s', jti %s, expires in %lld s\n", qPrintable(user), qPrintable(token->claims.jti),
                 (long long)expires);
    return 0;
}

int tokenRotateSecret(const QStringList &args)
{
    QCommandLineParser p;
    auto ctx = openAdminContext(p, args);
    if (!ctx)
        return 1;
    if (auto s = loadOrCreateSecrets(ctx->config.dataDir, qgetenv("SMARTBOT_ADMIN_KEY")); !s)
        return fail(s.error());
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    auto source = openJwtKeySource(ctx->config, *ctx->storage, now);
    if (!source)
        return fail(source.error());
    auto kid = source.value()->rotate(now, retiredKeyAcceptSeconds(ctx->config));
    if (!kid)
        return fail(kid.error());
    AuditLog(*ctx->storage)
        .record(cliActor(), QStringLiteral("local"), QStringLiteral("token.rotate_secret"),
                QStringLiteral("new kid %1").arg(kid.value()));
    std::printf("new JWT signing key %s; tokens signed with the previous key are accepted until they expire "
                "(at most %d hours)\n",
                qPrintable(kid.value()), ctx->config.maxTokenHours);
    return 0;
}

int tokenRevoke(const QStringList &args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("jti"), QStringLiteral("The token's jti."));
    auto ctx = openAdminContext(p, args);
    if (!ctx)
        return 1;
    if (p.positionalArguments().size() != 1)
        return fail("usage: smartbotd token revoke JTI --config DIR");
    const QString jti = p.positionalArguments().first();
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    auto r = TokenLedger(*ctx->storage).revoke(jti, now + retiredKeyAcceptSeconds(ctx->config));
    if (!r)
        return fail(r.error());
    AuditLog(*ctx->storage)
        .record(cliActor(), QStringLiteral("local"), QStringLiteral("token.revoke"), QStringLiteral("jti ") + jti);
    std::printf("revoked token %s\n", qPrintable(jti));
    return 0;
}
} // namespace

int runToken(const QStringList &args)
{
    const QString sub = args.value(1);
    QStringList rest = args;
    if (rest.size() > 1)
        rest.removeAt(1);
    if (sub == QLatin1String("issue"))
        return tokenIssue(rest);
    if (sub == QLatin1String("rotate-secret"))
        return tokenRotateSecret(rest);
    if (sub == QLatin1String("revoke"))
        return tokenRevoke(rest);
    return fail("usage: smartbotd token issue|rotate-secret|revoke --config DIR ...");
}

} // namespace smartbot::daemon
