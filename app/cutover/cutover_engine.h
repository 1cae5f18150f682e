#pragma once

// The cutover engine: one state machine per environment, driven by operators' actions, by time
// (stabilization, holds) and by the monitor's samples (split, gate checks, triggers, drift).
// It decides (guards), persists (the store is written before anything is reported done) and
// records (every action and automatic decision goes to the audit log). The window and the
// command line only ask it.
//
// Several engines may share one store (several consoles in one war room): every state change
// is an optimistic-concurrency write, so whichever engine sees a transition first makes it and
// the others reload. Any engine can therefore carry a shift through stabilization and
// validation, even when the console that started it is gone.

#include "app/backends/lb_fleet.h"
#include "app/backends/prometheus_types.h"
#include "app/config/plan.h"
#include "app/cutover/condition_tracker.h"
#include "app/cutover/engine_snapshot.h"
#include "app/cutover/gate_status.h"
#include "app/cutover/guards.h"
#include "app/cutover/history.h"
#include "app/cutover/phase.h"
#include "app/decommission/step_runner.h"
#include "app/store/clock.h"
#include "app/store/decision_lease.h"
#include "app/store/operators_file.h"
#include "app/store/records.h"
#include "app/store/sign_in.h"

#include <QFuture>
#include <QHash>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace cutover::backends {
class AlertmanagerClient;
class PrometheusClient;
class WebhookNotifier;
struct PromSample;
} // namespace cutover::backends

namespace cutover::store {
class LeaseKeeper;
class Store;
class StoreRunner;
class StoreWatcher;
} // namespace cutover::store

namespace cutover::engine {

// A shift or a rollback in flight. Finishes exactly once; deletes itself later.
class Operation : public QObject {
    Q_OBJECT
public:
    enum class Kind { Shift, Rollback };
    Operation(Kind kind, QString environment, QObject *parent = nullptr);

    Kind kind() const { return m_kind; }
    const QString &environment() const { return m_environment; }
    bool isFinished() const { return m_finished; }
    bool succeeded() const { return m_ok; }
    const QString &summary() const { return m_summary; }
    const QStringList &refusals() const { return m_refusals; } // rendered
    const Refusals &refused() const { return m_refused; }      // typed
    const QList<backends::LbApplyResult> &results() const { return m_results; }

    // For the engine.
    void addResult(const backends::LbApplyResult &result);
    void progress(const QString &text);
    void finish(bool ok, const QString &summary, const Refusals &refused = {});

Q_SIGNALS:
    void progressed(const QString &text);
    void lbFinished(const cutover::backends::LbApplyResult &result);
    void finished(bool ok, const QString &summary);

private:
    Kind m_kind;
    QString m_environment;
    bool m_finished = false;
    bool m_ok = false;
    QString m_summary;
    QStringList m_refusals;
    Refusals m_refused;
    QList<backends::LbApplyResult> m_results;
};

struct SignInDesk;

class CutoverEngine : public QObject {
    Q_OBJECT
public:
    enum class Role {
        Desk,       // a window or a command: decides only while no controller runs
        Controller, // `--serve`: seeks the decision lease and takes it from a desk
    };

    struct Options {
        Role role = Role::Desk;
        // Whether the store's decision lease chooses one decider; false: this engine decides
        // alone (unit tests that drive time by hand).
        bool coordinate = true;
        QString hostName;      // empty: this machine's name
        bool dryRun = false;   // everything but writing weights
        bool monitor = true;   // poll Prometheus and the LBs
        int storePollMs = 500; // how often another console's changes are looked for
        int tickMs = 1000;     // how often time-driven transitions are checked
        store::Clock clock = store::systemClock();
        QString actorForAutomatic = QStringLiteral("engine");
        // Audit checkpoints: how often one is looked for, and the console's key (empty: the
        // user's data folder, audit_checkpoint.h).
        int checkpointCheckMs = 15'000;
        QString checkpointKeyPath;
    };

