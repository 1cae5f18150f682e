#include "app/cutover/cutover_engine.h"

#include "app/backends/prometheus_client.h"
#include "app/backends/prometheus_types.h"
#include "app/backends/webhook_notifier.h"
#include "app/backends/weight_plan.h"
#include "app/config/plan_loader.h"
#include "app/store/store.h"
#include "app/store/store_watcher.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QMetaMethod>
#include <QScopeGuard>
#include <QSet>

#include <cmath>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcEngine, "cutover.engine", QtInfoMsg)

namespace cutover::engine {

namespace {

// The engine's layout of StageState::intendedWeights (the store keeps it opaque).
const auto kWeightsKey = u"weights"_s;
const auto kValidationFailedKey = u"validation_failed"_s;
const auto kValidationKey = u"validation"_s;

QMap<QString, int> weightsOf(const store::StageState &state) {
    QMap<QString, int> weights;
    const QJsonObject object = state.intendedWeights.value(kWeightsKey).toObject();
    for (auto it = object.begin(); it != object.end(); ++it)
        weights.insert(it.key(), it.value().toInt());
    return weights;
}

QJsonObject weightsJson(const QMap<QString, int> &weights) {
    QJsonObject object;
    for (auto it = weights.cbegin(); it != weights.cend(); ++it)
        object.insert(it.key(), it.value());
    return object;
}

QJsonObject intended(const QMap<QString, int> &weights, bool validationFailed = false,
                     const QString &validation = QString()) {
    QJsonObject object{{kWeightsKey, weightsJson(weights)}};
    if (validationFailed)
        object.insert(kValidationFailedKey, true);
    if (!validation.isEmpty())
        object.insert(kValidationKey, validation);
    return object;
}

QJsonObject lbResultJson(const backends::LbApplyResult &r) {
    QJsonObject object{{u"lb"_s, r.lb},
                       {u"sent"_s, r.sent},
                       {u"verified"_s, r.verified},
                       {u"elapsed_ms"_s, double(r.elapsedMs)},
                       {u"attempts"_s, r.attempts}};
    if (r.error)
        object.insert(u"error"_s, r.error->toString());
    return object;
}

QJsonArray lbResultsJson(const QList<backends::LbApplyResult> &results) {
    QJsonArray array;
    for (const auto &r : results)
        array.append(lbResultJson(r));
    return array;
}

QString percentText(double share) {
    if (std::isnan(share))
        return u"unknown"_s;
    return QString::number(share * 100.0, 'f', 1) + u'%';
}

Phase phaseOf(const store::StageState &state) {
    return phaseFromName(state.phase).value_or(Phase::Holding);
}

bool hasOtelTraffic(const store::StageState &state) {
    const Phase phase = phaseOf(state);
    return state.stageIndex >= 0 && phase != Phase::RolledBack && phase != Phase::RollingBack;
}

} // namespace

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
    Q_EMIT progressed(text);
}

void Operation::finish(bool ok, const QString &summary, const QStringList &refusals) {
    if (m_finished)
        return;
    m_finished = true;
    m_ok = ok;
    m_summary = summary;
    m_refusals = refusals;
    Q_EMIT finished(ok, summary);
    deleteLater();
}

// ---------------------------------------------------------------------------------------------

struct CutoverEngine::EnvironmentRuntime {
    const config::Environment *env = nullptr;
    store::StageState state;
    backends::LbFleet *fleet = nullptr;
    QHash<QString, ConditionTracker> checks;   // by checkKey(gate, check)
    QHash<QString, ConditionTracker> triggers; // by trigger id
    QHash<QString, ConditionTracker::State> lastCheckStates;
    QSet<QString> firedTriggers;
    QList<store::Tick> ticks;
    QList<store::SignOff> signOffs;
    std::optional<double> measured;
    QDateTime measuredAt;
    QDateTime validationUnknownAlarmAt;
    QHash<QString, BackendHealth> lbHealth;
    QMap<QString, QMap<QString, int>> observed; // lb -> server -> weight
    QStringList driftAlarms;
    QStringList rollbackProblems;
    QPointer<Operation> operation;
    QDateTime lastDriftAt;
    int pendingQueries = 0;

    Phase phase() const { return phaseOf(state); }
    bool validationFailed() const {
        return state.intendedWeights.value(kValidationFailedKey).toBool();
    }
};

