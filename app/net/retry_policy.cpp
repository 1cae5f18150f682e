#include "app/net/retry_policy.h"

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace cutover::net {

std::chrono::milliseconds RetryPolicy::cappedDelay(int nextAttempt) const {
    const int retryIndex = std::max(0, nextAttempt - 2);
    const double raw =
        double(initialDelay.count()) * std::pow(std::max(1.0, multiplier), retryIndex);
    return std::chrono::milliseconds(qint64(std::min(raw, double(maxDelay.count()))));
}

std::chrono::milliseconds RetryPolicy::delayBefore(int nextAttempt) const {
    const double capped = double(cappedDelay(nextAttempt).count());
    const double spread = std::clamp(jitter, 0.0, 1.0);
    const double factor = 1.0 - spread * QRandomGenerator::global()->generateDouble();
    return std::chrono::milliseconds(qint64(std::llround(capped * factor)));
}

bool isTransient(const Error &error) {
    switch (error.kind) {
    case ErrorKind::Connect:
    case ErrorKind::Timeout:
        return true;
    case ErrorKind::Http:
        return error.httpStatus == 429 || error.httpStatus == 502 || error.httpStatus == 503 ||
               error.httpStatus == 504;
    case ErrorKind::Tls:
    case ErrorKind::Protocol:
    case ErrorKind::Cancelled:
        return false;
    }
    return false;
}

} // namespace cutover::net
