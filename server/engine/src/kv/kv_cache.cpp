#include "kv/kv_cache.h"

namespace smartbot::engine {

KvCache KvCache::allocate(const KvShape &shape, int64_t capacity)
{
    KvCache cache;
    cache.capacity = capacity;
    const auto opts = torch::TensorOptions().dtype(shape.dtype).device(shape.device);
    cache.k.reserve(size_t(shape.layers));
    cache.v.reserve(size_t(shape.layers));
    for (int64_t l = 0; l < shape.layers; ++l) {
        cache.k.push_back(torch::empty({shape.kvHeads, capacity, shape.headDim}, opts));
        cache.v.push_back(torch::empty({shape.kvHeads, capacity, shape.headDim}, opts));
    }
    return cache;
}

void KvCache::copyPrefixFrom(const KvCache &from, int64_t n)
{
    TORCH_CHECK(n <= from.length && n <= capacity, "prefix longer than the caches");
    for (size_t l = 0; l < k.size(); ++l) {
        k[l].narrow(1, 0, n).copy_(from.k[l].narrow(1, 0, n));
        v[l].narrow(1, 0, n).copy_(from.v[l].narrow(1, 0, n));
    }
    length = n;
}

} // namespace smartbot::engine
