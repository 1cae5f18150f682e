#include "app/cutover/cutover_engine.h"

#include "app/backends/alertmanager_client.h"
#include "app/backends/prometheus_client.h"
#include "app/backends/webhook_notifier.h"
#include "app/config/plan_loader.h"
#include "app/cutover/engine_internal.h"
#include "app/store/operators_evidence.h"
#include "app/store/store.h"
#include "app/store/store_watcher.h"

#include <QMetaMethod>
#include <QTimer>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcEngine, "cutover.engine", QtInfoMsg)

namespace cutover::engine {

// ---------------------------------------------------------------------------------------------

Operation::Operation(Kind kind, QString environment, QObject *parent)
    : QObject(parent)
    , m_kind(kind)
    , m_environment(std::move(environment)) {}

void Operation::addResult(const backends::LbApplyResult &result) {
    m_results.append(result);
    Q_EMIT lbFinished(result);
}

void Operation::progress(const QString &text) {
    // Queued: the engine reports progress from inside shift()/rollback(), before the caller
    // had a chance to connect; queued events keep their order.
    QTimer::singleShot(0, this, [this, text] { Q_EMIT progressed(text); });
}

void Operation::finish(bool ok, const QString &summary, const Refusals &refused) {
    if (m_finished)
        return;
    m_finished = true;
    m_ok = ok;
    m_summary = summary;
    m_refused = refused;
    m_refusals = texts(refused);
    Q_EMIT finished(ok, summary);
    deleteLater();
}

// ---------------------------------------------------------------------------------------------

CutoverEngine::CutoverEngine(const config::Plan &plan, store::Store &store,
                             std::optional<store::OperatorsFile> operators, Options options,
                             QObject *parent)
    : QObject(parent)
    , m_plan(plan)
    , m_ownedRunner(std::make_unique<store::StoreRunner>(store))
    , m_runner(*m_ownedRunner)
    , m_operators(std::move(operators))
    , m_options(std::move(options)) {
    setUp();
}

CutoverEngine::CutoverEngine(const config::Plan &plan, store::StoreRunner &runner,
                             std::optional<store::OperatorsFile> operators, Options options,
                             QObject *parent)
    : QObject(parent)
    , m_plan(plan)
    , m_runner(runner)
    , m_operators(std::move(operators))
    , m_options(std::move(options)) {
    setUp();
}

void CutoverEngine::setUp() {
    if (m_operators)
        m_signIn = std::make_shared<SignInDesk>(
            SignInDesk{*m_operators, m_options.clock, m_plan.operators.file, {}});
    for (const config::Environment &env : m_plan.environments) {
        auto rt = std::make_unique<EnvironmentRuntime>();
        rt->env = &env;
        rt->state.environment = env.name;
        rt->state.phase = phaseName(Phase::Holding);
        for (const QString &lb : env.loadBalancers)
            rt->lbHealth.insert(lb, BackendHealth{lb, BackendHealth::State::Unknown, {}, {}});
        for (const config::Gate &gate : m_plan.gates) {
            for (const config::Check &check : gate.checks) {
                if (check.isTracked())
                    rt->checks.insert(
                        checkKey(gate.id, check.id),
                        ConditionTracker(check.trackedCondition(), check.forDuration));
            }
        }
        for (const config::Trigger &trigger : m_plan.rollback.triggers)
            rt->triggers.insert(trigger.id,
                                ConditionTracker(trigger.condition, trigger.forDuration));
        m_environments.push_back(std::move(rt));
    }
    m_globalHealth.insert(u"prometheus"_s,
                          BackendHealth{u"prometheus"_s, BackendHealth::State::Unknown, {}, {}});
    m_globalHealth.insert(u"store"_s,
                          BackendHealth{u"store"_s, BackendHealth::State::Ok, now(), {}});
    m_stepTimer.setInterval(m_options.tickMs);
    connect(&m_stepTimer, &QTimer::timeout, this, &CutoverEngine::step);
    m_monitorTimer.setInterval(
        int(std::clamp<qint64>(m_plan.validation.evaluationInterval.ms(), 200, 3'600'000)));
    connect(&m_monitorTimer, &QTimer::timeout, this, &CutoverEngine::monitorRound);
    m_checkpointTimer.setInterval(std::max(1000, m_options.checkpointCheckMs));
    connect(&m_checkpointTimer, &QTimer::timeout, this, [this] { checkpointIfDue(); });
}

CutoverEngine::~CutoverEngine() = default;

void CutoverEngine::start() {
    if (m_started)
        return;
    m_started = true;
    m_prometheus = new backends::PrometheusClient(m_plan.prometheus, this);
    if (m_plan.alertmanager)
        m_alertmanager = new backends::AlertmanagerClient(*m_plan.alertmanager, this);
    for (const config::Notification &notification : m_plan.notifications)
        m_webhooks.append(new backends::WebhookNotifier(notification, this));
    for (auto &rt : m_environments)
        rt->fleet = new backends::LbFleet(m_plan, *rt->env, this);

    reload();
    m_runner.run<store::AuditEntry>(
        this,
        [plan = m_plan](store::Store &store) {
            return store::recordPlanLoaded(store, plan, u"system"_s);
        },
        [this](const store::StoreResult<store::AuditEntry> &recorded) {
            if (!recorded)
                setGlobalHealth(u"store"_s, false, recorded.error().toString());
            pullAudit();
        });
    // The operators file is evidence too (who may sign, with which key): recorded at each load.
    if (m_operators && !m_operators->sha256Hex.isEmpty()) {
        m_runner.run<store::AuditEntry>(
            this,
            [operators = *m_operators](store::Store &store) {
                return store::recordOperatorsLoaded(store, operators, u"system"_s);
            },
            [this](const store::StoreResult<store::AuditEntry> &recorded) {
                if (!recorded)
                    qCWarning(lcEngine)
                        << "operators file not recorded:" << recorded.error().toString();
                pullAudit();
            });
    }

    // Resuming what a crash interrupted (the store holds the intent, the LBs may not) is an
    // automatic decision: the decider does it once it has judged the unwatched time (an engine
    // that decides alone does it now). The lease needs the store open; jobs answer in order, so
    // the states read above are in when it starts.
    using Backend = std::shared_ptr<std::unique_ptr<store::LeaseBackend>>;
    m_runner.run<Backend>(
        this,
        [](store::Store &store) {
            return store::StoreResult<Backend>(
                std::make_shared<std::unique_ptr<store::LeaseBackend>>(store.createLeaseBackend()));
        },
        [this](const store::StoreResult<Backend> &backend) {
            startDecisionLease(backend ? std::move(*backend.value()) : nullptr);
            if (!m_lease) {
                for (auto &rt : m_environments) {
                    if (rt->phase() == Phase::Shifting || rt->phase() == Phase::RollingBack)
                        resumeInterrupted(*rt, tr("after a restart"));
                }
            }
        },
        store::StoreRunner::kOpenDeadline);

    m_runner.createWatcher(m_options.storePollMs, this, [this](store::StoreWatcher *watcher) {
        m_watcher = watcher;
        if (!watcher)
            return;
        connect(watcher, &store::StoreWatcher::changed, this, [this] { reload(); });
        connect(watcher, &store::StoreWatcher::failed, this, [this](const store::StoreError &e) {
            setGlobalHealth(u"store"_s, false, e.toString());
        });
        connect(watcher, &store::StoreWatcher::recovered, this, [this] {
            writePendingStates();
            setGlobalHealth(u"store"_s, true, {});
            reload();
        });
    });
    m_stepTimer.start();
    if (m_options.checkpointCheckMs > 0)
        m_checkpointTimer.start();
    if (m_options.monitor) {
        // The checks' `for` judged from what Prometheus saw before this engine started, then the
        // live rounds: a fresh window or command never says "held 0s" of a check that has held.
        warmUpChecks([this] {
            m_monitorTimer.start();
            monitorRound();
        });
        if (isSignalConnected(QMetaMethod::fromSignal(&CutoverEngine::panelHistory))) {
            for (const auto &rt : m_environments)
                requestPanelHistory(rt->env->name, kPanelHistorySpan);
        }
    }
}

QStringList CutoverEngine::environments() const {
    QStringList names;
    for (const auto &rt : m_environments)
        names.append(rt->env->name);
    return names;
}

CutoverEngine::EnvironmentRuntime &CutoverEngine::runtime(const QString &environment) {
    for (auto &rt : m_environments) {
        if (rt->env->name == environment)
            return *rt;
    }
    Q_ASSERT_X(false, "CutoverEngine::runtime", "unknown environment");
    return *m_environments.front();
}

const CutoverEngine::EnvironmentRuntime *CutoverEngine::runtime(const QString &environment) const {
    for (const auto &rt : m_environments) {
        if (rt->env->name == environment)
            return rt.get();
    }
    return nullptr;
}

// --- what people see ---------------------------------------------------------------------------

QList<GateStatus> CutoverEngine::evaluateGates(const EnvironmentRuntime &rt) const {
    GateInputs inputs;
    inputs.plan = &m_plan;
    inputs.trackers = &rt.checks;
    inputs.compares = &rt.compares;
    inputs.ticks = rt.ticks;
    inputs.signOffs = rt.signOffs;
    inputs.holdStartedAt = rt.phase() == Phase::Holding || rt.phase() == Phase::Complete
                               ? rt.state.holdStartedAt
                               : QDateTime();
    inputs.now = now();
    QList<GateStatus> statuses;
    for (const config::Gate &gate : m_plan.gates)
        statuses.append(evaluateGate(gate, inputs));
    return statuses;
}

GuardInputs CutoverEngine::guardInputs(const EnvironmentRuntime &rt) const {
    GuardInputs in;
    in.plan = &m_plan;
    in.environment = rt.env->name;
    in.state = rt.state;
    in.phase = rt.phase();
    in.validationFailed = rt.validationFailed();
    in.gates = evaluateGates(rt);
    for (const auto &other : m_environments)
        in.allEnvironments.append(other->state);
    for (const QString &lb : rt.env->loadBalancers)
        in.backends.append(rt.lbHealth.value(lb));
    in.backends.append(m_globalHealth.value(u"prometheus"_s));
    const BackendHealth storeHealth = m_globalHealth.value(u"store"_s);
    in.storeAvailable = storeHealth.state != BackendHealth::State::Down;
    in.storeProblem = storeHealth.problem;
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        if (rt.firedTriggers.contains(trigger.id))
            in.firingTriggers.append(trigger.title);
    }
    in.driftAlarms = rt.driftAlarms;
    in.pointOfNoReturn = m_decommission.progress(rt.env->name).pointOfNoReturn;
    in.now = now();
    return in;
}

