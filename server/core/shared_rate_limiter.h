// SharedRateLimiter: a RateCounter (core/rate_counter.h) kept in the database's rate_counters table, for servers
// that share a PostgreSQL database. Counts are per fixed window (60 s by default) and the sliding total is estimated
// from two of them, the way nginx's and Cloudflare's limiters do: total = previous window × the part of it still
// inside the sliding window + current window. Exact for steady traffic; for bursts the estimate is off by at most the
// previous window's count × the fraction of the current window gone (tests/http/test_postgres drives 100 requests
// through two servers against a limit of 60 and accepts 60 to 62). Reading the total and adding to it are two
// statements, so servers deciding at the same instant may each let one request past the limit: at most one per
// server per window above it. Each add() is one UPSERT; old windows are deleted once a window.
// A database error counts as nothing (the request is let through and the error logged): a limit is not a reason to
// refuse service when the routes that need the database will say 503 themselves.
// Threading: as Storage (any thread); the pruning timestamp is this object's only state (server thread).
#pragma once

#include "core/clock.h"
#include "core/rate_counter.h"
#include "core/storage.h"

namespace smartbot {

class SharedRateLimiter : public RateCounter {
public:
    // counter: which limit this is ("requests", "tokens"): one table holds them all.
    SharedRateLimiter(const Storage &storage, QString counter, qint64 windowSeconds = 60, Clock clock = systemClock());

    qint64 total(const QString &key) override;
    int retryAfter(const QString &key, qint64 limit, qint64 amount = 1) override;
    void add(const QString &key, qint64 amount = 1) override;

private:
    struct Windows {
        qint64 start = 0;    // the current window's start
        qint64 current = 0;  // its count
        qint64 previous = 0; // the window before's count
    };
    Windows read(const QString &key, qint64 now);
    // The sliding total × window, in integers: previous × (window - elapsed) + current × window.
    static qint64 scaled(const Windows &w, qint64 now, qint64 window);

    const Storage &storage_;
    QString counter_;
    qint64 window_;
    Clock clock_;
    qint64 lastPrune_ = 0;
};

} // namespace smartbot
