#include "relay/circuit_breaker.h"

namespace smartbot::relay {

CircuitBreaker::State CircuitBreaker::state(qint64 nowMs) const
{
    if (openedAt_ < 0)
        return State::Closed;
    return nowMs - openedAt_ >= cooldownMs_ ? State::HalfOpen : State::Open;
}

CircuitBreaker::Admission CircuitBreaker::allow(qint64 nowMs)
{
    switch (state(nowMs)) {
    case State::Closed:
        return Admission::Allowed;
    case State::Open:
        return Admission::Refused;
    case State::HalfOpen:
        if (trialInFlight_)
            return Admission::Refused;
        trialInFlight_ = true;
        return Admission::Trial;
    }
    return Admission::Refused;
}

void CircuitBreaker::succeeded(bool trial)
{
    consecutive_ = 0;
    openedAt_ = -1; // any answer shows the provider is up again, the trial's or an older request's
    if (trial)
        trialInFlight_ = false;
}

void CircuitBreaker::failed(qint64 nowMs, bool trial)
{
    if (trial) {
        trialInFlight_ = false;
        openedAt_ = nowMs; // a failed trial opens it again
        return;
    }
    if (openedAt_ < 0 && ++consecutive_ >= threshold_)
        openedAt_ = nowMs;
}

void CircuitBreaker::abandoned(bool trial)
{
    if (trial)
        trialInFlight_ = false;
}

qint64 CircuitBreaker::retryAfterMs(qint64 nowMs) const
{
    return state(nowMs) == State::Open ? cooldownMs_ - (nowMs - openedAt_) : 0;
}

} // namespace smartbot::relay
