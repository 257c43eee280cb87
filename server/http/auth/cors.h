// CORS: [network] cors_origins in server.conf (ServerConfig::corsOrigins, core/cors_origins.h; empty: no CORS).
// A request whose Origin matches gets Access-Control-Allow-Origin and Vary: Origin on its response; OPTIONS on
// a known route from such an origin is a preflight, answered 204 by ApiServer.
#pragma once

#include <QByteArray>
#include <QStringList>

#include "http/protocol/api_error.h"

class QTcpSocket;

namespace smartbot::http {

// The Access-Control-Allow-Origin value for a request's Origin header: "*", the origin itself, or empty.
QByteArray corsAllowOrigin(const QStringList &origins, const QByteArray &origin);
// The CORS headers of the response being written on socket (see request_metrics.h); empty without CORS.
Headers corsHeaders(const QTcpSocket *socket);
// A preflight's headers (beside corsHeaders): the route's methods, the request headers allowed (those the preflight
// asked for in Access-Control-Request-Headers, when they are well-formed header names: SDKs send their own, such as
// the openai package's x-stainless-*; else ours), the cache time.
Headers corsPreflightHeaders(const QByteArray &methods, const QByteArray &requestedHeaders);

} // namespace smartbot::http
