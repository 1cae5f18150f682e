#include "app/backends/balance_assessment.h"

#include <QSet>
#include <QStringList>

using namespace Qt::StringLiterals;

namespace cutover::backends {

namespace {

using Verdict = Assessment::Verdict;

// `show stat` names of the hash algorithms (HAProxy 2.6 prints hdr(name) as "hdr").
const QSet<QString> &hashAlgorithms() {
    static const QSet<QString> names{u"source"_s, u"uri"_s,        u"url_param"_s,
                                     u"hdr"_s,    u"rdp-cookie"_s, u"hash"_s};
    return names;
}

// A weight that is neither 0 nor the configured one: HAProxy accepted it, so the backend's
// weights are dynamic whatever its configuration says.
bool runsDynamicWeight(const QMap<QString, ServerWeight> &weights) {
    for (const ServerWeight &w : weights) {
        if (w.current != 0 && w.current != w.initial)
            return true;
    }
    return false;
}

} // namespace

Assessment assessBalance(const QString &algo, config::HashType declared,
                         const QMap<QString, ServerWeight> &weights) {
    if (algo == u"roundrobin"_s)
        return {Verdict::Pass, u"balance roundrobin: weights apply to every new connection"_s};
    if (algo == u"static-rr"_s) {
        return {Verdict::Fail,
                u"balance static-rr: HAProxy refuses any weight other than 0% or 100% of the "
                u"configured one, so no partial stage can be set; use balance roundrobin"_s};
    }
    if (algo == u"leastconn"_s) {
        return {Verdict::Warn,
                u"balance leastconn: short requests ignore weights (they only break ties between "
                u"servers with as many connections); expect the measured split to differ from "
                u"the weights"_s};
    }
    if (algo == u"first"_s) {
        return {Verdict::Warn,
                u"balance first: the first server with a free slot takes every connection until "
                u"its maxconn; expect the measured split to differ from the weights"_s};
    }
    if (hashAlgorithms().contains(algo)) {
        if (runsDynamicWeight(weights)) {
            return {Verdict::Pass,
                    u"balance %1: a server already runs a weight other than 0 or its configured "
                    u"one, so the hashing is consistent and accepts weights"_s.arg(algo)};
        }
        switch (declared) {
        case config::HashType::Consistent:
            return {Verdict::Pass, u"balance %1 with hash-type consistent (as the plan declares: "
                                   u"the Runtime API does not show the hash type)"_s.arg(algo)};
        case config::HashType::MapBased:
            return {Verdict::Fail,
                    u"balance %1 with map-based hashing (as the plan declares): HAProxy refuses "
                    u"weights other than 0% or 100% of the configured one; use hash-type "
                    u"consistent"_s.arg(algo)};
        case config::HashType::Unspecified:
            break;
        }
        return {Verdict::Fail,
                u"balance %1: under map-based hashing (HAProxy's default) weights other than 0% "
                u"or 100% are refused, and the Runtime API does not show the hash type; if the "
                u"backend has `hash-type consistent`, declare `hash_type: consistent` on this "
                u"load balancer in the plan"_s.arg(algo)};
    }
    if (algo == u"unknown"_s) {
        return {Verdict::Warn,
                u"HAProxy names the algorithm 'unknown' (2.6 does so for balance random, which "
                u"accepts weights); the first shift will tell"_s};
    }
    return {Verdict::Warn,
            u"balance '%1' is not one this console knows; the first shift will tell whether it "
            u"accepts weights"_s.arg(algo.isEmpty() ? u"(none)"_s : algo)};
}

Assessment assessReloadSurvival(const QMap<QString, ServerWeight> &weights) {
    QStringList runtime;
    for (auto it = weights.cbegin(); it != weights.cend(); ++it) {
        if (it->current != it->initial)
            runtime.append(
                u"%1 %2 (configured %3)"_s.arg(it.key()).arg(it->current).arg(it->initial));
    }
    if (runtime.isEmpty())
        return {Verdict::Pass, u"every weight is the configured one: a reload keeps them"_s};
    return {Verdict::Warn,
            u"%1 of %2 servers run weights set at runtime: %3; a reload or restart brings back "
            u"the configured weights unless the configuration loads a server-state file"_s
                .arg(runtime.size())
                .arg(weights.size())
                .arg(runtime.join(u", "_s))};
}

Assessment assessServer(const StatRow &row) {
    if (row.status == u"no check"_s) {
        return {Verdict::Warn,
                u"found, health checks off (no `check` on the server line): if it dies it keeps "
                u"its weight, and its share of traffic fails instead of moving"_s};
    }
    return {Verdict::Pass, u"found, status %1"_s.arg(row.status)};
}

} // namespace cutover::backends
