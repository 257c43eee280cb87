// The seed's chat route: POST /api/v1/chat {"message", "model"?, "stream"?, "conversation_id"?, sampling...,
// response_format? / grammar?}.
#include "http/server/routes.h"

#include <QJsonObject>
#include <QTcpSocket>

#include "http/protocol/openai_request.h"
#include "http/routes/chat_dispatch.h"
#include "http/routes/relay_completion.h"
#include "http/protocol/request_helpers.h"
#include "http/protocol/sse_stream.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

void handleChat(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitGeneration(ctx, request, responder, who, body))
        return;
    const QString subject = conversationOwner(who);
    const QJsonValue message = body.value(QStringLiteral("message"));
    if (message.isUndefined())
        return writeError(responder, badRequest(QStringLiteral("field 'message' is required"),
                                                QStringLiteral("invalid_request"), QStringLiteral("message")));
    if (!message.isString())
        return writeError(responder, badRequest(QStringLiteral("field 'message' must be a string"),
                                                QStringLiteral("invalid_request"), QStringLiteral("message")));
    bool stream = false;
    if (auto e = boolean(body, QStringLiteral("stream"), stream))
        return writeError(responder, *e);
    const auto remote = relayTarget(ctx, body.value(QStringLiteral("model")));
    if (remote)
        if (const auto *e = std::get_if<ApiError>(&*remote))
            return writeError(responder, *e);
    service::InferenceWorker::Request job;
    SelectedModel selected;
    if (!remote) {
        if (auto e = parseSampling(body, *ctx.config, 0.0, job.params))
            return writeError(responder, *e);
        if (auto e = parseResponseFormat(body, request.body(), job.params)) // structured replies, as on /v1
            return writeError(responder, *e);
        if (auto e = selectModel(ctx, body.value(QStringLiteral("model")), selected))
            return writeError(responder, *e);
    }

    // Conversation: continue the caller's own one, or start a new one.
    const QJsonValue conv = body.value(QStringLiteral("conversation_id"));
    QString conversationId;
    std::vector<service::ConversationStore::Message> history;
    if (!conv.isUndefined() && !conv.isNull()) {
        if (!conv.isString())
            return writeError(responder,
                              badRequest(QStringLiteral("field 'conversation_id' must be a string"),
                                         QStringLiteral("invalid_request"), QStringLiteral("conversation_id")));
        conversationId = conv.toString();
        auto found = ctx.conversations->history(conversationId, subject);
        if (!found)
            return writeError(responder, conversationError(found.failure(), conversationId));
        history = std::move(found.value());
    } else {
        conversationId = ctx.conversations->newId();
    }
    const std::string userText = message.toString().toStdString();
    if (remote) {
        const SeedChat chat{
            userText, stream, conversationId, subject, history, body.value(QStringLiteral("model")).toString(), body};
        return relaySeedChat(ctx, who, chat, std::get<relay::ProviderRelay::Target>(*remote), socket,
                             std::move(responder));
    }
    if (history.empty()) {
        job.prompt = userText; // the seed's plain prompt: BOS + message
    } else {
        for (const auto &[role, content] : history)
            job.messages.push_back({role, content, {}});
        job.messages.push_back({"user", userText, {}});
    }

    const QString model = selected.name;
    auto finishJson = [conversationId, model](const engine::GenerationResult &r) {
        return QJsonObject{{QStringLiteral("reply"), QString::fromStdString(r.text)},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("conversation_id"), conversationId},
                           {QStringLiteral("finish_reason"), QString::fromLatin1(engine::finishReasonName(r.finish))},
                           {QStringLiteral("usage"), usageJson(r)}};
    };
    service::ConversationStore *store = ctx.conversations;
    // The reply goes out once its turn is stored (in the server's write batch), so that a client continuing the
    // conversation at once finds it, here or on another server of a shared database.
    auto remember = [store, conversationId, subject, model, userText, socket](const engine::GenerationResult &r,
                                                                              std::function<void()> then) {
        store->appendThen(conversationId, subject, model, userText, r.text, socket, std::move(then));
    };

    if (stream) {
        auto sse = std::make_shared<SseStream>(std::move(responder));
        job.onPiece = [sse, conversationId](const service::InferenceWorker::Piece &piece) {
            if (!piece.text.empty())
                sse->send({{QStringLiteral("conversation_id"), conversationId},
                           {QStringLiteral("delta"), QString::fromStdString(piece.text)}});
        };
        dispatch(ctx, selected.worker, who, std::move(job), socket, sse,
                 [sse, finishJson, remember](const service::InferenceWorker::Reply &reply) {
                     if (!reply.ok)
                         return failStream(*sse, reply);
                     remember(reply.result, [sse, done = finishJson(reply.result)]() mutable {
                         done.insert(QStringLiteral("done"), true);
                         sse->send(done);
                         sse->sendRaw("[DONE]");
                         sse->end();
                     });
                 });
        return;
    }
    auto held = std::make_shared<SseStream>(std::move(responder)); // only its responder is used
    dispatch(ctx, selected.worker, who, std::move(job), socket, held,
             [held, finishJson, remember](const service::InferenceWorker::Reply &reply) {
                 if (!reply.ok)
                     return writeError(held->responder(), replyError(reply));
                 remember(reply.result,
                          [held, json = finishJson(reply.result)] { writeJson(held->responder(), 200, json); });
             });
}

} // namespace

void installChatRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/api/v1/chat"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleChat(ctx, req, std::move(r), socket);
                 });
}

} // namespace smartbot::http
