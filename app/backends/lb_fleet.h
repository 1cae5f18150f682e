#pragma once

// The load balancers of one environment, driven together: one weight assignment applied to
// every LB in parallel, each read back and retried until verified or out of attempts/time,
// with a result per LB. The newest apply wins: starting one cancels any apply still running
// (a rollback must never be overtaken by the shift it interrupts).

#include "app/backends/haproxy_runtime_client.h"
#include "app/backends/lb_types.h"
#include "app/backends/weight_plan.h"
#include "app/config/plan.h"
#include "app/net/request.h"
#include "app/net/retry_policy.h"

#include <QMap>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <optional>

namespace cutover::backends {

struct ApplyOptions {
    int maxAttempts = 1;
    std::chrono::milliseconds deadline{2000};       // per LB, from the call to apply()
    std::chrono::milliseconds attemptTimeout{1000}; // a hung LB gets another try
    net::RetryPolicy backoff = net::RetryPolicy::attempts(1, std::chrono::milliseconds(20));

    // A shift: the LB timeout of the plan, a few tries.
    static ApplyOptions forShift(std::chrono::milliseconds deadline);
    // A rollback: the plan's max_attempts, retry_backoff and deadline.
    static ApplyOptions forRollback(const config::RollbackConfig &rollback);
};

struct LbWeightsRead {
    QString lb;
    QMap<QString, int> weights;
    std::optional<ProcessInfo> info;
    bool reloaded = false; // Pid changed or Uptime_sec went back since this fleet last looked
    std::optional<net::Error> error;
};

struct LbDrift {
    QString lb;
    QList<WeightDrift> drifts;
    LbWeightsRead read;
    bool drifted() const { return !drifts.isEmpty(); }
};

class LbFleet : public QObject {
    Q_OBJECT
public:
    LbFleet(const QList<config::LoadBalancer> &loadBalancers, QObject *parent = nullptr);
    // The plan's LBs of one environment.
    LbFleet(const config::Plan &plan, const config::Environment &environment,
            QObject *parent = nullptr);
    ~LbFleet() override;

    QStringList names() const;
    HaproxyRuntimeClient *client(const QString &lb) const;
    const config::LoadBalancer *loadBalancer(const QString &lb) const;

    // Applies `weights` (server -> weight) to each LB's backend, reads back, retries per
    // `options`. Always succeeds with a per-LB result, unless cancelled or superseded.
    net::Reply<FleetApplyResult> *apply(const QMap<QString, int> &weights,
                                        const ApplyOptions &options);

    // Current weights (and process info) of the servers on every LB.
    net::Reply<QList<LbWeightsRead>> *readWeights(const QStringList &servers);

    // Reads back and compares with `intended`: one entry per LB.
    net::Reply<QList<LbDrift>> *checkDrift(const QMap<QString, int> &intended);

Q_SIGNALS:
    // As each LB of an apply finishes, before the whole apply does.
    void lbApplied(const cutover::backends::LbApplyResult &result);

private:
    void noteInfo(LbWeightsRead &read);

    QList<config::LoadBalancer> m_loadBalancers;
    QList<HaproxyRuntimeClient *> m_clients;
    QPointer<net::Request> m_currentApply;
    QMap<QString, ProcessInfo> m_lastInfo;
};

} // namespace cutover::backends

Q_DECLARE_METATYPE(cutover::backends::LbApplyResult)
