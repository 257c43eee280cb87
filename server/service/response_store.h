// ResponseStore: what /v1/responses keeps of a response made with store (the default): the whole conversation it
// ended (input, instructions, the reply and its calls), so that a later request's previous_response_id continues it.
// In memory, bounded (least recently used dropped first), expiring after a quiet period, and owned by the caller that
// made it (another caller's id is "not found"). Server thread only.
#pragma once

#include <QHash>
#include <QString>
#include <vector>

#include "core/clock.h"
#include "smartbot/common/units.h"
#include "smartbot/engine/chat_template.h"

namespace smartbot::service {

class ResponseStore {
public:
    explicit ResponseStore(int maxResponses = 1000, qint64 ttlSeconds = kSecondsPerHour, Clock clock = systemClock());

    void put(const QString &id, const QString &owner, std::vector<engine::ChatMessage> conversation);
    bool lookup(const QString &id, const QString &owner, std::vector<engine::ChatMessage> &conversation);
    int size() const { return int(responses_.size()); }

private:
    struct Stored {
        QString owner;
        std::vector<engine::ChatMessage> conversation;
        qint64 lastUsed = 0;
    };
    void evict();

    int maxResponses_;
    qint64 ttl_;
    Clock clock_;
    QHash<QString, Stored> responses_;
};

} // namespace smartbot::service