QHash<QString, QStringList> CutoverEngine::situationShiftRefusals() const {
    Operator anyShifter{u"status-report"_s, u"status report"_s, {}};
    for (const config::Role &role : m_plan.roles) {
        if (role.grants(config::Permission::Shift))
            anyShifter.roles.append(role.name);
    }
    QHash<QString, QStringList> refusals;
    for (const QString &environment : environments())
        refusals.insert(environment, guards(Action::Shift, anyShifter, environment));
    return refusals;
}

QStringList CutoverEngine::guards(Action action, const Operator &who, const QString &environment,
                                  const GuardTarget &target) const {
    return texts(refusals(action, who, environment, target));
}

Refusals CutoverEngine::refusals(Action action, const Operator &who, const QString &environment,
                                 const GuardTarget &target) const {
    const EnvironmentRuntime *rt = runtime(environment);
    if (!rt)
        return {{RefusalCode::UnknownEnvironment, {{u"environment"_s, environment}}}};
    return engine::refusals(action, who, guardInputs(*rt), target);
}

std::optional<CompareOutcome> CutoverEngine::compareOutcome(const QString &environment,
                                                            const QString &gate,
                                                            const QString &check) const {
    const EnvironmentRuntime *rt = runtime(environment);
    if (!rt)
        return std::nullopt;
    const auto it = rt->compares.constFind(checkKey(gate, check));
    if (it == rt->compares.cend())
        return std::nullopt;
    return *it;
}

