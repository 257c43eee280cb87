#include "http/auth/cors.h"

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
    return {{QByteArrayLiteral("Access-Control-Allow-Origin"), allow},
            {QByteArrayLiteral("Vary"), QByteArrayLiteral("Origin")}};
}

Headers corsPreflightHeaders(const QByteArray &methods)
{
    return {{QByteArrayLiteral("Access-Control-Allow-Methods"), methods},
            {QByteArrayLiteral("Access-Control-Allow-Headers"),
             QByteArrayLiteral("Authorization, Content-Type, X-API-Key")},
            {QByteArrayLiteral("Access-Control-Max-Age"), QByteArrayLiteral("600")}};
}

} // namespace smartbot::http
