#include "service/response_store.h"

namespace smartbot::service {

ResponseStore::ResponseStore(int maxResponses, qint64 ttlSeconds, Clock clock)
    : maxResponses_(std::max(1, maxResponses)), ttl_(ttlSeconds), clock_(std::move(clock))
{
}

void ResponseStore::put(const QString &id, const QString &owner, std::vector<engine::ChatMessage> conversation)
{
    evict();
    responses_.insert(id, Stored{owner, std::move(conversation), clock_()});
}

bool ResponseStore::lookup(const QString &id, const QString &owner, std::vector<engine::ChatMessage> &conversation)
{
    auto it = responses_.find(id);
    if (it == responses_.end() || it->owner != owner || clock_() - it->lastUsed > ttl_)
        return false;
    it->lastUsed = clock_();
    conversation = it->conversation;
    return true;
}

void ResponseStore::evict()
{
    const qint64 now = clock_();
    for (auto it = responses_.begin(); it != responses_.end();)
        it = now - it->lastUsed > ttl_ ? responses_.erase(it) : std::next(it);
    while (responses_.size() >= maxResponses_) {
        auto oldest = responses_.begin();
        for (auto it = responses_.begin(); it != responses_.end(); ++it)
            if (it->lastUsed < oldest->lastUsed)
                oldest = it;
        responses_.erase(oldest);
    }
}

} // namespace smartbot::service
