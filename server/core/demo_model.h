// The bundled demo model (resources/models/stories260K): served when no model is configured, so that a fresh install
// answers chat at once. Found relative to the executable, as installed (<prefix>/bin -> <prefix>/share/smartbot/models)
// and in a build tree (<build>/server/daemon or <build>/app -> <build>/share/smartbot/models).
#pragma once

#include <QString>

namespace smartbot {

// The demo model's folder seen from `applicationDir` (QCoreApplication::applicationDirPath()), or empty when it is
// not there (a trimmed install): then the server runs without a model, as with `[model] path = none`.
QString bundledDemoModel(const QString &applicationDir);

// The [model] path / --model value that means "no model".
inline constexpr char kNoModel[] = "none";

} // namespace smartbot
