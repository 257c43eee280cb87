// smartbotd provider set-key|list|test --config DIR: the upstream platforms of [provider.NAME].
//   set-key NAME  reads the platform key from stdin (one line; never an argument, which ps and shell history would
//                 show) into <config>/providers/NAME.env, 0600, stamped with the date (rotation is due after
//                 [auth] key_rotation_days).
//   list          each provider: its base_urls, models, whether its key is set, when, and "rotation due".
//   test NAME     asks the provider's /models with the key, as the server would; exit 0 when it answers.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QTextStream>

#include <cstdio>
#include <iostream>
#include <string>

#include "core/provider_config.h"
#include "core/server_config.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"
#include "relay/provider_relay.h"

namespace smartbot::daemon {

namespace {

Result<ServerConfig> configFrom(QCommandLineParser &p, const QStringList &args, const char *usage)
{
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder (server.conf)."), QStringLiteral("DIR")});
    p.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("The provider ([provider.NAME])."));
    p.process(args);
    if (!p.isSet(QStringLiteral("config")))
        return makeError(std::string("--config DIR is required (") + usage + ")");
    return ServerConfig::loadOrCreate(p.value(QStringLiteral("config")));
}

const ProviderConfig *findProvider(const ServerConfig &config, const QString &name)
{
    for (const ProviderConfig &p : config.providers)
        if (p.name == name)
            return &p;
    return nullptr;
}

int setKey(const QStringList &args)
{
    QCommandLineParser p;
    auto config = configFrom(p, args, "usage: smartbotd provider set-key NAME --config DIR < keyfile");
    if (!config)
        return fail(config.error());
    const QString name = p.positionalArguments().value(0);
    if (name.isEmpty())
        return fail("usage: smartbotd provider set-key NAME --config DIR   (the key on stdin)");
    if (!findProvider(config.value(), name))
        return fail("no [provider." + name.toStdString() + "] in server.conf: add the section first");
    std::string line;
    std::getline(std::cin, line);
    const QByteArray key = QByteArray::fromStdString(line).trimmed();
    if (key.isEmpty())
        return fail("no key on stdin (echo \"$KEY\" | smartbotd provider set-key " + name.toStdString() + " ...)");
    if (auto r = writeProviderKey(config->configDir, name, key, QDateTime::currentDateTimeUtc()); !r)
        return fail(r.error());
    std::printf("platform key of provider %s written to %s (mode 0600); restart or reload the server to use it\n",
                qPrintable(name), qPrintable(providerKeyPath(config->configDir, name)));
    return 0;
}

int list(const QStringList &args)
{
    QCommandLineParser p;
    auto config = configFrom(p, args, "usage: smartbotd provider list --config DIR");
    if (!config)
        return fail(config.error());
    if (config->providers.empty())
        std::printf("no [provider.NAME] sections in server.conf\n");
    for (const ProviderConfig &provider : config->providers) {
        QStringList urls;
        for (const QUrl &u : provider.baseUrls)
            urls << u.toString();
        auto key = readProviderKey(config->configDir, provider.name);
        QString keyText;
        if (!key) {
            keyText = QStringLiteral("no usable key: ") + QString::fromStdString(key.error());
        } else {
            const qint64 age = key->setAt.daysTo(QDateTime::currentDateTimeUtc());
            keyText = QStringLiteral("key set %1 (%2 days ago)").arg(key->setAt.toUTC().toString(Qt::ISODate)).arg(age);
            if (config->keyRotationDays > 0 && age >= config->keyRotationDays)
                keyText += QStringLiteral(", rotation due");
        }
        std::printf("%s\t%s\tmodels %s\t%s\n", qPrintable(provider.name), qPrintable(urls.join(QLatin1Char(','))),
                    provider.discoverModels ? "*" : qPrintable(provider.models.join(QLatin1Char(','))),
                    qPrintable(keyText));
    }
    return 0;
}

int test(const QStringList &args)
{
    QCommandLineParser p;
    auto config = configFrom(p, args, "usage: smartbotd provider test NAME --config DIR");
    if (!config)
        return fail(config.error());
    const QString name = p.positionalArguments().value(0);
    const ProviderConfig *provider = findProvider(config.value(), name);
    if (!provider)
        return fail("no [provider." + name.toStdString() + "] in server.conf");
    if (auto key = readProviderKey(config->configDir, name); !key)
        return fail(key.error());
    relay::ProviderRelay relay({*provider}, config->configDir, {}, relay::ProviderRelay::Mode::OneShot);
    int code = 1;
    relay.listUpstreamModels(name, [&](const Result<QStringList> &ids) {
        if (ids) {
            std::printf("provider %s answers: %lld models (%s)\n", qPrintable(name), qlonglong(ids->size()),
                        qPrintable(ids->mid(0, 10).join(QStringLiteral(", "))));
            code = 0;
        } else {
            std::fprintf(stderr, "smartbotd: %s\n", ids.error().c_str());
        }
        QCoreApplication::exit(code);
    });
    QCoreApplication::exec();
    return code;
}

} // namespace

int runProvider(const QStringList &args)
{
    const QString sub = args.value(1);
    QStringList rest = args;
    if (rest.size() > 1)
        rest.removeAt(1);
    static const std::pair<const char *, int (*)(const QStringList &)> kSubcommands[] = {
        {"set-key", setKey}, {"list", list}, {"test", test}};
    for (const auto &[word, run] : kSubcommands)
        if (sub == QLatin1String(word))
            return run(rest);
    return fail("usage: smartbotd provider set-key NAME|list|test NAME --config DIR");
}

} // namespace smartbot::daemon
