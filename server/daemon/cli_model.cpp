// smartbotd model quantize IN OUT.gguf --type T: a Hugging Face model folder written as a GGUF file (engine's
// exportGguf), for llama.cpp and for SmartBot's quantized kernels. No server, no config.
#include <QCommandLineParser>
#include <QFileInfo>

#include <chrono>
#include <cstdio>

#include "daemon/cli.h"
#include "smartbot/engine/gguf_export.h"

namespace smartbot::daemon {

namespace {

int quantize(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Writes a Hugging Face model folder as a GGUF file."));
    p.addHelpOption();
    p.addOption({QStringLiteral("type"), QStringLiteral("f32, f16, q8_0, q4_0 or q4_k_m (default q8_0)."),
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

} // namespace

int runModel(const QStringList &args)
{
    // args: [program, subcommand, ...]
    if (args.size() < 2 || args[1] != QLatin1String("quantize")) {
        std::fputs("smartbotd model: expected 'quantize IN OUT.gguf [--type T]'\n", stderr);
        return 2;
    }
    QStringList rest = args;
    rest.removeAt(1);
    return quantize(rest);
}

} // namespace smartbot::daemon
