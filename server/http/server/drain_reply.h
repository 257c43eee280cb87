// The HTTP answer while the server drains (service/drain_state.h): routes that start new work refuse it.
#pragma once

#include <QHttpServerResponder>

namespace smartbot::http {

struct RouteContext;

constexpr int kDrainRetryAfterSeconds = 5;

// For routes that start new work (chat, completions): while draining, answers
// 503 {"error":{"code":"draining",...}} with Retry-After and returns true; otherwise returns false.
//     if (rejectIfDraining(ctx, responder)) return;
bool rejectIfDraining(const RouteContext &ctx, QHttpServerResponder &responder);

} // namespace smartbot::http
