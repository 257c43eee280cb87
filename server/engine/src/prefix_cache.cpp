#include "prefix_cache.h"

#include <algorithm>

namespace smartbot::engine {

namespace {

int64_t commonPrefix(const std::vector<int32_t> &a, const std::vector<int32_t> &b)
{
    const auto n = std::min(a.size(), b.size());
    return int64_t(std::mismatch(a.begin(), a.begin() + std::ptrdiff_t(n), b.begin()).first - a.begin());
}

// A copy of the first `length` positions of kv, sized to them.
KvCache trimmed(const KvCache &kv, int64_t length)
{
    KvCache out;
    out.length = out.capacity = length;
    for (size_t l = 0; l < kv.k.size(); ++l) {
        out.k.push_back(kv.k[l].narrow(1, 0, length).clone());
        out.v.push_back(kv.v[l].narrow(1, 0, length).clone());
    }
    return out;
}

} // namespace

PrefixCache::Match PrefixCache::lookup(const std::vector<int32_t> &tokens)
{
    auto best = entries_.end();
    int64_t bestLength = 0;
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        const int64_t n = commonPrefix(it->tokens, tokens);
        if (n > bestLength) {
            bestLength = n;
            best = it;
        }
    }
    if (best == entries_.end())
        return {};
    entries_.splice(entries_.begin(), entries_, best);
    return {&entries_.front().kv, bestLength};
}

void PrefixCache::insert(std::vector<int32_t> tokens, KvCache kv)
{
    if (tokens.empty() || int64_t(tokens.size()) != kv.length)
        return;
    for (auto it = entries_.begin(); it != entries_.end();) {
        const int64_t n = commonPrefix(it->tokens, tokens);
        if (n == int64_t(tokens.size())) { // already held by a longer (or equal) entry
            entries_.splice(entries_.begin(), entries_, it);
            return;
        }
        if (n == int64_t(it->tokens.size())) { // the new entry extends this one
            bytes_ -= entryBytes(*it);
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
    if (kv.capacity > kv.length + kv.length / 4)
        kv = trimmed(kv, kv.length);
    entries_.push_front({std::move(tokens), std::move(kv)});
    bytes_ += entryBytes(entries_.front());
}

bool PrefixCache::evictOne(const KvCache *keep)
{
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        if (&it->kv == keep)
            continue;
        bytes_ -= entryBytes(*it);
        entries_.erase(std::next(it).base());
        return true;
    }
    return false;
}

void PrefixCache::clear()
{
    entries_.clear();
    bytes_ = 0;
}

int64_t PrefixCache::tokens() const
{
    int64_t n = 0;
    for (const Entry &e : entries_)
        n += int64_t(e.tokens.size());
    return n;
}

} // namespace smartbot::engine
