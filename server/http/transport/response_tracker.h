// ResponseTracker: follows the HTTP/1.1 responses written to one connection (status line, headers, then a body
// framed by Content-Length or chunked encoding) so the connection guard knows when a reply is complete. A reply
// that is still being produced (inference, an SSE stream) keeps the connection "in progress", never idle.
#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <deque>

namespace smartbot::http {

class ResponseTracker {
public:
    // A request was received; its response to a HEAD request has no body whatever its headers say.
    void requestReceived(bool isHead) { heads_.push_back(isHead); }
    // The bytes written to the client, in order, in any pieces.
    void feed(const char *data, qint64 size);
    // Final responses written completely (interim 1xx responses are not counted).
    quint64 completed() const { return completed_; }
    // True while a response has started and not ended.
    bool inProgress() const { return state_ != State::Idle && state_ != State::UntilClose; }

private:
    enum class State { Idle, Head, FixedBody, ChunkSize, ChunkData, ChunkDataEnd, Trailer, UntilClose };
    void headDone(const QByteArray &head);
    void finish();

    State state_ = State::Idle;
    QByteArray line_;      // the head so far, or the current chunk-size / trailer line
    qint64 remaining_ = 0; // body or chunk bytes still to come
    quint64 completed_ = 0;
    std::deque<bool> heads_; // per request not yet answered: was it HEAD?
};

} // namespace smartbot::http
