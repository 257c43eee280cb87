#include "http/auth/cors.h"

#include <QRegularExpression>

#include "core/cors_origins.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

QByteArray corsAllowOrigin(const QStringList &origins, const QByteArray &origin)
{
    if (origins.isEmpty() || origin.isEmpty())
        return {};
    if (origins.contains(QLatin1String("*")))
        return QByteArrayLiteral("*");
    return origins.contains(normalizedOrigin(QString::fromLatin1(origin))) ? origin : QByteArray();
}

Headers corsHeaders(const QTcpSocket *socket)
{
    const QByteArray allow = requestAllowOrigin(socket);
    if (allow.isEmpty())
        return {};
    // Response headers a page's script may read besides the CORS-safelisted ones.
    return {{QByteArrayLiteral("Access-Control-Allow-Origin"), allow},
            {QByteArrayLiteral("Access-Control-Expose-Headers"),
             QByteArrayLiteral("X-Request-Id, Retry-After, x-ratelimit-limit-requests, "
                               "x-ratelimit-remaining-requests, x-ratelimit-reset-requests, "
                               "x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, "
                               "x-ratelimit-reset-tokens")},
            {QByteArrayLiteral("Vary"), QByteArrayLiteral("Origin")}};
}

Headers corsPreflightHeaders(const QByteArray &methods, const QByteArray &requestedHeaders)
{
    static const QRegularExpression kHeaderList(QStringLiteral("^[A-Za-z0-9-]+( *, *[A-Za-z0-9-]+)*$"));
    const QByteArray asked = requestedHeaders.trimmed();
    const bool echo =
        !asked.isEmpty() && asked.size() <= 1024 && kHeaderList.match(QString::fromLatin1(asked)).hasMatch();
    return {{QByteArrayLiteral("Access-Control-Allow-Methods"), methods},
            {QByteArrayLiteral("Access-Control-Allow-Headers"),
             echo ? asked : QByteArrayLiteral("Authorization, Content-Type, X-API-Key")},
            {QByteArrayLiteral("Access-Control-Max-Age"), QByteArrayLiteral("600")}};
}

} // namespace smartbot::http
