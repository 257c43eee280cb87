// PrefixCache: KV caches of finished sequences, kept so that a later prompt that starts with the same tokens
// (a shared system prompt, the earlier turns of a conversation) skips their prefill. Entries are owned KV
// caches keyed by the tokens they hold; lookup finds the longest common prefix over all entries. The cache
// is bounded in bytes by its owner (Engine), which evicts least recently used entries when running sequences
// need the memory: cached KV is memory that is free to take back, as in vLLM's automatic prefix caching.
#pragma once

#include <cstdint>
#include <list>
#include <vector>

#include "kv/kv_cache.h"

namespace smartbot::engine {

class PrefixCache {
public:
    // maxEntries bounds the linear scans of lookup() and insert() whatever the memory budget allows.
    explicit PrefixCache(int64_t bytesPerToken, size_t maxEntries = 256)
        : bytesPerToken_(bytesPerToken), maxEntries_(maxEntries)
    {
    }

    struct Match {
        const KvCache *kv = nullptr; // null when nothing matched
        int64_t length = 0;          // leading prompt tokens whose keys and values kv holds
    };
    // The entry sharing the longest prefix with tokens, the length capped at maxLength; nothing when that is
    // under minLength. A match becomes the most recently used entry.
    Match lookup(const std::vector<int32_t> &tokens, int64_t minLength, int64_t maxLength);

    // Keeps kv, which holds tokens (kv.length == tokens.size()). An entry that is a prefix of tokens is
    // replaced; tokens that are a prefix of an entry are not stored again. A cache far larger than what it
    // holds is trimmed to size (a copy) so that the budget counts useful bytes.
    void insert(std::vector<int32_t> tokens, KvCache kv);

    // Drops the least recently used entry, never `keep`; false when there is nothing else to drop.
    bool evictOne(const KvCache *keep = nullptr);
    void clear();

    int64_t bytes() const { return bytes_; }
    int64_t tokens() const { return tokens_; }
    size_t entries() const { return entries_.size(); }

private:
    struct Entry {
        std::vector<int32_t> tokens;
        KvCache kv;
    };
    int64_t entryBytes(const Entry &e) const { return e.kv.capacity * bytesPerToken_; }
    void erase(std::list<Entry>::iterator it);

    int64_t bytesPerToken_;
    size_t maxEntries_;
    int64_t bytes_ = 0, tokens_ = 0;
    std::list<Entry> entries_; // most recently used first
};

} // namespace smartbot::engine
