// The server's and core's own messages (config errors, certificate verdicts, backup results) in the app's language.
// They are built in English by layers that have no translator (core, http, backup: also used by smartbotd and over
// HTTP); the app matches the known ones against a table of patterns and fills the translated template with the
// parts that vary (file names, values). A message not in the table is shown as it is.
#pragma once

#include <QString>

namespace smartbot::gui {

QString localizedMessage(const QString &english);
inline QString localizedMessage(const std::string &english)
{
    return localizedMessage(QString::fromStdString(english));
}

} // namespace smartbot::gui
