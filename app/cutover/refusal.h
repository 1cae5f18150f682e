#pragma once

// Why the engine refuses an action, as data: a code and its arguments (gate, item, role, time
// left, who and when …). text() renders it for people, through tr(), in this one place; the
// window decides by code, the CLI prints text(), `--json` outputs carry toJson(), and tests
// assert codes and arguments instead of prose.

#include <QCoreApplication>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantMap>

namespace cutover::engine {

enum class RefusalCode {
    // who
    NoPermission,        // operator, roles, permission
    NotSignedIn,         // action
    TickedByAnotherRole, // check, role, operator, roles
    SignedByAnotherRole, // gate, roles, operator, operator_roles
    // the situation
    StoreUnavailable,         // problem, action
    EnvironmentBusy,          // environment, phase, action
    CutoverComplete,          // environment
    ValidationFailed,         // stage
    EarlierEnvironmentFirst,  // earlier, situation, environment, stage
    GateStatusUnknown,        // gate
    StageNotValidated,        // stage, hold
    HoldTimeLeft,             // stage, left_ms, until
    BackendUnreachable,       // backend, problem, last_good_ms_ago (-1: never)
    BackendNotAnswered,       // backend, problem, last_good_ms_ago
    TriggerFiring,            // trigger
    WeightsDrifted,           // drift
    NoEarlierStage,           // environment, stage
    NotAnEarlierStage,        // percent, environment, earlier
    RollbackRunning,          // environment
    GateNotSignedNow,         // gate, environment, stage
    StabilityHoldNotStarted,  // gate, hold, stage
    StabilityTimeLeft,        // gate, hold, stage, left_ms, since, until
    AlreadyTicked,            // check, by, at
    AlreadySigned,            // gate, role, by, at
    SignatureWouldBeVoided,   // gate, by
    MarginalNotAcknowledged,  // gate, reason
    CheckNotTicked,           // gate, check, detail
    CheckNotPassing,          // gate, check, state, detail
    GateScoreFailed,          // gate, reason
    GateNotSigned,            // gate, role
    SignedBeforeMarginal,     // gate, reason, by, role
    NoWarRoomActive,          //
    MayNotAcknowledgeWarRoom, // operator, roles
    // the decommission (issue 12)
    PastPointOfNoReturn,      // environment, step, by, at, servers
    NoDecommission,           //
    DecommissionNotEntered,   // environment, stage (the cutover is not complete)
    DecommissionNotApproved,  // gate, environment
    ExitHoldNotPassed,        // environment, stage, left_ms, until
    StepBlocked,              // step, earlier
    StepApprovalsMissing,     // step, roles, second_person ("true" when two people are needed)
    StepNotRunnable,          // step, state
    StepNotConfigured,        // step, argument
    StepActionUnavailable,    // step, action
    StepAlreadyApproved,      // step, operator, role
    StepConfirmationMismatch, // expected, typed
    StepEvidenceMissing,      // step, evidence
    StepWaitLeft,             // step, left_ms, until
    StepRunningElsewhere,     // step, by, at, until (another desk runs it)
    ServersStillServing,      // step, detail (per LB: status, sessions, queue)
    WeightsNotPermanent,      // detail (per LB: the haproxy.cfg lines a reload needs)
    // the request
    UnknownEnvironment,     // environment
    UnknownGate,            // gate
    UnknownCheck,           // check, gate
    UnknownStep,            // step, known
    CheckIsAutomatic,       // check
    ConfirmationMismatch,   // typed, next (-1: none)
    MeaningMissing,         //
    StepBackReasonMissing,  //
    MarginalCommentMissing, //
    StageChangedElsewhere,  // detail (who changed it and when, as the store said)
};

struct Refusal {
    RefusalCode code;
    QVariantMap args;

    // For people (translated).
    QString text() const;
    // {"code": "hold_time_left", "text": …, "args": {…}}
    QJsonObject toJson() const;
    // A stable snake_case name for JSON and the audit log ("no_permission").
    static QString codeName(RefusalCode code);

    QString arg(const char *key) const { return args.value(QLatin1StringView(key)).toString(); }
    bool operator==(const Refusal &other) const = default;
};

using Refusals = QList<Refusal>;

QStringList texts(const Refusals &refusals);
QJsonArray toJson(const Refusals &refusals);
bool hasCode(const Refusals &refusals, RefusalCode code);
// Every code, for tests that reach them all.
QList<RefusalCode> allRefusalCodes();

} // namespace cutover::engine
