// Test helper: a misbehaving OpenAI-compatible provider on loopback, in the test's own event loop, for the relay's
// failure paths that a real smartbotd does not produce on demand. The first path segment picks the behaviour:
//   /r429/...   the first request answers 429 (Retry-After: 1), the next ones a small chat completion
//   /slow/...   reads the request and never answers
//   /cut/...    starts an SSE answer, sends one event, then closes the connection mid-stream
//   /hang/...   starts an SSE answer, sends one event, then waits (closedEarly() tells when the relay hangs up)
//   /leak/...   answers 400 quoting the bearer key back in its error message, as some platforms do
//   /redirect/... answers 302 to another host
//   /e500/, /e503/ answer 500 or 503 every time
//   /drop/...   reads the request and closes the connection without a word
#pragma once

#include <QByteArray>
#include <QMap>
#include <QTcpServer>

class QTcpSocket;

class FakeUpstream : public QObject {
    Q_OBJECT
public:
    explicit FakeUpstream(QObject *parent = nullptr);
    ~FakeUpstream() override; // connections still open (held streams) must not call back into a half-destroyed one
    quint16 port() const { return server_.serverPort(); }
    int requests(const QByteArray &mode) const { return requests_.value(mode); }
    bool closedEarly() const { return hangClosed_; }
    QByteArray lastAuthorization() const { return lastAuthorization_; }

private:
    void onReadable(QTcpSocket *socket);
    QTcpServer server_;
    QMap<QByteArray, int> requests_;
    QMap<QTcpSocket *, QByteArray> buffers_;
    bool hangClosed_ = false;
    QByteArray lastAuthorization_;
};
