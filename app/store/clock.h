#pragma once

#include <QDateTime>

#include <functional>

namespace cutover::store {

// "Now" in UTC. Injectable so tests can move time (lock-outs, holds) without waiting.
using Clock = std::function<QDateTime()>;

inline Clock systemClock() {
    return [] {
        return QDateTime::currentDateTimeUtc();
    };
}

} // namespace cutover::store
