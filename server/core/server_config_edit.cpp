#include "core/server_config_edit.h"

#include <QDir>

#include "core/config_file.h"

namespace smartbot {

Result<ServerConfig> applyServerConfChanges(const QString &configDir, const std::vector<SettingChange> &changes)
{
    // Creates the folder and the file with its defaults when missing; an invalid file as it stands is not a reason
    // to refuse a change that fixes it, so only the result is checked.
    if (auto created = ServerConfig::loadOrCreate(configDir);
        !created && !QDir(configDir).exists(QStringLiteral("server.conf")))
        return created.failure();
    const QString path = QDir(configDir).filePath(QStringLiteral("server.conf"));
    auto file = ConfigFile::read(path);
    if (!file)
        return file.failure();
    for (const SettingChange &c : changes)
        file->setValue(c.section, c.key, c.value);
    auto parsed = ServerConfig::parse(file.value(), QDir(configDir).absolutePath());
    if (!parsed)
        return parsed;
    if (auto written = file->write(path); !written)
        return written.failure();
    return parsed;
}

} // namespace smartbot
