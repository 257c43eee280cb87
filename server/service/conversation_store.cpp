#include "service/conversation_store.h"

#include "core/secret_files.h"

namespace smartbot::service {

ConversationStore::ConversationStore(int maxConversations, int maxMessages, qint64 ttlSeconds, Clock clock)
    : maxConversations_(maxConversations), maxMessages_(maxMessages), ttl_(ttlSeconds), clock_(std::move(clock))
{
}

QString ConversationStore::create(const QString &owner)
{
    evict();
    const QString id = QStringLiteral("conv_") + QString::fromLatin1(randomBytes(12).toHex());
    conversations_.insert(id, Conversation{owner, {}, clock_()});
    return id;
}

bool ConversationStore::lookup(const QString &id, const QString &owner, std::vector<Message> &history)
{
    auto it = conversations_.find(id);
    if (it == conversations_.end() || it->owner != owner || clock_() - it->lastUsed > ttl_)
        return false;
    it->lastUsed = clock_();
    history = it->messages;
    return true;
}

void ConversationStore::append(const QString &id, const Message &user, const Message &assistant)
{
    auto it = conversations_.find(id);
    if (it == conversations_.end())
        return;
    it->messages.push_back(user);
    it->messages.push_back(assistant);
    const size_t cap = size_t(std::max(2, maxMessages_));
    if (it->messages.size() > cap)
        it->messages.erase(it->messages.begin(), it->messages.begin() + long(it->messages.size() - cap));
    it->lastUsed = clock_();
}

void ConversationStore::evict()
{
    const qint64 now = clock_();
    for (auto it = conversations_.begin(); it != conversations_.end();)
        it = now - it->lastUsed > ttl_ ? conversations_.erase(it) : std::next(it);
    while (conversations_.size() >= maxConversations_) {
        auto oldest = conversations_.begin();
        for (auto it = conversations_.begin(); it != conversations_.end(); ++it)
            if (it->lastUsed < oldest->lastUsed)
                oldest = it;
        conversations_.erase(oldest);
    }
}

} // namespace smartbot::service
