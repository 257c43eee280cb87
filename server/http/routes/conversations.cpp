// The conversations of /api/v1/chat (service/conversation_store.h), for their owner (chat credentials: the token's
// user or the API key that started them; anyone else's id is 404):
//   GET    /api/v1/conversations?limit=N   (newest first; N 1..1000, default 50)
//   GET    /api/v1/conversations/{id}      (every turn, oldest first)
//   DELETE /api/v1/conversations/{id}
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QUrl>
#include <QUrlQuery>

#include "http/protocol/api_error.h"
#include "http/protocol/request_helpers.h"
#include "http/routes/chat_dispatch.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;
using Store = service::ConversationStore;

QJsonValue isoTime(qint64 t)
{
    return QDateTime::fromSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODate);
}

QJsonObject summaryJson(const Store::Summary &s)
{
    return {{QStringLiteral("id"), s.id},
            {QStringLiteral("object"), QStringLiteral("conversation")},
            {QStringLiteral("model"), s.model},
            {QStringLiteral("created_at"), isoTime(s.createdAt)},
            {QStringLiteral("updated_at"), isoTime(s.updatedAt)},
            {QStringLiteral("turns"), s.turns}};
}

// The caller, as the owner of conversations; false when it has answered.
bool admitOwner(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                QString &owner)
{
    Principal who;
    if (auto e = ctx.auth->authenticateChat(request, who)) {
        writeError(responder, *e);
        return false;
    }
    owner = conversationOwner(who);
    return true;
}

QString idFromPath(const QHttpServerRequest &request)
{
    return request.url().path().section(QLatin1Char('/'), 4, 4);
}

void listConversations(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    QString owner;
    if (!admitOwner(ctx, request, responder, owner))
        return;
    int limit = 50;
    if (const QString text = QUrlQuery(request.url()).queryItemValue(QStringLiteral("limit")); !text.isEmpty()) {
        bool ok = false;
        limit = text.toInt(&ok);
        if (!ok || limit < 1 || limit > 1000)
            return writeError(responder, badRequest(QStringLiteral("limit must be an integer from 1 to 1000"),
                                                    QStringLiteral("invalid_request"), QStringLiteral("limit")));
    }
    auto rows = ctx.conversations->list(owner, limit);
    if (!rows)
        return writeError(responder, conversationError(rows.failure(), {}));
    QJsonArray data;
    for (const auto &s : rows.value())
        data.append(summaryJson(s));
    writeJson(responder, 200, {{QStringLiteral("object"), QStringLiteral("list")}, {QStringLiteral("data"), data}});
}

void getConversation(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    QString owner;
    if (!admitOwner(ctx, request, responder, owner))
        return;
    const QString id = idFromPath(request);
    auto found = ctx.conversations->find(id, owner);
    if (!found)
        return writeError(responder, conversationError(found.failure(), id));
    QJsonObject out = summaryJson(found->first);
    QJsonArray messages;
    for (const auto &t : found->second) {
        messages.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                    {QStringLiteral("content"), t.user},
                                    {QStringLiteral("created_at"), isoTime(t.at)}});
        messages.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("assistant")},
                                    {QStringLiteral("content"), t.assistant},
                                    {QStringLiteral("created_at"), isoTime(t.at)}});
    }
    out.insert(QStringLiteral("messages"), messages);
    writeJson(responder, 200, out);
}

void deleteConversation(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    QString owner;
    if (!admitOwner(ctx, request, responder, owner))
        return;
    const QString id = idFromPath(request);
    if (auto r = ctx.conversations->remove(id, owner); !r)
        return writeError(responder, conversationError(r.failure(), id));
    writeJson(responder, 200,
              {{QStringLiteral("id"), id},
               {QStringLiteral("object"), QStringLiteral("conversation.deleted")},
               {QStringLiteral("deleted"), true}});
}

template <void (*Handler)(const RouteContext &, const QHttpServerRequest &, QHttpServerResponder &)>
auto handler(const RouteContext &ctx)
{
    return [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { Handler(ctx, req, r); };
}
} // namespace

QString conversationOwner(const Principal &who)
{
    // The whole subject ("user:<name>" or "key:<prefix>"): a user named "key:sb_..." is not that key.
    return who.subject;
}

ApiError conversationError(const Error &e, const QString &id)
{
    if (e.code == ErrorCode::NotFound)
        return {404, QStringLiteral("conversation_not_found"),
                QStringLiteral("conversation '%1' does not exist or has expired").arg(forMessage(id))};
    return storageFailure(e, serverError(e));
}

void installConversationRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Get, QStringLiteral("/api/v1/conversations"), handler<listConversations>(ctx));
    server.route(Method::Get, QStringLiteral("/api/v1/conversations/{id}"), handler<getConversation>(ctx));
    server.route(Method::Delete, QStringLiteral("/api/v1/conversations/{id}"), handler<deleteConversation>(ctx));
}

} // namespace smartbot::http
