#pragma once

// Where each environment's decommission stands, read from the audit log alone.
//
// Every transition of a step is an audit entry (decommission_step_approved, _started, _failed,
// _validated, _done; decommission_reset when a rollback before the point of no return voids the
// decommission). The ledger folds them, in order, into each step's state: the audit log is the
// record an auditor reads, so the state cannot disagree with it, a restart resumes a wait with
// the right time left (its start is an entry's time), and no table of its own has to be kept
// in step with the log.

#include "app/config/decommission_plan.h"
#include "app/store/records.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace cutover::decommission {

// The audit actions of a decommission.
namespace audit {
inline const QString kApproved = QStringLiteral("decommission_step_approved");
inline const QString kStarted = QStringLiteral("decommission_step_started");
inline const QString kFailed = QStringLiteral("decommission_step_failed");
inline const QString kValidated = QStringLiteral("decommission_step_validated");
inline const QString kDone = QStringLiteral("decommission_step_done");
inline const QString kReset = QStringLiteral("decommission_reset");
// A desk whose start lost to another desk's earlier one: it did nothing.
inline const QString kYielded = QStringLiteral("decommission_step_yielded");
} // namespace audit

struct Approval {
    QString operatorName;
    QString role;
    QDateTime at;
};

enum class StepState {
    Blocked,          // an earlier step is not done
    AwaitingApproval, // its approvals are not all given
    Ready,
    Running, // started, no outcome recorded (a crash in the middle leaves it here)
    Waiting, // validated; the wait runs until waitUntil
    Done,
    Failed, // may be run again after a fix
};
QString stepStateName(StepState state); // "awaiting_approval", …

struct StepProgress {
    const config::DecommissionStep *step = nullptr;
    StepState state = StepState::Blocked;
    QList<Approval> approvals; // since the last run or reset
    QString startedBy;
    QDateTime startedAt;
    qint64 startedSeq = 0; // the audit entry of the start that runs the step
    QDateTime validatedAt;
    QDateTime waitUntil; // Waiting: validatedAt + the step's wait
    QDateTime doneAt;
    QString error; // Failed
    // What the operator attached when the step last started (note, URL, or file with its
    // SHA-256 as the store recorded it).
    QJsonObject evidence;
    // What the action produced on its last run (archive and its SHA-256, snapshot name,
    // export files, command output hashes, per-LB results).
    QJsonObject output;
    QJsonObject result; // the last outcome's details (validation, error)

    // Roles of step->approvals that no approval covers yet, and whether the distinct-people rule
    // of an irreversible step is met.
    QStringList missingRoles() const;
    bool needsSecondPerson() const;
    bool approved() const { return missingRoles().isEmpty() && !needsSecondPerson(); }
};

// The first irreversible step that started: from then on, Rollback is refused.
struct PointOfNoReturn {
    QString stepId;
    QString stepTitle;
    QString by;
    QDateTime at;
    QStringList servers; // remove_from_lb: the servers removed
};

struct EnvironmentProgress {
    QList<StepProgress> steps; // in plan order
    std::optional<PointOfNoReturn> pointOfNoReturn;
    // What an operator said when the LBs' configured weights were not the 100% assignment
    // (they keep a server-state-file): said once, recorded with the step that needed it.
    QString permanenceEvidence;

    int doneCount() const;
    bool complete() const { return !steps.isEmpty() && doneCount() == steps.size(); }
    bool started() const; // any step approved, started or done since the last reset
    const StepProgress *step(const QString &id) const &;
    // On a temporary (`ledger.progress(env).step(id)`) the pointer would dangle.
    const StepProgress *step(const QString &id) const && = delete;
    // The legacy servers drained, in maintenance or removed by a done or started step: what a
    // rollback before the point of no return sets back to ready.
    QStringList serversOutOfService() const;
    // The servers a removal deleted, or may have deleted (started): HAProxy no longer knows them,
    // so nothing reads or sets their weights any more.
    QStringList serversRemoved() const;
};

// The realized saving: the retired components' cost, against the baseline.
struct CostSummary {
    QString currency;
    double baselinePerMonth = 0;
    double retiredPerMonth = 0; // components retired by done steps
    double plannedPerMonth = 0; // every component the plan retires
    double targetLowPercent = 0;
    double targetHighPercent = 0;
    QStringList retired; // component ids

    double realizedPercent() const {
        return baselinePerMonth > 0 ? 100.0 * retiredPerMonth / baselinePerMonth : 0;
    }
    double plannedPercent() const {
        return baselinePerMonth > 0 ? 100.0 * plannedPerMonth / baselinePerMonth : 0;
    }
    bool targetMet() const { return realizedPercent() >= targetLowPercent; }
};

class DecommissionLedger {
public:
    explicit DecommissionLedger(const config::DecommissionConfig *config = nullptr)
        : m_config(config) {}

    // Entries in sequence order; anything but a decommission entry is ignored.
    void apply(const store::AuditEntry &entry);
    void applyAll(const QList<store::AuditEntry> &entries);

    // The steps' states as of `now` (a wait that has run out stays Waiting until its final
    // validation is recorded: only a verified step is done).
    EnvironmentProgress progress(const QString &environment) const;
    CostSummary cost(const QString &environment) const { return cost(progress(environment)); }
    CostSummary cost(const EnvironmentProgress &progress) const;

private:
    struct Record {
        QList<Approval> approvals;
        QString startedBy;
        QDateTime startedAt;
        qint64 startedSeq = 0;
        QList<qint64> contested; // later starts of desks that must yield
        QDateTime validatedAt;
        QDateTime doneAt;
        QString error;
        QJsonObject evidence;
        QJsonObject output;
        QJsonObject result;
        enum class Last { None, Started, Failed, Validated, Done } last = Last::None;
    };
    struct Environment {
        QHash<QString, Record> steps;
        std::optional<PointOfNoReturn> pointOfNoReturn;
        QString permanenceEvidence;
    };

    const config::DecommissionConfig *m_config;
    QHash<QString, Environment> m_environments;
};

} // namespace cutover::decommission
