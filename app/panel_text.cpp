#include "app/panel_text.h"

#include <QFormLayout>
#include <QLabel>

#include <QDateTime>
#include <QLocale>
#include <QTableWidget>

#include "core/audit_log.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"

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

void filterRows(QTableWidget *table, const QString &needle)
{
    for (int r = 0; r < table->rowCount(); ++r) {
        bool match = needle.isEmpty();
        for (int c = 0; c < table->columnCount() && !match; ++c)
            match = table->item(r, c) && table->item(r, c)->text().contains(needle, Qt::CaseInsensitive);
        table->setRowHidden(r, !match);
    }
}

void auditGuiAction(http::SmartbotServer *server, const QString &action, const QString &detail)
{
    if (http::Authenticator *auth = server->authenticator())
        auth->auditLog().record(guiActor(), QStringLiteral("local"), action, detail);
}

QString bytesText(qint64 bytes)
{
    const std::pair<qint64, const char *> kUnits[] = {{qint64(1) << 30, "GiB"}, {qint64(1) << 20, "MiB"}};
    for (const auto &[unit, name] : kUnits)
        if (bytes >= unit)
            return QLocale().toString(double(bytes) / double(unit), 'f', 1) + QLatin1Char(' ') + QLatin1String(name);
    return QLocale().toString(double(qMax<qint64>(bytes, 0)) / 1024.0, 'f', 0) + QStringLiteral(" KiB");
}

void setRowLabel(QFormLayout *form, QWidget *field, const QString &text)
{
    if (auto *label = qobject_cast<QLabel *>(form->labelForField(field)))
        label->setText(text);
}

void setRowLabel(QFormLayout *form, QLayout *field, const QString &text)
{
    if (auto *label = qobject_cast<QLabel *>(form->labelForField(field)))
        label->setText(text);
}

} // namespace smartbot::gui
