#include "sampling/stop_matcher.h"

#include <algorithm>

namespace smartbot::engine {

StopMatcher::StopMatcher(std::vector<std::string> stops)
{
    for (auto &s : stops)
        if (!s.empty())
            stops_.push_back(std::move(s));
}

std::pair<std::string, bool> StopMatcher::push(const std::string &text)
{
    if (stopped_)
        return {{}, true};
    if (stops_.empty())
        return {text, false};
    pending_ += text;
    // The earliest full occurrence of any stop string ends generation.
    size_t first = std::string::npos;
    for (const auto &s : stops_)
        first = std::min(first, pending_.find(s));
    if (first != std::string::npos) {
        stopped_ = true;
        std::string out = pending_.substr(0, first);
        pending_.clear();
        return {out, true};
    }
    // Hold back the longest tail that is a proper prefix of some stop string.
    size_t hold = 0;
    for (const auto &s : stops_) {
        const size_t maxK = std::min(s.size() - 1, pending_.size());
        for (size_t k = maxK; k > hold; --k)
            if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
                hold = k;
                break;
            }
    }
    std::string out = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return {out, false};
}

std::string StopMatcher::flush()
{
    std::string out;
    out.swap(pending_);
    return out;
}

} // namespace smartbot::engine