EnvironmentSnapshot CutoverEngine::snapshot(const QString &environment) const {
    EnvironmentSnapshot s;
    const EnvironmentRuntime *rt = runtime(environment);
    if (!rt)
        return s;
    s.environment = environment;
    s.state = rt->state;
    s.stateKnown = rt->stateKnown;
    s.phase = rt->phase();
    s.stageIndex = rt->state.stageIndex;
    const bool atStage =
        s.stageIndex >= 0 && s.stageIndex < m_plan.stages.size() && s.phase != Phase::RolledBack;
    if (atStage) {
        const config::Stage &stage = m_plan.stages.at(s.stageIndex);
        s.currentPercent = stage.percent;
        s.targetShare = stage.percent / 100.0;
        s.lowerBound = stage.lowerBound();
        s.upperBound = stage.upperBound();
    }
    const int next = atStage ? s.stageIndex + 1 : 0;
    s.nextPercent = next < m_plan.stages.size() ? m_plan.stages.at(next).percent : -1;
    s.intendedWeights = weightsOf(rt->state);
    s.realizedShare = s.intendedWeights.isEmpty()
                          ? 0.0
                          : backends::realizedShare(s.intendedWeights, m_plan.pools.otel);
    s.measuredShare = rt->measured;
    s.measuredAt = rt->measuredAt;
    s.validationFailed = rt->validationFailed();
    s.lastValidation = rt->state.intendedWeights.value(kValidationKey).toString();

    const QDateTime current = now();
    if (atStage) {
        const config::Stage &stage = m_plan.stages.at(s.stageIndex);
        if (s.phase == Phase::Stabilizing) {
            s.progressLabel = u"stabilizing"_s;
            s.progressStart = rt->state.enteredAt;
            s.progressEnd = rt->state.enteredAt.addMSecs(stage.stabilization.ms());
        } else if (s.phase == Phase::Validating) {
            s.progressLabel = u"validating"_s;
            s.progressStart = rt->state.enteredAt.addMSecs(stage.stabilization.ms());
        } else if (s.phase == Phase::Holding && rt->state.holdStartedAt.isValid() &&
                   rt->state.holdStartedAt.addMSecs(stage.hold.ms()) > current) {
            s.progressLabel = u"hold"_s;
            s.progressStart = rt->state.holdStartedAt;
            s.progressEnd = rt->state.holdStartedAt.addMSecs(stage.hold.ms());
        }
    }
    s.gates = evaluateGates(*rt);
    s.gatesBeforeNextShift =
        gatesBeforeNextShift(m_plan, s.phase == Phase::RolledBack ? -1 : rt->state.stageIndex);
    for (const QString &lb : rt->env->loadBalancers)
        s.backends.append(rt->lbHealth.value(lb));
    s.backends.append(m_globalHealth.value(u"prometheus"_s));
    s.backends.append(m_globalHealth.value(u"store"_s));
    s.auditEntriesWaiting = m_runner.auditEntriesWaiting();
    s.observedWeights = rt->observed;
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        const bool firing = rt->firedTriggers.contains(trigger.id);
        if (firing)
            s.firingTriggers.append(trigger.title);
        s.triggerStates.insert(trigger.id, firing);
    }
    s.driftAlarms = rt->driftAlarms;
    s.rollbackProblems = rt->rollbackProblems;
    s.decision = decisionStatus();
    s.warRoom = m_warRoom;
    s.rehearsal = m_options.dryRun;
    if (hasDecommission()) {
        const decommission::EnvironmentProgress progress = m_decommission.progress(environment);
        const decommission::CostSummary cost = m_decommission.cost(progress);
        s.decommission = {true,
                          progress.doneCount(),
                          int(progress.steps.size()),
                          progress.pointOfNoReturn.has_value(),
                          cost.currency,
                          cost.baselinePerMonth,
                          cost.retiredPerMonth,
                          cost.plannedPerMonth,
                          cost.targetLowPercent,
                          cost.targetHighPercent};
    }
    return s;
}

