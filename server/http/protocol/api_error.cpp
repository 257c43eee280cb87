#include "http/protocol/api_error.h"

#include <QJsonDocument>

#include "http/protocol/reply_headers.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

namespace {
const char *reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

Headers errorHeaders(const ApiError &e)
{
    Headers h;
    if (e.retryAfterSeconds >= 0)
        h.push_back({QByteArrayLiteral("Retry-After"), QByteArray::number(e.retryAfterSeconds)});
    if (!e.allow.isEmpty())
        h.push_back({QByteArrayLiteral("Allow"), e.allow});
    if (e.status == 401)
        h.push_back({QByteArrayLiteral("WWW-Authenticate"), QByteArrayLiteral("Bearer")});
    return h;
}
} // namespace

bool isStorageOutage(const Error &e)
{
    return e.code == ErrorCode::Unavailable || e.code == ErrorCode::Busy;
}

ApiError storageFailure(const Error &e, ApiError otherwise)
{
    if (!isStorageOutage(e))
        return otherwise;
    qWarning("database: %s", e.message.c_str());
    const bool busy = e.code == ErrorCode::Busy;
    ApiError out{503, busy ? QStringLiteral("database_busy") : QStringLiteral("database_unavailable"),
                 busy ? QStringLiteral("every database connection is in use; try again shortly")
                      : QStringLiteral("the database is unavailable; try again shortly")};
    out.retryAfterSeconds = busy ? 1 : 5;
    return out;
}

ApiError serverError(const Error &e)
{
    qWarning("database: %s", e.message.c_str());
    return {500, QStringLiteral("storage_error"), QStringLiteral("the server could not read or write its database")};
}

ApiError badRequest(const QString &message, const QString &code, const QString &param)
{
    ApiError e{400, code, message};
    e.param = param;
    return e;
}
ApiError unauthorized(const QString &message)
{
    return {401, QStringLiteral("invalid_api_key"), message}; // OpenAI's code: clients and SDKs test for it
}

// OpenAI's error "type" for a status.
static QString errorType(int status)
{
    switch (status) {
    case 401:
        return QStringLiteral("authentication_error");
    case 403:
        return QStringLiteral("permission_error");
    case 404:
        return QStringLiteral("not_found_error");
    case 429:
        return QStringLiteral("rate_limit_error");
    default:
        return status >= 500 ? QStringLiteral("server_error") : QStringLiteral("invalid_request_error");
    }
}

QByteArray errorBody(const ApiError &e)
{
    QJsonObject err{{QStringLiteral("code"), e.code},
                    {QStringLiteral("message"), e.message},
                    {QStringLiteral("type"), errorType(e.status)},
                    {QStringLiteral("param"), e.param.isEmpty() ? QJsonValue() : QJsonValue(e.param)}};
    return QJsonDocument(QJsonObject{{QStringLiteral("error"), err}}).toJson(QJsonDocument::Compact);
}

void writeJson(QHttpServerResponder &responder, int status, const QJsonObject &body, Headers extra)
{
    const QByteArray bytes = QJsonDocument(body).toJson(QJsonDocument::Compact);
    extra.push_back({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    extra.push_back({QByteArrayLiteral("Content-Length"), QByteArray::number(bytes.size())});
    extra.push_back({QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store")});
    extra += replyHeaders(responder.socket());
    responder.writeStatusLine(QHttpServerResponder::StatusCode(status));
    for (const auto &[k, v] : extra)
        responder.writeHeader(k, v);
    responder.writeBody(bytes);
    endRequest(responder.socket(), status);
}

void writeError(QHttpServerResponder &responder, const ApiError &e)
{
    const QByteArray bytes = errorBody(e);
    auto h = errorHeaders(e);
    h.push_back({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    h.push_back({QByteArrayLiteral("Content-Length"), QByteArray::number(bytes.size())});
    h += replyHeaders(responder.socket());
    responder.writeStatusLine(QHttpServerResponder::StatusCode(e.status));
    for (const auto &[k, v] : h)
        responder.writeHeader(k, v);
    responder.writeBody(bytes);
    endRequest(responder.socket(), e.status);
}

QByteArray rawErrorResponse(const ApiError &e)
{
    const QByteArray body = errorBody(e);
    QByteArray out = "HTTP/1.1 " + QByteArray::number(e.status) + ' ' + reasonPhrase(e.status) + "\r\n";
    for (const auto &[k, v] : errorHeaders(e))
        out += k + ": " + v + "\r\n";
    out += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
    return out;
}

} // namespace smartbot::http
