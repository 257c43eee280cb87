// What the admin panels share: who the GUI is in the audit log, how times are shown, filtering a table by text.
#pragma once

#include <QString>

class QFormLayout;
class QLayout;
class QTableWidget;
class QWidget;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

// The audit log's actor for actions taken in the app: "gui (<login name>)", as the CLI is "cli (<login name>)".
QString guiActor();

// Records an action taken in the app in the running server's audit log as guiActor() from "local"; nothing when
// the server is stopped.
void auditGuiAction(http::SmartbotServer *server, const QString &action, const QString &detail = {});

// Seconds since the epoch as local "yyyy-MM-dd HH:mm"; `none` for 0 or less (never, not set).
QString timeText(qint64 secondsSinceEpoch, const QString &none = {});

// Bytes as an operator reads memory and file sizes: "512 KiB", "1.0 MiB", "5.9 GiB" (binary units, as the
// dashboard and server.conf's kv_cache_mb use), in the UI language's number format.
QString bytesText(qint64 bytes);

// Hides the rows of `table` in which no cell contains `needle` (case-insensitive); an empty needle shows all.
void filterRows(QTableWidget *table, const QString &needle);

// Sets the text of the QLabel that labels `field` in `form` (retranslating a form built with empty labels).
void setRowLabel(QFormLayout *form, QWidget *field, const QString &text);
void setRowLabel(QFormLayout *form, QLayout *field, const QString &text);

} // namespace smartbot::gui
