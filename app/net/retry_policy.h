#pragma once

// Capped exponential backoff with jitter, for idempotent calls only. Jitter spreads the
// retries of many consoles (or many LBs) so that a recovering server is not hit in lockstep.

#include "app/net/error.h"

#include <chrono>

namespace cutover::net {

struct RetryPolicy {
    int maxAttempts = 1; // 1: no retry
    std::chrono::milliseconds initialDelay{50};
    std::chrono::milliseconds maxDelay{2000};
    double multiplier = 2.0;
    double jitter = 0.5; // the delay is drawn from [d * (1 - jitter), d]

    static RetryPolicy none() { return {}; }
    static RetryPolicy attempts(int count,
                                std::chrono::milliseconds initial = std::chrono::milliseconds(50)) {
        RetryPolicy policy;
        policy.maxAttempts = count;
        policy.initialDelay = initial;
        return policy;
    }

    // Delay before attempt number `nextAttempt` (2 for the first retry).
    std::chrono::milliseconds delayBefore(int nextAttempt) const;
    // The delay without jitter (its upper bound), for tests and for deadline arithmetic.
    std::chrono::milliseconds cappedDelay(int nextAttempt) const;
};

// Whether a failed attempt is worth repeating: the backend may answer next time (unreachable,
// slow, overloaded). A refusal, garbage or a TLS failure will not change by asking again.
bool isTransient(const Error &error);

} // namespace cutover::net