ShiftPreview CutoverEngine::previewShift(const QString &environment, const Operator &who) const {
    ShiftPreview preview;
    const EnvironmentSnapshot s = snapshot(environment);
    const EnvironmentRuntime *rt = runtime(environment);
    preview.environment = environment;
    preview.fromPercent = s.currentPercent;
    preview.refusals = guards(Action::Shift, who, environment);
    if (!rt || s.nextPercent < 0)
        return preview;
    preview.toPercent = s.nextPercent;
    const auto plan =
        backends::weightsFor(s.nextPercent / 100.0, m_plan.pools.legacy, m_plan.pools.otel);
    preview.after = plan.weights;
    preview.realizedShare = plan.realizedShare;
    for (const QString &lb : rt->env->loadBalancers)
        preview.loadBalancers.append({lb, rt->observed.value(lb)});
    return preview;
}

// --- identity ----------------------------------------------------------------------------------

store::SignInResult CutoverEngine::signIn(const QString &name, const QString &passphrase) {
    return signIn(proofNow(name, passphrase));
}

store::PassphraseProof CutoverEngine::proofNow(const QString &name,
                                               const QString &passphrase) const {
    return m_operators ? store::checkPassphrase(*m_operators, name, passphrase)
                       : store::PassphraseProof();
}

