#include "http/transport/response_tracker.h"

#include <QList>

#include <algorithm>

namespace smartbot::http {

namespace {
constexpr qsizetype kMaxLine = 64 * 1024; // a longer head or chunk line is not ours: stop tracking framing
}

void ResponseTracker::finish()
{
    ++completed_;
    state_ = State::Idle;
    line_.clear();
    remaining_ = 0;
}

void ResponseTracker::headDone(const QByteArray &head)
{
    const QList<QByteArray> lines = head.split('\n');
    const int status = lines.value(0).split(' ').value(1).toInt();
    bool chunked = false;
    qint64 length = -1;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed().toLower();
        if (name == "transfer-encoding" && value.contains("chunked"))
            chunked = true;
        else if (name == "content-length")
            length = value.toLongLong();
    }
    line_.clear();
    if (status >= 100 && status < 200) { // interim (100 Continue): the final response follows
        state_ = State::Idle;
        return;
    }
    bool isHead = false;
    if (!heads_.empty()) {
        isHead = heads_.front();
        heads_.pop_front();
    }
    if (isHead || status == 204 || status == 304 || (!chunked && length == 0))
        return finish();
    if (chunked) {
        state_ = State::ChunkSize;
    } else if (length > 0) {
        state_ = State::FixedBody;
        remaining_ = length;
    } else { // delimited by closing the connection: the reply is as complete as it gets
        ++completed_;
        state_ = State::UntilClose;
    }
}

void ResponseTracker::feed(const char *data, qint64 size)
{
    qint64 pos = 0;
    while (pos < size) {
        switch (state_) {
        case State::UntilClose:
            return;
        case State::Idle:
            state_ = State::Head;
            [[fallthrough]];
        case State::Head: {
            const qsizetype before = line_.size();
            line_.append(data + pos, size - pos);
            const qsizetype end = line_.indexOf("\r\n\r\n", std::max<qsizetype>(0, before - 3));
            if (end < 0) {
                if (line_.size() > kMaxLine)
                    state_ = State::UntilClose;
                return;
            }
            pos += end + 4 - before;
            headDone(line_.left(end));
            break;
        }
        case State::FixedBody:
        case State::ChunkData: {
            const qint64 n = std::min(remaining_, size - pos);
            remaining_ -= n;
            pos += n;
            if (remaining_ == 0) {
                if (state_ == State::FixedBody) {
                    finish();
                } else {
                    state_ = State::ChunkDataEnd; // the CRLF after the data
                    remaining_ = 2;
                }
            }
            break;
        }
        case State::ChunkDataEnd: {
            const qint64 n = std::min(remaining_, size - pos);
            remaining_ -= n;
            pos += n;
            if (remaining_ == 0)
                state_ = State::ChunkSize;
            break;
        }
        case State::ChunkSize:
        case State::Trailer: {
            const char c = data[pos++];
            if (c != '\n') {
                line_.append(c);
                if (line_.size() > kMaxLine)
                    state_ = State::UntilClose;
                break;
            }
            const QByteArray line = line_.trimmed();
            line_.clear();
            if (state_ == State::Trailer) {
                if (line.isEmpty())
                    finish();
                break;
            }
            bool ok = false;
            const qint64 n = line.split(';').value(0).trimmed().toLongLong(&ok, 16);
            if (!ok || n < 0) {
                state_ = State::UntilClose;
                return;
            }
            if (n == 0) {
                state_ = State::Trailer;
            } else {
                state_ = State::ChunkData;
                remaining_ = n;
            }
            break;
        }
        }
    }
}

} // namespace smartbot::http
