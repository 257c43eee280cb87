#include "kv/prefix_cache.h"

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

PrefixCache::Match PrefixCache::lookup(const std::vector<int32_t> &tokens, int64_t minLength, int64_t maxLength)
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
    bestLength = std::min(bestLength, maxLength);
    if (best == entries_.end() || bestLength < minLength)
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
        auto next = std::next(it);
        if (n == int64_t(it->tokens.size())) // the new entry extends this one
            erase(it);
        it = next;
    }
    if (kv.capacity > kv.length + kv.length / 4)
        kv = trimmed(kv, kv.length);
    entries_.push_front({std::move(tokens), std::move(kv)});
    bytes_ += entryBytes(entries_.front());
    tokens_ += int64_t(entries_.front().tokens.size());
    while (entries_.size() > maxEntries_)
        erase(std::prev(entries_.end()));
}

bool PrefixCache::evictOne(const KvCache *keep)
{
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        if (&it->kv == keep)
            continue;
        erase(std::next(it).base());
        return true;
    }
    return false;
}

void PrefixCache::erase(std::list<Entry>::iterator it)
{
    bytes_ -= entryBytes(*it);
    tokens_ -= int64_t(it->tokens.size());
    entries_.erase(it);
}

void PrefixCache::clear()
{
    entries_.clear();
    bytes_ = tokens_ = 0;
}

} // namespace smartbot::engine
