// Admin routes: POST /admin/token, POST /admin/drain.
#include "http/server/routes.h"

#include "http/routes/admin_request.h"

#include "http/protocol/request_helpers.h"
#include "smartbot/common/units.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

constexpr qsizetype kMaxUsernameChars = TokenService::kMaxSubjectChars;

void handleToken(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    QJsonObject body;
    if (!admitAdmin(ctx, request, responder, who, &body))
        return;
    const QJsonValue user = body.value(QStringLiteral("username"));
    if (!user.isString() || user.toString().trimmed().isEmpty())
        return writeError(responder, badRequest(QStringLiteral("field 'username' must be a non-empty string"),
                                                QStringLiteral("invalid_request"), QStringLiteral("username")));
    if (user.toString().size() > kMaxUsernameChars)
        return writeError(responder, badRequest(QStringLiteral("field 'username' must be at most %1 characters (it has "
                                                               "%2)")
                                                    .arg(kMaxUsernameChars)
                                                    .arg(user.toString().size()),
                                                QStringLiteral("invalid_request"), QStringLiteral("username")));
    const double maxSeconds = double(ctx.config->maxTokenHours * kSecondsPerHour);
    double expiresIn = double(ctx.config->tokenExpireHours * kSecondsPerHour);
    if (auto e = number(body, QStringLiteral("expires_in"), 1, maxSeconds, true, expiresIn))
        return writeError(responder, *e);
    auto token = ctx.tokens->issue(user.toString(), qint64(expiresIn));
    if (!token)
        return writeError(responder, badRequest(QString::fromStdString(token.error())));
    qInfo("issued a token for '%s' (jti %s, expires in %lld s) to %s", qPrintable(user.toString()),
          qPrintable(token->claims.jti), qint64(expiresIn), qPrintable(request.remoteAddress().toString()));
    if (auto recorded = ctx.auth->tokenLedger().record(token->claims, who.actor); !recorded)
        qWarning("token ledger: %s", recorded.error().c_str()); // the token stands; only the listing misses it
    ctx.auth->audit(
        who, request, QStringLiteral("token.issue"),
        QStringLiteral("user %1, jti %2, %3 s").arg(user.toString(), token->claims.jti).arg(qint64(expiresIn)));
    writeJson(responder, 200,
              {{QStringLiteral("token"), QString::fromLatin1(token->token)},
               {QStringLiteral("jti"), token->claims.jti},
               {QStringLiteral("token_type"), QStringLiteral("Bearer")},
               {QStringLiteral("expires_in"), qint64(expiresIn)}});
}
// Starts a graceful drain (see drain_state.h): the server finishes what it has accepted, then exits.
void handleDrain(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (!admitAdmin(ctx, request, responder, who))
        return;
    ctx.auth->audit(who, request, QStringLiteral("drain"));
    if (!ctx.draining || !ctx.draining->begin)
        return writeError(responder, {503, QStringLiteral("unavailable"), QStringLiteral("draining is not available")});
    const bool already = ctx.draining->isDraining();
    if (!already)
        qInfo("drain requested by %s", qPrintable(request.remoteAddress().toString()));
    ctx.draining->begin();
    writeJson(responder, 202,
              {{QStringLiteral("status"), QStringLiteral("draining")},
               {QStringLiteral("already_draining"), already},
               {QStringLiteral("drain_timeout_s"), ctx.config->drainTimeoutS}});
}
} // namespace

void installAdminRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(
        Method::Post, QStringLiteral("/admin/token"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleToken(ctx, req, r); });
    server.route(
        Method::Post, QStringLiteral("/admin/drain"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleDrain(ctx, req, r); });
}

} // namespace smartbot::http