QFuture<store::PassphraseProof> CutoverEngine::checkPassphrase(const QString &name,
                                                               const QString &passphrase) const {
    return store::checkPassphraseInBackground(m_operators.value_or(store::OperatorsFile()), name,
                                              passphrase);
}

store::SignInResult CutoverEngine::signIn(const store::PassphraseProof &proof) {
    std::optional<store::SignInResult> answered;
    if (!m_runner.isThreaded())
        signIn(proof, [&answered](const store::SignInResult &result) { answered = result; });
    if (answered)
        return *answered;
    store::SignInResult pending;
    pending.outcome = store::SignInResult::Outcome::Refused;
    pending.message = tr("the store answers asynchronously here: sign in with a callback");
    return pending;
}

void CutoverEngine::signIn(const store::PassphraseProof &proof, SignInDone done) {
    const QString name = proof.operatorName();
    if (!m_signIn) {
        store::SignInResult result;
        result.outcome = store::SignInResult::Outcome::Refused;
        result.message = tr("no operators file: the plan's operators.file could not be loaded");
        done(result);
        return;
    }
    verifyProof(proof, u"sign_in"_s, [this, name, done](const store::SignInResult &result) {
        if (result.ok())
            setDeskOperator(name);
        done(result);
    });
}

void CutoverEngine::verifyProof(const store::PassphraseProof &proof, const QString &purpose,
                                std::function<void(const store::SignInResult &)> done,
                                bool breakGlass) {
    // The lock-out reads and writes the store: a job. It never fails as a StoreResult (an
    // unreachable store is judged by the guard's offline policy), so the job's own error is
    // only a deadline or a store that never opened.
    m_runner.run<store::SignInResult>(
        this,
        [desk = m_signIn, proof, purpose, breakGlass](store::Store &store) {
            store::SignInGuard &guard = desk->on(store);
            return store::StoreResult<store::SignInResult>(
                breakGlass ? guard.verifyBreakGlass(proof) : guard.verify(proof, purpose));
        },
        [this, done = std::move(done)](const store::StoreResult<store::SignInResult> &verified) {
            noteLocalWrite();
            pullAudit();
            if (verified) {
                // The guard upgraded the entry: later proofs must be made against the new hash.
                if (verified.value().upgraded && verified.value().op && m_operators)
                    m_operators->upsert(*verified.value().op);
                done(verified.value());
                return;
            }
            store::SignInResult failed;
            failed.outcome = store::SignInResult::Outcome::Refused;
            failed.message =
                tr("the passphrase could not be checked: %1").arg(verified.error().toString());
            done(failed);
        });
}

ActionOutcome CutoverEngine::waitedOutcome(const std::function<void(ActionDone)> &action) const {
    if (m_runner.isThreaded()) {
        // The answer would come after this returns: not started at all.
        ActionOutcome refused;
        refused.error = tr("the store answers asynchronously here: pass a callback");
        return refused;
    }
    std::optional<ActionOutcome> answered;
    action([&answered](const ActionOutcome &outcome) { answered = outcome; });
    if (answered)
        return *answered;
    ActionOutcome pending;
    pending.error = tr("the store answers asynchronously here: pass a callback");
    return pending;
}

std::optional<Operator> CutoverEngine::operatorNamed(const QString &name) const {
    if (!m_operators)
        return std::nullopt;
    const store::Operator *op = m_operators->find(name);
    if (!op)
        return std::nullopt;
    return Operator{op->name, op->displayName.isEmpty() ? op->name : op->displayName, op->roles};
}

// --- persistence -------------------------------------------------------------------------------

