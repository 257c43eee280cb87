#include "app/panel_text.h"

#include <QDateTime>

namespace smartbot::gui {

QString guiActor()
{
    return QStringLiteral("gui (%1)")
        .arg(qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME", QStringLiteral("unknown"))));
}

QString timeText(qint64 secondsSinceEpoch, const QString &none)
{
    if (secondsSinceEpoch <= 0)
        return none;
    return QDateTime::fromSecsSinceEpoch(secondsSinceEpoch).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

} // namespace smartbot::gui
