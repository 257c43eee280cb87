#include "http/transport/request_head.h"

#include <algorithm>
#include <limits>

namespace smartbot::http {

namespace {

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
// / DIGIT / ALPHA
bool isTchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    static constexpr QByteArrayView kSymbols("!#$%&'*+-.^_`|~");
    return kSymbols.contains(char(c));
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

bool isOws(char c)
{
    return c == ' ' || c == '\t';
}

// field-value characters: VCHAR, obs-text, SP, HTAB (no other control characters, no NUL).
bool isFieldValueChar(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

QByteArrayView trimOws(QByteArrayView v)
{
    while (!v.isEmpty() && isOws(v.front()))
        v = v.sliced(1);
    while (!v.isEmpty() && isOws(v.back()))
        v.chop(1);
    return v;
}

HeadError malformed(const QString &what)
{
    return {400, QStringLiteral("malformed_request"), what};
}

// True when the comma-separated list (e.g. Connection) holds this token, case-insensitively.
bool listHas(QByteArrayView list, QByteArrayView token)
{
    for (const QByteArray &item : list.toByteArray().split(','))
        if (trimOws(item).compare(token, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

// Content-Length = 1*DIGIT; values past int64 saturate (the guard refuses them as too large).
bool parseLength(QByteArrayView v, qint64 *out)
{
    if (v.isEmpty())
        return false;
    qint64 n = 0;
    for (char c : v) {
        if (c < '0' || c > '9')
            return false;
        const int digit = c - '0';
        n = n > (std::numeric_limits<qint64>::max() - digit) / 10 ? std::numeric_limits<qint64>::max() : n * 10 + digit;
    }
    *out = n;
    return true;
}

std::variant<RequestHead, HeadError> parseRequestLine(QByteArrayView line)
{
    const qsizetype sp1 = line.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    if (sp1 < 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0)
        return malformed(QStringLiteral("the request line must be METHOD SP TARGET SP HTTP-VERSION"));
    RequestHead head;
    const QByteArrayView method = line.first(sp1), target = line.sliced(sp1 + 1, sp2 - sp1 - 1),
                         version = line.sliced(sp2 + 1);
    if (!isToken(method))
        return malformed(QStringLiteral("the request method is not a token"));
    if (target.isEmpty())
        return malformed(QStringLiteral("the request target is empty"));
    for (char c : target)
        if (uchar(c) <= 0x20 || uchar(c) >= 0x7f)
            return malformed(QStringLiteral("the request target holds a character that must be percent-encoded"));
    const bool originForm = target.startsWith('/');
    const bool absoluteForm = target.startsWith("http://") || target.startsWith("https://");
    const bool asterisk = target == "*" && method == "OPTIONS";
    if (!originForm && !absoluteForm && !asterisk)
        return malformed(QStringLiteral("the request target must be a path starting with '/'"));
    if (method == "CONNECT")
        return HeadError{501, QStringLiteral("not_implemented"), QStringLiteral("CONNECT is not supported")};
    if (version == "HTTP/1.1")
        head.minorVersion = 1;
    else if (version == "HTTP/1.0")
        head.minorVersion = 0;
    else if (version.size() == 8 && version.startsWith("HTTP/") && version[6] == '.')
        return HeadError{505, QStringLiteral("http_version_not_supported"),
                         QStringLiteral("only HTTP/1.0 and HTTP/1.1 are served")};
    else
        return malformed(QStringLiteral("the request line does not end in an HTTP version"));
    head.method = method.toByteArray();
    head.target = target.toByteArray();
    return head;
}

} // namespace

HeadError bareLineBreakError()
{
    return malformed(QStringLiteral("the request head holds a bare CR or LF (lines must end in CRLF)"));
}

HeadEnd findHeadEnd(QByteArrayView received, qsizetype from)
{
    HeadEnd end;
    // A CR that was the last byte of the previous scan is looked at again, now that its successor may be here.
    for (qsizetype i = std::max<qsizetype>(0, from - 1); i < received.size(); ++i) {
        const char c = received[i];
        if (c == '\r' && i + 1 < received.size() && received[i + 1] != '\n') {
            end.bareLineBreak = true;
            return end;
        }
        if (c != '\n')
            continue;
        if (i == 0 || received[i - 1] != '\r') {
            end.bareLineBreak = true;
            return end;
        }
        if (i >= 3 && received[i - 2] == '\n' && received[i - 3] == '\r') {
            end.length = i - 3;
            return end;
        }
    }
    return end;
}

std::variant<RequestHead, HeadError> parseRequestHead(QByteArrayView text)
{
    // Every line ends in CRLF: a CR not followed by LF, or an LF not preceded by CR, is refused.
    for (qsizetype i = 0; i < text.size(); ++i) {
        if ((text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) ||
            (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')))
            return bareLineBreakError();
    }
    qsizetype eol = text.indexOf("\r\n");
    auto parsed = parseRequestLine(eol < 0 ? text : text.first(eol));
    if (auto *e = std::get_if<HeadError>(&parsed))
        return *e;
    RequestHead head = std::get<RequestHead>(std::move(parsed));

    int hosts = 0, lengths = 0;
    bool transferEncoding = false, connectionClose = false, connectionKeepAlive = false;
    while (eol >= 0) {
        const qsizetype start = eol + 2;
        eol = text.indexOf("\r\n", start);
        const QByteArrayView line = eol < 0 ? text.sliced(start) : text.sliced(start, eol - start);
        if (line.isEmpty())
            return malformed(QStringLiteral("the request head holds an empty line"));
        if (isOws(line.front()))
            return malformed(QStringLiteral("obsolete line folding (a header line starting with whitespace) is "
                                            "not accepted"));
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            return malformed(QStringLiteral("a header line has no ':'"));
        const QByteArrayView name = line.first(colon);
        if (!name.isEmpty() && isOws(name.back())) // (fuzz_http_head found back() on an empty name)
            return malformed(QStringLiteral("whitespace before ':' in a header line"));
        if (!isToken(name))
            return malformed(QStringLiteral("a header name holds a character that is not allowed"));
        const QByteArrayView rawValue = line.sliced(colon + 1);
        for (char c : rawValue)
            if (!isFieldValueChar(uchar(c)))
                return malformed(QStringLiteral("the %1 header holds a control character")
                                     .arg(QString::fromLatin1(name.toByteArray())));
        const QByteArrayView value = trimOws(rawValue);
        if (name.compare("content-length", Qt::CaseInsensitive) == 0) {
            if (++lengths > 1)
                return malformed(QStringLiteral("more than one Content-Length header"));
            if (!parseLength(value, &head.contentLength))
                return malformed(QStringLiteral("Content-Length must be a decimal number of bytes"));
        } else if (name.compare("transfer-encoding", Qt::CaseInsensitive) == 0) {
            transferEncoding = true;
        } else if (name.compare("host", Qt::CaseInsensitive) == 0) {
            ++hosts;
        } else if (name.compare("upgrade", Qt::CaseInsensitive) == 0) {
            return malformed(QStringLiteral("protocol upgrades (the Upgrade header) are not supported"));
        } else if (name.compare("connection", Qt::CaseInsensitive) == 0) {
            connectionClose = connectionClose || listHas(value, "close");
            connectionKeepAlive = connectionKeepAlive || listHas(value, "keep-alive");
        }
    }
    if (transferEncoding && lengths > 0)
        return malformed(QStringLiteral("Transfer-Encoding and Content-Length together are not accepted"));
    if (transferEncoding)
        return HeadError{411, QStringLiteral("length_required"),
                         QStringLiteral("chunked request bodies are not accepted; send Content-Length")};
    if (head.minorVersion == 1 && hosts != 1)
        return malformed(hosts == 0 ? QStringLiteral("an HTTP/1.1 request needs a Host header")
                                    : QStringLiteral("more than one Host header"));
    if (hosts > 1)
        return malformed(QStringLiteral("more than one Host header"));
    head.keepAlive = head.minorVersion == 1 ? !connectionClose : (connectionKeepAlive && !connectionClose);
    return head;
}

} // namespace smartbot::http
