// Fuzzes Tokenizer::load with the input as tokenizer.json (written to a private temporary file, since load() takes
// a path). A file load() accepts must then behave (tokenizer_check.h) on a fixed text mixing ASCII, multi-byte
// UTF-8, digits, spaces and a special-token look-alike, and on ids across its vocabulary.
#include <unistd.h>

#include "tokenizer_check.h"

using smartbot::engine::Tokenizer;

namespace {
std::string gPath;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    char dir[] = "/tmp/fuzz_tokenizer_json.XXXXXX";
    if (!mkdtemp(dir)) {
        std::perror("mkdtemp");
        std::exit(1);
    }
    gPath = std::string(dir) + "/tokenizer.json";
    std::atexit([] {
        std::remove(gPath.c_str());
        rmdir(gPath.substr(0, gPath.rfind('/')).c_str());
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::FILE *f = std::fopen(gPath.c_str(), "wb");
    FUZZ_CHECK(f && std::fwrite(data, 1, size, f) == size && std::fclose(f) == 0, "cannot write " + gPath);
    auto r = Tokenizer::load(gPath, "");
    if (!r.ok()) {
        FUZZ_CHECK(!r.error().empty(), "refused without a message");
        return 0;
    }
    const Tokenizer &tok = *r.value();
    static const std::string kText = "Hello, world! 12345  héllo 你好 \xF0\x9F\x98\x80 <s></s><|endoftext|>\n\tend";
    std::string idBytes(reinterpret_cast<const char *>(data), std::min<size_t>(size, 128));
    for (const bool flags : {false, true})
        fuzz::checkTokenizer(tok, kText, flags, flags, fuzz::idsFromBytes(idBytes, tok.vocabSize()));
    return 0;
}
