// DrainState: whether the server is draining for a blue-green upgrade (SIGTERM or POST /admin/drain). Shared through
// RouteContext::draining; read on the server thread by the routes (http/server/drain_reply.h answers for them). While
// draining, /readyz answers 503 "draining", new generation requests are refused with 503 "draining" + Retry-After, and
// requests already accepted finish.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

namespace smartbot::service {

struct DrainState {
    std::atomic_bool active{false};
    std::function<void()> begin; // starts a drain (set by SmartbotServer); idempotent
    bool isDraining() const { return active.load(); }
};

} // namespace smartbot::service