    // On `store`, used on this thread: every store call answers at once (the command line, the
    // controller, tests).
    CutoverEngine(const config::Plan &plan, store::Store &store,
                  std::optional<store::OperatorsFile> operators, Options options,
                  QObject *parent = nullptr);
    // On a store behind `runner` (the window: a store on its own thread). The calls that write
    // answer through their callbacks; the synchronous twins below are for an inline runner.
    CutoverEngine(const config::Plan &plan, store::StoreRunner &runner,
                  std::optional<store::OperatorsFile> operators, Options options,
                  QObject *parent = nullptr);
    ~CutoverEngine() override;

    // Records the plan's hash, loads every environment's state and resumes what a crash
    // interrupted (a shift or rollback half applied is applied again), then starts the timers.
    void start();

    const config::Plan &plan() const { return m_plan; }
    // The engine's clock (a test's may be simulated): what countdowns are measured against.
    QDateTime currentTime() const { return m_options.clock(); }
    bool isDryRun() const { return m_options.dryRun; }
    QStringList environments() const;
    EnvironmentSnapshot snapshot(const QString &environment) const;
    // A compare check's last judgement with its samples (the "why" view); nullopt: none yet.
    std::optional<CompareOutcome> compareOutcome(const QString &environment, const QString &gate,
                                                 const QString &check) const;

    // Identity. signIn() audits; the same passphrase check guards shift and sign-off.
    // Every call that takes a passphrase has a twin taking a store::PassphraseProof: the window
    // derives the key off its thread with checkPassphrase() and passes the proof; the CLI and
    // tests pass the passphrase (derived on the calling thread).
    store::SignInResult signIn(const QString &name, const QString &passphrase);
    store::SignInResult signIn(const store::PassphraseProof &proof);
    // The asynchronous form: `done` once the store has answered (at once on an inline runner).
    using SignInDone = std::function<void(const store::SignInResult &)>;
    void signIn(const store::PassphraseProof &proof, SignInDone done);
    // The slow half of any passphrase check, on a worker thread (an unknown name, or no
    // operators file, yields a proof that matches nothing).
    QFuture<store::PassphraseProof> checkPassphrase(const QString &name,
                                                    const QString &passphrase) const;
    std::optional<Operator> operatorNamed(const QString &name) const;
    bool hasOperators() const { return m_operators.has_value(); }

    QStringList guards(Action action, const Operator &who, const QString &environment,
                       const GuardTarget &target = {}) const;
    // The same, typed: the window decides by code.
    Refusals refusals(Action action, const Operator &who, const QString &environment,
                      const GuardTarget &target = {}) const;
    // Per environment, why a shift to the next stage is refused now for someone holding every
    // role that may shift: the refusals left are the situation's (status reports print them).
    QHash<QString, QStringList> situationShiftRefusals() const;
    ShiftPreview previewShift(const QString &environment, const Operator &who) const;

    // Each action has an asynchronous form taking `done`: called once, after the store has
    // committed the record and its audit entry (or refused, or failed), at once when refused by
    // a guard or on an inline runner. The forms returning ActionOutcome need an inline runner.
    using ActionDone = std::function<void(const ActionOutcome &)>;
    ActionOutcome tick(const QString &environment, const QString &gate, const QString &check,
                       const Operator &who);
    void tick(const QString &environment, const QString &gate, const QString &check,
              const Operator &who, ActionDone done);
    ActionOutcome untick(const QString &environment, const QString &gate, const QString &check,
                         const Operator &who);
    void untick(const QString &environment, const QString &gate, const QString &check,
                const Operator &who, ActionDone done);
    // `role` empty: the operator's first role that signs this gate. A gate whose score is
    // marginal is signed only with `acknowledgeMarginal` and a comment saying why; the stored
    // comment then starts with marginalAcknowledgement() (gate_status.h).
    ActionOutcome signOff(const QString &environment, const QString &gate, const QString &role,
                          const Operator &who, const QString &passphrase, const QString &meaning,
                          const QString &comment, bool acknowledgeMarginal = false);
    ActionOutcome signOff(const QString &environment, const QString &gate, const QString &role,
                          const Operator &who, const store::PassphraseProof &proof,
                          const QString &meaning, const QString &comment,
                          bool acknowledgeMarginal = false);
    void signOff(const QString &environment, const QString &gate, const QString &role,
                 const Operator &who, const store::PassphraseProof &proof, const QString &meaning,
                 const QString &comment, bool acknowledgeMarginal, ActionDone done);

