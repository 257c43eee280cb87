#include "http/protocol/reply_headers.h"

#include "http/auth/cors.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

Headers replyHeaders(const QTcpSocket *socket)
{
    Headers h;
    if (const QByteArray id = requestId(socket); !id.isEmpty())
        h.push_back({QByteArrayLiteral("X-Request-Id"), id});
    return h + extraReplyHeaders(socket) + corsHeaders(socket);
}

} // namespace smartbot::http
