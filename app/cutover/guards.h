#pragma once

// Why an action is refused now. The engine asks this before acting and the window shows the
// same list next to the disabled button: a guard that lives only in a button is a bug.

#include "app/config/plan.h"
#include "app/cutover/gate_status.h"
#include "app/cutover/phase.h"
#include "app/cutover/refusal.h"
#include "app/decommission/decommission_ledger.h"
#include "app/store/records.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace cutover::engine {

// StepBack: a planned return to an earlier stage through the same validation (not the
// emergency Rollback, which is always one instant, verified action).
enum class Action { Shift, Rollback, Tick, Sign, StepBack };
QString actionName(Action action);

// A signed-in person and the roles the operators file gives them.
struct Operator {
    QString name;
    QString printedName;
    QStringList roles;

    // The first of this operator's roles that the plan grants `permission`, or empty.
    QString roleFor(const config::Plan &plan, config::Permission permission) const;
    bool may(const config::Plan &plan, config::Permission permission) const {
        return !roleFor(plan, permission).isEmpty();
    }
};

// How a backend answered lately; the engine's monitor keeps these.
struct BackendHealth {
    enum class State { Unknown, Ok, Degraded, Down };
    QString name; // "lb-a", "prometheus", "alertmanager", "store"
    State state = State::Unknown;
    QDateTime lastGoodAt;
    QString problem; // the last error, already free of secrets
};

// What the action is about, for tick and sign.
struct GuardTarget {
    QString gate;
    QString check;    // tick
    QString role;     // sign: the role signed in; empty: the operator's first eligible role
    int percent = -1; // step back: the stage returned to
    // sign: the signer acknowledges the gate's marginal score (and says why in the comment).
    bool acknowledgesMarginal = false;
};

struct GuardInputs {
    const config::Plan *plan = nullptr;
    QString environment;
    store::StageState state; // of `environment`
    Phase phase = Phase::Holding;
    bool validationFailed = false; // a failed validation under the `hold` policy awaits a human
    // The statuses of the gates that guard the next shift: the pre-cutover gate before the first
    // stage, else the current stage's gates. For sign/tick, every gate of the plan may appear.
    QList<GateStatus> gates;
    QList<store::StageState> allEnvironments; // for "progressive by environment"
    QList<BackendHealth> backends;            // load balancers of the environment, Prometheus
    bool storeAvailable = true;
    QString storeProblem;
    QStringList firingTriggers; // titles of triggers firing now
    QStringList driftAlarms;    // "lb-a: otel-collector-1 weight 0, intended 26"
    // Set once an irreversible decommission step has started: Rollback is refused from then on.
    std::optional<decommission::PointOfNoReturn> pointOfNoReturn;
    QDateTime now;
};

// "production is past the decommission's point of no return: …" - the one refusal of a
// rollback besides the role.
Refusal pastPointOfNoReturn(const QString &environment, const decommission::PointOfNoReturn &p);

// The gates that must be ready before the next shift of an environment at `stageIndex`.
QStringList gatesBeforeNextShift(const config::Plan &plan, int stageIndex);

// Every reason `action` is refused now; empty means allowed.
Refusals refusals(Action action, const Operator &who, const GuardInputs &in,
                  const GuardTarget &target = {});
// The same, rendered for people.
QStringList guards(Action action, const Operator &who, const GuardInputs &in,
                   const GuardTarget &target = {});

} // namespace cutover::engine
