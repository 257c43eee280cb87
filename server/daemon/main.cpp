// smartbotd: the SmartBot server, headless (systemd), plus admin and engine subcommands.
#include <QCoreApplication>
#include <cstdio>

#include "daemon/cli.h"

namespace {
void usage()
{
    std::fputs(
        "usage:\n"
        "  smartbotd [serve] --config DIR [--model DIR] [--bind ADDR] [--port N]\n"
        "  smartbotd generate --model DIR --prompt TEXT [--max-tokens N] [--temperature T] [--seed S] [--ids]\n"
        "  smartbotd tokenize --model DIR      (UTF-8 lines on stdin -> one JSON array of ids per line)\n"
        "  smartbotd key create --config DIR --name N [--scope chat|admin] [--expires-days D] [--allow CIDR,...]\n"
        "                       [--rpm N] [--tpm N]   (prints the key once)\n"
        "  smartbotd key list|usage --config DIR [--json];  key revoke|rotate ID|PREFIX --config DIR\n"
        "  smartbotd token issue --config DIR --user NAME [--expires SECONDS]\n"
        "  smartbotd token rotate-secret --config DIR;  token revoke JTI --config DIR\n"
        "  smartbotd audit list --config DIR [--limit N]\n",
        stderr);
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("smartbotd"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    QStringList args = app.arguments();
    QString command = QStringLiteral("serve");
    if (args.size() > 1 && !args[1].startsWith('-')) {
        command = args[1];
        args.removeAt(1);
    }
    if (command == QLatin1String("serve"))
        return smartbot::daemon::runServe(args);
    if (command == QLatin1String("generate"))
        return smartbot::daemon::runGenerate(args);
    if (command == QLatin1String("tokenize"))
        return smartbot::daemon::runTokenize(args);
    if (command == QLatin1String("key"))
        return smartbot::daemon::runKey(args);
    if (command == QLatin1String("token"))
        return smartbot::daemon::runToken(args);
    if (command == QLatin1String("audit"))
        return smartbot::daemon::runAudit(args);
    if (command == QLatin1String("help")) {
        usage();
        return 0;
    }
    std::fprintf(stderr, "smartbotd: unknown command '%s'\n", qPrintable(command));
    usage();
    return 2;
}
