// SseStream: a text/event-stream response written as it is produced (chunked transfer encoding framed by hand,
// as QHttpServer 6.4 requires). Lives on the server thread; owns the responder.
#pragma once

#include <QByteArray>
#include <QHttpServerResponder>
#include <QJsonObject>

namespace smartbot::http {

class SseStream {
public:
    explicit SseStream(QHttpServerResponder &&responder);
    void begin();                         // status line and headers
    void send(const QJsonObject &event);  // "data: {json}\n\n"
    void sendRaw(const QByteArray &data); // "data: <data>\n\n"
    // "event: <name>\ndata: {json}\n\n" (the Responses API's typed events)
    void sendEvent(const QByteArray &name, const QJsonObject &event);
    void end(); // the last chunk; the connection stays usable (keep-alive)
    bool begun() const { return begun_; }
    bool ended() const { return ended_; }
    QHttpServerResponder &responder() { return responder_; }

private:
    void chunk(const QByteArray &bytes);
    QHttpServerResponder responder_;
    bool begun_ = false;
    bool ended_ = false;
};

} // namespace smartbot::http
