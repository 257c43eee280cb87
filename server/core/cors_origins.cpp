#include "core/cors_origins.h"

#include <QUrl>

namespace smartbot {

namespace {
bool validOrigin(const QString &origin)
{
    if (origin == QLatin1String("*"))
        return true;
    const QUrl url(origin, QUrl::StrictMode);
    return url.isValid() && !url.scheme().isEmpty() && !url.host().isEmpty() && url.path().isEmpty() &&
           !url.hasQuery() && !url.hasFragment() && url.userInfo().isEmpty();
}
} // namespace

QString normalizedOrigin(QString origin)
{
    origin = origin.trimmed().toLower();
    while (origin.endsWith(QLatin1Char('/')))
        origin.chop(1);
    return origin;
}

Result<QStringList> parseCorsOrigins(const QString &text)
{
    QStringList origins;
    for (const QString &entry : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString origin = normalizedOrigin(entry);
        if (origin.isEmpty())
            continue;
        if (!validOrigin(origin))
            return makeError("'" + entry.trimmed().toStdString() + "' is not an origin (scheme://host[:port] or *)",
                             ErrorCode::InvalidArgument);
        if (!origins.contains(origin))
            origins << origin;
    }
    return origins;
}

} // namespace smartbot