CutoverEngine::CutoverEngine(const config::Plan &plan, store::Store &store,
                             std::optional<store::OperatorsFile> operators, Options options,
                             QObject *parent)
    : QObject(parent)
    , m_plan(plan)
    , m_store(store)
    , m_operators(std::move(operators))
    , m_options(std::move(options)) {
    if (m_operators)
        m_signIn = std::make_unique<store::SignInGuard>(m_store, *m_operators, m_options.clock);
    for (const config::Environment &env : m_plan.environments) {
        auto rt = std::make_unique<EnvironmentRuntime>();
        rt->env = &env;
        rt->state.environment = env.name;
        rt->state.phase = phaseName(Phase::Holding);
        for (const QString &lb : env.loadBalancers)
            rt->lbHealth.insert(lb, BackendHealth{lb, BackendHealth::State::Unknown, {}, {}});
        for (const config::Gate &gate : m_plan.gates) {
            for (const config::Check &check : gate.checks) {
                if (check.kind == config::Check::Kind::Automatic)
                    rt->checks.insert(checkKey(gate.id, check.id),
                                      ConditionTracker(check.condition, check.forDuration));
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
}

CutoverEngine::~CutoverEngine() = default;

void CutoverEngine::start() {
    if (m_started)
        return;
    m_started = true;
    m_prometheus = new backends::PrometheusClient(m_plan.prometheus, this);
    for (const config::Notification &notification : m_plan.notifications)
        m_webhooks.append(new backends::WebhookNotifier(notification, this));
    for (auto &rt : m_environments)
        rt->fleet = new backends::LbFleet(m_plan, *rt->env, this);

    reload();
    if (auto recorded = store::recordPlanLoaded(m_store, m_plan, u"system"_s); !recorded)
        setGlobalHealth(u"store"_s, false, recorded.error().toString());

    // Resume what a crash interrupted: the store holds the intent, the LBs may not.
    for (auto &rt : m_environments) {
        if (rt->phase() == Phase::Shifting) {
            qCInfo(lcEngine) << rt->env->name << "resuming an interrupted shift";
            audit(u"system"_s, {}, u"shift_resumed"_s, rt->env->name,
                  u"stage %1"_s.arg(rt->state.stageIndex), {});
            auto *op = new Operation(Operation::Kind::Shift, rt->env->name, this);
            rt->operation = op;
            applyWeights(*rt, op, weightsOf(rt->state), false, u"system"_s);
        } else if (rt->phase() == Phase::RollingBack) {
            qCInfo(lcEngine) << rt->env->name << "resuming an interrupted rollback";
            auto *op = new Operation(Operation::Kind::Rollback, rt->env->name, this);
            startRollback(*rt, op, u"system"_s, {}, u"resumed after a restart"_s);
        }
    }

    m_watcher = m_store.createWatcher(this, m_options.storePollMs);
    connect(m_watcher, &store::StoreWatcher::changed, this, [this] { reload(); });
    connect(m_watcher, &store::StoreWatcher::failed, this, [this](const store::StoreError &e) {
        setGlobalHealth(u"store"_s, false, e.toString());
    });
    connect(m_watcher, &store::StoreWatcher::recovered, this, [this] {
        setGlobalHealth(u"store"_s, true, {});
        reload();
    });
    m_stepTimer.start();
    if (m_options.monitor) {
        m_monitorTimer.start();
        monitorRound();
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
    in.now = now();
    return in;
}

QStringList CutoverEngine::guards(Action action, const Operator &who, const QString &environment,
                                  const GuardTarget &target) const {
    const EnvironmentRuntime *rt = runtime(environment);
    if (!rt)
        return {u"no environment '%1' in the plan"_s.arg(environment)};
    return engine::guards(action, who, guardInputs(*rt), target);
}

EnvironmentSnapshot CutoverEngine::snapshot(const QString &environment) const {
    EnvironmentSnapshot s;
    const EnvironmentRuntime *rt = runtime(environment);
    if (!rt)
        return s;
    s.environment = environment;
    s.state = rt->state;
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
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        if (rt->firedTriggers.contains(trigger.id))
            s.firingTriggers.append(trigger.title);
    }
    s.driftAlarms = rt->driftAlarms;
    s.rollbackProblems = rt->rollbackProblems;
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
    if (!m_signIn) {
        store::SignInResult result;
        result.outcome = store::SignInResult::Outcome::Refused;
        result.message = tr("no operators file: the plan's operators.file could not be loaded");
        return result;
    }
    auto result = m_signIn->verify(name, passphrase, u"sign_in"_s);
    pullAudit();
    return result;
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

bool CutoverEngine::writeState(EnvironmentRuntime &rt, store::StageState next, const QString &actor,
                               const QString &role, const QString &action,
                               const QJsonObject &details, QString *error) {
    next.environment = rt.env->name;
    next.changedBy = actor;
    next.changedAt = now();
    auto written = m_store.updateStageState(rt.state.version, next,
                                            store::AuditContext{action, role, details});
    if (!written) {
        const store::StoreError &e = written.error();
        if (e.kind == store::StoreError::Kind::Conflict) {
            // Another console moved first: take its state; the caller decides what to do.
            if (auto fresh = m_store.stageState(rt.env->name); fresh && fresh.value())
                rt.state = *fresh.value();
        } else {
            setGlobalHealth(u"store"_s, false, e.toString());
        }
        if (error)
            *error = e.kind == store::StoreError::Kind::Conflict ? e.message : e.toString();
        qCWarning(lcEngine) << rt.env->name << action << "not recorded:" << e.toString();
        changed(rt.env->name);
        return false;
    }
    setGlobalHealth(u"store"_s, true, {});
    rt.state = written.value();
    pullAudit();
    changed(rt.env->name);
    return true;
}

bool CutoverEngine::writeStateForced(EnvironmentRuntime &rt, store::StageState next,
                                     const QString &actor, const QString &role,
                                     const QString &action, const QJsonObject &details) {
    // A rollback's record must not be lost to a race with another console: retry on the
    // newest version a few times.
    for (int attempt = 0; attempt < 3; ++attempt) {
        QString error;
        if (writeState(rt, next, actor, role, action, details, &error))
            return true;
        if (m_globalHealth.value(u"store"_s).state == BackendHealth::State::Down)
            break;
    }
    Q_EMIT alarm(rt.env->name, u"store"_s, tr("%1 could not be recorded in the store").arg(action));
    return false;
}

void CutoverEngine::audit(const QString &actor, const QString &role, const QString &action,
                          const QString &environment, const QString &subject, QJsonObject details) {
    if (m_options.dryRun)
        details.insert(u"dry_run"_s, true);
    auto appended =
        m_store.appendAudit(store::AuditEvent{actor, role, action, environment, subject, details});
    if (!appended) {
        setGlobalHealth(u"store"_s, false, appended.error().toString());
        qCWarning(lcEngine) << "audit" << action << "not recorded:" << appended.error().toString();
        return;
    }
    setGlobalHealth(u"store"_s, true, {});
    pullAudit();
}

void CutoverEngine::pullAudit() {
    auto entries = m_store.auditEntries(m_lastAuditSeq);
    if (!entries)
        return;
    for (const store::AuditEntry &entry : entries.value()) {
        m_lastAuditSeq = std::max(m_lastAuditSeq, entry.seq);
        Q_EMIT auditAppended(entry);
    }
}

void CutoverEngine::reload() {
    for (auto &rt : m_environments) {
        bool different = false;
        if (auto state = m_store.stageState(rt->env->name); state) {
            if (state.value() && !(*state.value() == rt->state)) {
                rt->state = *state.value();
                different = true;
            }
        } else {
            setGlobalHealth(u"store"_s, false, state.error().toString());
            continue;
        }
        if (auto ticks = m_store.ticks(rt->env->name); ticks && !(ticks.value() == rt->ticks)) {
            rt->ticks = ticks.value();
            different = true;
        }
        if (auto signOffs = m_store.signOffs(rt->env->name);
            signOffs && !(signOffs.value() == rt->signOffs)) {
            rt->signOffs = signOffs.value();
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
        if (!ok)
            Q_EMIT alarm(rt.env->name, u"backend"_s, tr("%1 unreachable: %2").arg(name, problem));
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

// --- operators' actions ------------------------------------------------------------------------

ActionOutcome CutoverEngine::tick(const QString &environment, const QString &gate,
                                  const QString &check, const Operator &who) {
    ActionOutcome outcome;
    outcome.refusals = guards(Action::Tick, who, environment, GuardTarget{gate, check, {}});
    if (!outcome.refusals.isEmpty()) {
        audit(who.name, {}, u"tick_refused"_s, environment, gate + u'/' + check,
              {{u"reasons"_s, QJsonArray::fromStringList(outcome.refusals)}});
        return outcome;
    }
    const config::Gate *g = m_plan.gate(gate);
    QString role;
    for (const config::Check &c : g->checks) {
        if (c.id == check)
            role = c.role;
    }
    auto ticked = m_store.tick(store::Tick{environment, gate, check, who.name, role, now()});
    if (!ticked) {
        outcome.error = ticked.error().kind == store::StoreError::Kind::Conflict
                            ? ticked.error().message
                            : ticked.error().toString();
        reload();
        return outcome;
    }
    outcome.ok = true;
    reload();
    return outcome;
}

ActionOutcome CutoverEngine::untick(const QString &environment, const QString &gate,
                                    const QString &check, const Operator &who) {
    ActionOutcome outcome;
    const EnvironmentRuntime *rt = std::as_const(*this).runtime(environment);
    const config::Gate *g = m_plan.gate(gate);
    if (!rt || !g) {
        outcome.refusals = {tr("no such environment or gate")};
        return outcome;
    }
    QString role;
    for (const config::Check &c : g->checks) {
        if (c.id == check && c.kind == config::Check::Kind::Manual)
            role = c.role;
    }
    if (role.isEmpty())
        outcome.refusals.append(tr("no manual item '%1' in %2").arg(check, g->title));
    else if (!who.roles.contains(role) || !who.may(m_plan, config::Permission::Tick))
        outcome.refusals.append(tr("'%1' is ticked by %2; %3 is %4")
                                    .arg(check, role, who.name, who.roles.join(u", "_s)));
    for (const store::SignOff &s : rt->signOffs) {
        if (s.gate == gate)
            outcome.refusals.append(tr("%1 is already signed by %2: unticking would void it")
                                        .arg(g->title, s.printedName));
    }
    if (!outcome.refusals.isEmpty())
        return outcome;
    auto done = m_store.untick(environment, gate, check, who.name, role);
    if (!done) {
        outcome.error = done.error().toString();
        return outcome;
    }
    outcome.ok = done.value();
    if (!outcome.ok)
        outcome.error = tr("'%1' was not ticked").arg(check);
    reload();
    return outcome;
}

ActionOutcome CutoverEngine::signOff(const QString &environment, const QString &gate,
                                     const QString &role, const Operator &who,
                                     const QString &passphrase, const QString &meaning,
                                     const QString &comment) {
    ActionOutcome outcome;
    const config::Gate *g = m_plan.gate(gate);
    QString signingRole = role;
    if (signingRole.isEmpty() && g) {
        for (const QString &r : who.roles) {
            if (g->signOff.contains(r)) {
                signingRole = r;
                break;
            }
        }
    }
    outcome.refusals = guards(Action::Sign, who, environment, GuardTarget{gate, {}, signingRole});
    if (meaning.trimmed().isEmpty())
        outcome.refusals.append(tr("a signature needs its meaning (e.g. \"Approved\")"));
    if (!outcome.refusals.isEmpty()) {
        audit(who.name, signingRole, u"sign_refused"_s, environment, gate,
              {{u"reasons"_s, QJsonArray::fromStringList(outcome.refusals)}});
        return outcome;
    }
    if (!m_signIn) {
        outcome.error = tr("no operators file: the passphrase cannot be verified");
        return outcome;
    }
    const store::SignInResult verified = m_signIn->verify(who.name, passphrase, u"sign_off"_s);
    pullAudit();
    if (!verified.ok()) {
        outcome.error = verified.message;
        return outcome;
    }
    store::SignOff signature;
    signature.environment = environment;
    signature.gate = gate;
    signature.role = signingRole;
    signature.operatorName = who.name;
    signature.printedName = who.printedName;
    signature.meaning = meaning.trimmed();
    signature.comment = comment.trimmed();
    signature.at = now();
    auto signedOff = m_store.signOff(signature);
    if (!signedOff) {
        outcome.error = signedOff.error().kind == store::StoreError::Kind::Conflict
                            ? signedOff.error().message
                            : signedOff.error().toString();
        reload();
        return outcome;
    }
    outcome.ok = true;
    reload();
    notify(u"sign_off"_s, environment,
           {{u"gate"_s, gate},
            {u"title"_s, g->title},
            {u"role"_s, signingRole},
            {u"signed_by"_s, who.printedName},
            {u"meaning"_s, signature.meaning}});
    return outcome;
}

Operation *CutoverEngine::shift(const QString &environment, const Operator &who,
                                const QString &passphrase, int typedPercent) {
    auto *op = new Operation(Operation::Kind::Shift, environment, this);
    auto refuse = [this, op, environment, who](const QStringList &reasons, const QString &error) {
        audit(who.name, who.roleFor(m_plan, config::Permission::Shift), u"shift_refused"_s,
              environment, {},
              {{u"reasons"_s, QJsonArray::fromStringList(reasons)}, {u"error"_s, error}});
        // Finish on the next turn so the caller can connect to finished() first.
        QTimer::singleShot(0, op, [op, reasons, error] {
            op->finish(false, error.isEmpty() ? tr("shift refused") : error, reasons);
        });
        return op;
    };
    EnvironmentRuntime *rtp = nullptr;
    for (auto &rt : m_environments) {
        if (rt->env->name == environment)
            rtp = rt.get();
    }
    if (!rtp)
        return refuse({tr("no environment '%1' in the plan").arg(environment)}, {});
    EnvironmentRuntime &rt = *rtp;
    QStringList refusals = guards(Action::Shift, who, environment);
    const EnvironmentSnapshot s = snapshot(environment);
    if (s.nextPercent < 0 || typedPercent != s.nextPercent) {
        refusals.append(
            tr("confirmation typed %1, but the next stage is %2")
                .arg(typedPercent)
                .arg(s.nextPercent < 0 ? tr("none") : QString::number(s.nextPercent) + u'%'));
    }
    if (!refusals.isEmpty())
        return refuse(refusals, {});
    if (!m_signIn)
        return refuse({}, tr("no operators file: the passphrase cannot be verified"));
    const store::SignInResult verified = m_signIn->verify(who.name, passphrase, u"shift"_s);
    pullAudit();
    if (!verified.ok()) {
        QTimer::singleShot(0, op, [op, message = verified.message] { op->finish(false, message); });
        return op;
    }

    const int next = s.phase == Phase::RolledBack ? 0 : rt.state.stageIndex + 1;
    const config::Stage &stage = m_plan.stages.at(next);
    const auto plan =
        backends::weightsFor(stage.percent / 100.0, m_plan.pools.legacy, m_plan.pools.otel);
    store::StageState nextState = rt.state;
    nextState.stageIndex = next;
    nextState.phase = phaseName(Phase::Shifting);
    nextState.intendedWeights = intended(plan.weights);
    nextState.enteredAt = now();
    nextState.holdStartedAt = QDateTime();
    const QString role = who.roleFor(m_plan, config::Permission::Shift);
    QString error;
    if (!writeState(rt, nextState, who.name, role, u"shift_started"_s,
                    {{u"from_percent"_s, s.currentPercent},
                     {u"to_percent"_s, stage.percent},
                     {u"weights"_s, weightsJson(plan.weights)},
                     {u"realized_share"_s, plan.realizedShare},
                     {u"dry_run"_s, m_options.dryRun}},
                    &error)) {
        QTimer::singleShot(0, op, [op, error] { op->finish(false, error); });
        return op;
    }
    rt.operation = op;
    op->progress(
        tr("applying %1% to %2").arg(stage.percent).arg(rt.env->loadBalancers.join(u", "_s)));
    applyWeights(rt, op, plan.weights, false, who.name);
    return op;
}

Operation *CutoverEngine::rollback(const QString &environment, const Operator &who,
                                   const QString &reason) {
    auto *op = new Operation(Operation::Kind::Rollback, environment, this);
    const QStringList refusals = guards(Action::Rollback, who, environment);
    const bool known = std::as_const(*this).runtime(environment) != nullptr;
    if (!refusals.isEmpty() || !known) {
        audit(who.name, {}, u"rollback_refused"_s, environment, {},
              {{u"reasons"_s, QJsonArray::fromStringList(refusals)}});
        QTimer::singleShot(0, op,
                           [op, refusals] { op->finish(false, tr("rollback refused"), refusals); });
        return op;
    }
    startRollback(runtime(environment), op, who.name,
                  who.roleFor(m_plan, config::Permission::Rollback),
                  reason.isEmpty() ? tr("operator decision") : reason);
    return op;
}

// --- applying weights --------------------------------------------------------------------------

void CutoverEngine::startRollback(EnvironmentRuntime &rt, Operation *operation,
                                  const QString &actor, const QString &role,
                                  const QString &reason) {
    if (rt.operation && rt.operation != operation && !rt.operation->isFinished())
        rt.operation->finish(false, tr("interrupted by a rollback"));
    rt.operation = operation;
    const auto weights = backends::rollbackWeights(m_plan.pools.legacy, m_plan.pools.otel);
    operation->progress(tr("rolling back %1: legacy 100 / OTel 0 on %2")
                            .arg(rt.env->name, rt.env->loadBalancers.join(u", "_s)));
    // The load balancers first: recording must never delay a rollback. The intent is written
    // right after the commands are on their way.
    applyWeights(rt, operation, weights.weights, true, actor);
    store::StageState next = rt.state;
    next.phase = phaseName(Phase::RollingBack);
    next.intendedWeights = intended(weights.weights);
    next.enteredAt = now();
    writeStateForced(rt, next, actor, role, u"rollback_started"_s,
                     {{u"reason"_s, reason},
                      {u"from_stage"_s, rt.state.stageIndex},
                      {u"dry_run"_s, m_options.dryRun}});
}

void CutoverEngine::applyWeights(EnvironmentRuntime &rt, Operation *operation,
                                 const QMap<QString, int> &weights, bool isRollback,
                                 const QString &actor) {
    const QString environment = rt.env->name;
    if (m_options.dryRun) {
        // Everything but the write: say what would have been sent.
        backends::FleetApplyResult result;
        result.weights = weights;
        for (const QString &lb : rt.env->loadBalancers) {
            backends::LbApplyResult r;
            r.lb = lb;
            result.lbs.append(r);
        }
        QJsonArray commands;
        for (const config::LoadBalancer &lb : m_plan.loadBalancers) {
            if (!rt.env->loadBalancers.contains(lb.name))
                continue;
            for (auto it = weights.cbegin(); it != weights.cend(); ++it)
                commands.append(
                    u"%1: set server %2/%3 weight %4"_s.arg(lb.name, lb.backend, it.key())
                        .arg(it.value()));
        }
        audit(actor, {}, isRollback ? u"rollback_dry_run"_s : u"shift_dry_run"_s, environment, {},
              {{u"would_send"_s, commands}});
        QTimer::singleShot(0, this, [this, environment, operation, result, isRollback, actor] {
            EnvironmentRuntime &r = runtime(environment);
            if (isRollback)
                finishRollback(r, operation, result, actor);
            else
                finishShift(r, operation, result, actor);
        });
        return;
    }
    const auto options = isRollback
                             ? backends::ApplyOptions::forRollback(m_plan.rollback)
                             : backends::ApplyOptions::forShift(std::chrono::milliseconds(
                                   std::max<qint64>(2000, 3 * m_plan.rollback.retryBackoff.ms())));
    auto *reply = rt.fleet->apply(weights, options);
    QPointer<Operation> op(operation);
    connect(rt.fleet, &backends::LbFleet::lbApplied, reply,
            [op](const backends::LbApplyResult &result) {
                if (op)
                    op->addResult(result);
            });
    reply->onFinished(this, [this, environment, op, isRollback,
                             actor](const net::Result<backends::FleetApplyResult> &result) {
        EnvironmentRuntime &r = runtime(environment);
        if (!result.ok()) {
            // Superseded by a newer apply (a rollback overtaking a shift): that one reports.
            if (op)
                op->finish(false, result.error().toString());
            return;
        }
        for (const auto &lb : result.value().lbs)
            setBackendHealth(r, lb.lb, lb.sent || lb.verified,
                             lb.error ? lb.error->toString() : QString());
        if (isRollback)
            finishRollback(r, op, result.value(), actor);
        else
            finishShift(r, op, result.value(), actor);
    });
}

void CutoverEngine::finishShift(EnvironmentRuntime &rt, Operation *operation,
                                const backends::FleetApplyResult &result, const QString &actor) {
    if (rt.phase() != Phase::Shifting)
        return; // a rollback (here or on another console) took over
    const config::Stage &stage = m_plan.stages.at(rt.state.stageIndex);
    if (m_options.dryRun || result.allVerified()) {
        store::StageState next = rt.state;
        next.phase = phaseName(Phase::Stabilizing);
        next.enteredAt = now();
        writeState(rt, next, actor, {}, u"shift_applied"_s,
                   {{u"percent"_s, stage.percent},
                    {u"load_balancers"_s, lbResultsJson(result.lbs)},
                    {u"elapsed_ms"_s, double(result.elapsedMs)}},
                   nullptr);
        notify(u"shift"_s, rt.env->name,
               {{u"percent"_s, stage.percent}, {u"load_balancers"_s, lbResultsJson(result.lbs)}});
        if (operation) {
            operation->finish(true, tr("%1 at %2%: verified on %3; stabilizing for %4")
                                        .arg(rt.env->name)
                                        .arg(stage.percent)
                                        .arg(rt.env->loadBalancers.join(u", "_s),
                                             stage.stabilization.toString()));
        }
        return;
    }
    // Not verified everywhere: a split that differs between LBs is worse than either stage.
    // Put every LB back where it was.
    const QStringList failed = result.failedLbs();
    const int previous = rt.state.stageIndex - 1;
    const auto weights = previous >= 0
                             ? backends::weightsFor(m_plan.stages.at(previous).percent / 100.0,
                                                    m_plan.pools.legacy, m_plan.pools.otel)
                             : backends::rollbackWeights(m_plan.pools.legacy, m_plan.pools.otel);
    store::StageState next = rt.state;
    next.stageIndex = previous;
    next.phase = phaseName(Phase::Holding);
    next.intendedWeights = intended(weights.weights);
    next.holdStartedAt = previous >= 0 ? now() : QDateTime();
    writeState(rt, next, actor, {}, u"shift_failed"_s,
               {{u"percent"_s, stage.percent},
                {u"failed"_s, QJsonArray::fromStringList(failed)},
                {u"load_balancers"_s, lbResultsJson(result.lbs)}},
               nullptr);
    auto *revert =
        rt.fleet->apply(weights.weights, backends::ApplyOptions::forRollback(m_plan.rollback));
    const QString environment = rt.env->name;
    revert->onFinished(this, [this, environment](
                                 const net::Result<backends::FleetApplyResult> &reverted) {
        if (!reverted.ok())
            return;
        audit(u"engine"_s, {}, u"shift_reverted"_s, environment, {},
              {{u"load_balancers"_s, lbResultsJson(reverted.value().lbs)},
               {u"verified"_s, reverted.value().allVerified()}});
        if (!reverted.value().allVerified())
            Q_EMIT alarm(
                environment, u"rollback"_s,
                tr("revert not verified on %1").arg(reverted.value().failedLbs().join(u", "_s)));
    });
    Q_EMIT alarm(rt.env->name, u"shift"_s,
                 tr("shift to %1% not verified on %2: reverting")
                     .arg(stage.percent)
                     .arg(failed.join(u", "_s)));
    if (operation) {
        QStringList problems;
        for (const auto &lb : result.lbs) {
            if (!lb.verified)
                problems.append(u"%1: %2"_s.arg(lb.lb, lb.error ? lb.error->toString()
                                                                : tr("read-back differs")));
        }
        operation->finish(false, tr("shift to %1% failed (%2); every load balancer reverted")
                                     .arg(stage.percent)
                                     .arg(problems.join(u"; "_s)));
    }
}

void CutoverEngine::finishRollback(EnvironmentRuntime &rt, Operation *operation,
                                   const backends::FleetApplyResult &result, const QString &actor) {
    const bool verified = m_options.dryRun || result.allVerified();
    const int fromStage = rt.state.stageIndex;
    rt.rollbackProblems.clear();
    for (const auto &lb : result.lbs) {
        if (!lb.verified && !m_options.dryRun)
            rt.rollbackProblems.append(
                u"%1: %2"_s.arg(lb.lb, lb.error ? lb.error->toString() : tr("read-back differs")));
    }
    store::StageState next = rt.state;
    next.stageIndex = -1;
    next.phase = phaseName(Phase::RolledBack);
    next.intendedWeights = intended(result.weights);
    next.holdStartedAt = QDateTime();
    next.enteredAt = now();
    const QJsonObject details{{u"verified"_s, verified},
                              {u"from_stage"_s, fromStage},
                              {u"load_balancers"_s, lbResultsJson(result.lbs)},
                              {u"elapsed_ms"_s, double(result.elapsedMs)}};
    writeStateForced(rt, next, actor, {},
                     verified ? u"rollback_completed"_s : u"rollback_incomplete"_s, details);
    rt.firedTriggers.clear();
    // After a rollback every gate passed so far must be passed again.
    for (const config::Gate &gate : m_plan.gates) {
        const bool hasRecords =
            std::any_of(rt.ticks.cbegin(), rt.ticks.cend(),
                        [&](const store::Tick &t) { return t.gate == gate.id; }) ||
            std::any_of(rt.signOffs.cbegin(), rt.signOffs.cend(),
                        [&](const store::SignOff &s) { return s.gate == gate.id; });
        if (hasRecords)
            (void)m_store.resetGate(rt.env->name, gate.id, actor, {}, tr("rollback"));
    }
    reload();
    QJsonObject payload = details;
    payload.insert(u"severity"_s, 1);
    payload.insert(u"title"_s, u"OTel Cutover Rollback Executed"_s);
    notify(u"rollback"_s, rt.env->name, payload);
    if (!verified)
        Q_EMIT alarm(rt.env->name, u"rollback"_s,
                     tr("rollback NOT verified on %1").arg(rt.rollbackProblems.join(u"; "_s)));
    if (operation) {
        operation->finish(
            verified,
            verified ? tr("rolled back: verified on %1 load balancer(s) in %2 ms")
                           .arg(result.lbs.size())
                           .arg(result.elapsedMs)
                     : tr("rollback NOT verified on %1").arg(rt.rollbackProblems.join(u"; "_s)));
    }
}

// --- time and samples --------------------------------------------------------------------------

void CutoverEngine::step() {
    for (auto &rt : m_environments) {
        if (rt->phase() != Phase::Stabilizing || rt->state.stageIndex < 0)
            continue;
        const config::Stage &stage = m_plan.stages.at(rt->state.stageIndex);
        if (rt->state.enteredAt.addMSecs(stage.stabilization.ms()) <= now()) {
            store::StageState next = rt->state;
            next.phase = phaseName(Phase::Validating);
            // enteredAt stays the time the weights were applied: validation measures from it.
            writeState(*rt, next, m_options.actorForAutomatic, u"automatic"_s,
                       u"stabilization_over"_s, {{u"percent"_s, stage.percent}}, nullptr);
        }
    }
    for (auto &rt : m_environments)
        changed(rt->env->name); // countdowns move
}

void CutoverEngine::validate(EnvironmentRuntime &rt) {
    if (rt.phase() != Phase::Validating || rt.state.stageIndex < 0)
        return;
    const config::Stage &stage = m_plan.stages.at(rt.state.stageIndex);
    // The rate window must hold only traffic under the new weights, plus one scrape.
    const QDateTime earliest = rt.state.enteredAt.addMSecs(m_plan.validation.rateWindow.ms() +
                                                           m_plan.validation.scrapeInterval.ms());
    if (!rt.measuredAt.isValid() || rt.measuredAt < earliest)
        return;
    if (!rt.measured || std::isnan(*rt.measured)) {
        // Unknown is never a pass. Say so once a while, and wait for data or a human.
        const qint64 patience = std::max<qint64>(60'000, 3 * m_plan.validation.rateWindow.ms());
        if (rt.state.enteredAt.addMSecs(stage.stabilization.ms() + patience) <= now() &&
            (!rt.validationUnknownAlarmAt.isValid() ||
             rt.validationUnknownAlarmAt.addMSecs(patience) <= now())) {
            rt.validationUnknownAlarmAt = now();
            audit(m_options.actorForAutomatic, u"automatic"_s, u"validation_unknown"_s,
                  rt.env->name, u"%1%"_s.arg(stage.percent),
                  {{u"problem"_s, m_globalHealth.value(u"prometheus"_s).problem}});
            Q_EMIT alarm(
                rt.env->name, u"validation"_s,
                tr("validation at %1%: no data from Prometheus; not passing").arg(stage.percent));
        }
        return;
    }
    const double share = *rt.measured;
    const QString band =
        u"%1..%2"_s.arg(percentText(stage.lowerBound()), percentText(stage.upperBound()));
    if (share >= stage.lowerBound() && share <= stage.upperBound()) {
        store::StageState next = rt.state;
        const bool last = rt.state.stageIndex == m_plan.stages.size() - 1;
        next.phase = phaseName(last ? Phase::Complete : Phase::Holding);
        next.holdStartedAt = now();
        next.intendedWeights =
            intended(weightsOf(rt.state), false,
                     tr("passed: %1 in %2 at %3")
                         .arg(percentText(share), band, now().toString(u"HH:mm:ss 'UTC'"_s)));
        writeState(rt, next, m_options.actorForAutomatic, u"automatic"_s, u"validation_passed"_s,
                   {{u"percent"_s, stage.percent},
                    {u"measured_share"_s, share},
                    {u"lower"_s, stage.lowerBound()},
                    {u"upper"_s, stage.upperBound()}},
                   nullptr);
        return;
    }
    onValidationFailed(rt, tr("measured %1, outside %2").arg(percentText(share), band));
}

void CutoverEngine::onValidationFailed(EnvironmentRuntime &rt, const QString &why) {
    const config::Stage &stage = m_plan.stages.at(rt.state.stageIndex);
    const QString text = tr("failed at %1%: %2").arg(stage.percent).arg(why);
    notify(u"validation_failed"_s, rt.env->name,
           {{u"percent"_s, stage.percent},
            {u"problem"_s, why},
            {u"policy"_s, config::failurePolicyName(m_plan.rollback.onValidationFailure)}});
    Q_EMIT alarm(rt.env->name, u"validation"_s, text);
    const auto policy = m_plan.rollback.onValidationFailure;
    if (policy == config::FailurePolicy::Hold) {
        store::StageState next = rt.state;
        next.phase = phaseName(Phase::Holding);
        next.intendedWeights = intended(weightsOf(rt.state), true, text);
        writeState(rt, next, m_options.actorForAutomatic, u"automatic"_s, u"validation_failed"_s,
                   {{u"percent"_s, stage.percent}, {u"problem"_s, why}, {u"policy"_s, u"hold"_s}},
                   nullptr);
        return;
    }
    audit(m_options.actorForAutomatic, u"automatic"_s, u"validation_failed"_s, rt.env->name,
          u"%1%"_s.arg(stage.percent),
          {{u"problem"_s, why}, {u"policy"_s, config::failurePolicyName(policy)}});
    if (policy == config::FailurePolicy::PreviousStage && rt.state.stageIndex > 0) {
        const int previous = rt.state.stageIndex - 1;
        const auto plan = backends::weightsFor(m_plan.stages.at(previous).percent / 100.0,
                                               m_plan.pools.legacy, m_plan.pools.otel);
        store::StageState next = rt.state;
        next.stageIndex = previous;
        next.phase = phaseName(Phase::Shifting);
        next.intendedWeights = intended(plan.weights, false, text);
        next.enteredAt = now();
        next.holdStartedAt = QDateTime();
        if (writeState(rt, next, m_options.actorForAutomatic, u"automatic"_s, u"shift_started"_s,
                       {{u"to_percent"_s, m_plan.stages.at(previous).percent}, {u"reason"_s, text}},
                       nullptr)) {
            auto *op = new Operation(Operation::Kind::Shift, rt.env->name, this);
            rt.operation = op;
            applyWeights(rt, op, plan.weights, false, m_options.actorForAutomatic);
        }
        return;
    }
    auto *op = new Operation(Operation::Kind::Rollback, rt.env->name, this);
    startRollback(rt, op, m_options.actorForAutomatic, u"automatic"_s,
                  tr("validation %1").arg(text));
}

void CutoverEngine::checkHoldBreaches(EnvironmentRuntime &rt) {
    if (rt.phase() != Phase::Holding || rt.state.stageIndex < 0 ||
        !rt.state.holdStartedAt.isValid())
        return;
    // The automatic checks that matter now: those of the gates before the next shift, and of
    // the gates they refer to.
    QSet<QString> gates;
    for (const QString &id : gatesBeforeNextShift(m_plan, rt.state.stageIndex)) {
        gates.insert(id);
        if (const config::Gate *gate = m_plan.gate(id)) {
            for (const config::Check &c : gate->checks) {
                for (const QString &ref : c.gates)
                    gates.insert(ref);
            }
        }
    }
    for (const QString &gateId : gates) {
        const config::Gate *gate = m_plan.gate(gateId);
        if (!gate)
            continue;
        for (const config::Check &check : gate->checks) {
            if (check.kind != config::Check::Kind::Automatic)
                continue;
            const QString key = checkKey(gateId, check.id);
            const auto state = rt.checks.value(key).stateAt(now());
            const auto previous = rt.lastCheckStates.value(key, ConditionTracker::State::Unknown);
            rt.lastCheckStates.insert(key, state);
            if (previous == ConditionTracker::State::False &&
                (state == ConditionTracker::State::Pending ||
                 state == ConditionTracker::State::True)) {
                // The hold measures time without a breach: it starts again now.
                store::StageState next = rt.state;
                next.holdStartedAt = now();
                writeState(rt, next, m_options.actorForAutomatic, u"automatic"_s,
                           u"hold_restarted"_s,
                           {{u"check"_s, key},
                            {u"breach_until"_s,
                             rt.checks.value(key).lastBreachAt().toString(Qt::ISODateWithMs)}},
                           nullptr);
            } else if (state == ConditionTracker::State::False &&
                       previous != ConditionTracker::State::False) {
                Q_EMIT alarm(rt.env->name, u"check"_s,
                             tr("%1: '%2' breached").arg(gate->title, check.title));
            }
        }
    }
}

void CutoverEngine::evaluateTriggers(EnvironmentRuntime &rt) {
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        const ConditionTracker &tracker = rt.triggers[trigger.id];
        const auto state = tracker.stateAt(now());
        if (state == ConditionTracker::State::False) {
            rt.firedTriggers.remove(trigger.id); // the episode is over
            continue;
        }
        if (state != ConditionTracker::State::True || rt.firedTriggers.contains(trigger.id) ||
            !hasOtelTraffic(rt.state))
            continue;
        rt.firedTriggers.insert(trigger.id);
        const bool automatic = trigger.action == config::Trigger::Action::Auto;
        const double value = tracker.lastValue().value_or(std::nan(""));
        audit(m_options.actorForAutomatic, u"automatic"_s, u"trigger_fired"_s, rt.env->name,
              trigger.id,
              {{u"title"_s, trigger.title},
               {u"value"_s, value},
               {u"condition"_s, trigger.condition.toString()},
               {u"action"_s, automatic ? u"auto"_s : u"prompt"_s}});
        notify(u"trigger"_s, rt.env->name,
               {{u"trigger"_s, trigger.id}, {u"title"_s, trigger.title}, {u"value"_s, value}});
        Q_EMIT alarm(
            rt.env->name, u"trigger"_s,
            tr("%1: %2 %3").arg(trigger.title).arg(value).arg(trigger.condition.toString()));
        if (automatic && rt.phase() != Phase::RollingBack) {
            auto *op = new Operation(Operation::Kind::Rollback, rt.env->name, this);
            startRollback(rt, op, m_options.actorForAutomatic, u"automatic"_s,
                          tr("trigger '%1' fired (%2)").arg(trigger.title).arg(value));
        }
        changed(rt.env->name);
    }
}

void CutoverEngine::recordSplitSample(const QString &environment, const QDateTime &at,
                                      std::optional<double> share) {
    EnvironmentRuntime &rt = runtime(environment);
    rt.measured = share && !std::isnan(*share) ? share : std::nullopt;
    rt.measuredAt = at;
    if (rt.measured)
        Q_EMIT splitSampled(environment, at, *rt.measured);
    validate(rt);
    changed(environment);
}

void CutoverEngine::recordCheckSample(const QString &environment, const QString &gate,
                                      const QString &check, const QDateTime &at,
                                      std::optional<double> value) {
    EnvironmentRuntime &rt = runtime(environment);
    const QString key = checkKey(gate, check);
    if (rt.checks.contains(key))
        rt.checks[key].update(value, at);
}

void CutoverEngine::recordTriggerSample(const QString &environment, const QString &trigger,
                                        const QDateTime &at, std::optional<double> value) {
    EnvironmentRuntime &rt = runtime(environment);
    if (rt.triggers.contains(trigger))
        rt.triggers[trigger].update(value, at);
}

void CutoverEngine::recordBackendHealth(const QString &environment, const QString &name, bool ok,
                                        const QString &problem) {
    if (m_globalHealth.contains(name)) {
        setGlobalHealth(name, ok, problem);
        return;
    }
    setBackendHealth(runtime(environment), name, ok, problem);
}

void CutoverEngine::evaluateSamples(const QString &environment) {
    EnvironmentRuntime &rt = runtime(environment);
    checkHoldBreaches(rt);
    evaluateTriggers(rt);
    changed(environment);
}

void CutoverEngine::evaluateNow() {
    step();
    monitorRound();
}

void CutoverEngine::monitorRound() {
    if (!m_prometheus)
        return;
    for (auto &rt : m_environments) {
        if (rt->pendingQueries > 0)
            continue; // the last round has not answered yet: never pile up
        queryEnvironment(*rt);
        if (!rt->lastDriftAt.isValid() ||
            rt->lastDriftAt.addMSecs(m_plan.drift.interval.ms()) <= now())
            checkDrift(*rt);
    }
}

void CutoverEngine::queryEnvironment(EnvironmentRuntime &rt) {
    const QString environment = rt.env->name;
    auto finishedOne = [this, environment] {
        EnvironmentRuntime &r = runtime(environment);
        if (--r.pendingQueries == 0) {
            evaluateSamples(environment);
            bool allDone = true;
            for (const auto &other : m_environments)
                allDone = allDone && other->pendingQueries == 0;
            if (allDone)
                Q_EMIT monitorRoundFinished();
        }
    };
    auto valueOf =
        [this](const net::Result<backends::QueryResult> &result) -> std::optional<double> {
        if (!result.ok()) {
            // A query Prometheus rejects still proves it is up; no answer at all does not.
            const auto kind = result.error().kind;
            const bool reachable = kind != net::ErrorKind::Timeout &&
                                   kind != net::ErrorKind::Connect && kind != net::ErrorKind::Tls;
            setGlobalHealth(u"prometheus"_s, reachable, result.error().toString());
            return std::nullopt;
        }
        setGlobalHealth(u"prometheus"_s, true, {});
        const double value = result.value().singleValue();
        if (std::isnan(value))
            return std::nullopt;
        return value;
    };

    const QDateTime issuedAt = now();
    ++rt.pendingQueries;
    m_prometheus->query(config::expandQuery(m_plan.validation.splitQuery, *rt.env))
        ->onFinished(this, [this, environment, issuedAt, valueOf,
                            finishedOne](const net::Result<backends::QueryResult> &result) {
            recordSplitSample(environment, issuedAt, valueOf(result));
            finishedOne();
        });

    for (const config::Gate &gate : m_plan.gates) {
        for (const config::Check &check : gate.checks) {
            if (check.kind != config::Check::Kind::Automatic)
                continue;
            ++rt.pendingQueries;
            m_prometheus->query(config::expandQuery(check.query, *rt.env))
                ->onFinished(this, [this, environment, gateId = gate.id, checkId = check.id,
                                    issuedAt, valueOf,
                                    finishedOne](const net::Result<backends::QueryResult> &r) {
                    recordCheckSample(environment, gateId, checkId, issuedAt, valueOf(r));
                    finishedOne();
                });
        }
    }
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        ++rt.pendingQueries;
        const QString id = trigger.id;
        m_prometheus->query(config::expandQuery(trigger.query, *rt.env))
            ->onFinished(this, [this, environment, id, issuedAt, valueOf,
                                finishedOne](const net::Result<backends::QueryResult> &r) {
                recordTriggerSample(environment, id, issuedAt, valueOf(r));
                finishedOne();
            });
    }
    if (isSignalConnected(QMetaMethod::fromSignal(&CutoverEngine::panelSampled))) {
        for (const config::PanelGroup &group : m_plan.panelGroups) {
            for (const config::Panel &panel : group.panels) {
                const QString id = panel.id;
                m_prometheus->query(config::expandQuery(panel.query, *rt.env))
                    ->onFinished(this, [this, environment, id,
                                        issuedAt](const net::Result<backends::QueryResult> &r) {
                        if (r.ok())
                            Q_EMIT panelSampled(environment, id, issuedAt, r.value().vector);
                    });
            }
        }
    }
}

void CutoverEngine::checkDrift(EnvironmentRuntime &rt) {
    if (isBusy(rt.phase()))
        return;
    rt.lastDriftAt = now();
    const QMap<QString, int> intendedWeights = weightsOf(rt.state);
    QStringList servers = m_plan.pools.legacy + m_plan.pools.otel;
    const QString environment = rt.env->name;
    ++rt.pendingQueries;
    rt.fleet->readWeights(servers)->onFinished(this, [this, environment, intendedWeights](
                                                         const net::Result<QList<
                                                             backends::LbWeightsRead>> &result) {
        EnvironmentRuntime &r = runtime(environment);
        auto done = qScopeGuard([&] {
            if (--r.pendingQueries == 0) {
                changed(environment);
                bool allDone = true;
                for (const auto &other : m_environments)
                    allDone = allDone && other->pendingQueries == 0;
                if (allDone)
                    Q_EMIT monitorRoundFinished();
            }
        });
        if (!result.ok())
            return;
        QStringList alarms;
        for (const backends::LbWeightsRead &read : result.value()) {
            setBackendHealth(r, read.lb, !read.error,
                             read.error ? read.error->toString() : QString());
            if (read.error)
                continue;
            r.observed.insert(read.lb, read.weights);
            if (intendedWeights.isEmpty() || isBusy(r.phase()))
                continue;
            for (const auto &d : backends::compareWeights(intendedWeights, read.weights)) {
                alarms.append(tr("%1: %2 weight %3, intended %4%5")
                                  .arg(read.lb, d.server)
                                  .arg(d.actual)
                                  .arg(d.intended)
                                  .arg(read.reloaded ? tr(" (HAProxy was reloaded)") : QString()));
            }
        }
        const bool fresh = alarms != r.driftAlarms;
        r.driftAlarms = alarms;
        if (alarms.isEmpty() || !fresh)
            return;
        audit(m_options.actorForAutomatic, u"automatic"_s, u"drift_detected"_s, environment, {},
              {{u"differences"_s, QJsonArray::fromStringList(alarms)}});
        notify(u"drift"_s, environment, {{u"differences"_s, QJsonArray::fromStringList(alarms)}});
        Q_EMIT alarm(environment, u"drift"_s, alarms.join(u"; "_s));
        if (m_plan.drift.policy == config::DriftConfig::Policy::Reassert && !m_options.dryRun) {
            auto *reply = r.fleet->apply(intendedWeights,
                                         backends::ApplyOptions::forRollback(m_plan.rollback));
            reply->onFinished(
                this, [this, environment](const net::Result<backends::FleetApplyResult> &res) {
                    if (!res.ok())
                        return;
                    EnvironmentRuntime &rr = runtime(environment);
                    audit(m_options.actorForAutomatic, u"automatic"_s, u"drift_reasserted"_s,
                          environment, {},
                          {{u"load_balancers"_s, lbResultsJson(res.value().lbs)},
                           {u"verified"_s, res.value().allVerified()}});
                    if (res.value().allVerified())
                        rr.driftAlarms.clear();
                    changed(environment);
                });
        }
    });
}

void CutoverEngine::notify(const QString &event, const QString &environment,
                           const QJsonObject &payload) {
    QJsonObject body = payload;
    body.insert(u"environment"_s, environment);
    body.insert(u"plan"_s, m_plan.name);
    body.insert(u"at"_s, now().toString(Qt::ISODateWithMs));
    if (m_options.dryRun) {
        // A rehearsal must not page anyone: say what would have been sent.
        qCInfo(lcEngine) << "dry run: would notify" << event << environment;
        return;
    }
    for (backends::WebhookNotifier *webhook : std::as_const(m_webhooks)) {
        if (!webhook->wants(event))
            continue;
        ++m_pendingNotifications;
        webhook->send(event, body)
            ->onFinished(this, [this, name = webhook->notification().name,
                                event](const net::Result<backends::WebhookDelivery> &delivery) {
                if (--m_pendingNotifications == 0)
                    Q_EMIT notificationsIdle();
                if (!delivery.ok() || !delivery.value().delivered)
                    qCWarning(lcEngine) << "webhook" << name << event << "not delivered:"
                                        << (delivery.ok() && delivery.value().error
                                                ? delivery.value().error->toString()
                                                : QString());
            });
    }
}

} // namespace cutover::engine
