// smartbotd generate / tokenize: the engine from the command line (no server, no config).
#include <QRandomGenerator>
#include <QCommandLineParser>
#include <QFile>
#include <QRandomGenerator>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/cli.h"
#include "smartbot/engine/engine.h"

namespace smartbot::daemon {

namespace {

std::unique_ptr<engine::Engine> loadOrComplain(const QString &model, const engine::LoadOptions &options = {})
{
    if (model.isEmpty()) {
        std::fputs("smartbotd: --model DIR is required\n", stderr);
        return nullptr;
    }
    auto e = engine::Engine::load(model.toStdString(), options);
    if (!e) {
        std::fprintf(stderr, "smartbotd: %s\n", e.error().c_str());
        return nullptr;
    }
    return std::move(e.value());
}

bool parseNumber(const QCommandLineParser &p, const char *name, double lo, double hi, double &out)
{
    if (!p.isSet(QLatin1String(name)))
        return true;
    bool ok = false;
    const double v = p.value(QLatin1String(name)).toDouble(&ok);
    if (!ok || v < lo || v > hi) {
        std::fprintf(stderr, "smartbotd generate: --%s must be a number from %g to %g\n", name, lo, hi);
        return false;
    }
    out = v;
    return true;
}

} // namespace

int runGenerate(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Generates a continuation of a prompt."));
    p.addHelpOption();
    p.addOption({QStringLiteral("model"), QStringLiteral("Model folder."), QStringLiteral("DIR")});
    p.addOption({QStringLiteral("prompt"), QStringLiteral("Prompt text."), QStringLiteral("TEXT")});
    p.addOption({QStringLiteral("max-tokens"), QStringLiteral("New tokens at most (256)."), QStringLiteral("N")});
    p.addOption({QStringLiteral("temperature"), QStringLiteral("0 = greedy (default)."), QStringLiteral("T")});
    p.addOption({QStringLiteral("top-p"), QStringLiteral("Nucleus sampling mass (1)."), QStringLiteral("P")});
    p.addOption({QStringLiteral("top-k"), QStringLiteral("Top-k sampling (0 = off)."), QStringLiteral("K")});
    p.addOption(
        {QStringLiteral("seed"), QStringLiteral("Sampling seed (random when not given)."), QStringLiteral("S")});
    p.addOption({QStringLiteral("threads"), QStringLiteral("CPU threads (0 = auto)."), QStringLiteral("N")});
    p.addOption({QStringLiteral("dtype"), QStringLiteral("Compute dtype: auto, float32, bfloat16 or float16 (CUDA)."),
                 QStringLiteral("T"), QStringLiteral("auto")});
    p.addOption({QStringLiteral("quantize"),
                 QStringLiteral("Quantize a safetensors model as it loads: none, q8_0, q4_0 or q4_k_m (none)."),
                 QStringLiteral("Q"), QStringLiteral("none")});
    p.addOption({QStringLiteral("ids"), QStringLiteral("Print {\"prompt_ids\", \"ids\"} as JSON instead of text.")});
    p.process(args);
    if (!p.isSet(QStringLiteral("prompt"))) {
        std::fputs("smartbotd generate: --prompt TEXT is required\n", stderr);
        return 2;
    }
    double maxTokens = 256, temperature = 0, topP = 1, topK = 0, seed = 0, threads = 0;
    if (!parseNumber(p, "max-tokens", 0, 1 << 20, maxTokens) || !parseNumber(p, "temperature", 0, 100, temperature) ||
        !parseNumber(p, "top-p", 1e-6, 1, topP) || !parseNumber(p, "top-k", 0, 1e7, topK) ||
        !parseNumber(p, "seed", 0, 1.8e19, seed) || !parseNumber(p, "threads", 0, 1024, threads))
        return 2;

    engine::LoadOptions lo;
    lo.threads = int(threads);
    lo.dtype = p.value(QStringLiteral("dtype")).toStdString();
    lo.quantize = p.value(QStringLiteral("quantize")).toStdString();
    auto loaded = loadOrComplain(p.value(QStringLiteral("model")), lo);
    if (!loaded)
        return 1;
    auto &eng = *loaded;
    engine::GenerationParams gp;
    gp.maxTokens = int(maxTokens);
    gp.temperature = float(temperature);
    gp.topP = float(topP);
    gp.topK = int(topK);
    gp.seed = p.isSet(QStringLiteral("seed")) ? uint64_t(seed) : QRandomGenerator::system()->generate64();
    const auto promptIds = eng.tokenizer().encode(p.value(QStringLiteral("prompt")).toStdString(), true);
    const bool idsOnly = p.isSet(QStringLiteral("ids"));
    auto r = eng.generate(promptIds, gp, [&](int32_t, const std::string &piece) {
        if (!idsOnly) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
        }
        return true;
    });
    if (!r) {
        std::fprintf(stderr, "smartbotd generate: %s\n", r.error().c_str());
        return 1;
    }
    if (idsOnly)
        std::cout << nlohmann::json{{"prompt_ids", r->promptIds}, {"ids", r->ids}}.dump() << std::endl;
    else
        std::fputs("\n", stdout);
    const double tps = r->decodeSeconds > 0 ? double(r->ids.size()) / r->decodeSeconds : 0.0;
    std::fprintf(stderr, "prompt %zu tokens in %.2f ms; generated %zu tokens (%s); decode %.1f tokens/s\n",
                 r->promptIds.size(), r->prefillSeconds * 1000, r->ids.size(), engine::finishReasonName(r->finish),
                 tps);
    return 0;
}

