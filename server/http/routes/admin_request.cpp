#include "http/routes/admin_request.h"

#include "http/protocol/request_helpers.h"

namespace smartbot::http {

bool admitAdmin(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                Principal &who, QJsonObject *body)
{
    std::optional<ApiError> e = ctx.auth->authenticateAdmin(request, who);
    if (!e && body)
        e = jsonBody(request, *body);
    if (e)
        writeError(responder, *e);
    return !e;
}

} // namespace smartbot::http
