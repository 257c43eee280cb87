// Fuzzes the strict request-head parse (server/http/request_head.h) that decides framing for the connection guard.
// Invariants checked beyond "no sanitizer report":
//   - findHeadEnd gives the same answer whether the bytes arrive at once or in pieces (the guard scans as they come);
//   - a head cut where findHeadEnd says it ends never fails parseRequestHead for a bare CR/LF (the two agree);
//   - an accepted head: method is a token, target visible ASCII, HTTP/1.0 or 1.1, contentLength >= 0 and equal to
//     the one digits-only Content-Length line; no obs-fold, no bare CR/LF, no Transfer-Encoding, one Host on 1.1;
//     and findHeadEnd finds its end exactly where it stops.
#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <limits>

#include "fuzz_check.h"
#include "http/transport/request_head.h"

using namespace smartbot::http;

namespace {

bool sameEnd(const HeadEnd &a, const HeadEnd &b)
{
    return a.length == b.length && a.bareLineBreak == b.bareLineBreak;
}

bool decided(const HeadEnd &e)
{
    return e.length >= 0 || e.bareLineBreak;
}

bool isTchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           QByteArrayView("!#$%&'*+-.^_`|~").contains(char(c));
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s)
        if (!isTchar(uchar(c)))
            return false;
    return true;
}

// Feeds `in` in chunks whose sizes cycle through `steps`, resuming each scan where the last one stopped (as the
// connection guard does), and returns the first decided answer or the answer on the whole input.
HeadEnd scanInPieces(QByteArrayView in, std::initializer_list<qsizetype> steps)
{
    qsizetype have = 0;
    HeadEnd last;
    while (true) {
        for (qsizetype step : steps) {
            const qsizetype from = have;
            have = std::min(in.size(), have + step);
            last = findHeadEnd(in.first(have), from);
            if (decided(last) || have == in.size())
                return last;
        }
    }
}

void checkAccepted(QByteArrayView text, const RequestHead &head)
{
    const QByteArray shown = text.first(std::min<qsizetype>(text.size(), 200)).toByteArray().toPercentEncoding();
    FUZZ_CHECK(isToken(head.method), shown.toStdString());
    FUZZ_CHECK(!head.target.isEmpty(), shown.toStdString());
    for (char c : head.target)
        FUZZ_CHECK(uchar(c) > 0x20 && uchar(c) < 0x7f, shown.toStdString());
    FUZZ_CHECK(head.minorVersion == 0 || head.minorVersion == 1, shown.toStdString());
    FUZZ_CHECK(head.contentLength >= 0, shown.toStdString());
    FUZZ_CHECK(head.minorVersion == 1 || !head.keepAlive ||
                   QByteArray(text.data(), text.size()).toLower().contains("keep-alive"),
               "HTTP/1.0 kept alive without Connection: keep-alive: " + shown.toStdString());

    // Re-read the lines independently: the properties the guard's framing depends on.
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] == '\r')
            FUZZ_CHECK(i + 1 < text.size() && text[i + 1] == '\n', "bare CR accepted: " + shown.toStdString());
        if (text[i] == '\n')
            FUZZ_CHECK(i > 0 && text[i - 1] == '\r', "bare LF accepted: " + shown.toStdString());
    }
    const QList<QByteArray> lines = QByteArray(text.data(), text.size()).split('\n');
    int lengths = 0, hosts = 0;
    qint64 length = 0;
    for (qsizetype n = 1; n < lines.size(); ++n) {
        QByteArray line = lines[n];
        if (line.endsWith('\r'))
            line.chop(1);
        FUZZ_CHECK(!line.isEmpty() && line[0] != ' ' && line[0] != '\t',
                   "obs-fold or empty line accepted: " + shown.toStdString());
        const qsizetype colon = line.indexOf(':');
        FUZZ_CHECK(colon > 0 && isToken(QByteArrayView(line).first(colon)), shown.toStdString());
        const QByteArray name = line.first(colon).toLower();
        const QByteArray value = line.sliced(colon + 1).trimmed();
        FUZZ_CHECK(name != "transfer-encoding", "Transfer-Encoding accepted: " + shown.toStdString());
        FUZZ_CHECK(name != "upgrade", "Upgrade accepted: " + shown.toStdString());
        if (name == "host")
            ++hosts;
        if (name == "content-length") {
            ++lengths;
            FUZZ_CHECK(!value.isEmpty(), shown.toStdString());
            for (char c : value)
                FUZZ_CHECK(c >= '0' && c <= '9', "non-digit Content-Length accepted: " + shown.toStdString());
            for (char c : value)
                length = length > (std::numeric_limits<qint64>::max() - (c - '0')) / 10
                             ? std::numeric_limits<qint64>::max()
                             : length * 10 + (c - '0');
        }
    }
    FUZZ_CHECK(lengths <= 1, "two Content-Length lines accepted: " + shown.toStdString());
    FUZZ_CHECK(head.contentLength == length, "Content-Length read differently: " + shown.toStdString());
    FUZZ_CHECK(hosts <= 1 && (head.minorVersion == 0 || hosts == 1), "Host count: " + shown.toStdString());

    // The guard finds this head's end exactly where it stops.
    const QByteArray framed = QByteArray(text.data(), text.size()) + "\r\n\r\nbody";
    const HeadEnd end = findHeadEnd(framed, 0);
    FUZZ_CHECK(!end.bareLineBreak && end.length == text.size(),
               "findHeadEnd disagrees with an accepted head: " + shown.toStdString());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView in(reinterpret_cast<const char *>(data), qsizetype(size));
    const QByteArray shown = in.first(std::min<qsizetype>(in.size(), 200)).toByteArray().toPercentEncoding();

    // 1. Incremental scanning gives the whole-input answer.
    const HeadEnd whole = findHeadEnd(in, 0);
    for (auto steps :
         {std::initializer_list<qsizetype>{1}, {2, 5}, {13, 1, 3}, {std::max<qsizetype>(1, in.size() / 2)}})
        FUZZ_CHECK(sameEnd(scanInPieces(in, steps), whole), "piecewise findHeadEnd differs: " + shown.toStdString());
    if (whole.length >= 0) {
        FUZZ_CHECK(whole.length + 4 <= in.size() && in.sliced(whole.length, 4) == "\r\n\r\n", shown.toStdString());
        // 2. The guard hands parseRequestHead what findHeadEnd cut: it never finds a bare line break in it.
        const QByteArrayView head = in.first(whole.length);
        const auto parsed = parseRequestHead(head);
        if (const auto *e = std::get_if<HeadError>(&parsed))
            FUZZ_CHECK(e->message != bareLineBreakError().message,
                       "findHeadEnd passed a head with a bare CR/LF: " + shown.toStdString());
        else
            checkAccepted(head, std::get<RequestHead>(parsed));
    }

    // 3. The raw input as a head.
    const auto parsed = parseRequestHead(in);
    if (const auto *head = std::get_if<RequestHead>(&parsed)) {
        checkAccepted(in, *head);
    } else {
        const HeadError &e = std::get<HeadError>(parsed);
        FUZZ_CHECK(e.status == 400 || e.status == 411 || e.status == 501 || e.status == 505,
                   "unexpected status " + std::to_string(e.status));
        FUZZ_CHECK(!e.code.isEmpty() && !e.message.isEmpty(), shown.toStdString());
    }
    return 0;
}