int runTokenize(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Tokenizes UTF-8 lines from stdin; one JSON array of ids per line."));
    p.addHelpOption();
    p.addOption({QStringLiteral("model"), QStringLiteral("Model folder."), QStringLiteral("DIR")});
    p.addOption({QStringLiteral("no-special"), QStringLiteral("Do not add BOS/EOS per tokenizer_config.json.")});
    p.process(args);
    engine::LoadOptions lo;
    lo.quantize = p.value(QStringLiteral("quantize")).toStdString();
    auto eng = loadOrComplain(p.value(QStringLiteral("model")), lo);
    if (!eng)
        return 1;
    const bool special = !p.isSet(QStringLiteral("no-special"));
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::cout << nlohmann::json(eng->tokenizer().encode(line, special)).dump() << '\n';
    }
    std::cout.flush();
    return 0;
}

int runPerplexity(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Perplexity of a model on a UTF-8 text file (BOS + the text, windows of "
                                               "--ctx tokens); the last line printed is JSON."));
    p.addHelpOption();
    p.addOption({QStringLiteral("model"), QStringLiteral("Model folder or .gguf file."), QStringLiteral("M")});
    p.addOption({QStringLiteral("file"), QStringLiteral("UTF-8 text file."), QStringLiteral("TEXT")});
    p.addOption({QStringLiteral("ctx"), QStringLiteral("Window in tokens (default: the model's context)."),
                 QStringLiteral("N")});
    p.addOption({QStringLiteral("quantize"),
                 QStringLiteral("Quantize a safetensors model as it loads: none, q8_0, q4_0 or q4_k_m (none)."),
                 QStringLiteral("Q"), QStringLiteral("none")});
    p.process(args);
    const QString path = p.value(QStringLiteral("file"));
    if (path.isEmpty()) {
        std::fputs("smartbotd perplexity: --file TEXT is required\n", stderr);
        return 2;
    }
    std::ifstream in(QFile::encodeName(path).toStdString(), std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "smartbotd perplexity: cannot read %s\n", qPrintable(path));
        return 1;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    engine::LoadOptions lo;
    lo.quantize = p.value(QStringLiteral("quantize")).toStdString();
    auto eng = loadOrComplain(p.value(QStringLiteral("model")), lo);
    if (!eng)
        return 1;
    int ctx = eng->info().contextLength;
    if (p.isSet(QStringLiteral("ctx"))) {
        bool ok = false;
        ctx = p.value(QStringLiteral("ctx")).toInt(&ok);
        if (!ok || ctx < 2 || ctx > eng->info().contextLength) {
            std::fprintf(stderr, "smartbotd perplexity: --ctx must be a whole number from 2 to %d\n",
                         eng->info().contextLength);
            return 2;
        }
    }
    const std::vector<int32_t> ids = eng->tokenizer().encode(text, true);
    auto r = eng->perplexity(ids, ctx, [](double f) { std::fprintf(stderr, "\r%5.1f%%", 100 * f); });
    std::fputs("\n", stderr);
    if (!r) {
        std::fprintf(stderr, "smartbotd perplexity: %s\n", r.error().c_str());
        return 1;
    }
    std::cout << nlohmann::json{{"tokens", r->tokens}, {"nll", r->nll}, {"ppl", r->ppl}}.dump() << std::endl;
    return 0;
}

} // namespace smartbot::daemon
