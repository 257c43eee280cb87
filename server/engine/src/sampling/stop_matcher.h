// StopMatcher: finds stop strings in streamed text. Text that could still become a stop string is held back,
// so callers never see part of a stop string.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace smartbot::engine {

class StopMatcher {
public:
    explicit StopMatcher(std::vector<std::string> stops);
    // Adds text; returns the text that is now final and whether a stop string was found (then nothing more).
    std::pair<std::string, bool> push(const std::string &text);
    // The held-back remainder (call at the end when no stop string was found).
    std::string flush();
    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stops_;
    std::string pending_;
    bool stopped_ = false;
};

} // namespace smartbot::engine
