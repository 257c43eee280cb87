// RateLimiter: sliding one-window counters per key (an API key, a token subject, a client address), in memory.
// Used for requests/tokens per minute and for admin brute-force blocking. Not thread-safe: server thread only.
#pragma once

#include <QHash>
#include <QString>
#include <deque>

#include "core/clock.h"
#include "core/rate_counter.h"

namespace smartbot {

class RateLimiter : public RateCounter {
public:
    explicit RateLimiter(qint64 windowSeconds, Clock clock = systemClock())
        : window_(windowSeconds), clock_(std::move(clock))
    {
    }

    qint64 total(const QString &key) override;
    int retryAfter(const QString &key, qint64 limit, qint64 amount = 1) override;
    void add(const QString &key, qint64 amount = 1) override;
    void clear(const QString &key) { events_.remove(key); }
    // Events held, all keys (tests: what add() keeps is bounded by the window).
    qsizetype eventCount() const;

private:
    struct Event {
        qint64 at;
        qint64 amount;
    };
    void prune(std::deque<Event> &events, qint64 now) const;
    void pruneAll(qint64 now);

    qint64 window_;
    Clock clock_;
    QHash<QString, std::deque<Event>> events_;
    qint64 lastSweep_ = 0;
};

} // namespace smartbot
