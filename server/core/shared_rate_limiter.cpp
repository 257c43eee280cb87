#include "core/shared_rate_limiter.h"

#include <QtGlobal>
#include <algorithm>

namespace smartbot {

SharedRateLimiter::SharedRateLimiter(const Storage &storage, QString counter, qint64 windowSeconds, Clock clock)
    : storage_(storage), counter_(std::move(counter)), window_(std::max<qint64>(1, windowSeconds)),
      clock_(std::move(clock))
{
}

SharedRateLimiter::Windows SharedRateLimiter::read(const QString &key, qint64 now)
{
    Windows w;
    w.start = now - now % window_;
    auto q = storage_.exec(QStringLiteral("SELECT window_start, amount FROM rate_counters WHERE counter = ? AND "
                                          "subject = ? AND window_start >= ?"),
                           {counter_, key, w.start - window_});
    if (!q) {
        qWarning("rate limits: %s", q.error().c_str());
        return w;
    }
    while (q->next()) {
        const qint64 start = q->value(0).toLongLong();
        if (start == w.start)
            w.current = q->value(1).toLongLong();
        else if (start == w.start - window_)
            w.previous = q->value(1).toLongLong();
    }
    return w;
}

qint64 SharedRateLimiter::scaled(const Windows &w, qint64 now, qint64 window)
{
    return w.previous * (window - (now - w.start)) + w.current * window;
}

qint64 SharedRateLimiter::total(const QString &key)
{
    const qint64 now = clock_();
    return (scaled(read(key, now), now, window_) + window_ - 1) / window_;
}

int SharedRateLimiter::retryAfter(const QString &key, qint64 limit, qint64 amount)
{
    const qint64 now = clock_();
    const Windows w = read(key, now);
    const qint64 room = limit - amount;
    if (scaled(w, now, window_) <= room * window_)
        return 0;
    // Within this window only the previous window's share shrinks: it fits at t seconds into the window once
    // previous × (window - t) + current × window <= room × window. Failing that, from the next window on it is
    // current × (window - t) <= room × window.
    if (room >= w.current && w.previous > 0) {
        const qint64 t = window_ - (room - w.current) * window_ / w.previous;
        return int(std::max<qint64>(1, w.start + t - now));
    }
    const qint64 t = w.current > 0 ? window_ - std::max<qint64>(0, room) * window_ / w.current : 0;
    return int(std::max<qint64>(1, w.start + window_ + t - now));
}

void SharedRateLimiter::add(const QString &key, qint64 amount)
{
    const qint64 now = clock_();
    const qint64 start = now - now % window_;
    auto r = storage_.exec(QStringLiteral("INSERT INTO rate_counters (counter, subject, window_start, amount) VALUES "
                                          "(?, ?, ?, ?) ON CONFLICT (counter, subject, window_start) DO UPDATE SET "
                                          "amount = rate_counters.amount + excluded.amount"),
                           {counter_, key, start, amount});
    if (!r)
        qWarning("rate limits: %s", r.error().c_str());
    if (now - lastPrune_ >= window_) { // windows that can no longer count
        lastPrune_ = now;
        storage_.exec(QStringLiteral("DELETE FROM rate_counters WHERE counter = ? AND window_start < ?"),
                      {counter_, start - window_});
    }
}

} // namespace smartbot