namespace {

// One store job: the write and, when another console moved first, its state.
struct StateWrite {
    std::optional<store::StageState> state;
    std::optional<store::StoreError> error;
    std::optional<store::StageState> fresh;
};

} // namespace

void CutoverEngine::writeState(EnvironmentRuntime &rt, store::StageState next, const QString &actor,
                               const QString &role, const QString &action,
                               const QJsonObject &details, StateWritten then) {
    next.environment = rt.env->name;
    next.changedBy = actor;
    next.changedAt = now();
    const qint64 expected = rt.state.version;
    const QString environment = rt.env->name;
    const store::AuditContext context{action, role, details};
    ++rt.stateWritesInFlight;
    EnvironmentRuntime *written = &rt; // owned by the engine, which the answer needs alive
    m_runner.run<StateWrite>(
        this,
        [=](store::Store &store) {
            StateWrite w;
            auto result = store.updateStageState(expected, next, context);
            if (result) {
                w.state = result.value();
            } else {
                w.error = result.error();
                if (result.error().kind == store::StoreError::Kind::Conflict) {
                    if (auto fresh = store.stageState(environment); fresh && fresh.value())
                        w.fresh = *fresh.value();
                }
            }
            return store::StoreResult<StateWrite>(std::move(w));
        },
        [this, written, action, then](const store::StoreResult<StateWrite> &job) {
            EnvironmentRuntime &env = *written;
            --env.stateWritesInFlight;
            noteLocalWrite();
            if (!job || job.value().error) {
                const store::StoreError e = job ? *job.value().error : job.error();
                if (e.kind == store::StoreError::Kind::Conflict) {
                    // Another console moved first: take its state; the caller decides.
                    if (job.value().fresh)
                        env.state = *job.value().fresh;
                    qCInfo(lcEngine)
                        << env.env->name << action << "lost to another console:" << e.message;
                } else {
                    setGlobalHealth(u"store"_s, false, e.toString());
                    qCWarning(lcEngine)
                        << env.env->name << action << "not recorded:" << e.toString();
                }
                changed(env.env->name);
                if (then)
                    then(false, e.forPeople());
                return;
            }
            setGlobalHealth(u"store"_s, true, {});
            env.state = *job.value().state;
            pullAudit();
            changed(env.env->name);
            if (then)
                then(true, {});
        });
}

void CutoverEngine::writeStateForced(EnvironmentRuntime &rt, store::StageState next,
                                     const QString &actor, const QString &role,
                                     const QString &action, const QJsonObject &details,
                                     StateWritten then, int attempt) {
    // A rollback's record must not be lost to a race with another console: retry on the
    // newest version a few times.
    EnvironmentRuntime *target = &rt;
    writeState(rt, next, actor, role, action, details, [=, this](bool ok, const QString &error) {
        if (ok) {
            if (then)
                then(true, {});
            return;
        }
        const bool down = m_globalHealth.value(u"store"_s).state == BackendHealth::State::Down;
        if (!down && attempt < 2) {
            writeStateForced(*target, next, actor, role, action, details, then, attempt + 1);
            return;
        }
        keepUnwrittenState(*target, next, actor, role, action, details, down);
        if (then)
            then(false, error);
    });
}

void CutoverEngine::keepUnwrittenState(EnvironmentRuntime &rt, store::StageState next,
                                       const QString &actor, const QString &role,
                                       const QString &action, const QJsonObject &details,
                                       bool storeDown) {
    if (storeDown) {
        // The store is unreachable: the load balancers already hold the new weights, so the
        // console must show them. Keep the state in memory, put the decision in the audit
        // journal (appendAudit queues it locally when the store supports that), and write the
        // state when the store is back (writePendingStates).
        next.environment = rt.env->name;
        next.changedBy = actor;
        next.changedAt = now();
        rt.pendingState = next;
        rt.stateKnown = true; // what the load balancers were just told
        rt.state.stageIndex = next.stageIndex;
        rt.state.phase = next.phase;
        rt.state.intendedWeights = next.intendedWeights;
        rt.state.enteredAt = next.enteredAt;
        rt.state.holdStartedAt = next.holdStartedAt;
        QJsonObject journalled = details;
        journalled.insert(u"stage_index"_s, next.stageIndex);
        journalled.insert(u"phase"_s, next.phase);
        journalled.insert(u"written_when_store_returns"_s, true);
        audit(actor, role, action, rt.env->name, u"stage %1"_s.arg(next.stageIndex), journalled);
        changed(rt.env->name);
    }
    Q_EMIT alarm(rt.env->name, u"store"_s,
                 tr("%1 could not be written to the store yet").arg(action));
}

