// Writes a random-weight Llama-shaped model in Hugging Face layout, for bandwidth-bound benchmark figures.
// Usage: make_random_model OUT_DIR [--hidden 768] [--layers 12] [--heads 12] [--kv-heads 12] [--intermediate 2048]
//                          [--vocab 32000] [--dtype F32|F16|BF16] [--max-positions 2048] [--untied]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "random_model.h"

int main(int argc, char **argv)
{
    const char *usage = "usage: %s OUT_DIR [--hidden N] [--layers N] [--heads N] [--kv-heads N] [--intermediate N] "
                        "[--vocab N] [--dtype F32|F16|BF16] [--max-positions N] [--untied]\n";
    if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::printf(usage, argv[0]);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') { // never make a folder named like an option
        std::fprintf(stderr, usage, argv[0]);
        return 2;
    }
    smartbot::testsupport::RandomModelSpec s;
    s.hidden = 768;
    s.layers = 12;
    s.heads = 12;
    s.kvHeads = 12;
    s.intermediate = 2048;
    s.vocab = 32000;
    s.maxPositions = 2048;
    s.tie = true;
    s.keepValues = false;
    s.tokenizerDir = SMARTBOT_SHARED_DIR "/models/stories260K";
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char * {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::printf(usage, argv[0]);
            return 0;
        } else if (a == "--hidden")
            s.hidden = std::atoi(next());
        else if (a == "--layers")
            s.layers = std::atoi(next());
        else if (a == "--heads")
            s.heads = std::atoi(next());
        else if (a == "--kv-heads")
            s.kvHeads = std::atoi(next());
        else if (a == "--intermediate")
            s.intermediate = std::atoi(next());
        else if (a == "--vocab")
            s.vocab = std::atoi(next());
        else if (a == "--max-positions")
            s.maxPositions = std::atoi(next());
        else if (a == "--dtype")
            s.dtype = next();
        else if (a == "--untied")
            s.tie = false;
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    smartbot::testsupport::writeRandomModel(argv[1], s);
    std::printf("wrote %s: hidden %d, %d layers, %d heads (%d kv), intermediate %d, vocab %d, %s\n", argv[1], s.hidden,
                s.layers, s.heads, s.kvHeads, s.intermediate, s.vocab, s.dtype.c_str());
    return 0;
}
