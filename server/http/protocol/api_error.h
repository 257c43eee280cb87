// One place that turns errors into HTTP responses:
// {"error": {"code": ..., "message": ..., "type": ..., "param": ...}} (a superset of OpenAI's error shape).
#pragma once

#include <QByteArray>
#include <QHttpServerResponder>
#include <QJsonObject>
#include <QString>

#include "smartbot/common/result.h"

namespace smartbot::http {

using Headers = QList<QPair<QByteArray, QByteArray>>;

struct ApiError {
    int status = 500;
    QString code;    // machine-readable, e.g. "invalid_request"
    QString message; // for people; names the offending field where there is one
    int retryAfterSeconds = -1;
    QByteArray allow; // for 405
    QString param;    // the offending request field, when there is one (OpenAI's "param")
};

ApiError badRequest(const QString &message, const QString &code = QStringLiteral("invalid_request"),
                    const QString &param = {});
ApiError unauthorized(const QString &message);
// A failure of the database (core/storage.h) is the server's, not the request's: 503 database_unavailable (it cannot
// be reached) or database_busy (every connection in use), with Retry-After. Any other error: otherwise.
// The message is generic (the database's address and its own words go to the log, not to clients).
ApiError storageFailure(const Error &e, ApiError otherwise);
bool isStorageOutage(const Error &e);
// 500 storage_error for a database failure that is not an outage; the detail is logged, not sent.
ApiError serverError(const Error &e);

QByteArray errorBody(const ApiError &e);
void writeJson(QHttpServerResponder &responder, int status, const QJsonObject &body, Headers extra = {});
void writeError(QHttpServerResponder &responder, const ApiError &e);
// A complete HTTP/1.1 response (Connection: close) for answering below QHttpServer.
QByteArray rawErrorResponse(const ApiError &e);

} // namespace smartbot::http
