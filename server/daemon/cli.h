// smartbotd subcommands. Each returns the process exit code.
#pragma once

#include <QStringList>

namespace smartbot::daemon {

int runServe(const QStringList &args);
int runGenerate(const QStringList &args);
int runTokenize(const QStringList &args);

} // namespace smartbot::daemon
