// The headers every reply carries, whatever wrote it (writeJson, writeError, an SSE stream, /metrics, a preflight):
// X-Request-Id (the id of the request's log line, so that a client's report can be found in the log), those a route
// added for this request (addReplyHeaders: the caller's x-ratelimit-*) and the CORS headers (http/auth/cors.h).
#pragma once

#include "http/protocol/api_error.h"

class QTcpSocket;

namespace smartbot::http {

Headers replyHeaders(const QTcpSocket *socket);

} // namespace smartbot::http
