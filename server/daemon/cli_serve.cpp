#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include "core/demo_model.h"
#include "core/log_buffer.h"
#include "daemon/cli.h"
#include "http/server/smartbot_server.h"

namespace smartbot::daemon {

namespace {
int signalPipe[2] = {-1, -1};

// The handler only writes the signal number into the pipe; the event loop reads it (nothing else is
// async-signal-safe).
void onSignal(int signal)
{
    const char c = char(signal);
    [[maybe_unused]] auto n = ::write(signalPipe[1], &c, 1);
}

// The first SIGTERM/SIGINT starts a graceful drain (blue-green upgrades: finish what was accepted, then exit 0);
// a second one stops at once. SIGHUP (systemctl reload) applies server.conf's live settings and reloads the TLS
// certificate (SmartbotServer::reload).
void installSignalHandlers(http::SmartbotServer &server)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, qApp);
    QObject::connect(notifier, &QSocketNotifier::activated, qApp, [&server] {
        char c = 0;
        [[maybe_unused]] auto n = ::read(signalPipe[0], &c, 1);
        if (c == SIGHUP) {
            auto reloaded = server.reload();
            if (reloaded)
                qInfo("SIGHUP: %s", qPrintable(reloaded.value()));
            else
                qWarning("SIGHUP: %s", reloaded.error().c_str());
            return;
        }
        static int received = 0;
        if (++received > 1 || !server.isRunning()) {
            qInfo("signal received again: stopping now");
            QCoreApplication::quit();
            return;
        }
        if (server.isDraining())
            qInfo("signal received: already draining (another signal stops at once)");
        server.drain(QStringLiteral("signal"));
    });
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
}
} // namespace

int runServe(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Runs the SmartBot chat server."));
    p.addHelpOption();
    p.addOption({QStringLiteral("config"),
                 QStringLiteral("Config folder (server.conf; keys and database in its [storage] data_dir)."),
                 QStringLiteral("DIR")});
    p.addOption(
        {QStringLiteral("model"),
         QStringLiteral("Model folder (overrides server.conf; none: no model). Without one anywhere, the bundled "
                        "demo model."),
         QStringLiteral("DIR")});
    p.addOption(
        {QStringLiteral("bind"), QStringLiteral("Bind address (overrides server.conf)."), QStringLiteral("ADDR")});
    p.addOption(
        {QStringLiteral("port"), QStringLiteral("Port (overrides server.conf; 0 = any)."), QStringLiteral("N")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config"))) {
        std::fputs("smartbotd serve: --config DIR is required\n", stderr);
        return 2;
    }
    LogBuffer::instance().install(true);
    http::ServerOverrides o;
    o.modelPath = p.value(QStringLiteral("model"));
    o.demoModelPath = bundledDemoModel(QCoreApplication::applicationDirPath());
    o.bindAddress = p.value(QStringLiteral("bind"));
    if (p.isSet(QStringLiteral("port"))) {
        bool ok = false;
        o.port = p.value(QStringLiteral("port")).toInt(&ok);
        if (!ok || o.port < 0 || o.port > 65535) {
            std::fputs("smartbotd serve: --port must be 0..65535\n", stderr);
            return 2;
        }
    }
    http::SmartbotServer server;
    auto r = server.start(p.value(QStringLiteral("config")), o);
    if (!r) {
        qCritical("cannot start: %s", r.error().c_str());
        return 1;
    }
    // A drain (signal or POST /admin/drain) ends with the server stopping itself; then the process exits.
    QObject::connect(&server, &http::SmartbotServer::runningChanged, qApp, [](bool running) {
        if (!running)
            QCoreApplication::quit();
    });
    installSignalHandlers(server);
    const int rc = QCoreApplication::exec();
    server.stop();
    return rc;
}

} // namespace smartbot::daemon
