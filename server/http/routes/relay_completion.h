// A chat request (POST /v1/chat/completions or the seed's POST /api/v1/chat) whose model names an upstream provider
// ("NAME/model", or an alias of one): relayed by relay::ProviderRelay, the caller already authenticated and
// rate-limited as for local models. The answer is the provider's, with "model" as the client named it; a stream is
// passed on event by event as it arrives (nothing is held back), usage is charged to the caller from the provider's
// "usage" (asked for in streams too, and dropped again when the client did not ask), and failures become 502
// upstream_error, 504 upstream_timeout, 429 (with the provider's Retry-After) or 503, with messages that never hold the
// platform key or the provider's headers.
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <optional>

#include "http/auth/authenticator.h"
#include "http/protocol/api_error.h"
#include "http/server/routes.h"
#include "relay/provider_relay.h"

class QTcpSocket;

namespace smartbot::http {

// The provider a request's model field names (through an exact [model] aliases entry, then the providers' aliases
// and "NAME/model", then the "*" alias for a name known neither here nor to a provider; a local model wins over a
// provider's alias of the same name);
// std::nullopt when it names none (a local model). An ApiError (404 model_not_found) when it names a provider that does
// not serve that model.
std::optional<std::variant<ApiError, relay::ProviderRelay::Target>> relayTarget(const RouteContext &ctx,
                                                                                const QJsonValue &model);

// The HTTP error for a relay failure.
ApiError relayError(const relay::RelayError &e);

// Relays POST /v1/chat/completions to target; the client's model name goes back in the answer.
void relayChatCompletion(const RouteContext &ctx, const Principal &who, QJsonObject body,
                         const relay::ProviderRelay::Target &target, QTcpSocket *socket,
                         QHttpServerResponder &&responder);

// POST /api/v1/chat as the route has read it, for a relay.
struct SeedChat {
    std::string message;
    bool stream = false;
    QString conversationId; // created or continued by the route (the caller's own)
    QString owner;          // the conversation's owner (the caller's subject)
    std::vector<service::ConversationStore::Message> history;
    QString clientModel; // the model field as the client sent it
    QJsonObject body;    // the whole request (its sampling fields are passed on)
};
// Relays the seed's chat route to target as a chat completion; the answer has the seed's shape (reply,
// conversation_id, finish_reason, usage; streamed: {"conversation_id", "delta"} events and a last one with
// "done": true), and the exchange is appended to the conversation as for a local model.
void relaySeedChat(const RouteContext &ctx, const Principal &who, const SeedChat &chat,
                   const relay::ProviderRelay::Target &target, QTcpSocket *socket, QHttpServerResponder &&responder);

} // namespace smartbot::http
