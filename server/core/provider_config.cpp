#include "core/provider_config.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <sys/stat.h>

#include "core/config_file.h"
#include "core/config_values.h"
#include "core/secret_files.h"
#include "smartbot/common/units.h"

namespace smartbot {

namespace {

const QLatin1String kSectionPrefix("provider.");

// A base_url: absolute http(s), no query, fragment or credentials (the platform key goes in a header, never a URL
// that logs would show). The path keeps what the provider needs before "/chat/completions" (e.g. "/v1").
Result<QUrl> parseBaseUrl(const QString &section, const QString &text)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    const auto bad = [&](const QString &why) {
        return makeError(
            QStringLiteral("server.conf: [%1] base_url '%2' %3").arg(section, text.trimmed(), why).toStdString());
    };
    if (!url.isValid() || url.host().isEmpty())
        return bad(QStringLiteral("is not an absolute URL (e.g. https://api.example.com/v1)"));
    if (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        return bad(QStringLiteral("must start with http:// or https://"));
    if (!url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment())
        return bad(QStringLiteral("must not hold a user name, a password, a query or a fragment (the key goes in "
                                  "providers/NAME.env)"));
    QUrl clean = url;
    QString path = clean.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    clean.setPath(path);
    return clean;
}

QStringList commaList(const QString &text)
{
    QStringList out;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (const QString t = part.trimmed(); !t.isEmpty() && !out.contains(t))
            out << t;
    return out;
}

Result<ProviderConfig> parseOne(const ConfigFile &s, const QString &section, const QString &configDir)
{
    ProviderConfig p;
    p.name = section.mid(kSectionPrefix.size());
    if (!isValidProviderName(p.name))
        return makeError(QStringLiteral("server.conf: [%1]: a provider name has 1 to 64 letters, digits, '-' or '_'")
                             .arg(section)
                             .toStdString());
    const QString key = section + QLatin1Char('/');
    for (const QString &text : commaList(stringValue(s, key + QStringLiteral("base_url")))) {
        auto url = parseBaseUrl(section, text);
        if (!url)
            return url.failure();
        p.baseUrls << url.value();
    }
    if (p.baseUrls.isEmpty())
        return makeError(QStringLiteral("server.conf: [%1] needs base_url (the provider's OpenAI-compatible address, "
                                        "e.g. https://api.example.com/v1)")
                             .arg(section)
                             .toStdString());
    const QStringList models = commaList(stringValue(s, key + QStringLiteral("models")));
    p.discoverModels = models == QStringList{QStringLiteral("*")};
    if (!p.discoverModels)
        p.models = models;
    if (models.isEmpty())
        return makeError(QStringLiteral("server.conf: [%1] needs models (the names clients may ask for, or * for any "
                                        "name the provider serves)")
                             .arg(section)
                             .toStdString());
    if (models.size() > 1 && models.contains(QStringLiteral("*")))
        return makeError(QStringLiteral("server.conf: [%1] models: * stands alone").arg(section).toStdString());
    // One table of the numeric settings: key, member, lowest, highest.
    const struct {
        const char *key;
        int ProviderConfig::*member;
        int lo, hi;
    } numbers[] = {
        {"timeout_s", &ProviderConfig::timeoutS, 1, int(kSecondsPerDay)},
        {"connect_timeout_s", &ProviderConfig::connectTimeoutS, 1, 3600},
        {"max_concurrent", &ProviderConfig::maxConcurrent, 1, 100000},
        {"retries", &ProviderConfig::retries, 0, 10},
        {"breaker_failures", &ProviderConfig::breakerFailures, 1, 1000},
        {"breaker_cooldown_s", &ProviderConfig::breakerCooldownS, 1, int(kSecondsPerDay)},
        {"health_check_s", &ProviderConfig::healthCheckS, 0, 3600},
    };
    for (const auto &n : numbers) {
        auto v = intValue(s, key + QLatin1String(n.key), p.*n.member, n.lo, n.hi);
        if (!v)
            return v.failure();
        p.*n.member = int(v.value());
    }
    auto aliases = parseModelAliases(stringValue(s, key + QStringLiteral("aliases")),
                                     QStringLiteral("[%1] aliases").arg(section), false);
    if (!aliases)
        return aliases.failure();
    for (const auto &[alias, target] : aliases.value()) {
        if (alias.contains(QLatin1Char('/')))
            return makeError(QStringLiteral("server.conf: [%1] aliases: '%2' has a '/' (NAME/model already names "
                                            "a provider's model)")
                                 .arg(section, alias)
                                 .toStdString());
        if (!p.serves(target))
            return makeError(QStringLiteral("server.conf: [%1] aliases: '%2' points at '%3', which is not in models")
                                 .arg(section, alias, target)
                                 .toStdString());
    }
    p.aliases = aliases.value();
    if (const QString ca = stringValue(s, key + QStringLiteral("ca_file")); !ca.isEmpty())
        p.caFile = QDir(configDir).absoluteFilePath(ca);
    return p;
}

} // namespace

bool isValidProviderName(const QString &name)
{
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
    return valid.match(name).hasMatch();
}

Result<std::vector<ProviderConfig>> parseProviders(const ConfigFile &file, const QString &configDir)
{
    QStringList sections;
    for (const QString &key : file.keys())
        if (const QString section = key.section(QLatin1Char('/'), 0, 0);
            section.startsWith(kSectionPrefix) && !sections.contains(section))
            sections << section;
    std::vector<ProviderConfig> out;
    for (const QString &section : sections) {
        auto p = parseOne(file, section, configDir);
        if (!p)
            return p.failure();
        for (const auto &[alias, unused] : p.value().aliases)
            for (const ProviderConfig &earlier : out)
                if (!resolveModelAlias(earlier.aliases, alias).isEmpty())
                    return makeError(QStringLiteral("server.conf: the alias '%1' is in both [provider.%2] and [%3]")
                                         .arg(alias, earlier.name, section)
                                         .toStdString());
        out.push_back(std::move(p.value()));
    }
    return out;
}

QString providerKeyPath(const QString &configDir, const QString &name)
{
    return QDir(configDir).filePath(QStringLiteral("providers/") + name + QStringLiteral(".env"));
}

Result<ProviderKey> readProviderKey(const QString &configDir, const QString &name)
{
    const QString path = providerKeyPath(configDir, name);
    if (!QFileInfo::exists(path))
        return makeError("no platform key for provider '" + name.toStdString() + "': " + path.toStdString() +
                             " is missing (set it with: smartbotd provider set-key " + name.toStdString() + ")",
                         ErrorCode::NotFound);
    if (auto r = checkPrivateFile(path); !r)
        return r.failure();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError("cannot read " + path.toStdString() + ": " + f.errorString().toStdString());
    auto parsed = parseProviderKeyText(f.read(64 * 1024));
    if (!parsed)
        return makeError(path.toStdString() + " " + parsed.error(), ErrorCode::InvalidArgument);
    ProviderKey out = parsed.value();
    if (!out.setAt.isValid())
        out.setAt = QFileInfo(path).lastModified();
    return out;
}

QByteArray providerKeyText(const QByteArray &key, const QDateTime &setAt)
{
    return "API_KEY=" + key.trimmed() + "\nAPI_KEY_SET_AT=" + setAt.toUTC().toString(Qt::ISODate).toLatin1() + "\n";
}

Result<ProviderKey> parseProviderKeyText(const QByteArray &text)
{
    ProviderKey out;
    for (const QByteArray &raw : text.split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.startsWith("API_KEY="))
            out.key = line.mid(8).trimmed();
        else if (line.startsWith("API_KEY_SET_AT="))
            out.setAt = QDateTime::fromString(QString::fromLatin1(line.mid(15).trimmed()), Qt::ISODate);
    }
    // Quotes as shell env files often carry them.
    if (out.key.size() >= 2 && (out.key.front() == '"' || out.key.front() == '\'') && out.key.back() == out.key.front())
        out.key = out.key.mid(1, out.key.size() - 2);
    if (out.key.isEmpty())
        return makeError("holds no API_KEY=... line", ErrorCode::InvalidArgument);
    return out;
}

Result<void> writeProviderKey(const QString &configDir, const QString &name, const QByteArray &key,
                              const QDateTime &now)
{
    if (!isValidProviderName(name))
        return makeError("'" + name.toStdString() + "' is not a provider name (letters, digits, '-' and '_')",
                         ErrorCode::InvalidArgument);
    const QByteArray clean = key.trimmed();
    if (clean.isEmpty() || clean.contains('\n') || clean.contains('\r'))
        return makeError("a platform key is one non-empty line", ErrorCode::InvalidArgument);
    const QString dir = QFileInfo(providerKeyPath(configDir, name)).absolutePath();
    if (!QFileInfo::exists(dir) && ::mkdir(QFile::encodeName(dir).constData(), 0700) != 0)
        return makeError("cannot create " + dir.toStdString());
    return writePrivateFile(providerKeyPath(configDir, name), providerKeyText(clean, now), 0600);
}

} // namespace smartbot
