// PrefixCache: KV caches of finished sequences, kept so that a later prompt that starts with the same tokens
// (a shared system prompt, the earlier turns of a conversation) skips their prefill. Entries are owned KV
// caches keyed by the tokens they hold; lookup finds the longest common prefix over all entries. The cache
// is bounded in bytes by its owner (Engine), which evicts least recently used entries when running sequences
// need the memory: cached KV is memory that is free to take back, as in vLLM's automatic prefix caching.
#pragma once

#include <cstdint>
#include <list>
#include <vector>

#include "llama_model.h"

namespace smartbot::engine {

class PrefixCache {
public:
    explicit PrefixCache(int64_t bytesPerToken) : bytesPerToken_(bytesPerToken) {}

    struct Match {
        const KvCache *kv = nullptr; // null when nothing matched
        int64_t length = 0;          // leading prompt tokens whose keys and values kv holds
    };
    // The entry sharing the longest prefix with tokens (it becomes the most recently used).
    Match lookup(const std::vector<int32_t> &tokens);

    // Keeps kv, which holds tokens (kv.length == tokens.size()). An entry that is a prefix of tokens is
    // replaced; tokens that are a prefix of an entry are not stored again. A cache far larger than what it
    // holds is trimmed to size (a copy) so that the budget counts useful bytes.
    void insert(std::vector<int32_t> tokens, KvCache kv);

    // Drops the least recently used entry, never `keep`; false when there is nothing else to drop.
    bool evictOne(const KvCache *keep = nullptr);
    void clear();

    int64_t bytes() const { return bytes_; }
    int64_t tokens() const;
    size_t entries() const { return entries_.size(); }

private:
    struct Entry {
        std::vector<int32_t> tokens;
        KvCache kv;
    };
    int64_t entryBytes(const Entry &e) const { return e.kv.capacity * bytesPerToken_; }

    int64_t bytesPerToken_;
    int64_t bytes_ = 0;
    std::list<Entry> entries_; // most recently used first
};

} // namespace smartbot::engine
