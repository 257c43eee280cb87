// Units the code converts between, named once (no bare 3600, 86400 or 1 << 20 in the code).
#pragma once

#include <cstdint>

namespace smartbot {

inline constexpr std::int64_t kSecondsPerMinute = 60;
inline constexpr std::int64_t kSecondsPerHour = 60 * kSecondsPerMinute;
inline constexpr std::int64_t kSecondsPerDay = 24 * kSecondsPerHour;
inline constexpr std::int64_t kBytesPerMiB = std::int64_t(1) << 20;

} // namespace smartbot
