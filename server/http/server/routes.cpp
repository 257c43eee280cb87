#include "http/server/routes.h"

namespace smartbot::http {

void installRoutes(ApiServer &server, const RouteContext &context)
{
    installHealthRoutes(server, context);
    installAdminRoutes(server, context);
    installChatRoutes(server, context);
    installOpenAiRoutes(server, context);
    installCompletionRoutes(server, context);
    installEmbeddingRoutes(server, context);
    installResponsesRoutes(server, context);
    installMetricsRoutes(server, context);
    installKeyRoutes(server, context);
    installBackupRoutes(server, context);
    installLogRoutes(server, context);
    installModelRoutes(server, context);
    installConversationRoutes(server, context);
}

} // namespace smartbot::http
