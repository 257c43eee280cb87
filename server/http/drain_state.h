// DrainState: whether the server is draining for a blue-green upgrade (SIGTERM or POST /admin/drain). Shared through
// RouteContext::draining; read on the server thread by the routes. While draining, /readyz answers 503 "draining",
// new generation requests are refused with 503 "draining" + Retry-After, and requests already accepted finish.
#pragma once

#include <QHttpServerResponder>

#include <atomic>
#include <functional>
#include <memory>

namespace smartbot::http {

struct RouteContext;

struct DrainState {
    std::atomic_bool active{false};
    std::function<void()> begin; // starts a drain (set by SmartbotServer); idempotent
    bool isDraining() const { return active.load(); }
};

constexpr int kDrainRetryAfterSeconds = 5;

// For routes that start new work (chat, completions): while draining, answers
// 503 {"error":{"code":"draining",...}} with Retry-After and returns true; otherwise returns false.
//     if (rejectIfDraining(ctx, responder)) return;
bool rejectIfDraining(const RouteContext &ctx, QHttpServerResponder &responder);

} // namespace smartbot::http
