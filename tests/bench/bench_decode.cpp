// Single-stream decode and prefill throughput of the engine, plus load time. Prints figures; asserts nothing
// about speed. Usage: bench_decode [model_dir or .gguf] [new_tokens] [rounds] [threads] [dtype] [fused|torch]
// [quantize]; rounds 0 loads the model (three times) and stops.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "smartbot/engine/engine.h"

using namespace smartbot::engine;

int main(int argc, char **argv)
{
    const std::string model = argc > 1 ? argv[1] : std::string(SMARTBOT_SHARED_DIR) + "/models/stories260K";
    const int newTokens = argc > 2 ? std::atoi(argv[2]) : 256;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
    LoadOptions opts;
    opts.threads = argc > 4 ? std::atoi(argv[4]) : 0;
    if (argc > 5)
        opts.dtype = argv[5]; // auto, float32, bfloat16
    if (argc > 6)
        opts.fusedCpuDecode = std::string(argv[6]) != "torch"; // "torch": the libtorch-operator decode path
    if (argc > 7)
        opts.quantize = argv[7]; // none, q8_0, q4_0, q4_k_m: a safetensors model quantized as it loads
    if (!std::filesystem::exists(model)) {
        std::printf("SKIP: model %s is absent\n", model.c_str());
        return 0;
    }
    std::vector<double> loads;
    std::unique_ptr<Engine> engine;
    for (int i = 0; i < 3; ++i) {
        auto e = Engine::load(model, opts);
        if (!e) {
            std::fprintf(stderr, "load failed: %s\n", e.error().c_str());
            return 1;
        }
        loads.push_back(e.value()->info().loadSeconds);
        engine = std::move(e.value());
    }
    std::printf("model %s: %lld parameters, %s on %s\n", engine->info().name.c_str(),
                (long long)engine->info().parameters, engine->info().dtype.c_str(), engine->info().device.c_str());
    std::printf("load-to-ready: %.2f ms (best of 3, warm page cache)\n",
                *std::min_element(loads.begin(), loads.end()) * 1000);
    if (rounds == 0) // load only (for profiling a load)
        return 0;

    // Decode: greedy, no early stop (ignore EOS by sampling a long story; count what was generated).
    GenerationParams p;
    p.maxTokens = newTokens;
    p.temperature = 1.0f;
    p.seed = 7;
    const auto prompt = engine->tokenizer().encode("Once upon a time", true);
    double bestDecode = 0, bestPrefill = 0;
    long long generated = 0;
    for (int r = 0; r < rounds; ++r) {
        auto g = engine->generate(prompt, p);
        if (!g) {
            std::fprintf(stderr, "generate failed: %s\n", g.error().c_str());
            return 1;
        }
        p.seed++;
        generated += (long long)g->ids.size();
        if (g->decodeSeconds > 0 && g->ids.size() > 1)
            bestDecode = std::max(bestDecode, double(g->ids.size() - 1) / g->decodeSeconds);
    }
    // Prefill: a long prompt (most of the context), one forward pass.
    std::vector<int32_t> longPrompt{1};
    const auto story = engine->tokenizer().encode(
        " Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her "
        "friends. One day, she saw a big red ball in the grass and ran to get it.",
        false);
    while (longPrompt.size() + story.size() < size_t(engine->info().contextLength) - 2)
        longPrompt.insert(longPrompt.end(), story.begin(), story.end());
    GenerationParams one;
    one.maxTokens = 1;
    for (int r = 0; r < rounds; ++r) {
        engine->clearPrefixCache(); // a full prefill each round
        auto g = engine->generate(longPrompt, one);
        if (g && g->prefillSeconds > 0)
            bestPrefill = std::max(bestPrefill, double(longPrompt.size()) / g->prefillSeconds);
    }
    std::printf("single-stream decode: %.0f tokens/s (best of %d rounds, %lld tokens generated)\n", bestDecode, rounds,
                generated);

    // Aggregate decode with continuous batching: N streams decoding together (prefill excluded).
    for (int streams : {1, 8, 32, 64}) {
        std::vector<Engine::StepEvent> events;
        GenerationParams sp = p;
        sp.maxTokens = std::min(newTokens, engine->info().contextLength - int(prompt.size()));
        for (int i = 0; i < streams; ++i) {
            sp.seed = uint64_t(1000 + i);
            if (!engine->begin(prompt, sp, events)) {
                std::fprintf(stderr, "begin failed\n");
                return 1;
            }
        }
        long long tokens = 0;
        const auto t0 = std::chrono::steady_clock::now();
        while (engine->activeSequences() > 0) {
            events.clear();
            engine->step(events);
            for (const auto &e : events)
                if (e.finished)
                    tokens += (long long)e.result.ids.size() - 1; // the first token came from prefill
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("aggregate decode, %2d streams: %.0f tokens/s (%lld tokens in %.2f s)\n", streams,
                    double(tokens) / s, tokens, s);
    }
    std::printf("prefill: %.0f tokens/s (%zu-token prompt, best of %d)\n", bestPrefill, longPrompt.size(), rounds);

    // Prefix cache: prompts sharing all but their last few tokens (a long system prompt, a new question).
    // Time to the first token, cold (nothing cached) and warm (the shared part cached by an earlier request).
    double cold = 1e9, warm = 1e9;
    int64_t reused = 0;
    for (int r = 0; r < rounds; ++r) {
        engine->clearPrefixCache();
        std::vector<int32_t> a = longPrompt, b = longPrompt;
        a.back() = story[0];
        b.back() = story[1];
        auto first = engine->generate(a, one), second = engine->generate(b, one);
        if (!first || !second)
            return 1;
        cold = std::min(cold, first->prefillSeconds);
        warm = std::min(warm, second->prefillSeconds);
        reused = second->cachedPromptTokens;
    }
    std::printf("prefix cache: %zu-token prompt, first token after %.2f ms cold, %.2f ms with %lld tokens cached\n",
                longPrompt.size(), cold * 1000, warm * 1000, (long long)reused);
    return 0;
}
