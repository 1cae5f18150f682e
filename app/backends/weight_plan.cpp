#include "app/backends/weight_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cutover::backends {

namespace {

constexpr int kMaxWeight = 256;

// Spreads `total` over `count` servers as evenly as integers allow (the first ones get +1).
void distribute(QMap<QString, int> &weights, const QStringList &servers, int total) {
    const auto count = int(servers.size());
    for (int i = 0; i < count; ++i)
        weights.insert(servers.at(i), total / count + (i < total % count ? 1 : 0));
}

struct Candidate {
    int legacyTotal = 0;
    int otelTotal = 0;
    double error = std::numeric_limits<double>::infinity();
    bool uniform = false;
    int referenceDistance = std::numeric_limits<int>::max();
};

} // namespace

WeightPlan weightsFor(double targetShare, const QStringList &legacyServers,
                      const QStringList &otelServers, int referenceWeight) {
    const double target = std::clamp(std::isnan(targetShare) ? 0.0 : targetShare, 0.0, 1.0);
    const int legacyCount = int(legacyServers.size());
    const int otelCount = int(otelServers.size());
    WeightPlan plan;
    plan.requestedShare = target;
    if (legacyCount == 0 && otelCount == 0)
        return plan;

    const int reference = std::clamp(referenceWeight, 1, kMaxWeight);
    Candidate best;
    auto consider = [&](int legacyTotal, int otelTotal) {
        if (legacyTotal + otelTotal == 0 || legacyTotal < 0 || otelTotal < 0 ||
            legacyTotal > kMaxWeight * legacyCount || otelTotal > kMaxWeight * otelCount)
            return;
        Candidate c;
        c.legacyTotal = legacyTotal;
        c.otelTotal = otelTotal;
        c.error = std::abs(double(otelTotal) / double(legacyTotal + otelTotal) - target);
        c.uniform = (legacyCount == 0 || legacyTotal % legacyCount == 0) &&
                    (otelCount == 0 || otelTotal % otelCount == 0);
        const int largest =
            std::max(legacyCount ? (legacyTotal + legacyCount - 1) / legacyCount : 0,
                     otelCount ? (otelTotal + otelCount - 1) / otelCount : 0);
        c.referenceDistance = std::abs(largest - reference);
        constexpr double kSame = 1e-12;
        const bool better =
            c.error < best.error - kSame ||
            (std::abs(c.error - best.error) <= kSame &&
             (c.uniform > best.uniform ||
              (c.uniform == best.uniform && c.referenceDistance < best.referenceDistance)));
        if (better)
            best = c;
    };
    // For a fixed legacy total the share grows with the OTel total, so the best OTel total is
    // one of the two integers around the ideal: this walks every optimum in O(256 * legacy).
    const int otelMax = kMaxWeight * otelCount;
    if (target >= 1.0) {
        for (int otelTotal = 1; otelTotal <= otelMax; ++otelTotal)
            consider(0, otelTotal);
        consider(kMaxWeight * legacyCount, otelMax); // no OTel server: as close as it gets
    } else {
        for (int legacyTotal = 0; legacyTotal <= kMaxWeight * legacyCount; ++legacyTotal) {
            const int below = int(std::floor(target / (1.0 - target) * legacyTotal));
            consider(legacyTotal, std::clamp(below, 0, otelMax));
            consider(legacyTotal, std::clamp(below + 1, 0, otelMax));
        }
    }
    if (legacyCount > 0)
        distribute(plan.weights, legacyServers, best.legacyTotal);
    if (otelCount > 0)
        distribute(plan.weights, otelServers, best.otelTotal);
    plan.realizedShare = realizedShare(plan.weights, otelServers);
    return plan;
}

WeightPlan rollbackWeights(const QStringList &legacyServers, const QStringList &otelServers,
                           int legacyWeight, int otelWeight) {
    WeightPlan plan;
    for (const QString &server : legacyServers)
        plan.weights.insert(server, std::clamp(legacyWeight, 0, kMaxWeight));
    for (const QString &server : otelServers)
        plan.weights.insert(server, std::clamp(otelWeight, 0, kMaxWeight));
    plan.realizedShare = realizedShare(plan.weights, otelServers);
    plan.requestedShare = plan.realizedShare;
    return plan;
}

double realizedShare(const QMap<QString, int> &weights, const QStringList &otelServers) {
    qint64 total = 0;
    qint64 otel = 0;
    for (auto it = weights.cbegin(); it != weights.cend(); ++it) {
        total += it.value();
        if (otelServers.contains(it.key()))
            otel += it.value();
    }
    return total == 0 ? std::numeric_limits<double>::quiet_NaN() : double(otel) / double(total);
}

QList<WeightDrift> compareWeights(const QMap<QString, int> &intended,
                                  const QMap<QString, int> &actual) {
    QList<WeightDrift> drifts;
    for (auto it = intended.cbegin(); it != intended.cend(); ++it) {
        const int value = actual.value(it.key(), -1);
        if (value != it.value())
            drifts.append({it.key(), it.value(), value});
    }
    return drifts;
}

} // namespace cutover::backends
