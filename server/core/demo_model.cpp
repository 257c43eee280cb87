#include "core/demo_model.h"

#include <QDir>
#include <QFileInfo>

namespace smartbot {

QString bundledDemoModel(const QString &applicationDir)
{
    static const char *const kCandidates[] = {
        "../share/smartbot/models/stories260K",    // installed: /usr/bin -> /usr/share
        "../../share/smartbot/models/stories260K", // build tree: build/server/daemon, build/app
    };
    const QDir from(applicationDir);
    for (const char *relative : kCandidates) {
        const QString dir = QDir::cleanPath(from.absoluteFilePath(QLatin1String(relative)));
        if (QFileInfo::exists(dir + QStringLiteral("/config.json")))
            return dir;
    }
    return {};
}

} // namespace smartbot
