// CircuitBreaker: stops sending requests to a provider that keeps failing, so clients get a fast 503 instead of a
// connect timeout each, and the provider is not hammered while it recovers. Closed: requests pass; breakerFailures
// consecutive failures open it. Open: every request is refused until the cool-down has passed. Half-open: one trial
// request passes; its success closes the circuit, its failure opens it for another cool-down.
// A plain value; time is passed in (milliseconds of any monotonic clock). Not thread-safe (the relay's thread).
#pragma once

#include <QtGlobal>

namespace smartbot::relay {

class CircuitBreaker {
public:
    enum class State { Closed = 0, Open = 1, HalfOpen = 2 };
    CircuitBreaker(int failures, qint64 cooldownMs) : threshold_(failures), cooldownMs_(cooldownMs) {}

    enum class Admission { Refused, Allowed, Trial };
    // Whether a request may go now; in half-open state only one at a time: the trial, whose outcome decides.
    Admission allow(qint64 nowMs);
    // The end of an admitted request; trial: it was admitted as the trial (only its end frees the next one).
    void succeeded(bool trial);
    void failed(qint64 nowMs, bool trial);
    // It ended without telling either way (cancelled by its client, a rate limit, a refused key).
    void abandoned(bool trial);
    State state(qint64 nowMs) const;
    // Milliseconds until a trial may go (0 when closed or half-open).
    qint64 retryAfterMs(qint64 nowMs) const;

private:
    int threshold_;
    qint64 cooldownMs_;
    int consecutive_ = 0;
    qint64 openedAt_ = -1; // -1: closed
    bool trialInFlight_ = false;
};

} // namespace smartbot::relay
