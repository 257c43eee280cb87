#include "core/rate_limiter.h"

#include <algorithm>

namespace smartbot {

void RateLimiter::prune(std::deque<Event> &events, qint64 now) const
{
    while (!events.empty() && events.front().at <= now - window_)
        events.pop_front();
}

void RateLimiter::pruneAll(qint64 now)
{
    if (now - lastSweep_ < window_)
        return;
    lastSweep_ = now;
    for (auto it = events_.begin(); it != events_.end();) {
        prune(it.value(), now);
        it = it.value().empty() ? events_.erase(it) : std::next(it);
    }
}

qint64 RateLimiter::total(const QString &key)
{
    auto it = events_.find(key);
    if (it == events_.end())
        return 0;
    prune(it.value(), clock_());
    qint64 sum = 0;
    for (const auto &e : it.value())
        sum += e.amount;
    return sum;
}

int RateLimiter::retryAfter(const QString &key, qint64 limit, qint64 amount)
{
    const qint64 now = clock_();
    pruneAll(now);
    auto it = events_.find(key);
    if (it == events_.end())
        return 0;
    prune(it.value(), now);
    qint64 sum = amount;
    for (const auto &e : it.value())
        sum += e.amount;
    if (sum <= limit)
        return 0;
    // Wait until enough of the oldest events have left the window.
    qint64 excess = sum - limit;
    for (const auto &e : it.value()) {
        excess -= e.amount;
        if (excess <= 0)
            return int(std::max<qint64>(1, e.at + window_ - now));
    }
    return int(window_);
}

void RateLimiter::add(const QString &key, qint64 amount)
{
    if (amount <= 0)
        return;
    // Pruned here too, not only when a limit is checked: with the limit off (tokens_per_minute = 0) nothing else
    // would, and each add() would stay for good (issue 16, item 10).
    const qint64 now = clock_();
    pruneAll(now);
    auto &events = events_[key];
    prune(events, now);
    events.push_back({now, amount});
}

qsizetype RateLimiter::eventCount() const
{
    qsizetype n = 0;
    for (const auto &events : events_)
        n += qsizetype(events.size());
    return n;
}

} // namespace smartbot
