// Model aliases as [model] aliases lists them: "name: target" pairs separated by commas, so that applications
// written for another provider work unchanged (their "gpt-4o-mini" gets the model served here). A target is a
// model's name or "default" (the model loaded now); the name "*" stands for any name not otherwise known.
// Parsed by ServerConfig; the HTTP layer resolves a request's model with resolveModelAlias().
#pragma once

#include <QList>
#include <QPair>
#include <QString>

#include "smartbot/common/result.h"

namespace smartbot {

using ModelAliases = QList<QPair<QString, QString>>; // {name, target}, in the order written

// The pairs of a comma-separated list; an entry without "name: target", or a name given twice, is an error
// naming it and where ("[model] aliases", "[provider.up] aliases"). allowAny: "*" may be a name.
Result<ModelAliases> parseModelAliases(const QString &text, const QString &where = QStringLiteral("[model] aliases"),
                                       bool allowAny = true);
// The target name asks for (an exact entry first, then "*"), or "" when no alias applies.
QString resolveModelAlias(const ModelAliases &aliases, const QString &name);

} // namespace smartbot
