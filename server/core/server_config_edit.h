// Changing server.conf from a program (the desktop app's Network and Certificates panels): the changes are applied
// to the file as it is on disk at that moment, so that an edit made meanwhile in a text editor is kept, checked as
// start-up checks them, and written in place with every comment kept (core/config_file.h).
#pragma once

#include <QString>
#include <vector>

#include "core/server_config.h"

namespace smartbot {

struct SettingChange {
    QString section;
    QString key;
    QString value;
};

// Applies changes to DIR/server.conf (created with the commented defaults, folder 0700, when missing) and writes it
// (0600) when ServerConfig::parse accepts the result; nothing is written otherwise. The configuration written.
Result<ServerConfig> applyServerConfChanges(const QString &configDir, const std::vector<SettingChange> &changes);

} // namespace smartbot
