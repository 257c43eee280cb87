// The API routes, one file per group; installRoutes() installs them all.
#pragma once

#include "core/server_config.h"
#include "core/token_service.h"
#include "http/server/api_server.h"
#include "http/auth/authenticator.h"
#include "service/conversation_store.h"
#include "service/drain_state.h"
#include "service/response_store.h"
#include "service/model_pool.h"

namespace smartbot::relay {
class ProviderRelay;
}

namespace smartbot::http {

struct RouteContext {
    const ServerConfig *config = nullptr;
    const TokenService *tokens = nullptr;
    Authenticator *auth = nullptr;        // who is calling and may they (authenticator.h); outlives the routes
    service::ModelPool *models = nullptr; // every model served, by name (model_pool.h)
    QStringList corsOrigins;              // [network] cors_origins (cors.h)
    service::ConversationStore *conversations = nullptr; // /api/v1/chat conversation_id
    service::ResponseStore *responses = nullptr;         // /v1/responses previous_response_id
    std::shared_ptr<service::DrainState> draining;       // drain_reply.h: rejectIfDraining(ctx, responder)
    relay::ProviderRelay *relay = nullptr;               // [provider.NAME] upstream platforms (null: none)
};

void installRoutes(ApiServer &server, const RouteContext &context); // all of the below

void installHealthRoutes(ApiServer &server, const RouteContext &context);     // routes_health.cpp
void installAdminRoutes(ApiServer &server, const RouteContext &context);      // routes_admin.cpp
void installChatRoutes(ApiServer &server, const RouteContext &context);       // routes_chat.cpp
void installOpenAiRoutes(ApiServer &server, const RouteContext &context);     // routes_openai.cpp
void installCompletionRoutes(ApiServer &server, const RouteContext &context); // routes/completions.cpp
void installEmbeddingRoutes(ApiServer &server, const RouteContext &context);  // routes/embeddings.cpp
void installResponsesRoutes(ApiServer &server, const RouteContext &context);  // routes/responses.cpp
void installMetricsRoutes(ApiServer &server, const RouteContext &context);    // routes_metrics.cpp
void installKeyRoutes(ApiServer &server, const RouteContext &context); // routes_keys.cpp (keys, audit, usage, revoke)
void installBackupRoutes(ApiServer &server, const RouteContext &context);       // routes/backups.cpp
void installLogRoutes(ApiServer &server, const RouteContext &context);          // routes/logs.cpp
void installModelRoutes(ApiServer &server, const RouteContext &context);        // routes/models.cpp
void installConversationRoutes(ApiServer &server, const RouteContext &context); // routes/conversations.cpp

} // namespace smartbot::http
