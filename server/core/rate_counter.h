// RateCounter: what the request and token limits ([limits] requests_per_minute, tokens_per_minute, per-key
// overrides) need of a counter of amounts per key over a sliding window. Two kinds:
//  - RateLimiter (core/rate_limiter.h): exact, in this process's memory; one server, or SQLite.
//  - SharedRateLimiter (core/shared_rate_limiter.h): in the database, so that servers sharing a PostgreSQL database
//    hold a client to one limit together (spreading requests over N servers does not give N times the limit).
#pragma once

#include <QString>

namespace smartbot {

class RateCounter {
public:
    virtual ~RateCounter() = default;
    // Sum of the amounts added for key within the window.
    virtual qint64 total(const QString &key) = 0;
    // Seconds until total(key) + amount would fit under limit (0 = it fits now).
    virtual int retryAfter(const QString &key, qint64 limit, qint64 amount = 1) = 0;
    virtual void add(const QString &key, qint64 amount = 1) = 0;
    // retryAfter() then, when it fits, add(): 0 = allowed and counted.
    int hit(const QString &key, qint64 limit, qint64 amount = 1)
    {
        if (const int wait = retryAfter(key, limit, amount))
            return wait;
        add(key, amount);
        return 0;
    }
};

} // namespace smartbot
