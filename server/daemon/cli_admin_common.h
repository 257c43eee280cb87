// What the admin subcommands (key, token, audit) share: the config folder and its database, opened the way a
// running server opens them, so that the server sees every change at once.
#pragma once

#include <QCommandLineParser>
#include <QString>
#include <memory>

#include "core/server_config.h"
#include "core/storage.h"

namespace smartbot::daemon {

struct AdminContext {
    ServerConfig config;
    std::unique_ptr<Storage> storage;
};

// Adds --config DIR; processes args (after the subcommand's own words); opens server.conf and smartbot.db.
// Prints the problem and returns nullptr on failure.
std::unique_ptr<AdminContext> openAdminContext(QCommandLineParser &parser, const QStringList &args);
// The actor named in the audit log for a command-line action.
QString cliActor();
int fail(const std::string &message);

} // namespace smartbot::daemon
