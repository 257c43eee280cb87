// RequestHead: one HTTP/1.x request head parsed strictly by RFC 9112, the single reading of a request's framing.
//
// Why strict: the connection guard enforces size limits beneath QHttpServer, whose own parser (http_parser) reads
// the same bytes. If the two ever read a head differently (an obs-folded "Content-Length", two Content-Lengths, a
// "+31"), the guard counts the wrong bytes as body and stops checking the requests that follow: a client could send
// any amount of data past max_body_bytes (issue 16, item 1). So the guard passes a head on only when it has exactly
// one reading under the RFC, and answers every other head itself (400/411/431/501/505). What QHttpServer then parses
// is a head whose framing no conforming parser can read another way:
//   - lines end in CRLF; a bare CR or bare LF anywhere is refused (parsers differ on them);
//   - request line: token method, SP, a target of visible ASCII, SP, "HTTP/1.0" or "HTTP/1.1";
//   - field lines: token name, ":" with no whitespace before it, a value of visible characters, SP and HTAB;
//     obs-fold (a line starting with SP/HTAB) is refused, as are control characters in values;
//   - Content-Length: digits only, at most once; Transfer-Encoding is refused (411, or 400 beside Content-Length);
//   - Host: exactly once on HTTP/1.1; protocol switches (Upgrade, CONNECT) are refused: nothing here speaks them.
// Threading: a pure function; call it from any thread.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <variant>

namespace smartbot::http {

struct RequestHead {
    QByteArray method;
    QByteArray target;
    int minorVersion = 1;     // HTTP/1.<minorVersion>
    qint64 contentLength = 0; // 0 when absent; INT64_MAX when too large to represent
    bool keepAlive = true;    // the connection stays open after this request's reply
};

struct HeadError {
    int status = 400;
    QString code;
    QString message;
};

// head: the request line and field lines, each ended by CRLF except the last (the blank line is not included).
std::variant<RequestHead, HeadError> parseRequestHead(QByteArrayView head);

// Where a head ends in the bytes received so far (the request line first; no leading blank lines).
struct HeadEnd {
    qsizetype length = -1;      // the head's length without its blank line, once CRLF CRLF has arrived; else -1
    bool bareLineBreak = false; // a bare CR or LF arrived: refuse at once (another parser may end the head there)
};
// from: how many bytes were scanned before (the scan resumes there, so each byte is looked at about once).
HeadEnd findHeadEnd(QByteArrayView received, qsizetype from);
HeadError bareLineBreakError();

} // namespace smartbot::http