    // `typedPercent` is what the operator typed to confirm ("25"): it must be the next stage.
    Operation *shift(const QString &environment, const Operator &who, const QString &passphrase,
                     int typedPercent);
    Operation *shift(const QString &environment, const Operator &who,
                     const store::PassphraseProof &proof, int typedPercent);
    // A planned step back to an earlier stage (not an emergency): that stage's weights, then
    // stabilization and validation as after a shift; the gates of the stages stepped back over
    // are voided. Needs the shift permission, the passphrase and a reason; audited.
    Operation *stepBack(const QString &environment, const Operator &who, const QString &passphrase,
                        int toPercent, const QString &reason);
    Operation *stepBack(const QString &environment, const Operator &who,
                        const store::PassphraseProof &proof, int toPercent, const QString &reason);
    // No passphrase: a rollback must never wait on typing. Refused only for the role.
    Operation *rollback(const QString &environment, const Operator &who,
                        const QString &reason = QString());
    // Every environment of the plan at once (the war room's "roll back all"): one rollback per
    // environment, started in the same turn, each audited as that environment's rollback. Each
    // is refused on its own (the role; one already rolling back keeps running).
    QList<Operation *> rollbackAll(const Operator &who, const QString &reason = QString());
    // Break-glass: an operator with the rollback role who is locked out of signing in (wrong
    // passphrases typed under their name) rolls back with their correct passphrase. Only the
    // rollback: the lock-out stays, so nothing else is allowed to them until it ends. Audited as
    // break_glass_rollback and notified at L4 (which raises the war room).
    Operation *breakGlassRollback(const QString &environment, const QString &operatorName,
                                  const QString &passphrase, const QString &reason = QString());
    Operation *breakGlassRollback(const QString &environment, const store::PassphraseProof &proof,
                                  const QString &reason = QString());

    // The monitor's inputs. The monitor calls these with what Prometheus answered; tests and
    // replays call them directly. nullopt: no usable answer (missing, NaN, error).
    void recordSplitSample(const QString &environment, const QDateTime &at,
                           std::optional<double> share);
    void recordCheckSample(const QString &environment, const QString &gate, const QString &check,
                           const QDateTime &at, std::optional<double> value);
    void recordTriggerSample(const QString &environment, const QString &trigger,
                             const QDateTime &at, std::optional<double> value);
    // A compare check's two samples over its window (NaN where a point is missing), each side
    // already divided by its `per` denominator; `at` is the window's end.
    void recordCompareSamples(const QString &environment, const QString &gate, const QString &check,
                              const QDateTime &at, const QList<double> &legacy,
                              const QList<double> &otel);
    void recordCompareSamples(const QString &environment, const QString &gate, const QString &check,
                              const CompareSamples &samples);
    // How a backend answered: "prometheus", or a load balancer of `environment`.
    void recordBackendHealth(const QString &environment, const QString &name, bool ok,
                             const QString &problem = QString());
    // After a batch of samples: hold breaches and triggers are judged on the whole picture.
    void evaluateSamples(const QString &environment);

    // Each panel's last `span` from Prometheus (query_range, one point per scrape interval but at
    // most 4,320 a series), emitted as panelHistory() per panel. start() asks for 6 h of every
    // environment when panelHistory is connected, so charts opened mid-cutover show what came
    // before.
    void requestPanelHistory(const QString &environment, std::chrono::milliseconds span);
    static constexpr std::chrono::hours kPanelHistorySpan{6};

    // Webhook deliveries still in flight (a command-line run waits for them before exiting).
    int pendingNotifications() const { return m_pendingNotifications; }
    // Rollback follow-ups still running (legacy verification, evidence, upload).
    int pendingFollowUps() const { return m_pendingFollowUps; }

    // Who decides. decides(): this engine takes automatic decisions now.
    DecisionStatus decisionStatus() const;
    bool decides() const;
    // When `trigger`'s condition began to hold without a break (its first true sample), or
    // invalid when it does not hold now: for measuring detection to rollback.
    QDateTime triggerHoldingSince(const QString &environment, const QString &trigger) const;
    // When this engine last finished a monitor round (invalid: none yet).
    QDateTime lastEvaluationAt() const { return m_lastEvaluationAt; }
    WarRoomStatus warRoom() const { return m_warRoom; }
    // A signed-in operator acknowledges the WAR ROOM (audited); refused without a role that may
    // roll back or sign.
    ActionOutcome acknowledgeWarRoom(const Operator &who, const QString &comment = QString());
    void acknowledgeWarRoom(const Operator &who, const QString &comment, ActionDone done);

