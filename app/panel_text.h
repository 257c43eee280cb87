// Small texts the admin panels share: who the GUI is in the audit log, and how times are shown.
#pragma once

#include <QString>

namespace smartbot::gui {

// The audit log's actor for actions taken in the app: "gui (<login name>)", as the CLI is "cli (<login name>)".
QString guiActor();

// Seconds since the epoch as local "yyyy-MM-dd HH:mm"; `none` for 0 or less (never, not set).
QString timeText(qint64 secondsSinceEpoch, const QString &none = {});

} // namespace smartbot::gui
