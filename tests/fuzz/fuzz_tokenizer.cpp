// Fuzzes Tokenizer::encode / decode / StreamDecoder on the real tokenizers of ../shared/tokenizers (loaded once).
// The first input byte picks the tokenizer (stories260K: SentencePiece BPE with byte fallback; gpt2 and qwen2:
// byte-level BPE with PCRE2 splits; phi-3-mini: SentencePiece with added tokens) and the flags; the rest is the text,
// and also read as raw ids for the decoders. Invariants: tokenizer_check.h; plus gpt2 (no normalizer) decodes its
// own encoding of valid UTF-8 back to the same text.
// The data folder: $SMARTBOT_SHARED_DIR, else the one compiled in (the tests' SMARTBOT_SHARED_DIR).
#include <memory>

#include "tokenizer_check.h"

using smartbot::engine::Tokenizer;

namespace {

struct Family {
    const char *name;
    std::unique_ptr<Tokenizer> tok;
};
Family gFamilies[] = {{"stories260K", nullptr}, {"gpt2", nullptr}, {"qwen2", nullptr}, {"phi-3-mini", nullptr}};

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    for (Family &f : gFamilies) {
        const std::string dir = fuzz::sharedDir() + "/tokenizers/" + f.name;
        const std::string config = dir + "/tokenizer_config.json";
        std::FILE *probe = std::fopen(config.c_str(), "rb");
        if (probe)
            std::fclose(probe);
        auto r = Tokenizer::load(dir + "/tokenizer.json", probe ? config : std::string());
        if (!r.ok()) {
            std::fprintf(stderr, "fuzz_tokenizer: cannot load %s: %s (set SMARTBOT_SHARED_DIR)\n", f.name,
                         r.error().c_str());
            std::exit(1);
        }
        f.tok = std::move(r).value();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const Family &family = gFamilies[data[0] % std::size(gFamilies)];
    const bool addSpecial = data[0] & 0x10, skipSpecial = data[0] & 0x20;
    const std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
    const Tokenizer &tok = *family.tok;
    fuzz::checkTokenizer(tok, text, addSpecial, skipSpecial, fuzz::idsFromBytes(text, tok.vocabSize()));
    if (std::string_view(family.name) == "gpt2" && fuzz::validUtf8(text))
        FUZZ_CHECK(tok.decode(tok.encode(text, false), false) == text,
                   "gpt2 does not round-trip '" + std::string(text) + "'");
    return 0;
}
