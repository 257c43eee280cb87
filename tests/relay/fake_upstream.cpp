#include "fake_upstream.h"

#include <QTcpSocket>

namespace {
const QByteArray kCompletion = R"({"id":"chatcmpl-fake","object":"chat.completion","created":1,"model":"m",)"
                               R"("choices":[{"index":0,"message":{"role":"assistant","content":"after the 429"},)"
                               R"("finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,)"
                               R"("total_tokens":8}})";

QByteArray response(const QByteArray &status, const QByteArray &body, const QByteArray &extra = {})
{
    return "HTTP/1.1 " + status +
           "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n" + extra +
           "\r\n" + body;
}

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}
} // namespace

FakeUpstream::FakeUpstream(QObject *parent) : QObject(parent)
{
    server_.listen(QHostAddress::LocalHost, 0);
    connect(&server_, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *s = server_.nextPendingConnection()) {
            connect(s, &QTcpSocket::readyRead, this, [this, s] { onReadable(s); });
            connect(s, &QTcpSocket::disconnected, this, [this, s] {
                if (buffers_.value(s) == "hang")
                    hangClosed_ = true;
                buffers_.remove(s);
                s->deleteLater();
            });
        }
    });
}

FakeUpstream::~FakeUpstream()
{
    for (QTcpSocket *s : findChildren<QTcpSocket *>() + server_.findChildren<QTcpSocket *>())
        s->disconnect(this);
}

void FakeUpstream::onReadable(QTcpSocket *s)
{
    QByteArray &buffer = buffers_[s];
    if (buffer == "slow" || buffer == "hang")
        return (void)s->readAll();
    buffer += s->readAll();
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return;
    qsizetype length = 0;
    for (const QByteArray &line : buffer.left(headEnd).split('\n')) {
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
        if (line.toLower().startsWith("authorization:"))
            lastAuthorization_ = line.mid(14).trimmed();
    }
    if (buffer.size() < headEnd + 4 + length)
        return;
    const QByteArray path = buffer.left(buffer.indexOf('\n')).split(' ').value(1);
    const QByteArray mode = path.split('/').value(1);
    const int n = ++requests_[mode];
    buffer = mode;
    const QByteArray sseHead =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    const QByteArray firstEvent =
        chunk(R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,)"
              R"("delta":{"role":"assistant","content":"Once"},"finish_reason":null}]})"
              "\n\n");
    if (mode == "r429") {
        s->write(n == 1
                     ? response("429 Too Many Requests", R"({"error":{"message":"slow down"}})", "Retry-After: 1\r\n")
                     : response("200 OK", kCompletion));
        buffer.clear();
    } else if (mode == "cut") {
        s->write(sseHead + firstEvent);
        s->flush();
        s->disconnectFromHost();
    } else if (mode == "hang") {
        s->write(sseHead + firstEvent);
    } else if (mode == "leak") {
        const QByteArray key = lastAuthorization_.mid(7);
        s->write(response("400 Bad Request",
                          R"({"error":{"message":"Bad request from the holder of key )" + key + R"("}})"));
        buffer.clear();
    } else if (mode == "e500" || mode == "e503") {
        s->write(response(mode == "e500" ? "500 Internal Server Error" : "503 Service Unavailable",
                          R"({"error":{"message":"down for a moment"}})"));
        buffer.clear();
    } else if (mode == "drop") {
        s->disconnectFromHost(); // had the request, answers nothing
    } else if (mode == "redirect") {
        s->write(response("302 Found", "{}", "Location: http://192.0.2.1/v1/chat/completions\r\n"));
        buffer.clear();
    }
    // "slow": nothing, ever
}
