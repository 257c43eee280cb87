// Typed reads of server.conf values ("section/key"), each error naming the section, the key and the value, as
// ServerConfig and ProviderConfig report them.
#pragma once

#include <QString>

#include "smartbot/common/result.h"

namespace smartbot {

class ConfigFile;

// An integer in [lo, hi]; fallback when the key is absent or empty.
Result<qint64> intValue(const ConfigFile &s, const QString &key, qint64 fallback, qint64 lo, qint64 hi);
// true/false, yes/no, on/off, 1/0; fallback when absent or empty.
Result<bool> boolValue(const ConfigFile &s, const QString &key, bool fallback);
// The value, or fallback when the key is absent (present but empty stays empty).
QString stringValue(const ConfigFile &s, const QString &key, const QString &fallback = {});

} // namespace smartbot
