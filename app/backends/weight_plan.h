#pragma once

// Integer HAProxy weights for a target OTel share, and the comparisons drift detection needs.
// Pure functions: the engine, preflight and tests all use the same arithmetic.

#include "app/backends/haproxy_types.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace cutover::backends {

struct WeightPlan {
    QMap<QString, int> weights; // server -> 0..256
    double requestedShare = 0;
    // sum(otel weights) / sum(all weights): with roundrobin, exactly the share of requests
    // the OTel pool receives while every server is up.
    double realizedShare = 0;
};

// Weights for every legacy and OTel server so that the realized share is as close to
// `targetShare` (0..1) as integer weights in 0..256 allow. Servers of one pool get equal
// weights whenever an equally close answer allows it (at most 1 apart otherwise), and among
// equally close answers the one whose largest weight is nearest `referenceWeight` wins, so the
// numbers read naturally next to the rollback weights (legacy 100 / OTel 0).
// Exact for 0/10/25/50/100% with 2 legacy + 3 OTel servers.
WeightPlan weightsFor(double targetShare, const QStringList &legacyServers,
                      const QStringList &otelServers, int referenceWeight = 100);

// Legacy `legacyWeight` / OTel `otelWeight` (default 100 / 0): everything back on legacy.
WeightPlan rollbackWeights(const QStringList &legacyServers, const QStringList &otelServers,
                           int legacyWeight = 100, int otelWeight = 0);

// sum(otel) / sum(all) of `weights`; NaN when the total is 0 (no server takes traffic).
double realizedShare(const QMap<QString, int> &weights, const QStringList &otelServers);

// Every server whose read-back weight differs from the intended one.
QList<WeightDrift> compareWeights(const QMap<QString, int> &intended,
                                  const QMap<QString, int> &actual);

} // namespace cutover::backends