    // The decommission (engine_decommission.cpp). Steps run on an operator's request; a wait
    // that runs out is validated again by whoever decides. Every transition is an audit entry,
    // committed before the next command goes out.
    struct DecommissionRequest {
        QString confirmation; // an irreversible step: exactly decommissionConfirmation()
        QString evidence;     // the step's evidence: a note, a URL or a file path
        // Said by the operator when the LBs' configured weights are not the 100% assignment
        // because they keep a server-state-file (a reload then keeps the runtime weights).
        QString permanenceEvidence;
    };
    bool hasDecommission() const;
    decommission::EnvironmentProgress decommissionProgress(const QString &environment) const;
    decommission::CostSummary decommissionCost(const QString &environment) const;
    // "REMOVE legacy-collector-1 legacy-collector-2 FROM lb-a lb-b"; empty for a reversible step.
    QString decommissionConfirmation(const QString &environment, const QString &step) const;
    Refusals decommissionRefusals(const QString &environment, const QString &step,
                                  const Operator &who,
                                  const DecommissionRequest &request = {}) const;
    Refusals approvalRefusals(const QString &environment, const QString &step, const Operator &who,
                              const QString &role) const;
    // An approval is a signature: the passphrase is checked as for a gate.
    void approveDecommissionStep(const QString &environment, const QString &step,
                                 const QString &role, const Operator &who,
                                 const store::PassphraseProof &proof, ActionDone done);
    // The synchronous form (inline runner: the CLI, tests); the passphrase is derived here.
    ActionOutcome approveDecommissionStep(const QString &environment, const QString &step,
                                          const QString &role, const Operator &who,
                                          const QString &passphrase);
    // Done when the step is done, waiting, failed (error) or refused.
    void runDecommissionStep(const QString &environment, const QString &step, const Operator &who,
                             const DecommissionRequest &request, ActionDone done);
    // The operator signed in at this desk (shown to other desks while this one decides).
    void setDeskOperator(const QString &name);
    // Reads every load balancer of `environment` back (both pools), for a command that reports
    // only what it verified. Needs start().
    net::Reply<QList<backends::LbWeightsRead>> *readBack(const QString &environment);
    // Whether a shift or rollback of `environment` runs in this engine now.
    bool operationInFlight(const QString &environment) const;

    // One monitor round now (queries, drift) and one time-driven step; for tests and the CLI.
    void evaluateNow();
    // Time-driven transitions only (stabilization over, hold, …), at the clock's now.
    void step();
    // Reloads stage states, ticks and sign-offs from the store (another console changed them).
    void reload();
    // When this engine decides and one is due (plan.audit), signs the audit head with the
    // console's key, records the checkpoint and publishes it (file, webhook). Runs on a timer;
    // tests call it. `done` gets the seq signed (0: none due) or an error.
    void checkpointIfDue(std::function<void(qint64 seq, const QString &error)> done = {});

Q_SIGNALS:
    void snapshotChanged(const QString &environment);
    void auditAppended(const cutover::store::AuditEntry &entry);
    // kind: "trigger", "drift", "validation", "rollback", "store", "backend"
    void alarm(const QString &environment, const QString &kind, const QString &text);
    void splitSampled(const QString &environment, const QDateTime &at, double share);
    void panelSampled(const QString &environment, const QString &panelId, const QDateTime &at,
                      const QList<cutover::backends::PromSample> &samples);
    void monitorRoundFinished();
    void panelHistory(const QString &environment, const QString &panelId,
                      const QList<cutover::backends::PromSeries> &series);
    void notificationsIdle();
    // An event was routed at `level` ("L1".."L4"), in a rehearsal too (which sends nothing).
    void notified(const QString &event, const QString &environment, const QString &level);
    void followUpsIdle();
    // Who decides changed (this engine started or stopped deciding, another holder appeared).
    void decisionChanged();
    // This engine resumes work a crash or a lost process left half done ("rollback", "shift").
    void resumed(const QString &environment, const QString &kind, const QString &text);
    // A rollback follow-up step finished: "legacy_verified", "legacy_unverified",
    // "evidence_preserved", "evidence_failed", "evidence_uploaded", "upload_failed".
    void rollbackFollowUp(const QString &environment, const QString &step, const QString &text);
    // A decommission step moved on ("running 'Drain legacy collectors'").
    void decommissionProgressed(const QString &environment, const QString &step,
                                const QString &text);
    // How far a long action is: `done` of `total` `unit` ("URLs fetched").
    void decommissionStepProgress(const QString &environment, const QString &step, qint64 done,
                                  qint64 total, const QString &unit);

private:
    struct EnvironmentRuntime;
    EnvironmentRuntime &runtime(const QString &environment);
    const EnvironmentRuntime *runtime(const QString &environment) const;
    GuardInputs guardInputs(const EnvironmentRuntime &rt) const;
    QList<GateStatus> evaluateGates(const EnvironmentRuntime &rt) const;

