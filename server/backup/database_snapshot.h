// A consistent copy of a live SQLite database, taken with SQLite's online backup API while the server keeps
// reading and writing it (WAL: the copy is one read transaction; writers are not blocked).
#pragma once

#include <QString>

#include "smartbot/common/result.h"

namespace smartbot::backup {

// Copies the database at source into a new file at target (mode 0600). Fails naming the file and SQLite's reason.
Result<void> snapshotSqlite(const QString &source, const QString &target);

} // namespace smartbot::backup
