// The common start of an admin route: the admin credential, then (when the route takes one) the JSON body.
#pragma once

#include <QJsonObject>

#include "http/server/routes.h"

namespace smartbot::http {

// Authenticates the caller as an admin into `who` (401/403/429) and, when body is given, reads the JSON body into it
// (400/415). False when it has answered.
bool admitAdmin(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                Principal &who, QJsonObject *body = nullptr);

} // namespace smartbot::http
