// Prefill throughput of the engine at several prompt lengths, as llama.cpp's `llama-bench -p N` measures it: one
// forward pass over an N-token prompt (nothing cached), tokens/s, best of `rounds`. Prints figures; asserts nothing
// about speed. Usage: bench_prefill [model_dir or .gguf] [lengths, e.g. 128,512,2000] [rounds] [threads] [dtype]
// [quantize]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "smartbot/engine/engine.h"

using namespace smartbot::engine;

int main(int argc, char **argv)
{
    const std::string model = argc > 1 ? argv[1] : std::string(SMARTBOT_SHARED_DIR) + "/models/stories260K";
    std::vector<int> lengths;
    std::stringstream list(argc > 2 ? argv[2] : "128,512");
    for (std::string item; std::getline(list, item, ',');)
        lengths.push_back(std::atoi(item.c_str()));
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
    LoadOptions opts;
    opts.threads = argc > 4 ? std::atoi(argv[4]) : 0;
    if (argc > 5)
        opts.dtype = argv[5];
    if (argc > 6)
        opts.quantize = argv[6];
    if (!std::filesystem::exists(model)) {
        std::printf("SKIP: model %s is absent\n", model.c_str());
        return 0;
    }
    auto loaded = Engine::load(model, opts);
    if (!loaded) {
        std::fprintf(stderr, "load failed: %s\n", loaded.error().c_str());
        return 1;
    }
    Engine &engine = *loaded.value();
    std::printf("model %s: %lld parameters, %s on %s, %s weights\n", engine.info().name.c_str(),
                (long long)engine.info().parameters, engine.info().dtype.c_str(), engine.info().device.c_str(),
                engine.info().quantization.empty() ? "dense" : engine.info().quantization.c_str());
    const auto story = engine.tokenizer().encode(
        " Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her "
        "friends. One day, she saw a big red ball in the grass and ran to get it.",
        false);
    GenerationParams one;
    one.maxTokens = 1;
    for (int n : lengths) {
        n = std::min(n, engine.info().contextLength - 1);
        std::vector<int32_t> prompt{1};
        while (int(prompt.size()) < n)
            prompt.push_back(story[prompt.size() % story.size()]);
        double best = 0;
        for (int r = 0; r < rounds; ++r) {
            engine.clearPrefixCache(); // a full prefill each round
            auto g = engine.generate(prompt, one);
            if (!g) {
                std::fprintf(stderr, "generate failed: %s\n", g.error().c_str());
                return 1;
            }
            if (g->prefillSeconds > 0)
                best = std::max(best, double(prompt.size()) / g->prefillSeconds);
        }
        std::printf("pp%d: %.0f tokens/s (best of %d)\n", n, best, rounds);
    }
    return 0;
}
