// Clock: injectable time source (seconds since the epoch), so expiry can be tested without sleeping.
#pragma once

#include <QDateTime>
#include <functional>

namespace smartbot {

using Clock = std::function<qint64()>;

inline Clock systemClock()
{
    return [] { return QDateTime::currentSecsSinceEpoch(); };
}

} // namespace smartbot