    // The state write (optimistic concurrency) and its audit entry, answered through `then`
    // (ok, or why: another console's change — then taken — or the store's error).
    using StateWritten = std::function<void(bool ok, const QString &error)>;
    void writeState(EnvironmentRuntime &rt, store::StageState next, const QString &actor,
                    const QString &role, const QString &action, const QJsonObject &details,
                    StateWritten then = {});
    // The same, retried on the newest version; when the store is unreachable, the state is kept
    // in memory and written when it is back.
    void writeStateForced(EnvironmentRuntime &rt, store::StageState next, const QString &actor,
                          const QString &role, const QString &action, const QJsonObject &details,
                          StateWritten then = {}, int attempt = 0);
    void keepUnwrittenState(EnvironmentRuntime &rt, store::StageState next, const QString &actor,
                            const QString &role, const QString &action, const QJsonObject &details,
                            bool storeDown);
    void pullAudit();
    void writePendingStates();
    void applyWeights(EnvironmentRuntime &rt, Operation *operation,
                      const QMap<QString, int> &weights, bool isRollback, const QString &actor);
    void finishShift(EnvironmentRuntime &rt, Operation *operation,
                     const backends::FleetApplyResult &result, const QString &actor);
    // The gates to pass again after going back from stage `fromStage` to `toStage` (-1: a
    // rollback to 0%, which honours rollback.reset).
    QStringList gatesRolledBackOver(int fromStage, int toStage) const;
    void resetGates(EnvironmentRuntime &rt, const QStringList &gates, const QString &actor,
                    const QString &reason);
    void finishRollback(EnvironmentRuntime &rt, Operation *operation,
                        const backends::FleetApplyResult &result, const QString &actor);
    void finishRevert(const QString &environment, Operation *operation, int backToPercent,
                      const QString &shiftFailure,
                      const net::Result<backends::FleetApplyResult> &reverted);
    void startRollback(EnvironmentRuntime &rt, Operation *operation, const QString &actor,
                       const QString &role, const QString &reason, bool automatic = false,
                       std::optional<config::EscalationLevel> level = std::nullopt,
                       const QString &cause = QString());
    // One decision per event: an automatic rollback claimed in the store before it runs.
    void claimAutomaticRollback(EnvironmentRuntime &rt, Operation *operation,
                                store::StageState next, const QString &actor, const QString &role,
                                const QJsonObject &details, int attempt);
    void validate(EnvironmentRuntime &rt);
    void onValidationFailed(EnvironmentRuntime &rt, const QString &why);
    void evaluateTriggers(EnvironmentRuntime &rt);
    void checkHoldBreaches(EnvironmentRuntime &rt);
    QSet<QString> holdCheckKeys(const EnvironmentRuntime &rt) const;
    qint64 unknownToleranceMs() const;
    void restartHold(EnvironmentRuntime &rt, const QDateTime &at, const QJsonObject &details);
    QString checkTitle(const QString &key) const;
    void monitorRound();
    void queryEnvironment(EnvironmentRuntime &rt);
    void queryAlertDelivery(EnvironmentRuntime &rt, const QString &gate, const config::Check &check,
                            const QDateTime &issuedAt, const std::function<void()> &done);
    // Shift and step back: the passphrase check, then `then` (when it failed, `op` finishes with
    // why and `then` is not called); and the audited state write towards stage `target` (its
    // weight plan; nullopt with `error`).
    void whenPassphraseVerified(Operation *op, const Operator &who,
                                const store::PassphraseProof &proof, const QString &purpose,
                                std::function<void()> then);
    // The lock-out bookkeeping of a passphrase check, on the store's thread.
    void verifyProof(const store::PassphraseProof &proof, const QString &purpose,
                     std::function<void(const store::SignInResult &)> done,
                     bool breakGlass = false);
    // The synchronous form of an asynchronous action (inline runner; else a "use the callback"
    // error).
    ActionOutcome waitedOutcome(const std::function<void(ActionDone)> &action) const;
    // A break-glass rollback whose passphrase passed: the commands, then the record and the page.
    void breakGlassVerified(const QString &environment, Operation *op, const Operator &who,
                            const store::SignInResult &verified, const QString &reason);
    // A shift whose guards and passphrase passed: the state write, then the weights.
    void startShift(EnvironmentRuntime &rt, Operation *op, const Operator &who,
                    const EnvironmentSnapshot &s);
    // A passphrase checked now, on this thread (the twins that take a passphrase).
    store::PassphraseProof proofNow(const QString &name, const QString &passphrase) const;
    using MovedToStage =
        std::function<void(const std::optional<backends::WeightPlan> &plan, const QString &error)>;
    void moveToStage(EnvironmentRuntime &rt, const Operator &who, int target, int from,
                     const QString &action, QJsonObject details, MovedToStage then);
    void queryCompare(EnvironmentRuntime &rt, const QString &gate, const config::Check &check,
                      const QDateTime &issuedAt, const std::function<void()> &done);
    void checkDrift(EnvironmentRuntime &rt);
    void notify(const QString &event, const QString &environment, const QJsonObject &payload,
                std::optional<config::EscalationLevel> level = std::nullopt);
    void raiseWarRoom(const QString &event, const QString &environment, const QString &reason);
    // engine_decommission.cpp.
    Refusals decommissionEntryRefusals(const EnvironmentRuntime &rt) const;
    decommission::StepContext stepContext(const EnvironmentRuntime &rt) const;
    // Appends a decommission entry (hashing `evidenceFile` into it on the store's thread) and
    // calls `then` with the entry's seq once the store committed it and the ledger has applied
    // it.
    using Recorded = std::function<void(bool ok, const QString &error, qint64 seq)>;
    void checkDuringWait(EnvironmentRuntime &rt, const decommission::StepProgress &progress,
                         const QString &key);
    void recordDecommission(const QString &actor, const QString &role, const QString &action,
                            const QString &environment, const QString &step, QJsonObject details,
                            const QString &evidenceFile, Recorded then);
    void whenAuditApplied(qint64 seq, std::function<void()> then);
    void runAfterAudit();
    void refuseStep(const EnvironmentRuntime &rt, const config::DecommissionStep &step,
                    const Refusal &refusal, const QJsonObject &found, ActionDone finish);
    void failStep(EnvironmentRuntime &rt, const config::DecommissionStep &step,
                  const decommission::StepResult &result, ActionDone finish);
    void completeStep(EnvironmentRuntime &rt, const config::DecommissionStep &step,
                      QJsonObject result, ActionDone finish);
    void finalValidation(EnvironmentRuntime &rt, const config::DecommissionStep &step,
                         const QString &actor, const QString &role, ActionDone finish);
    void completeWaits();
    // A rollback before the point of no return: drained legacy servers back to ready, and the
    // decommission starts over.
    void restoreLegacyServers(EnvironmentRuntime &rt, const QString &actor);

