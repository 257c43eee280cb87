#include "core/config_values.h"

#include "core/config_file.h"

namespace smartbot {

// Reads an integer key and checks its range; the error names the key.
Result<qint64> intValue(const ConfigFile &s, const QString &key, qint64 fallback, qint64 lo, qint64 hi)
{
    const QString v = s.value(key.section('/', 0, 0), key.section('/', 1));
    if (v.isEmpty())
        return fallback;
    bool ok = false;
    const qint64 n = v.toLongLong(&ok);
    if (!ok || n < lo || n > hi)
        return makeError(QStringLiteral("server.conf: [%1] %2 = '%3' must be a whole number from %4 to %5")
                             .arg(key.section('/', 0, 0), key.section('/', 1), v)
                             .arg(lo)
                             .arg(hi)
                             .toStdString());
    return n;
}

// Reads a boolean key (true/false, yes/no, on/off, 1/0); the error names the key.
Result<bool> boolValue(const ConfigFile &s, const QString &key, bool fallback)
{
    const QString v = s.value(key.section('/', 0, 0), key.section('/', 1));
    const QString text = v.toLower();
    if (text.isEmpty())
        return fallback;
    if (text == QLatin1String("true") || text == QLatin1String("yes") || text == QLatin1String("on") ||
        text == QLatin1String("1"))
        return true;
    if (text == QLatin1String("false") || text == QLatin1String("no") || text == QLatin1String("off") ||
        text == QLatin1String("0"))
        return false;
    return makeError(QStringLiteral("server.conf: [%1] %2 = '%3' must be true or false")
                         .arg(key.section('/', 0, 0), key.section('/', 1), v)
                         .toStdString());
}

// A string value, or fallback when the key is absent (present but empty stays empty).
QString stringValue(const ConfigFile &s, const QString &key, const QString &fallback)
{
    const QString section = key.section('/', 0, 0), name = key.section('/', 1);
    return s.contains(section, name) ? s.value(section, name) : fallback;
}

} // namespace smartbot
