// Request bookkeeping per connection, so that a response can be tied to its request: which route it answers,
// since when (smartbot_http_requests_total / smartbot_http_request_duration_seconds) and which CORS origin it
// may name. Pipelined requests on one keep-alive connection are answered in order, so each socket holds a FIFO
// of open requests and a response closes the oldest. Entries go when the socket is destroyed.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

class QTcpSocket;

namespace smartbot::http {

// Opens a request on socket. route: the matched route path, or "unmatched" (bounded label values);
// allowOrigin: the Access-Control-Allow-Origin value for its response (empty: no CORS headers).
void beginRequest(QTcpSocket *socket, const QString &route, const QByteArray &allowOrigin = {});
// The Access-Control-Allow-Origin value of the oldest open request on socket; empty when none.
QByteArray requestAllowOrigin(const QTcpSocket *socket);
// The id of the oldest open request on socket (its log line's, and the X-Request-Id header's); empty when none.
QByteArray requestId(const QTcpSocket *socket);
// Headers for the reply to the oldest open request on socket (e.g. its caller's rate limits), sent with the others
// (http/protocol/reply_headers.h).
void addReplyHeaders(QTcpSocket *socket, const QList<QPair<QByteArray, QByteArray>> &headers);
QList<QPair<QByteArray, QByteArray>> extraReplyHeaders(const QTcpSocket *socket);
// Closes the oldest open request on socket and records it in Metrics. writeJson/writeError call it; a streamed
// response calls it once the stream ends. Does nothing when socket has no open request.
void endRequest(QTcpSocket *socket, int status);

} // namespace smartbot::http
