// The API routes: /healthz, /readyz, /admin/token, /api/v1/chat.
#pragma once

#include "core/server_config.h"
#include "core/token_service.h"
#include "http/api_server.h"
#include "http/inference_worker.h"

namespace smartbot::http {

struct RouteContext {
    const ServerConfig *config = nullptr;
    const TokenService *tokens = nullptr;
    QByteArray adminKeyHash;
    InferenceWorker *worker = nullptr;
};

void installRoutes(ApiServer &server, const RouteContext &context);

} // namespace smartbot::http
