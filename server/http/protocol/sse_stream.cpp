#include "http/protocol/sse_stream.h"

#include <QJsonDocument>

#include "http/protocol/reply_headers.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

SseStream::SseStream(QHttpServerResponder &&responder) : responder_(std::move(responder)) {}

void SseStream::begin()
{
    if (begun_)
        return;
    begun_ = true;
    responder_.writeStatusLine(QHttpServerResponder::StatusCode::Ok);
    responder_.writeHeader("Content-Type", "text/event-stream; charset=utf-8");
    responder_.writeHeader("Cache-Control", "no-cache");
    responder_.writeHeader("X-Accel-Buffering", "no"); // tell nginx not to buffer the stream
    responder_.writeHeader("Transfer-Encoding", "chunked");
    for (const auto &[k, v] : replyHeaders(responder_.socket()))
        responder_.writeHeader(k, v);
}

void SseStream::chunk(const QByteArray &bytes)
{
    if (bytes.isEmpty() || ended_)
        return;
    begin();
    responder_.writeBody(QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n");
}

void SseStream::send(const QJsonObject &event)
{
    sendRaw(QJsonDocument(event).toJson(QJsonDocument::Compact));
}

void SseStream::sendRaw(const QByteArray &data)
{
    chunk("data: " + data + "\n\n");
}

void SseStream::sendEvent(const QByteArray &name, const QJsonObject &event)
{
    chunk("event: " + name + "\ndata: " + QJsonDocument(event).toJson(QJsonDocument::Compact) + "\n\n");
}

void SseStream::end()
{
    if (ended_)
        return;
    begin();
    responder_.writeBody(QByteArrayLiteral("0\r\n\r\n"));
    ended_ = true;
    endRequest(responder_.socket(), 200);
}

} // namespace smartbot::http