void CutoverEngine::writePendingStates() {
    for (auto &rt : m_environments) {
        if ((rt->pendingGateResets.isEmpty() && !rt->pendingState) || rt->pendingWriteInFlight)
            continue;
        // One job: the gate resets a rollback could not write, and the stored version (another
        // console may have moved meanwhile: the state is written on top of it).
        struct Pending {
            QStringList reset;
            std::optional<qint64> version; // unset: the store did not answer
        };
        rt->pendingWriteInFlight = true;
        EnvironmentRuntime *target = rt.get();
        const QString environment = rt->env->name;
        const QStringList gates = rt->pendingGateResets.values();
        const QString reason = tr("rollback");
        m_runner.run<Pending>(
            this,
            [environment, gates, reason](store::Store &store) {
                Pending p;
                for (const QString &gate : gates) {
                    if (store.resetGate(environment, gate, u"engine"_s, {}, reason))
                        p.reset.append(gate);
                }
                if (auto current = store.stageState(environment))
                    p.version = current.value() ? current.value()->version : 0;
                return store::StoreResult<Pending>(std::move(p));
            },
            [this, target](const store::StoreResult<Pending> &pending) {
                target->pendingWriteInFlight = false;
                noteLocalWrite();
                if (!pending || !pending.value().version)
                    return;
                for (const QString &gate : pending.value().reset)
                    target->pendingGateResets.remove(gate);
                if (!target->pendingState)
                    return;
                target->state.version = *pending.value().version;
                const store::StageState next = *target->pendingState;
                writeState(*target, next, next.changedBy, {}, u"state_recovered"_s,
                           {{u"phase"_s, next.phase}, {u"stage_index"_s, next.stageIndex}},
                           [target](bool ok, const QString &) {
                               if (ok)
                                   target->pendingState.reset();
                           });
            });
    }
}

void CutoverEngine::audit(const QString &actor, const QString &role, const QString &action,
                          const QString &environment, const QString &subject, QJsonObject details) {
    if (m_options.dryRun)
        details.insert(u"dry_run"_s, true);
    // Posted, not waited for: entries keep their order (jobs run in order) and the record of an
    // action was written with the action itself.
    const store::AuditEvent event{actor, role, action, environment, subject, details};
    m_runner.run<store::AuditEntry>(
        this, [event](store::Store &store) { return store.appendAudit(event); },
        [this, action](const store::StoreResult<store::AuditEntry> &appended) {
            if (!appended) {
                setGlobalHealth(u"store"_s, false, appended.error().toString());
                qCWarning(lcEngine)
                    << "audit" << action << "not recorded:" << appended.error().toString();
                return;
            }
            // seq 0: queued in the local journal because the store is unreachable, so not a
            // sign that the store is back.
            if (appended.value().seq > 0)
                setGlobalHealth(u"store"_s, true, {});
            pullAudit();
        });
}

void CutoverEngine::pullAudit() {
    // One read in flight at a time; a request meanwhile reads again after it.
    if (m_pullInFlight) {
        m_pullAgain = true;
        return;
    }
    m_pullInFlight = true;
    const qint64 after = m_lastAuditSeq;
    m_runner.run<QList<store::AuditEntry>>(
        this, [after](store::Store &store) { return store.auditEntries(after); },
        [this](const store::StoreResult<QList<store::AuditEntry>> &entries) {
            m_pullInFlight = false;
            if (entries) {
                for (const store::AuditEntry &entry : entries.value()) {
                    if (entry.seq <= m_lastAuditSeq)
                        continue;
                    m_lastAuditSeq = entry.seq;
                    applyAuditEntry(entry);
                    Q_EMIT auditAppended(entry);
                }
            }
            runAfterAudit();
            if (m_pullAgain) {
                m_pullAgain = false;
                pullAudit();
            }
        });
}

