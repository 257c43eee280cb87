// KvCache: the keys and values of one sequence, per layer, preallocated to the sequence's capacity. The engine's
// budget (engine/batch.cpp: admission, begin) decides how many positions a sequence may hold before one is made;
// finished caches are kept for reuse by the prefix cache (kv/prefix_cache.h). Private to the engine.
// Threading: a cache belongs to the inference worker thread, like the sequence that owns it.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace smartbot::engine {

struct KvShape {
    int64_t layers = 0;
    int64_t kvHeads = 0;
    int64_t headDim = 0;
    torch::ScalarType dtype = torch::kFloat32;
    torch::Device device = torch::kCPU;

    int64_t bytesPerPosition() const { return 2 * layers * kvHeads * headDim * int64_t(c10::elementSize(dtype)); }
};

struct KvCache {
    std::vector<torch::Tensor> k, v; // per layer: [kvHeads, capacity, headDim]
    int64_t length = 0;              // positions filled
    int64_t capacity = 0;

    // An empty cache (length 0) with room for `capacity` positions; the memory is not cleared.
    static KvCache allocate(const KvShape &shape, int64_t capacity);
    // Copies the first `n` positions of `from` (n <= from.length, n <= capacity); length becomes n.
    void copyPrefixFrom(const KvCache &from, int64_t n);
};

} // namespace smartbot::engine
