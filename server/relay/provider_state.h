// ProviderState: what the relay keeps per [provider.NAME] while the server runs: its settings, its platform key,
// its circuit breaker, the requests in flight (in all and per base_url), the model names it listed and its
// connections.
// Owned by ProviderRelay; used on its thread only.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QElapsedTimer>
#include <QList>
#include <QSslCertificate>
#include <QStringList>
#include <vector>

#include "core/provider_config.h"
#include "relay/circuit_breaker.h"
#include "relay/network_pool.h"

namespace smartbot::relay {

struct ProviderState {
    explicit ProviderState(ProviderConfig c)
        : config(std::move(c)), breaker(config.breakerFailures, qint64(config.breakerCooldownS) * 1000),
          outstanding(size_t(config.baseUrls.size()), 0), healthy(size_t(config.baseUrls.size()), true),
          downAtMs(size_t(config.baseUrls.size()), -1), probing(size_t(config.baseUrls.size()), false),
          networks(config.maxConcurrent + int(config.baseUrls.size()) + 1) // + a health probe each, + a listing
    {
    }
    ProviderConfig config;
    QByteArray key;                        // the platform key (never logged, never sent anywhere but to base_url)
    QString keyProblem;                    // why there is no key (the relay answers 502 naming it)
    QDateTime keySetAt;                    // when the key was set (rotation is due after [auth] key_rotation_days)
    QList<QSslCertificate> caCertificates; // ca_file
    CircuitBreaker breaker;
    std::vector<int> outstanding; // requests in flight per base_url (least-outstanding balancing)
    // Per base_url: false after a connect failure or a failed health check, true again after a passed one. Requests
    // go to healthy base_urls while there is one.
    std::vector<bool> healthy;
    std::vector<qint64> downAtMs; // when each was marked down (-1: up)
    std::vector<bool> probing;    // a health check of it is in flight
    int inFlight = 0;
    QStringList discovered; // models = *: the names the provider's /models listed
    QElapsedTimer clock;    // monotonic time for the breaker
    NetworkPool networks;   // this provider's own connections (network_pool.h)

    qint64 nowMs() const { return clock.isValid() ? clock.elapsed() : 0; }
    // A base_url takes requests while it is up; without health checks one marked down is tried again after the
    // circuit breaker's cool-down (else it would stay out for good while another is up).
    bool usable(int i) const
    {
        return healthy[size_t(i)] ||
               (config.healthCheckS == 0 && nowMs() - downAtMs[size_t(i)] >= qint64(config.breakerCooldownS) * 1000);
    }
    // The base_url for the next attempt: a healthy one not tried yet by this request, with the fewest requests in
    // flight (the first of equals); else an untried one; else any. tried: one flag per base_url.
    int pickEndpoint(const std::vector<bool> &tried) const
    {
        int best = -1;
        auto better = [&](int i) {
            auto rank = [&](int k) { return (usable(k) ? 0 : 2) + (tried[size_t(k)] ? 1 : 0); };
            return best < 0 || rank(i) < rank(best) ||
                   (rank(i) == rank(best) && outstanding[size_t(i)] < outstanding[size_t(best)]);
        };
        for (int i = 0; i < int(outstanding.size()); ++i)
            if (better(i))
                best = i;
        return best;
    }
};

} // namespace smartbot::relay