void CutoverEngine::reload() {
    writePendingStates(); // nothing to do unless a state or gate reset waits for the store
    // One reading in flight at a time: a store that answers slowly must not collect a queue of
    // them (every change another desk makes asks for one); a request meanwhile reads again after.
    if (m_reloadInFlight) {
        m_reloadAgain = true;
        return;
    }
    m_reloadInFlight = true;
    QStringList names;
    for (const auto &rt : m_environments)
        names.append(rt->env->name);
    const quint64 generation = ++m_storeGeneration;
    m_runner.run<StoreReading>(
        this,
        [names, generation](store::Store &store) {
            StoreReading reading;
            reading.generation = generation;
            for (const QString &name : names) {
                StoreReading::Environment env;
                env.name = name;
                auto state = store.stageState(name);
                if (!state) {
                    env.error = state.error();
                    reading.environments.append(env);
                    continue;
                }
                env.state = state.value();
                if (auto ticks = store.ticks(name))
                    env.ticks = ticks.value();
                if (auto signOffs = store.signOffs(name))
                    env.signOffs = signOffs.value();
                reading.environments.append(env);
            }
            return store::StoreResult<StoreReading>(std::move(reading));
        },
        [this](const store::StoreResult<StoreReading> &reading) {
            m_reloadInFlight = false;
            if (!reading)
                setGlobalHealth(u"store"_s, false, reading.error().toString());
            else
                applyReading(reading.value());
            if (m_reloadAgain) {
                m_reloadAgain = false;
                reload();
            }
        });
}

void CutoverEngine::applyReading(const StoreReading &reading) {
    if (reading.generation != m_storeGeneration) {
        // Read before a write of this engine was applied: it would undo that write.
        m_reloadAgain = true;
        return;
    }
    for (const StoreReading::Environment &read : reading.environments) {
        EnvironmentRuntime *rt = nullptr;
        for (auto &candidate : m_environments) {
            if (candidate->env->name == read.name)
                rt = candidate.get();
        }
        if (!rt)
            continue;
        if (read.error) {
            setGlobalHealth(u"store"_s, false, read.error->toString());
            continue;
        }
        bool different = false;
        if (!rt->stateKnown) {
            rt->stateKnown = true;
            different = true;
        }
        if (rt->pendingState) {
            // Still not written: what the load balancers hold wins over the stored row.
        } else if (read.state && !(*read.state == rt->state)) {
            rt->state = *read.state;
            different = true;
        }
        if (read.ticks && !(*read.ticks == rt->ticks)) {
            rt->ticks = *read.ticks;
            different = true;
        }
        if (read.signOffs && !(*read.signOffs == rt->signOffs)) {
            rt->signOffs = *read.signOffs;
            different = true;
        }
        if (different)
            changed(rt->env->name);
    }
    pullAudit();
}

void CutoverEngine::changed(const QString &environment) {
    Q_EMIT snapshotChanged(environment);
}

void CutoverEngine::setBackendHealth(EnvironmentRuntime &rt, const QString &name, bool ok,
                                     const QString &problem) {
    BackendHealth &health = rt.lbHealth[name];
    health.name = name;
    const auto previous = health.state;
    health.state = ok ? BackendHealth::State::Ok : BackendHealth::State::Down;
    health.problem = ok ? QString() : problem;
    if (ok)
        health.lastGoodAt = now();
    if (previous != health.state) {
        if (!ok) {
            Q_EMIT alarm(rt.env->name, u"backend"_s, tr("%1 unreachable: %2").arg(name, problem));
            if (decides())
                notify(u"backend_down"_s, rt.env->name,
                       {{u"backend"_s, name}, {u"problem"_s, problem}});
        }
        changed(rt.env->name);
    }
}

void CutoverEngine::setGlobalHealth(const QString &name, bool ok, const QString &problem) {
    BackendHealth &health = m_globalHealth[name];
    health.name = name;
    const auto previous = health.state;
    health.state = ok ? BackendHealth::State::Ok : BackendHealth::State::Down;
    health.problem = ok ? QString() : problem;
    if (ok)
        health.lastGoodAt = now();
    if (previous != health.state) {
        if (!ok)
            Q_EMIT alarm(QString(), name, tr("%1 unavailable: %2").arg(name, problem));
        for (const auto &rt : m_environments)
            changed(rt->env->name);
    }
}

} // namespace cutover::engine