    // What the engine learns from every audit entry, whoever wrote it (war room, triggers).
    void applyAuditEntry(const store::AuditEntry &entry);

    // engine_decisions.cpp: the lease, back-fill, resuming.
    void startDecisionLease(std::unique_ptr<store::LeaseBackend> backend);
    void onDecidingChanged(bool deciding);
    void onLeaseObserved(const store::LeaseReading &reading);
    bool decidesRollbacks() const;
    // Judges [mark, now] from Prometheus' history before deciding (mark invalid: nobody recorded
    // watching; a running hold is then judged from its start).
    void backfill(const QDateTime &mark);
    void backfillEnvironment(EnvironmentRuntime &rt, const QDateTime &from, const QDateTime &to,
                             const std::shared_ptr<int> &pending);
    void finishBackfill();
    void resumeInterrupted(EnvironmentRuntime &rt, const QString &why);
    // Feeds every automatic check with a `for` from Prometheus' recent history, then `then`.
    void warmUpChecks(const std::function<void()> &then);
    void resumeStale();
    void markEvaluated();

    // engine_followup.cpp: the seed's rollback steps 2-4.
    void startRollbackFollowUp(EnvironmentRuntime &rt, const QString &reason,
                               const backends::FleetApplyResult &result,
                               const QDateTime &incidentStart);
    void verifyLegacy(const QString &environment, const QDateTime &deadline);
    void preserveEvidence(const QString &environment, const QString &reason,
                          const backends::FleetApplyResult &result, const QDateTime &incidentStart);
    void uploadEvidence(const QString &environment, const QString &archive);
    void followUpDone();
    void audit(const QString &actor, const QString &role, const QString &action,
               const QString &environment, const QString &subject, QJsonObject details);
    void setBackendHealth(EnvironmentRuntime &rt, const QString &name, bool ok,
                          const QString &problem);
    void setGlobalHealth(const QString &name, bool ok, const QString &problem);
    void changed(const QString &environment);
    QDateTime now() const { return m_options.clock(); }
    void setUp();
    // A reload requested before a write of this engine was applied must not undo it.
    void noteLocalWrite() { ++m_storeGeneration; }
    struct StoreReading;
    void applyReading(const StoreReading &reading);

