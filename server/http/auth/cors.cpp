#include "http/auth/cors.h"

#include <QSettings>
#include <QUrl>

#include "http/server/request_metrics.h"

namespace smartbot::http {

namespace {
// Origins compare as scheme://host[:port], case-insensitively, without a trailing slash.
QString normalized(QString origin)
{
    origin = origin.trimmed().toLower();
    while (origin.endsWith(QLatin1Char('/')))
        origin.chop(1);
    return origin;
}

bool validOrigin(const QString &origin)
{
    if (origin == QLatin1String("*"))
        return true;
    const QUrl url(origin, QUrl::StrictMode);
    return url.isValid() && !url.scheme().isEmpty() && !url.host().isEmpty() && url.path().isEmpty() &&
           !url.hasQuery() && !url.hasFragment() && url.userInfo().isEmpty();
}
} // namespace

QStringList readCorsOrigins(const QString &configDir)
{
    const QSettings s(configDir + QStringLiteral("/server.conf"), QSettings::IniFormat);
    // QSettings reads an unquoted "a, b" as a list, a quoted or single value as a string.
    const QVariant v = s.value(QStringLiteral("network/cors_origins"));
    const QString text =
        v.metaType().id() == QMetaType::QStringList ? v.toStringList().join(QLatin1Char(',')) : v.toString();
    QStringList origins;
    for (const QString &entry : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString origin = normalized(entry);
        if (origin.isEmpty())
            continue;
        if (!validOrigin(origin)) {
            qWarning("server.conf: [network] cors_origins: '%s' is not an origin (scheme://host[:port] or *); "
                     "ignored",
                     qPrintable(entry.trimmed()));
            continue;
        }
        if (!origins.contains(origin))
            origins << origin;
    }
    if (!origins.isEmpty())
        qInfo("CORS allowed for %s", qPrintable(origins.join(QStringLiteral(", "))));
    return origins;
}

QByteArray corsAllowOrigin(const QStringList &origins, const QByteArray &origin)
{
    if (origins.isEmpty() || origin.isEmpty())
        return {};
    if (origins.contains(QLatin1String("*")))
        return QByteArrayLiteral("*");
    return origins.contains(normalized(QString::fromLatin1(origin))) ? origin : QByteArray();
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
