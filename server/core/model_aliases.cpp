#include "core/model_aliases.h"

#include <QRegularExpression>
#include <QStringList>

namespace smartbot {

Result<ModelAliases> parseModelAliases(const QString &text, const QString &where, bool allowAny)
{
    // Model names as providers write them: letters, digits and . _ - / : (e.g. "meta-llama/Llama-3.2-1B", "gpt-4o").
    static const QRegularExpression kName(QStringLiteral("^[A-Za-z0-9._/:-]{1,128}$"));
    ModelAliases out;
    for (const QString &raw : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString entry = raw.trimmed();
        if (entry.isEmpty())
            continue;
        const qsizetype colon = entry.lastIndexOf(QLatin1Char(':'));
        const QString name = entry.left(colon).trimmed(), target = entry.mid(colon + 1).trimmed();
        if (colon <= 0 || target.isEmpty() ||
            ((name != QLatin1String("*") || !allowAny) && !kName.match(name).hasMatch()) ||
            !kName.match(target).hasMatch())
            return makeError("server.conf: " + where.toStdString() + " entry '" + entry.toStdString() +
                             "' is not 'name: target' (target: a model name" + (allowAny ? " or default)" : ")"));
        for (const auto &[known, unused] : out)
            if (known == name)
                return makeError("server.conf: " + where.toStdString() + " names '" + name.toStdString() + "' twice");
        out.append({name, target});
    }
    return out;
}

QString resolveModelAlias(const ModelAliases &aliases, const QString &name)
{
    QString any;
    for (const auto &[alias, target] : aliases) {
        if (alias == name)
            return target;
        if (alias == QLatin1String("*"))
            any = target;
    }
    return any;
}

} // namespace smartbot
