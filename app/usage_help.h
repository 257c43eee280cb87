// The Help › Usage window: the README's "Using it" section (bundled as :/doc/README.md, so it works offline and
// matches the version installed), rendered as Markdown in a non-modal window.
#pragma once

#include <QString>

class QDialog;
class QWidget;

namespace smartbot::gui {

// The part of markdown from the heading `heading` ("## Using it") up to the next heading of the same or a higher
// level (its subsections included); "" when there is no such heading.
QString markdownSection(const QString &markdown, const QString &heading);

// Opens (or raises) the usage window, a child of parent; named "usageDialog".
QDialog *showUsageHelp(QWidget *parent);

} // namespace smartbot::gui
