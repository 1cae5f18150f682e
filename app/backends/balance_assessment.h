#pragma once

// What a backend's balance algorithm lets a cutover do with weights, read from the Runtime API
// before the first shift (preflight), so that a refusal does not surface mid-shift.
//
// Measured on HAProxy 2.6 (`set weight B/S 50` with the configured weight 100):
//   accepted: roundrobin, leastconn, first, random, and every hash under `hash-type consistent`;
//   refused ("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'"):
//   static-rr, and source, uri, url_param, hdr, rdp-cookie, hash under map-based hashing (the
//   default). `show stat` prints the same algo for both hash types, and "unknown" for random.

#include "app/backends/haproxy_types.h"
#include "app/config/plan.h"

#include <QMap>
#include <QString>

namespace cutover::backends {

struct Assessment {
    enum class Verdict { Pass, Warn, Fail };
    Verdict verdict = Verdict::Pass;
    QString detail;
};

// `algo` is the BACKEND row's `algo` field of `show stat`; `weights` the plan's servers as
// `get weight` reads them (current and configured), which can prove consistent hashing.
Assessment assessBalance(const QString &algo, config::HashType declared,
                         const QMap<QString, ServerWeight> &weights);

// Whether the current weights are the configured ones, i.e. survive a reload or restart.
Assessment assessReloadSurvival(const QMap<QString, ServerWeight> &weights);

// A server row of `show stat`: found, and whether its health checks are on. Without checks a dead
// server keeps its weight, and its share of traffic fails instead of moving to the others.
Assessment assessServer(const StatRow &row);

} // namespace cutover::backends
