// dispatch() (chat_dispatch.cpp): what a request attaches to its client's socket goes with the request.
#include <QtTest>

#include <QTcpSocket>

#include "http/routes/chat_dispatch.h"

using namespace smartbot;
using namespace smartbot::http;

namespace {
class WatchedSocket : public QTcpSocket {
public:
    int disconnectedReceivers() const { return receivers(SIGNAL(disconnected())); }
};
} // namespace

class TestChatDispatch : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void keepAliveSocketKeepsNoConnectionPerRequest()
    {
        // A keep-alive client sends request after request on one socket. Each dispatch() watches the socket for a
        // hang-up; the watch must end with the request, not with the socket (it grew ~190 B per request for the
        // socket's whole life: issue 16, item 10). No model loaded: the worker answers each job with 503.
        service::InferenceWorker worker(256);
        RouteContext ctx;
        WatchedSocket socket;
        const int before = socket.disconnectedReceivers();
        const int n = 50;
        int answered = 0;
        for (int i = 0; i < n; ++i)
            dispatch(ctx, &worker, Principal{}, service::InferenceWorker::Request{}, &socket, nullptr,
                     [&answered](const service::InferenceWorker::Reply &r) {
                         QCOMPARE(r.status, 503);
                         ++answered;
                     });
        QTRY_COMPARE(answered, n);
        QCOMPARE(socket.disconnectedReceivers(), before);
    }
};

QTEST_GUILESS_MAIN(TestChatDispatch)
#include "test_chat_dispatch.moc"
