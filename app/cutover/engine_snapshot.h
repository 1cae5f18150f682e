#pragma once

// What the engine shows, as data: one environment's snapshot, who decides, the war-room state,
// a shift's preview and an action's outcome. Reports and views include this header, never the
// engine itself (DESIGN.md, dependency rule).

#include "app/cutover/gate_status.h"
#include "app/cutover/guards.h"
#include "app/cutover/phase.h"
#include "app/cutover/refusal.h"
#include "app/store/decision_lease.h"
#include "app/store/records.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace cutover::engine {

// Who takes the automatic decisions (validation verdicts, holds, triggers and automatic
// rollback, drift, resuming interrupted work), as this engine sees it. One engine decides at a
// time: the `--serve` controller holding the store's decision lease, or, with no controller, one
// desk (a window or a command) that took it. The others still show everything and still execute
// what their operators do.
struct DecisionStatus {
    bool coordinated = false; // a lease in the store chooses the decider
    bool thisEngine = false;  // this engine decides now
    // This engine cannot see the lease (store unreachable) and nobody it could see decides: it
    // rolls back on `auto` triggers and failed validations, the safe direction, and nothing more.
    bool rollbackOnly = false;
    bool backfilling = false; // just took over: judging the time nobody watched first
    std::optional<store::LeaseHolder> holder; // last seen holder, fresh or not
    bool holderFresh = false;
    QDateTime observedAt; // the lease clock's time at that look
    QString problem;      // the last look failed: why
};

// The seed's L4 ("full rollback, war room activation"): shown in every window until a signed-in
// operator acknowledges it.
struct WarRoomStatus {
    bool active = false;
    QDateTime activatedAt;
    QString event;  // what raised it: "rollback", "legacy_unverified"
    QString reason; // for people
    QString environment;
    QString acknowledgedBy; // the last acknowledgement, when not active
    QDateTime acknowledgedAt;
};

// Where the decommission (weeks 9-12) stands, for reports: plain numbers, from the audit log.
struct DecommissionSummary {
    bool planned = false; // the plan has a decommission section
    int stepsDone = 0;
    int steps = 0;
    bool pastPointOfNoReturn = false;
    QString currency;
    double baselinePerMonth = 0;
    double retiredPerMonth = 0; // the components retired by done steps
    double plannedPerMonth = 0;
    double targetLowPercent = 0;
    double targetHighPercent = 0;
};

// Everything a screen or `--status` shows about one environment, computed at one instant.
struct EnvironmentSnapshot {
    QString environment;
    Phase phase = Phase::Holding;
    int stageIndex = -1; // -1: before the first stage (0% OTel)
    int currentPercent = 0;
    int nextPercent = -1;    // -1: none (complete)
    store::StageState state; // as stored (version, changedBy, changedAt, hold)
    // False while the store has not answered yet (started without a shared store): stage and
    // phase above are placeholders, not what the load balancers hold.
    bool stateKnown = true;

    // The stage's band (0 when before the first stage).
    double targetShare = 0;
    double lowerBound = 0;
    double upperBound = 0;
    QMap<QString, int> intendedWeights;
    double realizedShare = 0; // of the intended weights
    // lb -> server -> weight, as last read back (drift checks); an LB not read yet is missing.
    QMap<QString, QMap<QString, int>> observedWeights;

    std::optional<double> measuredShare; // last split sample; empty: unknown
    QDateTime measuredAt;

    // Stabilization or hold in progress: what is being waited for and how far along.
    QString progressLabel; // "stabilizing", "validating", "hold"; empty when nothing runs
    QDateTime progressStart;
    QDateTime progressEnd; // invalid when open-ended (validation waiting for data)

    bool validationFailed = false;
    QString lastValidation; // "passed: 10.1% in 8%..12% at …" / "failed: …" / "unknown: …"

    QList<GateStatus> gates;          // every gate of the plan, for this environment
    QStringList gatesBeforeNextShift; // ids
    QList<BackendHealth> backends;  // this environment's LBs, then prometheus, alertmanager, store
    qint64 auditEntriesWaiting = 0; // held on this desk until the store takes them
    QStringList firingTriggers;     // titles
    QMap<QString, bool> triggerStates; // every trigger's id -> firing now
    QStringList driftAlarms;
    QStringList rollbackProblems; // LBs where the last rollback was not verified
    DecisionStatus decision;      // the same for every environment
    WarRoomStatus warRoom;
    bool rehearsal = false; // a dry run on a copy of the store: nothing here is real
    DecommissionSummary decommission;
};

// What pressing Shift would do, for the confirmation dialog.
struct ShiftPreview {
    QString environment;
    int fromPercent = 0;
    int toPercent = 0;
    double realizedShare = 0;
    QMap<QString, int> after;
    struct PerLoadBalancer {
        QString lb;
        QMap<QString, int> before; // last read back; empty when unknown
    };
    QList<PerLoadBalancer> loadBalancers;
    QStringList refusals; // guards for this operator now
};

// The outcome of a synchronous action (tick, untick, sign-off).
struct ActionOutcome {
    bool ok = false;
    Refusals refused;     // the guards that refused it, typed; empty when it ran
    QStringList refusals; // the same, rendered for people
    QString error;        // store error, wrong passphrase, …
    void addRefusals(const Refusals &more) {
        refused += more;
        refusals += texts(more);
    }
    QString message() const {
        return ok ? QString() : (error.isEmpty() ? refusals.join(u'\n') : error);
    }
};

} // namespace cutover::engine
