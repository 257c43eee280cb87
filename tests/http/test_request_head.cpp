// RequestHead: the strict RFC 9112 head parse the connection guard relies on (in-process, table-driven), and the
// scan that finds where a head ends in bytes as they arrive.
#include <QtTest>

#include "http/transport/request_head.h"

using smartbot::http::findHeadEnd;
using smartbot::http::HeadError;
using smartbot::http::parseRequestHead;
using smartbot::http::RequestHead;

class TestRequestHead : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accepted_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<qint64>("length");
        QTest::addColumn<bool>("keepAlive");
        QTest::newRow("get") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x") << QByteArray("GET")
                             << QByteArray("/healthz") << qint64(0) << true;
        QTest::newRow("post with length and OWS")
            << QByteArray("POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: \t31 \r\nX-A:b")
            << QByteArray("POST") << QByteArray("/api/v1/chat") << qint64(31) << true;
        QTest::newRow("zero length") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0")
                                     << QByteArray("POST") << QByteArray("/a") << qint64(0) << true;
        QTest::newRow("leading zeros") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 007")
                                       << QByteArray("POST") << QByteArray("/a") << qint64(7) << true;
        QTest::newRow("huge length saturates")
            << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999")
            << QByteArray("POST") << QByteArray("/a") << std::numeric_limits<qint64>::max() << true;
        QTest::newRow("connection close") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close")
                                          << QByteArray("GET") << QByteArray("/") << qint64(0) << false;
        QTest::newRow("close in a list") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close")
                                         << QByteArray("GET") << QByteArray("/") << qint64(0) << false;
        QTest::newRow("http/1.0 closes") << QByteArray("GET / HTTP/1.0") << QByteArray("GET") << QByteArray("/")
                                         << qint64(0) << false;
        QTest::newRow("http/1.0 keep-alive") << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive")
                                             << QByteArray("GET") << QByteArray("/") << qint64(0) << true;
        QTest::newRow("options *") << QByteArray("OPTIONS * HTTP/1.1\r\nHost: x") << QByteArray("OPTIONS")
                                   << QByteArray("*") << qint64(0) << true;
        QTest::newRow("absolute form") << QByteArray("GET http://x/healthz HTTP/1.1\r\nHost: x") << QByteArray("GET")
                                       << QByteArray("http://x/healthz") << qint64(0) << true;
        QTest::newRow("obs-text value") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9")
                                        << QByteArray("GET") << QByteArray("/") << qint64(0) << true;
        QTest::newRow("empty value") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-Empty:") << QByteArray("GET")
                                     << QByteArray("/") << qint64(0) << true;
    }
    void accepted()
    {
        QFETCH(QByteArray, head);
        const auto parsed = parseRequestHead(head);
        const auto *error = std::get_if<HeadError>(&parsed);
        QVERIFY2(!error, error ? qPrintable(error->message) : "");
        const RequestHead &h = std::get<RequestHead>(parsed);
        QTEST(h.method, "method");
        QTEST(h.target, "target");
        QTEST(h.contentLength, "length");
        QTEST(h.keepAlive, "keepAlive");
    }

    void refused_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("messagePart");
        const QByteArray get = "GET / HTTP/1.1\r\nHost: x\r\n";
        // Issue 16, item 1: the obs-folded Content-Length that the old guard read as a header of its own.
        QTest::newRow("obs-fold content-length")
            << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nX-Foo: a\r\n Content-Length: 5") << 400
            << QString("line folding");
        QTest::newRow("obs-fold tab") << get + "X-Foo: a\r\n\tb" << 400 << QString("line folding");
        // Item 2.
        QTest::newRow("two different lengths")
            << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 31") << 400
            << QString("more than one Content-Length");
        QTest::newRow("two equal lengths")
            << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\ncontent-length: 5") << 400
            << QString("more than one Content-Length");
        QTest::newRow("plus sign") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: +31") << 400
                                   << QString("decimal number");
        QTest::newRow("minus sign") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -1") << 400
                                    << QString("decimal number");
        QTest::newRow("list of lengths") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5") << 400
                                         << QString("decimal number");
        QTest::newRow("hex length") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10") << 400
                                    << QString("decimal number");
        QTest::newRow("empty length") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ") << 400
                                      << QString("decimal number");
        QTest::newRow("space inside length")
            << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1 0") << 400 << QString("decimal number");
        QTest::newRow("space before colon") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length : 5") << 400
                                            << QString("whitespace before ':'");
        QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: x") << 400 << QString("bare CR or LF");
        QTest::newRow("bare CR") << QByteArray("GET / HTTP/1.1\r\nHost: x\rX: y") << 400 << QString("bare CR or LF");
        QTest::newRow("te with length")
            << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5") << 400
            << QString("Transfer-Encoding and Content-Length");
        QTest::newRow("chunked") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked") << 411
                                 << QString("chunked");
        QTest::newRow("te identity") << QByteArray("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity") << 411
                                     << QString("Content-Length");
        QTest::newRow("no host") << QByteArray("GET / HTTP/1.1\r\nX: y") << 400 << QString("Host");
        QTest::newRow("two hosts") << get + "Host: y" << 400 << QString("more than one Host");
        QTest::newRow("upgrade") << get + "Connection: Upgrade\r\nUpgrade: websocket" << 400 << QString("Upgrade");
        QTest::newRow("connect") << QByteArray("CONNECT x:443 HTTP/1.1\r\nHost: x") << 400 << QString("target");
        QTest::newRow("connect origin form")
            << QByteArray("CONNECT / HTTP/1.1\r\nHost: x") << 501 << QString("CONNECT");
        QTest::newRow("nul in value") << get + QByteArray("X: a\0b", 6) << 400 << QString("control character");
        QTest::newRow("del in value") << get + "X: a\x7f" << 400 << QString("control character");
        QTest::newRow("no colon") << get + "NoColon" << 400 << QString("no ':'");
        QTest::newRow("empty name") << get + ": v" << 400 << QString("header name");
        QTest::newRow("bad name") << get + "X(y): v" << 400 << QString("header name");
        QTest::newRow("http/2") << QByteArray("GET / HTTP/2.0\r\nHost: x") << 505 << QString("HTTP/1.0");
        QTest::newRow("http/0.9") << QByteArray("GET /") << 400 << QString("request line");
        QTest::newRow("lowercase version") << QByteArray("GET / http/1.1\r\nHost: x") << 400 << QString("HTTP version");
        QTest::newRow("double space") << QByteArray("GET  / HTTP/1.1\r\nHost: x") << 400 << QString("request line");
        QTest::newRow("space in target") << QByteArray("GET /a b HTTP/1.1\r\nHost: x") << 400
                                         << QString("request line");
        QTest::newRow("ctl in target") << QByteArray("GET /a\x01 HTTP/1.1\r\nHost: x") << 400
                                       << QString("percent-encoded");
        QTest::newRow("relative target") << QByteArray("GET healthz HTTP/1.1\r\nHost: x") << 400
                                         << QString("starting with '/'");
        QTest::newRow("bad method") << QByteArray("G(T / HTTP/1.1\r\nHost: x") << 400 << QString("method");
        QTest::newRow("empty line inside") << get + "\r\nX: y" << 400 << QString("empty line");
    }
    void refused()
    {
        QFETCH(QByteArray, head);
        const auto parsed = parseRequestHead(head);
        const auto *error = std::get_if<HeadError>(&parsed);
        QVERIFY2(error, "accepted a head that must be refused");
        QTEST(error->status, "status");
        QFETCH(QString, messagePart);
        QVERIFY2(error->message.contains(messagePart), qPrintable(error->message));
        QVERIFY(!error->code.isEmpty());
    }

    // findHeadEnd over bytes arriving in pieces: the end is found whatever the split, and a bare CR or LF is
    // reported as soon as the byte after it (or it) has arrived.
    void headEnd_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<qsizetype>("length");
        QTest::addColumn<bool>("bare");
        QTest::newRow("complete") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n\r\nrest") << qsizetype(23) << false;
        QTest::newRow("incomplete") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n") << qsizetype(-1) << false;
        QTest::newRow("trailing CR waits") << QByteArray("GET / HTTP/1.1\r") << qsizetype(-1) << false;
        QTest::newRow("LF LF") << QByteArray("GET / HTTP/1.1\n\n") << qsizetype(-1) << true;
        QTest::newRow("CR CR") << QByteArray("GET / HTTP/1.1\r\r\rZ") << qsizetype(-1) << true;
        QTest::newRow("CRLF LF") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n\n") << qsizetype(-1) << true;
    }
    void headEnd()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(qsizetype, length);
        QFETCH(bool, bare);
        // Every split point: the first piece scanned, then the whole resumed from where the scan stopped.
        for (qsizetype split = 0; split <= bytes.size(); ++split) {
            const auto first = findHeadEnd(QByteArrayView(bytes).first(split), 0);
            if (first.bareLineBreak || first.length >= 0) {
                QCOMPARE(first.bareLineBreak, bare);
                QCOMPARE(first.length, length);
                continue;
            }
            const auto whole = findHeadEnd(bytes, split);
            QCOMPARE(whole.bareLineBreak, bare);
            QCOMPARE(whole.length, length);
        }
    }
};

QTEST_GUILESS_MAIN(TestRequestHead)
#include "test_request_head.moc"
