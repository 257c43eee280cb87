// smartbotd status --config DIR: asks the server of a config folder, over its own port, whether it serves:
// GET /readyz (ServerClient). Prints one line. Exit 0: ready; 1: running but not ready (loading, draining);
// 3: not running (nothing answers), as LSB status commands do; 2: bad usage or an unreadable config.
#include <QCommandLineParser>
#include <QJsonObject>

#include <cstdio>

#include "core/server_config.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"
#include "daemon/server_client.h"

namespace smartbot::daemon {

int runStatus(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder."), QStringLiteral("DIR")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config"))) {
        fail("--config DIR is required");
        return 2;
    }
    auto config = ServerConfig::loadOrCreate(p.value(QStringLiteral("config")));
    if (!config) {
        fail(config.error());
        return 2;
    }
    const ServerClient client(config.value());
    const QString base = client.baseUrl();
    const ServerClient::Reply reply = client.request("GET", QStringLiteral("/readyz"));
    const int status = reply.status;
    if (status == 0) {
        std::printf("not running: %s\n", qPrintable(reply.error));
        return 3;
    }
    const QJsonObject &body = reply.json;
    const QString state = body.value(QStringLiteral("status")).toString();
    const QString model = body.value(QStringLiteral("model")).toString();
    if (status == 200) {
        std::printf("ready at %s, serving %s\n", qPrintable(base), model.isEmpty() ? "no model" : qPrintable(model));
        return 0;
    }
    std::printf("running at %s but %s\n", qPrintable(base), state.isEmpty() ? "not ready" : qPrintable(state));
    return 1;
}

} // namespace smartbot::daemon
