// Fuzzes the safetensors header parser (server/engine/src/safetensors.h) through its in-memory API: the input is a
// whole file (8-byte little-endian header length, JSON header, data). Invariants on an accepted file: every tensor's
// byte count is numel x dtype size, its shape has no negative dimension, and its bytes lie inside the buffer (both
// ends are read here, so ASan reports any range the parser let out of bounds).
#include "fuzz_check.h"
#include "model/safetensors.h"

using namespace smartbot::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto r = SafetensorsFile::fromMemory(std::vector<uint8_t>(data, data + size));
    if (!r.ok()) {
        FUZZ_CHECK(!r.error().empty(), "refused without a message");
        return 0;
    }
    volatile uint8_t sink = 0;
    for (const auto &[name, t] : r.value()->tensors()) {
        FUZZ_CHECK(name == t.name, "tensor name");
        for (int64_t d : t.shape)
            FUZZ_CHECK(d >= 0, "negative dimension in " + name);
        FUZZ_CHECK(t.numel() >= 0 && t.bytes == uint64_t(t.numel()) * dtypeSize(t.dtype),
                   "bytes do not match shape for " + name);
        FUZZ_CHECK(t.bytes <= size, "tensor " + name + " larger than the file");
        if (t.bytes > 0) {
            FUZZ_CHECK(t.data != nullptr, "no data for " + name);
            sink = sink + t.data[0] + t.data[t.bytes - 1];
        }
        FUZZ_CHECK(r.value()->find(name) == &t, "find(" + name + ")");
    }
    return 0;
}
