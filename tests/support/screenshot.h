// saveScreenshot(widget, name): with SMARTBOT_SCREENSHOT_DIR=/some/dir set, the GUI tests save pictures of what they
// drive (DIR/name.png), to look at the layout; without it, nothing.
#pragma once

#include <QCoreApplication>
#include <QPixmap>
#include <QString>
#include <QWidget>

namespace smartbot::testsupport {

inline void saveScreenshot(QWidget *w, const QString &name)
{
    const QString dir = qEnvironmentVariable("SMARTBOT_SCREENSHOT_DIR");
    if (dir.isEmpty())
        return;
    QCoreApplication::processEvents();
    const QString path = dir + QLatin1Char('/') + name + QStringLiteral(".png");
    if (!w->grab().save(path))
        qWarning("cannot save %s", qPrintable(path));
}

} // namespace smartbot::testsupport
