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
        "  smartbotd generate --model DIR|FILE.gguf --prompt TEXT [--max-tokens N] [--temperature T] [--seed S] "
        "[--ids]\n"
        "  smartbotd tokenize --model DIR      (UTF-8 lines on stdin -> one JSON array of ids per line)\n"
        "  smartbotd perplexity --model M --file TEXT [--ctx N]   (last line: {\"tokens\", \"nll\", \"ppl\"})\n"
        "  smartbotd model quantize IN OUT.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_k_m]   (a model folder as GGUF)\n"
        "  smartbotd model list|load NAME [--path P] [--no-wait]|unload NAME --config DIR   (the running server's "
        "models; load of a loaded name is a hot swap)\n"
        "  smartbotd provider set-key NAME|list|test NAME --config DIR   ([provider.NAME] upstream platforms; the "
        "key on stdin)\n"
        "  smartbotd key create --config DIR --name N [--scope chat|admin] [--expires-days D] [--allow CIDR,...]\n"
        "                       [--rpm N] [--tpm N]   (prints the key once)\n"
        "  smartbotd key list|usage --config DIR [--json];  key revoke|rotate ID|PREFIX --config DIR\n"
        "  smartbotd token issue --config DIR --user NAME [--expires SECONDS]\n"
        "  smartbotd token rotate-secret --config DIR;  token revoke JTI --config DIR\n"
        "  smartbotd audit list --config DIR [--limit N]\n"
        "  smartbotd db status|migrate --config DIR   (the [database]'s schema: 0 up to date, 3 migrations pending)\n"
        "  smartbotd backup create --config DIR [--out FILE] [--passphrase-file F] [--without-secrets] "
        "[--with-models]\n"
        "  smartbotd backup verify FILE [--passphrase-file F];  backup list --config DIR\n"
        "  smartbotd backup restore FILE --config NEW_DIR [--passphrase-file F] [--force]\n"
        "  smartbotd config check --config DIR   (server.conf and the files it names; every problem listed)\n"
        "  smartbotd config defaults [--system] [--out FILE]   (the default server.conf; --system: /var/lib, "
        "/var/log)\n"
        "  smartbotd status --config DIR         (asks the running server: 0 ready, 1 not ready, 3 not running)\n",
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
    using namespace smartbot::daemon;
    static const std::pair<const char *, int (*)(const QStringList &)> kCommands[] = {
        {"serve", runServe},   {"generate", runGenerate}, {"tokenize", runTokenize},     {"key", runKey},
        {"token", runToken},   {"audit", runAudit},       {"backup", runBackup},         {"config", runConfig},
        {"status", runStatus}, {"model", runModel},       {"perplexity", runPerplexity}, {"provider", runProvider},
        {"db", runDb},
    };
    for (const auto &[name, run] : kCommands)
        if (command == QLatin1String(name))
            return run(args);
    if (command == QLatin1String("help")) {
        usage();
        return 0;
    }
    std::fprintf(stderr, "smartbotd: unknown command '%s'\n", qPrintable(command));
    usage();
    return 2;
}
