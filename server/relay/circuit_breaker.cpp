#include "relay/circuit_breaker.h"

namespace smartbot::relay {

CircuitBreaker::State CircuitBreaker::state(qint64 nowMs) const
{
    if (openedAt_ < 0)
        return State::Closed;
    return nowMs - openedAt_ >= cooldownMs_ ? State::HalfOpen : State::Open;
}

bool CircuitBreaker::allow(qint64 nowMs)
{
    switch (state(nowMs)) {
    case State::Closed:
        return true;
    case State::Open:
        return false;
    case State::HalfOpen:
        if (trialInFlight_)
            return false;
        trialInFlight_ = true;
        return true;
    }
    return false;
}

void CircuitBreaker::succeeded()
{
    consecutive_ = 0;
    openedAt_ = -1;
    trialInFlight_ = false;
}

void CircuitBreaker::failed(qint64 nowMs)
{
    trialInFlight_ = false;
    if (openedAt_ >= 0 || ++consecutive_ >= threshold_) // a failed trial opens it again
        openedAt_ = nowMs;
}

void CircuitBreaker::abandoned()
{
    trialInFlight_ = false;
}

qint64 CircuitBreaker::retryAfterMs(qint64 nowMs) const
{
    return state(nowMs) == State::Open ? cooldownMs_ - (nowMs - openedAt_) : 0;
}

} // namespace smartbot::relay
