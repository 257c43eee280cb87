// ConversationStore: server-side chat history for /api/v1/chat's conversation_id. In memory, bounded (least
// recently used conversations are dropped first), expiring after a quiet period, and owned by the token subject
// that created them (another subject's id is "not found").
#pragma once

#include <QHash>
#include <QString>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "smartbot/common/units.h"

namespace smartbot::service {

class ConversationStore {
public:
    using Message = std::pair<std::string, std::string>; // (role, content)

    explicit ConversationStore(int maxConversations = 1000, int maxMessages = 64, qint64 ttlSeconds = kSecondsPerHour,
                               Clock clock = systemClock());

    QString create(const QString &owner);
    // The history of id if it exists, has not expired and belongs to owner.
    bool lookup(const QString &id, const QString &owner, std::vector<Message> &history);
    // Appends a user turn and the assistant's reply (oldest turns are dropped beyond maxMessages).
    void append(const QString &id, const Message &user, const Message &assistant);
    int size() const { return int(conversations_.size()); }

private:
    struct Conversation {
        QString owner;
        std::vector<Message> messages;
        qint64 lastUsed = 0;
    };
    void evict();

    int maxConversations_;
    int maxMessages_;
    qint64 ttl_;
    Clock clock_;
    QHash<QString, Conversation> conversations_;
};

} // namespace smartbot::service
