#pragma once

// What applying weights to the load balancers produced, per LB and for the fleet: data only, so
// the models and views that show a rollback's progress need no backend client.

#include "app/backends/haproxy_types.h"
#include "app/net/error.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace cutover::backends {

struct LbApplyResult {
    QString lb;
    bool sent = false;     // HAProxy accepted every `set server ... weight` of the last attempt
    bool verified = false; // the read-back equals the assignment
    qint64 elapsedMs = 0;
    int attempts = 0;
    QMap<QString, int> readBack;     // the last read-back (empty if none succeeded)
    QList<WeightDrift> mismatches;   // of the last read-back, when it differed
    std::optional<net::Error> error; // why it is not verified
};

struct FleetApplyResult {
    QMap<QString, int> weights; // what was applied
    QList<LbApplyResult> lbs;   // in the fleet's order
    qint64 elapsedMs = 0;
    bool allVerified() const;
    QStringList failedLbs() const;
};

} // namespace cutover::backends
