// Structured outputs: what constrained decoding costs. Prints figures; asserts nothing about speed.
//  1. Decode tokens/s of a model with and without a JSON Schema (a story told inside a JSON string, so both runs
//     generate the same kind of text, at the same length).
//  2. Per tokenizer in ../shared/tokenizers (32,000 to 151,000 tokens): the time to build a token mask at the states
//     a JSON document passes through, against which a decode step's time can be set.
// Usage: bench_structured [model_dir] [new_tokens] [rounds]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "grammar/grammar.h"
#include "grammar/token_constraint.h"
#include "smartbot/engine/engine.h"
#include "smartbot/engine/structured_output.h"

using namespace smartbot::engine;
using Clock = std::chrono::steady_clock;

namespace {

// The story string must be long, so that runs with and without the schema generate the same number of tokens (the
// cost of a decode step grows with the position).
const char *kStorySchema = R"({"type": "object", "properties": {"title": {"type": "string", "maxLength": 40},
    "story": {"type": "string", "minLength": 1000}}, "required": ["title", "story"]})";

double decodeRate(Engine &engine, const std::vector<int32_t> &prompt, GenerationParams p, int rounds, long &tokens)
{
    double best = 0;
    for (int r = 0; r < rounds; ++r, ++p.seed) {
        auto g = engine.generate(prompt, p);
        if (!g || g->ids.size() < 2 || g->decodeSeconds <= 0)
            continue;
        tokens += long(g->ids.size());
        best = std::max(best, double(g->ids.size() - 1) / g->decodeSeconds);
    }
    return best;
}

void engineOverhead(const std::string &model, int newTokens, int rounds)
{
    if (!std::filesystem::exists(model + "/config.json")) {
        std::printf("SKIP: model %s is absent\n", model.c_str());
        return;
    }
    auto e = Engine::load(model, {});
    if (!e) {
        std::fprintf(stderr, "load failed: %s\n", e.error().c_str());
        std::exit(1);
    }
    Engine &engine = *e.value();
    const auto prompt = engine.tokenizer().encode("Once upon a time", true);
    GenerationParams free;
    free.maxTokens = newTokens;
    free.temperature = 1.0f;
    free.seed = 7;
    GenerationParams schema = free;
    auto gbnf = grammarFromJsonSchema(kStorySchema);
    if (!gbnf) {
        std::fprintf(stderr, "%s\n", gbnf.error().c_str());
        std::exit(1);
    }
    schema.grammar = gbnf.value();
    long freeTokens = 0, schemaTokens = 0;
    const double a = decodeRate(engine, prompt, free, rounds, freeTokens);
    const double b = decodeRate(engine, prompt, schema, rounds, schemaTokens);
    std::printf("model %s (%lld parameters, vocabulary %d)\n", engine.info().name.c_str(),
                (long long)engine.info().parameters, engine.info().vocabSize);
    std::printf("decode without a schema: %.0f tokens/s (%ld tokens)\n", a, freeTokens);
    std::printf("decode with a JSON Schema: %.0f tokens/s (%ld tokens)\n", b, schemaTokens);
    std::printf("RESULT structured_decode_ratio %.3f (1.0 = no cost; goal >= 0.90)\n", a > 0 ? b / a : 0.0);
}

// Masks at the states of random documents of the schema: how long one takes when it is not cached.
void maskCost(const std::string &dir)
{
    auto tok =
        Tokenizer::load(dir + "/tokenizer.json",
                        std::filesystem::exists(dir + "/tokenizer_config.json") ? dir + "/tokenizer_config.json" : "");
    if (!tok) {
        std::printf("SKIP %s: %s\n", dir.c_str(), tok.error().c_str());
        return;
    }
    const auto t0 = Clock::now();
    auto table = std::make_shared<const grammar::TokenTable>(*tok.value(), tok.value()->vocabSize(),
                                                             std::vector<int32_t>{tok.value()->eosId()});
    const double tableMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    auto gbnf = grammarFromJsonSchema(kStorySchema);
    auto parsed = gbnf ? grammar::Grammar::parse(gbnf.value()) : smartbot::Result<grammar::Grammar>(gbnf.failure());
    if (!parsed) {
        std::fprintf(stderr, "%s\n", parsed.error().c_str());
        std::exit(1);
    }
    auto g = std::make_shared<const grammar::Grammar>(std::move(parsed.value()));
    std::mt19937 rng(3);
    std::vector<double> times;
    double allowsUs = 0;
    long allowsCalls = 0;
    for (int doc = 0; doc < 6; ++doc) {
        grammar::TokenConstraint c(g, table);
        for (int step = 0; step < 40 && !c.mustEnd(); ++step) {
            const uint64_t built = c.masksBuilt();
            const auto m0 = Clock::now();
            const std::vector<uint64_t> bits = c.mask();
            if (c.masksBuilt() > built) // not served from the cache
                times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - m0).count());
            std::vector<int32_t> allowed;
            for (int32_t id = 0; id < int32_t(table->vocab()); ++id)
                if ((bits[size_t(id) >> 6] >> (id & 63)) & 1)
                    allowed.push_back(id);
            if (allowed.empty())
                break;
            const auto a0 = Clock::now();
            for (int i = 0; i < 64; ++i)
                c.allows(int32_t(rng() % table->vocab()));
            allowsUs += std::chrono::duration<double, std::micro>(Clock::now() - a0).count();
            allowsCalls += 64;
            const int32_t id = allowed[rng() % allowed.size()];
            if (table->kind(id) == grammar::TokenTable::Kind::Stop)
                break;
            c.accept(id);
        }
    }
    std::sort(times.begin(), times.end());
    std::printf("%-12s vocabulary %6lld: table %.0f ms once; mask median %.2f ms, p90 %.2f ms (%zu states); "
                "checking one draw %.1f us\n",
                std::filesystem::path(dir).filename().c_str(), (long long)table->vocab(), tableMs,
                times[times.size() / 2], times[times.size() * 9 / 10], times.size(), allowsUs / double(allowsCalls));
}

} // namespace

int main(int argc, char **argv)
{
    const std::string shared = SMARTBOT_SHARED_DIR;
    const std::string model = argc > 1 ? argv[1] : shared + "/models/stories260K";
    engineOverhead(model, argc > 2 ? std::atoi(argv[2]) : 200, argc > 3 ? std::atoi(argv[3]) : 5);
    for (const char *name : {"stories260K", "phi-3-mini", "gpt2", "qwen2"})
        maskCost(shared + "/tokenizers/" + name);
    return 0;
}
