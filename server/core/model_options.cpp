#include "core/model_options.h"

#include <algorithm>

#include <QDir>
#include <QRegularExpression>
#include <QStringList>

#include "core/config_file.h"
#include "core/config_values.h"
#include "smartbot/common/units.h"

namespace smartbot {

namespace {
const QLatin1String kSectionPrefix("model.");

struct IntKey {
    const char *key;
    int ModelOptions::*member;
    qint64 lo, hi;
};
const IntKey kIntKeys[] = {
    {"threads", &ModelOptions::threads, 0, 1024},
    {"kv_cache_mb", &ModelOptions::kvCacheMb, 0, 1 << 24},
    {"keep_alive", &ModelOptions::keepAliveS, -1, kSecondsPerDay * 365},
};
struct ChoiceKey {
    const char *key;
    QString ModelOptions::*member;
    QStringList allowed; // the first ones are named in the error
    int named;
};
const ChoiceKey kChoiceKeys[] = {
    {"dtype", &ModelOptions::dtype, {"auto", "float32", "bfloat16", "float16"}, 4},
    {"cpu_decode", &ModelOptions::cpuDecode, {"fused", "libtorch"}, 2},
    {"quantize", &ModelOptions::quantize, {"none", "q8_0", "q4_0", "q4_k_m", "q4_k"}, 4},
};
const QStringList kSectionKeys{"path",         "threads", "kv_cache_mb", "keep_alive",
                               "prefix_cache", "dtype",   "cpu_decode",  "quantize"};
} // namespace

Result<ModelOptions> readModelOptions(const ConfigFile &file, const QString &section, ModelOptions o)
{
    const QString prefix = section + QLatin1Char('/');
    for (const IntKey &k : kIntKeys) {
        auto r = intValue(file, prefix + QLatin1String(k.key), o.*k.member, k.lo, k.hi);
        if (!r)
            return r.failure();
        o.*k.member = int(r.value());
    }
    auto prefixCache = boolValue(file, prefix + QStringLiteral("prefix_cache"), o.prefixCache);
    if (!prefixCache)
        return prefixCache.failure();
    o.prefixCache = prefixCache.value();
    for (const ChoiceKey &k : kChoiceKeys) {
        const QString value = stringValue(file, prefix + QLatin1String(k.key), o.*k.member).trimmed().toLower();
        if (!k.allowed.contains(value)) {
            const QStringList named = k.allowed.mid(0, k.named);
            return makeError(
                QStringLiteral("server.conf: [%1] %2 must be %3 or %4 (not '%5')")
                    .arg(section, QLatin1String(k.key), named.mid(0, named.size() - 1).join(", "), named.last(), value)
                    .toStdString());
        }
        o.*k.member = value;
    }
    return o;
}

Result<std::vector<ModelSection>> parseModelSections(const ConfigFile &file, const QString &configDir,
                                                     const ModelOptions &base)
{
    static const QRegularExpression validName(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"));
    std::vector<ModelSection> out;
    for (const QString &key : file.keys()) {
        const QString section = key.section(QLatin1Char('/'), 0, 0);
        if (!section.startsWith(kSectionPrefix))
            continue;
        const QString name = section.mid(kSectionPrefix.size());
        if (!validName.match(name).hasMatch())
            return makeError("server.conf: [" + section.toStdString() +
                             "]: a model name is letters, digits and . _ : - (at most 128, not starting with one)");
        if (const QString k = key.section(QLatin1Char('/'), 1); !kSectionKeys.contains(k))
            return makeError("server.conf: [" + section.toStdString() + "] " + k.toStdString() +
                             " is not a model setting (" + kSectionKeys.join(QStringLiteral(", ")).toStdString() + ")");
        if (std::any_of(out.begin(), out.end(), [&](const ModelSection &m) { return m.name == name; }))
            continue; // its keys were read with its first one
        auto options = readModelOptions(file, section, base);
        if (!options)
            return options.failure();
        ModelSection m{name, {}, options.value()};
        if (const QString path = stringValue(file, section + QStringLiteral("/path")).trimmed(); !path.isEmpty())
            m.path = QDir(configDir).absoluteFilePath(path);
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace smartbot
