// Fuzzes the GGUF reader (server/engine/src/gguf/gguf_file.h) through its in-memory API, then what the loader reads
// from an accepted file without touching weights: the hyper-parameters (gguf_model.h) and the vocabulary translated
// to tokenizer.json (gguf_vocab.h). Invariants on an accepted file: every tensor's bytes lie inside the buffer (both
// ends are read here, so ASan reports any range the parser let out), its byte count matches its dimensions and type,
// and find() returns what was parsed. Seeds: small files from the writer; llama.cpp's own files are in ../shared.
#include "fuzz_check.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_model.h"
#include "gguf/gguf_vocab.h"

using namespace smartbot::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto r = gguf::File::fromMemory(std::vector<uint8_t>(data, data + size));
    if (!r.ok()) {
        FUZZ_CHECK(!r.error().empty(), "refused without a message");
        return 0;
    }
    const gguf::File &f = *r.value();
    volatile uint8_t sink = 0;
    for (const gguf::Tensor &t : f.tensors()) {
        const gguf::GgmlTypeInfo *info = gguf::ggmlTypeInfo(t.type);
        FUZZ_CHECK(info != nullptr, "unknown type accepted for " + t.name);
        FUZZ_CHECK(!t.dims.empty() && t.dims.size() <= 4, "dimension count of " + t.name);
        FUZZ_CHECK(t.dims[0] % info->blockSize == 0, "partial block in " + t.name);
        FUZZ_CHECK(t.bytes == uint64_t(t.elements() / info->blockSize) * uint64_t(info->blockBytes),
                   "bytes do not match dimensions for " + t.name);
        FUZZ_CHECK(t.bytes <= size && t.offset <= size, "tensor " + t.name + " outside the file");
        if (t.bytes > 0)
            sink = sink + t.data[0] + t.data[t.bytes - 1];
        FUZZ_CHECK(f.tensor(t.name) == &t, "tensor(" + t.name + ")");
    }
    auto config = gguf::modelConfig(f);
    if (!config.ok())
        FUZZ_CHECK(!config.error().empty(), "config refused without a message");
    auto vocab = gguf::vocabJson(f);
    if (!vocab.ok())
        FUZZ_CHECK(!vocab.error().empty(), "vocabulary refused without a message");
    return 0;
}