    config::Plan m_plan;
    std::unique_ptr<store::StoreRunner> m_ownedRunner; // the inline runner of the Store& form
    store::StoreRunner &m_runner;
    std::optional<store::OperatorsFile> m_operators;
    // Lock-out bookkeeping, used only inside store jobs (on the store's thread); null without an
    // operators file. Shared so that a job in flight keeps it alive.
    std::shared_ptr<SignInDesk> m_signIn;
    Options m_options;
    std::vector<std::unique_ptr<EnvironmentRuntime>> m_environments;
    backends::PrometheusClient *m_prometheus = nullptr;
    backends::AlertmanagerClient *m_alertmanager = nullptr;
    QList<backends::WebhookNotifier *> m_webhooks;
    store::StoreWatcher *m_watcher = nullptr;
    QTimer m_stepTimer;
    QTimer m_monitorTimer;
    QTimer m_checkpointTimer;
    std::shared_ptr<struct CheckpointDesk> m_checkpoints; // used inside store jobs
    QHash<QString, BackendHealth> m_globalHealth;         // prometheus, alertmanager, store
    bool m_started = false;
    qint64 m_lastAuditSeq = 0;
    quint64 m_storeGeneration = 0; // bumped by every local write and reload request
    bool m_reloadInFlight = false;
    bool m_reloadAgain = false;
    bool m_pullInFlight = false;
    bool m_pullAgain = false;
    int m_pendingNotifications = 0;
    int m_pendingFollowUps = 0;

    store::LeaseKeeper *m_lease = nullptr;
    bool m_leaseDeciding = false;     // the keeper says this engine holds the lease (fenced)
    bool m_backfilling = false;       // took over, judging the unwatched time first
    qint64 m_leaseProblemSinceNs = 0; // steady clock: since when the lease cannot be read
    QString m_deskOperator;
    QDateTime m_lastEvaluationAt;
    qint64 m_decidedTerm = -1; // the lease term this engine last started deciding under
    WarRoomStatus m_warRoom;
    QHash<QString, QDateTime> m_triggerFiredAt; // "env/trigger" -> last trigger_fired (any engine)
    // Every environment's decommission, from the audit log (whoever wrote it).
    decommission::DecommissionLedger m_decommission{&m_plan.decommission};
    QSet<QString> m_decommissionRunning;    // "environment/step" running in this engine
    QHash<QString, QDateTime> m_waitChecks; // "environment/step": the last check during its wait
    QList<std::pair<qint64, std::function<void()>>> m_afterAudit; // seq -> then
};

} // namespace cutover::engine
