// smartbotd model quantize IN OUT.gguf --type T: a Hugging Face model folder written as a GGUF file (engine's
// exportGguf), for llama.cpp and for SmartBot's quantized kernels. No server, no config.
// smartbotd model list|load NAME [--path P] [--no-wait]|unload NAME --config DIR: the running server's models, through
// its admin routes (/admin/models; ServerClient, the admin key from $SMARTBOT_ADMIN_KEY or admin.key). load of a
// loaded name is a hot swap. Exit 0 done, 1 refused or failed, 2 bad usage, 3 server not running.
#include <QCommandLineParser>
#include <QFileInfo>

#include <chrono>
#include <cstdio>

#include <QJsonArray>

#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"
#include "daemon/server_client.h"
#include "smartbot/engine/gguf_export.h"

namespace smartbot::daemon {

namespace {

int quantize(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Writes a Hugging Face model folder as a GGUF file."));
    p.addHelpOption();
    p.addOption({QStringLiteral("type"), QStringLiteral("f32, f16, bf16, q8_0, q4_0 or q4_k_m (default q8_0)."),
                 QStringLiteral("T"), QStringLiteral("q8_0")});
    p.addPositionalArgument(QStringLiteral("IN"), QStringLiteral("Model folder (config.json, safetensors)."));
    p.addPositionalArgument(QStringLiteral("OUT"), QStringLiteral("GGUF file to write."));
    if (!p.parse(args)) {
        std::fprintf(stderr, "smartbotd model quantize: %s\n", qPrintable(p.errorText()));
        return 2;
    }
    if (p.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(p.helpText()), stdout);
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 2) {
        std::fputs("smartbotd model quantize: expected IN (a model folder) and OUT (a .gguf file)\n", stderr);
        return 2;
    }
    if (QFileInfo(pos[1]).exists()) {
        std::fprintf(stderr, "smartbotd model quantize: %s exists; remove it first or name another file\n",
                     qPrintable(pos[1]));
        return 1;
    }
    engine::GgufExportOptions options;
    options.type = p.value(QStringLiteral("type")).toStdString();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = engine::exportGguf(pos[0].toStdString(), pos[1].toStdString(), options);
    if (!r) {
        std::fprintf(stderr, "smartbotd model quantize: %s\n", r.error().c_str());
        return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s: %s, %lld tensors, %.1f MiB in %.1f s\n", qPrintable(pos[1]), r->fileType.c_str(),
                static_cast<long long>(r->tensors), double(r->bytes) / (1 << 20), seconds);
    return 0;
}

QString mib(double bytes)
{
    return QString::number(bytes / (1 << 20), 'f', 0) + QStringLiteral(" MiB");
}

// list, load, unload: one admin request to the running server.
int manage(const QString &verb, const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder."), QStringLiteral("DIR")});
    p.addOption({QStringLiteral("path"), QStringLiteral("load: the model's folder or .gguf (in [model] folders)."),
                 QStringLiteral("P")});
    p.addOption({QStringLiteral("no-wait"), QStringLiteral("load: return once the load has begun.")});
    if (verb != QLatin1String("list"))
        p.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("The model's name."));
    if (!p.parse(args)) {
        std::fprintf(stderr, "smartbotd model %s: %s\n", qPrintable(verb), qPrintable(p.errorText()));
        return 2;
    }
    if (p.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(p.helpText()), stdout);
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (!p.isSet(QStringLiteral("config")) || pos.size() != (verb == QLatin1String("list") ? 0 : 1)) {
        std::fprintf(stderr, "smartbotd model %s: expected %s--config DIR\n", qPrintable(verb),
                     verb == QLatin1String("list") ? "" : "NAME and ");
        return 2;
    }
    auto config = ServerConfig::loadOrCreate(p.value(QStringLiteral("config")));
    if (!config) {
        fail(config.error());
        return 2;
    }
    QString why;
    const QByteArray key = ServerClient::adminKey(config.value(), why);
    if (key.isEmpty())
        return fail(why.toStdString());
    const ServerClient client(config.value());
    ServerClient::Reply r;
    if (verb == QLatin1String("list")) {
        r = client.request("GET", QStringLiteral("/admin/models"), {}, key);
    } else if (verb == QLatin1String("unload")) {
        r = client.request("POST", QStringLiteral("/admin/models/unload"), {{QStringLiteral("model"), pos[0]}}, key);
    } else {
        QJsonObject body{{QStringLiteral("model"), pos[0]},
                         {QStringLiteral("wait"), !p.isSet(QStringLiteral("no-wait"))}};
        if (p.isSet(QStringLiteral("path")))
            body.insert(QStringLiteral("path"), QFileInfo(p.value(QStringLiteral("path"))).absoluteFilePath());
        constexpr int kLoadWaitMs = 30 * 60 * 1000; // a large model from a cold disk
        r = client.request("POST", QStringLiteral("/admin/models/load"), body, key, kLoadWaitMs);
    }
    if (r.status == 0) {
        std::fprintf(stderr, "smartbotd model %s: the server is not running: %s\n", qPrintable(verb),
                     qPrintable(r.error));
        return 3;
    }
    if (r.status >= 400)
        return fail(QStringLiteral("model %1: %2 (HTTP %3)").arg(verb, r.error).arg(r.status).toStdString());
    if (verb == QLatin1String("unload")) {
        std::printf("model %s unloaded (its requests in flight finish first)\n", qPrintable(pos[0]));
    } else if (verb == QLatin1String("load")) {
        const QJsonObject info = r.json.value(QStringLiteral("info")).toObject();
        if (r.status == 202)
            std::printf("model %s: loading\n", qPrintable(pos[0]));
        else
            std::printf("model %s serving from %s: %s, %s, %.0f ms to load, %s counted\n", qPrintable(pos[0]),
                        qPrintable(r.json.value(QStringLiteral("path")).toString()),
                        qPrintable(info.value(QStringLiteral("quantization"))
                                       .toString(info.value(QStringLiteral("dtype")).toString())),
                        qPrintable(info.value(QStringLiteral("device")).toString()),
                        info.value(QStringLiteral("load_seconds")).toDouble() * 1000,
                        qPrintable(mib(r.json.value(QStringLiteral("memory_bytes")).toDouble())));
    } else {
        std::printf("%-24s %-8s %10s %8s  %s\n", "NAME", "STATE", "MEMORY", "IN-FLIGHT", "");
        for (const QJsonValue &m : r.json.value(QStringLiteral("models")).toArray()) {
            QStringList notes;
            if (m[QStringLiteral("default")].toBool())
                notes << QStringLiteral("default");
            else if (m[QStringLiteral("pinned")].toBool())
                notes << QStringLiteral("kept");
            else if (m[QStringLiteral("unload_at_ms")].isDouble())
                notes << QStringLiteral("on demand");
            if (m[QStringLiteral("swapping")].toBool())
                notes << QStringLiteral("new version loading");
            if (!m[QStringLiteral("error")].toString().isEmpty())
                notes << m[QStringLiteral("error")].toString();
            std::printf("%-24s %-8s %10s %8d  %s\n", qPrintable(m[QStringLiteral("name")].toString()),
                        qPrintable(m[QStringLiteral("state")].toString()),
                        qPrintable(mib(m[QStringLiteral("memory_bytes")].toDouble())),
                        m[QStringLiteral("requests_in_flight")].toInt(), qPrintable(notes.join(QStringLiteral("; "))));
        }
        for (const QJsonValue &a : r.json.value(QStringLiteral("available")).toArray())
            if (!a[QStringLiteral("loaded")].toBool())
                std::printf("%-24s %-8s %10s %8s  %s\n", qPrintable(a[QStringLiteral("name")].toString()), "on disk",
                            "", "", qPrintable(a[QStringLiteral("path")].toString()));
        const QJsonObject memory = r.json.value(QStringLiteral("memory")).toObject();
        std::printf("memory: %s of %s budget\n", qPrintable(mib(memory.value(QStringLiteral("used_bytes")).toDouble())),
                    qPrintable(mib(memory.value(QStringLiteral("budget_bytes")).toDouble())));
    }
    return 0;
}

} // namespace

int runModel(const QStringList &args)
{
    // args: [program, subcommand, ...]
    const QString verb = args.size() >= 2 ? args[1] : QString();
    if (!QStringList{"quantize", "list", "load", "unload"}.contains(verb)) {
        std::fputs("smartbotd model: expected 'quantize IN OUT.gguf [--type T]', 'list', 'load NAME [--path P]' or "
                   "'unload NAME' (with --config DIR)\n",
                   stderr);
        return 2;
    }
    QStringList rest = args;
    rest.removeAt(1);
    return verb == QLatin1String("quantize") ? quantize(rest) : manage(verb, rest);
}

} // namespace smartbot::daemon
