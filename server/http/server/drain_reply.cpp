#include "http/server/drain_reply.h"

#include "http/protocol/api_error.h"
#include "http/server/routes.h"

namespace smartbot::http {

bool rejectIfDraining(const RouteContext &ctx, QHttpServerResponder &responder)
{
    if (!ctx.draining || !ctx.draining->isDraining())
        return false;
    ApiError e{503, QStringLiteral("draining"),
               QStringLiteral("the server is shutting down for an upgrade and takes no new requests; retry shortly")};
    e.retryAfterSeconds = kDrainRetryAfterSeconds;
    writeError(responder, e);
    return true;
}

} // namespace smartbot::http
