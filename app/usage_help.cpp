#include "app/usage_help.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace smartbot::gui {

QString markdownSection(const QString &markdown, const QString &heading)
{
    const QStringList lines = markdown.split(QLatin1Char('\n'));
    const qsizetype level = heading.indexOf(QLatin1Char(' '));
    QStringList out;
    bool inside = false, inCode = false;
    for (const QString &line : lines) {
        if (line.startsWith(QLatin1String("```")))
            inCode = !inCode;
        const bool isHeading = !inCode && line.startsWith(QLatin1Char('#'));
        if (isHeading && inside) {
            const qsizetype thisLevel = line.indexOf(QLatin1Char(' '));
            if (thisLevel > 0 && thisLevel <= level)
                break;
        }
        if (!inside && !inCode && line.trimmed() == heading.trimmed())
            inside = true;
        if (inside)
            out << line;
    }
    return out.join(QLatin1Char('\n'));
}

QDialog *showUsageHelp(QWidget *parent)
{
    if (auto *open = parent->findChild<QDialog *>(QStringLiteral("usageDialog"))) {
        open->raise();
        open->activateWindow();
        return open;
    }
    QFile readme(QStringLiteral(":/doc/README.md"));
    QString text;
    if (readme.open(QIODevice::ReadOnly))
        text = markdownSection(QString::fromUtf8(readme.readAll()), QStringLiteral("## Using it"));
    auto *dialog = new QDialog(parent);
    dialog->setObjectName(QStringLiteral("usageDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QDialog::tr("SmartBot — Usage"));
    auto *browser = new QTextBrowser(dialog);
    browser->setObjectName(QStringLiteral("usageText"));
    browser->setOpenExternalLinks(true);
    browser->setMarkdown(text);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(browser);
    layout->addWidget(buttons);
    dialog->resize(860, 640);
    dialog->show();
    return dialog;
}

} // namespace smartbot::gui
