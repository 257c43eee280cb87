// RelayError: why a relayed request failed, in the relay layer's own terms; the HTTP layer maps each kind to a
// status and code for the client (502 upstream_error, 504 upstream_timeout, 429, 503). Messages name the provider
// and what went wrong; they never hold the platform key or the upstream's raw headers.
#pragma once

#include <QString>

namespace smartbot::relay {

struct RelayError {
    enum class Kind {
        Unreachable, // no connection (refused, unknown host, TLS failure)
        Timeout,     // no connection within connect_timeout_s, or no byte for timeout_s
        RateLimited, // the provider answered 429 (retryAfterS from its Retry-After)
        KeyRefused,  // the provider answered 401 or 403: the platform key is wrong, expired or not allowed
        BadRequest,  // another 4xx: the request itself (its message is the provider's, cleaned)
        Upstream,    // a 5xx, a redirect, or an answer that is not what the API promises
        StreamCut,   // the answer had begun and ended early
        Busy,        // max_concurrent requests are in flight to the provider
        CircuitOpen, // the provider failed breaker_failures times in a row; retryAfterS until the next trial
    };
    Kind kind = Kind::Upstream;
    QString message;
    int upstreamStatus = 0; // the provider's HTTP status, when it answered
    int retryAfterS = -1;   // for RateLimited, Busy and CircuitOpen
};

} // namespace smartbot::relay
