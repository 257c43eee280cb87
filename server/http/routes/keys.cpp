// Admin routes for the security model (admin credential in X-API-Key; every action is audited):
//   POST   /admin/keys         {"name", "scope"?, "expires_days"?, "allow"?, "requests_per_minute"?,
//   "tokens_per_minute"?} GET    /admin/keys DELETE /admin/keys?id=ID|PREFIX      (or {"id"} body) POST
//   /admin/keys/rotate  {"id"} POST   /admin/token/revoke {"jti", "expires_at"?} GET    /admin/audit?limit=N GET
//   /admin/usage
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

#include "http/auth/authenticator.h"
#include "http/protocol/request_helpers.h"
#include "smartbot/common/units.h"

namespace smartbot::http {

namespace {

// 201 with the key's record and, this once, the key itself.
void writeCreatedKey(QHttpServerResponder &responder, const CreatedKey &created)
{
    QJsonObject out = ApiKeyStore::toJson(created.info);
    out.insert(QStringLiteral("key"), QString::fromLatin1(created.key));
    writeJson(responder, 201, out);
}
using Method = QHttpServerRequest::Method;

// The admin check shared by every route here; nullptr (the error already written) when it fails.
Authenticator *admit(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                     Principal &who)
{
    if (auto e = ctx.auth->authenticateAdmin(request, who)) {
        writeError(responder, *e);
        return nullptr;
    }
    return ctx.auth;
}

// admit(), then the request's JSON object body; answers the error and returns null when either fails.
Authenticator *admitJson(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                         Principal &who, QJsonObject &body)
{
    Authenticator *auth = admit(ctx, request, responder, who);
    if (!auth)
        return nullptr;
    if (auto e = jsonBody(request, body)) {
        writeError(responder, *e);
        return nullptr;
    }
    return auth;
}

constexpr qsizetype kMaxKeyRefChars = 64; // ids are numbers, prefixes 11 characters

// The key a revoke or rotate names (?id=, percent-decoded, or a JSON body's "id"), after admit(); answers the error
// (400, 415) and returns null when it names none.
Authenticator *admitKeyRef(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                           Principal &who, QString &ref)
{
    Authenticator *auth = admit(ctx, request, responder, who);
    if (!auth)
        return nullptr;
    ref = QUrlQuery(request.url()).queryItemValue(QStringLiteral("id"), QUrl::FullyDecoded);
    if (ref.isEmpty() && !request.body().isEmpty()) { // {"id": ...}: a JSON body like every other admin route
        QJsonObject body;
        if (auto e = jsonBody(request, body)) {
            writeError(responder, *e);
            return nullptr;
        }
        const QJsonValue v = body.value(QStringLiteral("id"));
        ref = v.isDouble() ? QString::number(v.toInteger()) : v.toString();
    }
    if (ref.size() > kMaxKeyRefChars) {
        writeError(
            responder,
            badRequest(QStringLiteral("'id' must be a key id or prefix of at most %1 characters").arg(kMaxKeyRefChars),
                       QStringLiteral("invalid_request"), QStringLiteral("id")));
        return nullptr;
    }
    if (ref.isEmpty()) {
        writeError(responder, badRequest(QStringLiteral("say which key: ?id=ID or PREFIX, or {\"id\": ID or PREFIX}"),
                                         QStringLiteral("invalid_request"), QStringLiteral("id")));
        return nullptr;
    }
    return auth;
}

ApiError notFoundOr400(const Error &error)
{
    const QString message = QString::fromStdString(error.message);
    if (error.code == ErrorCode::NotFound)
        return {404, QStringLiteral("key_not_found"), message};
    if (error.code == ErrorCode::InvalidArgument)
        return badRequest(message);
    return storageFailure(error, serverError(error));
}

void createKey(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    QJsonObject body;
    Authenticator *auth = admitJson(ctx, request, responder, who, body);
    if (!auth)
        return;
    NewKeyOptions o;
    o.name = body.value(QStringLiteral("name")).toString();
    o.scope = body.value(QStringLiteral("scope")).toString(QStringLiteral("chat"));
    const QJsonValue allow = body.value(QStringLiteral("allow"));
    if (allow.isArray()) {
        QStringList parts;
        for (const auto &v : allow.toArray())
            parts << v.toString();
        o.allow = parts.join(',');
    } else {
        o.allow = allow.toString();
    }
    double days = 0, rpm = -1, tpm = -1;
    for (auto e : {number(body, QStringLiteral("expires_days"), 0, 3650, true, days),
                   number(body, QStringLiteral("requests_per_minute"), 0, 1e6, true, rpm),
                   number(body, QStringLiteral("tokens_per_minute"), 0, 1e9, true, tpm)})
        if (e)
            return writeError(responder, *e);
    o.expiresDays = int(days);
    o.requestsPerMinute = int(rpm);
    o.tokensPerMinute = int(tpm);
    auto created = auth->keys().create(o);
    if (!created)
        return writeError(responder, notFoundOr400(created.failure()));
    auth->audit(who, request, QStringLiteral("key.create"),
                QStringLiteral("%1 (%2) scope %3").arg(created->info.name, created->info.prefix, created->info.scope));
    writeCreatedKey(responder, created.value());
}

void listKeys(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    Authenticator *auth = admit(ctx, request, responder, who);
    if (!auth)
        return;
    auto keys = auth->keys().list();
    if (!keys)
        return writeError(responder, storageFailure(keys.failure(), serverError(keys.failure())));
    QJsonArray a;
    for (const auto &k : keys.value())
        a.push_back(ApiKeyStore::toJson(k));
    auth->audit(who, request, QStringLiteral("key.list"));
    writeJson(responder, 200, {{QStringLiteral("keys"), a}});
}

void revokeKey(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    QString ref;
    Authenticator *auth = admitKeyRef(ctx, request, responder, who, ref);
    if (!auth)
        return;
    auto k = auth->keys().revoke(ref);
    if (!k)
        return writeError(responder, notFoundOr400(k.failure()));
    auth->audit(who, request, QStringLiteral("key.revoke"), QStringLiteral("%1 (%2)").arg(k->name, k->prefix));
    writeJson(responder, 200, ApiKeyStore::toJson(k.value()));
}

void rotateKey(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    QString ref;
    Authenticator *auth = admitKeyRef(ctx, request, responder, who, ref);
    if (!auth)
        return;
    auto created = auth->keys().rotate(ref, ctx.config->keyRotationGraceHours);
    if (!created)
        return writeError(responder, notFoundOr400(created.failure()));
    auth->audit(
        who, request, QStringLiteral("key.rotate"),
        QStringLiteral("%1 -> %2 (grace %3 h)").arg(ref, created->info.prefix).arg(ctx.config->keyRotationGraceHours));
    writeCreatedKey(responder, created.value());
}

void revokeToken(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    QJsonObject body;
    Authenticator *auth = admitJson(ctx, request, responder, who, body);
    if (!auth)
        return;
    const QString jti = body.value(QStringLiteral("jti")).toString();
    if (jti.isEmpty() || jti.size() > 128)
        return writeError(responder, badRequest(QStringLiteral("field 'jti' must be a non-empty string"),
                                                QStringLiteral("invalid_request"), QStringLiteral("jti")));
    // Kept until no token with this jti could still be valid.
    double expiresAt = double(QDateTime::currentSecsSinceEpoch() + qint64(ctx.config->maxTokenHours) * kSecondsPerHour +
                              ctx.config->leewaySeconds);
    if (auto e = number(body, QStringLiteral("expires_at"), 0, 1e12, true, expiresAt))
        return writeError(responder, *e);
    if (auto r = auth->revokeJti(jti, qint64(expiresAt)); !r)
        return writeError(responder, storageFailure(r.failure(), serverError(r.failure())));
    auth->audit(who, request, QStringLiteral("token.revoke"), QStringLiteral("jti ") + jti);
    writeJson(responder, 200, {{QStringLiteral("revoked"), jti}});
}

void listAudit(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    Authenticator *auth = admit(ctx, request, responder, who);
    if (!auth)
        return;
    bool ok = false;
    int limit = QUrlQuery(request.url()).queryItemValue(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit <= 0 || limit > 10000)
        limit = 100;
    auth->audit(who, request, QStringLiteral("audit.list"));
    auto entries = auth->auditLog().list(limit);
    if (!entries)
        return writeError(responder, storageFailure(entries.failure(), serverError(entries.failure())));
    writeJson(responder, 200, {{QStringLiteral("entries"), AuditLog::toJson(entries.value())}});
}

void listUsage(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    Authenticator *auth = admit(ctx, request, responder, who);
    if (!auth)
        return;
    auto rows = auth->usage().list();
    if (!rows)
        return writeError(responder, storageFailure(rows.failure(), serverError(rows.failure())));
    auth->audit(who, request, QStringLiteral("usage.list"));
    writeJson(responder, 200, {{QStringLiteral("usage"), UsageStore::toJson(rows.value())}});
}

template <auto F> ApiServer::Handler handler(const RouteContext &ctx)
{
    return [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { F(ctx, req, r); };
}
} // namespace

void installKeyRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/admin/keys"), handler<createKey>(ctx));
    server.route(Method::Get, QStringLiteral("/admin/keys"), handler<listKeys>(ctx));
    server.route(Method::Delete, QStringLiteral("/admin/keys"), handler<revokeKey>(ctx));
    server.route(Method::Post, QStringLiteral("/admin/keys/rotate"), handler<rotateKey>(ctx));
    server.route(Method::Post, QStringLiteral("/admin/token/revoke"), handler<revokeToken>(ctx));
    server.route(Method::Get, QStringLiteral("/admin/audit"), handler<listAudit>(ctx));
    server.route(Method::Get, QStringLiteral("/admin/usage"), handler<listUsage>(ctx));
}

} // namespace smartbot::http
