// smartbotd subcommands. Each returns the process exit code.
#pragma once

#include <QStringList>

namespace smartbot::daemon {

int runServe(const QStringList &args);
int runGenerate(const QStringList &args);
int runTokenize(const QStringList &args);
int runPerplexity(const QStringList &args); // cli_generate.cpp
int runKey(const QStringList &args);        // cli_keys.cpp
int runAudit(const QStringList &args);      // cli_keys.cpp
int runToken(const QStringList &args);      // cli_tokens.cpp
int runBackup(const QStringList &args);     // cli_backup.cpp
int runConfig(const QStringList &args);     // cli_config.cpp
int runStatus(const QStringList &args);     // cli_status.cpp
int runModel(const QStringList &args);      // cli_model.cpp
int runProvider(const QStringList &args);   // cli_provider.cpp
int runDb(const QStringList &args);         // cli_db.cpp

} // namespace smartbot::daemon
