// Log escaping: one logged event is one line, whatever the values in it. Usernames, paths, origins and other
// client-supplied text reach log messages; a newline in them would forge a line of its own (issue 16, item 6), and
// terminal control sequences would act on an operator's terminal. Every message passes through escapeForLog() in
// the log handler, so no call site can forget it.
// Threading: a pure function.
#pragma once

#include <QString>

namespace smartbot {

// Control characters (C0 including tab, DEL, C1) and the Unicode line/paragraph separators become visible
// escapes: "\n", "\r", "\t", "\\x1b", "\\u2028"; a backslash stays as it is. Other text is unchanged.
QString escapeForLog(const QString &text);

} // namespace smartbot
