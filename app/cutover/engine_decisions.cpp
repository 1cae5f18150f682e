// Who takes the automatic decisions (the store's decision lease, decision_lease.h), and what an
// engine does when it becomes the decider: judge the time nobody evaluated from Prometheus'
// history (back-fill), then resume what was left half done.

#include "app/backends/prometheus_client.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_internal.h"
#include "app/store/lease_keeper.h"
#include "app/store/store.h"

#include <QCoreApplication>
#include <QSysInfo>
#include <QTimeZone>
#include <QTimer>

#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {

// A range query's values on its grid (start + k·step), by time in ms; missing points are absent.
std::chrono::milliseconds backfillStep(const config::Plan &plan, qint64 spanMs) {
    // At most ~10,000 points a chunk and 60 chunks (PrometheusClient splits the range).
    const qint64 step =
        std::max<qint64>(plan.validation.evaluationInterval.ms(), spanMs / (60 * 10'000) + 1);
    return std::chrono::milliseconds(std::max<qint64>(step, 1000));
}

} // namespace

// --- the lease ---------------------------------------------------------------------------------

void CutoverEngine::startDecisionLease(std::unique_ptr<store::LeaseBackend> backend) {
    if (!m_options.coordinate || !backend)
        return;
    store::LeaseHolder candidate;
    candidate.kind = m_options.role == Role::Controller ? store::LeaseHolderKind::Controller
                                                        : store::LeaseHolderKind::Desk;
    candidate.host =
        m_options.hostName.isEmpty() ? QSysInfo::machineHostName() : m_options.hostName;
    candidate.pid = QCoreApplication::applicationPid();
    candidate.operatorName = m_deskOperator;
    candidate.version = QStringLiteral(CONSOLE_VERSION);
    store::LeaseKeeper::Options options;
    options.leaseMs = std::max<qint64>(1000, m_plan.controller.lease.ms());
    m_lease = new store::LeaseKeeper(std::move(backend), candidate, options, this);
    connect(m_lease, &store::LeaseKeeper::decidingChanged, this, &CutoverEngine::onDecidingChanged);
    connect(m_lease, &store::LeaseKeeper::observed, this, &CutoverEngine::onLeaseObserved);
    connect(m_lease, &store::LeaseKeeper::problemChanged, this, [this](const QString &problem) {
        if (problem.isEmpty())
            m_leaseProblemSinceNs = 0;
        else if (m_leaseProblemSinceNs == 0)
            m_leaseProblemSinceNs = store::steadyNowNs();
        Q_EMIT decisionChanged();
    });
    m_lease->start();
}

void CutoverEngine::setDeskOperator(const QString &name) {
    m_deskOperator = name;
    if (m_lease)
        m_lease->setOperatorName(name);
}

bool CutoverEngine::decides() const {
    if (!m_lease)
        return true; // not coordinated: this engine is alone
    return m_leaseDeciding && !m_backfilling;
}

bool CutoverEngine::decidesRollbacks() const {
    if (decides())
        return true;
    if (!m_lease || m_leaseDeciding || m_leaseProblemSinceNs == 0)
        return false;
    // The lease has been unreadable for two lease durations: nobody this engine can see decides.
    // Rolling back is the safe direction (idempotent on the load balancers), so it does that.
    const qint64 unreadableMs = (store::steadyNowNs() - m_leaseProblemSinceNs) / 1'000'000;
    return unreadableMs > 2 * std::max<qint64>(1000, m_plan.controller.lease.ms());
}

DecisionStatus CutoverEngine::decisionStatus() const {
    DecisionStatus status;
    status.coordinated = m_lease != nullptr;
    status.thisEngine = decides();
    status.rollbackOnly = !status.thisEngine && decidesRollbacks();
    status.backfilling = m_backfilling;
    if (m_lease) {
        status.problem = m_lease->problem();
        if (m_lease->hasReading()) {
            const store::LeaseReading &reading = m_lease->lastReading();
            status.holder = reading.holder;
            status.observedAt = reading.now;
            status.holderFresh = reading.holder && reading.holder->freshAt(reading.now);
        }
    }
    return status;
}

void CutoverEngine::onLeaseObserved(const store::LeaseReading &) {
    Q_EMIT decisionChanged();
}

void CutoverEngine::onDecidingChanged(bool deciding) {
    const bool was = m_leaseDeciding;
    m_leaseDeciding = deciding;
    if (deciding == was)
        return;
    const store::LeaseHolder &self = m_lease->candidate();
    const QString what = m_options.role == Role::Controller ? u"controller"_s : u"console"_s;
    if (deciding) {
        m_backfilling = true;
        Q_EMIT decisionChanged();
        if (m_lease->term() == m_decidedTerm) {
            // The same lease after a pause (a renewal came late): nobody else decided meanwhile,
            // but nobody evaluated either. Judge that stretch, quietly.
            qCInfo(lcEngine).noquote() << what << "decides again after a pause";
            backfill(m_lastEvaluationAt);
            return;
        }
        m_decidedTerm = m_lease->term();
        const store::LeaseReading &reading = m_lease->lastReading();
        const std::optional<store::LeaseHolder> previous = reading.holder;
        QJsonObject details{{u"host"_s, self.host},
                            {u"pid"_s, double(self.pid)},
                            {u"version"_s, self.version},
                            {u"term"_s, double(m_lease->term())},
                            {u"watched_until"_s,
                             m_lease->markAtAcquisition().evaluatedAt.toString(Qt::ISODateWithMs)}};
        if (previous && previous->id != self.id) {
            details.insert(u"previous"_s, previous->describe());
            details.insert(u"previous_expired_at"_s,
                           previous->expiresAt.toString(Qt::ISODateWithMs));
        }
        qCInfo(lcEngine).noquote() << what << "decides now: back-filling the unwatched time";
        audit(m_options.actorForAutomatic, u"automatic"_s,
              what == u"controller"_s ? u"controller_leading"_s : u"console_deciding"_s, {},
              self.host, details);
        if (m_options.role == Role::Controller && previous && previous->id != self.id &&
            previous->kind == store::LeaseHolderKind::Controller)
            notify(u"controller"_s, {},
                   {{u"title"_s,
                     tr("controller %1 took over from %2").arg(self.host, previous->describe())},
                    {u"host"_s, self.host}});
        backfill(m_lease->markAtAcquisition().evaluatedAt);
        return;
    }
    m_backfilling = false;
    if (m_lease->holds()) {
        // Fenced, not replaced: the store still names this engine. It stops deciding until a
        // renewal lands (then it back-fills the pause); nobody else may take over before the
        // lease expires.
        qCWarning(lcEngine).noquote() << what << "pauses its decisions:" << m_lease->lastLoss();
    } else {
        qCWarning(lcEngine).noquote() << what << "no longer decides:" << m_lease->lastLoss();
        audit(m_options.actorForAutomatic, u"automatic"_s, u"decision_lease_lost"_s, {}, self.host,
              {{u"host"_s, self.host},
               {u"pid"_s, double(self.pid)},
               {u"why"_s, m_lease->lastLoss()},
               {u"problem"_s, m_lease->problem()}});
        if (m_options.role == Role::Controller)
            notify(u"controller"_s, {},
                   {{u"title"_s, tr("controller %1 stopped deciding").arg(self.host)},
                    {u"problem"_s, m_lease->lastLoss()}});
    }
    Q_EMIT decisionChanged();
    for (const auto &rt : m_environments)
        changed(rt->env->name);
}

void CutoverEngine::markEvaluated() {
    m_lastEvaluationAt = now();
    if (m_lease && decides())
        m_lease->setLastEvaluation(now());
}

// --- back-fill ---------------------------------------------------------------------------------

void CutoverEngine::backfill(const QDateTime &mark) {
    if (!m_prometheus) {
        finishBackfill();
        return;
    }
    const QDateTime to = now();
    const QDateTime limit = to.addMSecs(-m_plan.controller.backfillLimit.ms());
    auto pending = std::make_shared<int>(1);
    for (auto &rt : m_environments) {
        // Nobody recorded watching: the whole running hold must be proven.
        QDateTime from = mark;
        if (!from.isValid())
            from = rt->state.holdStartedAt.isValid() ? rt->state.holdStartedAt : to;
        from = std::max(from, limit);
        if (rt->state.enteredAt.isValid())
            from = std::max(from, rt->state.enteredAt);
        if (from.msecsTo(to) < 2 * m_plan.validation.evaluationInterval.ms())
            continue;
        backfillEnvironment(*rt, from, to, pending);
    }
    if (--*pending == 0)
        finishBackfill();
}

void CutoverEngine::backfillEnvironment(EnvironmentRuntime &rt, const QDateTime &from,
                                        const QDateTime &to, const std::shared_ptr<int> &pending) {
    const QString environment = rt.env->name;
    const auto step = backfillStep(m_plan, from.msecsTo(to));
    const qint64 toleranceMs = std::max<qint64>(unknownToleranceMs(), 2 * step.count());
    qCInfo(lcEngine).noquote() << environment << "back-fill from"
                               << from.toString(Qt::ISODateWithMs) << "to"
                               << to.toString(Qt::ISODateWithMs) << "every" << step.count() << "ms";

    // Hold checks: the last breach or unknown stretch in the gap restarts the hold after it.
    const bool holding = rt.phase() == Phase::Holding && rt.state.holdStartedAt.isValid();
    if (holding) {
        const QDateTime holdFrom = std::max(from, rt.state.holdStartedAt);
        for (const QString &key : holdCheckKeys(rt)) {
            const config::Gate *gate = m_plan.gate(key.section(u'/', 0, 0));
            const config::Check *check = nullptr;
            for (const config::Check &c : gate->checks) {
                if (c.id == key.section(u'/', 1))
                    check = &c;
            }
            if (!check)
                continue;
            ++*pending;
            m_prometheus
                ->queryRange(config::expandQuery(check->historyQuery(), *rt.env), holdFrom, to,
                             step)
                ->onFinished(this, [this, environment, key, holdFrom, to, step, toleranceMs,
                                    pending](const net::Result<backends::QueryResult> &result) {
                    EnvironmentRuntime &r = runtime(environment);
                    const QMap<qint64, double> values = gridValues(result);
                    ConditionTracker &tracker = r.checks[key];
                    QDateTime badFrom, badUntil, restartAt;
                    QString reason;
                    qint64 missingFromMs = -1;
                    const qint64 stepMs = step.count();
                    const qint64 startMs = holdFrom.toMSecsSinceEpoch();
                    const qint64 endMs = to.toMSecsSinceEpoch();
                    for (qint64 t = startMs; t <= endMs; t += stepMs) {
                        const QDateTime at = QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc());
                        const auto it = values.constFind(t);
                        if (it == values.cend() || std::isnan(*it)) {
                            if (missingFromMs < 0)
                                missingFromMs = t;
                            tracker.update(std::nullopt, at);
                            continue;
                        }
                        if (missingFromMs >= 0 && t - missingFromMs > toleranceMs) {
                            badFrom =
                                QDateTime::fromMSecsSinceEpoch(missingFromMs, QTimeZone::utc());
                            badUntil = at.addMSecs(-stepMs);
                            reason = u"unknown"_s;
                            restartAt = at;
                        }
                        missingFromMs = -1;
                        tracker.update(*it, at);
                        if (!tracker.condition().holds(*it)) {
                            if (reason != u"breach"_s || badUntil.addMSecs(stepMs) != at)
                                badFrom = at;
                            badUntil = at;
                            reason = u"breach"_s;
                            restartAt = QDateTime();
                        } else if (!restartAt.isValid() && badUntil.isValid()) {
                            restartAt = at;
                        }
                    }
                    if (missingFromMs >= 0 && endMs - missingFromMs > toleranceMs)
                        r.unknownSince.insert(
                            key, QDateTime::fromMSecsSinceEpoch(missingFromMs, QTimeZone::utc()));
                    r.lastCheckStates.insert(key, tracker.stateAt(to));
                    if (!result.ok())
                        r.unknownSince.insert(key, holdFrom); // judged when data returns
                    qCInfo(lcEngine).noquote()
                        << environment << "back-fill" << key << values.size() << "points"
                        << (result.ok() ? QString() : result.error().toString())
                        << (badUntil.isValid()
                                ? u"last %1 %2..%3"_s.arg(reason, badFrom.toString(Qt::ISODate),
                                                          badUntil.toString(Qt::ISODate))
                                : u"no breach"_s);
                    if (restartAt.isValid() && restartAt > r.state.holdStartedAt &&
                        r.phase() == Phase::Holding) {
                        restartHold(r, restartAt,
                                    {{u"check"_s, key},
                                     {u"reason"_s, reason},
                                     {u"from"_s, badFrom.toString(Qt::ISODateWithMs)},
                                     {u"until"_s, badUntil.toString(Qt::ISODateWithMs)},
                                     {u"backfilled"_s, true}});
                    }
                    if (--*pending == 0)
                        finishBackfill();
                });
        }
    }

    // Triggers: episodes that began and ended unwatched are reported; one still on now is fed
    // to the live tracker, so the next evaluation acts on it (auto: rolls back).
    if (!hasOtelTraffic(rt.state))
        return;
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        // A compare trigger judges a window at each step: its history is its next judgement.
        if (trigger.compare)
            continue;
        ++*pending;
        const QString id = trigger.id;
        m_prometheus->queryRange(config::expandQuery(trigger.query, *rt.env), from, to, step)
            ->onFinished(this, [this, environment, id, from, to, step,
                                pending](const net::Result<backends::QueryResult> &result) {
                EnvironmentRuntime &r = runtime(environment);
                const QMap<qint64, double> values = gridValues(result);
                ConditionTracker &tracker = r.triggers[id];
                const config::Trigger *plan = nullptr;
                for (const config::Trigger &t : m_plan.rollback.triggers) {
                    if (t.id == id)
                        plan = &t;
                }
                QDateTime episodeFrom;
                double worst = std::nan("");
                auto report = [&](const QDateTime &until) {
                    audit(m_options.actorForAutomatic, u"automatic"_s, u"trigger_fired_unwatched"_s,
                          environment, id,
                          {{u"title"_s, plan->title},
                           {u"from"_s, episodeFrom.toString(Qt::ISODateWithMs)},
                           {u"until"_s, until.toString(Qt::ISODateWithMs)},
                           {u"value"_s, worst},
                           {u"condition"_s, plan->condition.toString()}});
                    notify(u"trigger"_s, environment,
                           {{u"trigger"_s, id},
                            {u"title"_s, plan->title},
                            {u"unwatched"_s, true},
                            {u"from"_s, episodeFrom.toString(Qt::ISODateWithMs)},
                            {u"until"_s, until.toString(Qt::ISODateWithMs)}},
                           std::min(plan->escalationLevel(), config::EscalationLevel::L3));
                    Q_EMIT alarm(environment, u"trigger"_s,
                                 tr("%1 fired from %2 to %3 while nobody watched")
                                     .arg(plan->title, episodeFrom.toString(Qt::ISODate),
                                          until.toString(Qt::ISODate)));
                };
                for (qint64 t = from.toMSecsSinceEpoch(); t <= to.toMSecsSinceEpoch();
                     t += step.count()) {
                    const QDateTime at = QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc());
                    const auto it = values.constFind(t);
                    tracker.update(it == values.cend() ? std::nullopt : std::optional(*it), at);
                    const bool firing = tracker.stateAt(at) == ConditionTracker::State::True;
                    if (firing && !episodeFrom.isValid()) {
                        episodeFrom = at;
                        worst = *it;
                    } else if (firing) {
                        worst = *it;
                    } else if (episodeFrom.isValid()) {
                        report(at);
                        episodeFrom = QDateTime();
                    }
                }
                // Still firing at the end: the live evaluation acts on it now.
                if (--*pending == 0)
                    finishBackfill();
            });
    }
}

void CutoverEngine::finishBackfill() {
    if (!m_backfilling)
        return;
    m_backfilling = false;
    qCInfo(lcEngine) << "back-fill done; deciding";
    if (decides()) {
        for (auto &rt : m_environments) {
            if (!operationInFlight(rt->env->name) &&
                (rt->phase() == Phase::Shifting || rt->phase() == Phase::RollingBack))
                resumeInterrupted(*rt, tr("left half done by %1").arg(rt->state.changedBy));
        }
    }
    Q_EMIT decisionChanged();
    for (auto &rt : m_environments)
        evaluateSamples(rt->env->name);
    if (m_options.monitor)
        monitorRound();
}

// --- warming up -------------------------------------------------------------------------------

void CutoverEngine::warmUpChecks(const std::function<void()> &then) {
    const QDateTime to = now();
    const qint64 stepMs = std::max<qint64>(1000, m_plan.validation.evaluationInterval.ms());
    auto pending = std::make_shared<int>(1);
    auto finishOne = [pending, then] {
        if (--*pending == 0)
            then();
    };
    for (auto &rt : m_environments) {
        const QString environment = rt->env->name;
        for (const config::Gate &gate : m_plan.gates) {
            for (const config::Check &check : gate.checks) {
                if (!check.isTracked() || check.forDuration.isZero())
                    continue;
                // Long enough to know whether the condition held for its whole `for`.
                const QDateTime from = to.addMSecs(
                    -(check.forDuration.ms() + 2 * stepMs + m_plan.validation.scrapeInterval.ms()));
                const QString key = checkKey(gate.id, check.id);
                ++*pending;
                m_prometheus
                    ->queryRange(config::expandQuery(check.historyQuery(), *rt->env), from, to,
                                 std::chrono::milliseconds(stepMs))
                    ->onFinished(this, [this, environment, key, from, to, stepMs, finishOne,
                                        condition = check.trackedCondition(),
                                        forDuration = check.forDuration](
                                           const net::Result<backends::QueryResult> &r) {
                        EnvironmentRuntime &e = runtime(environment);
                        ConditionTracker &tracker = e.checks[key];
                        // Replayed into a fresh tracker. A back-fill that answered first may
                        // have fed this one only the seconds since the last watch, less than the
                        // check's `for` (seen in CI: a command started 2 s after a desk closed
                        // refused to sign, "held 2s of 5s"). The replay may only extend a hold
                        // back in time: it replaces the tracker when it saw no breach the
                        // tracker did not, and holds from earlier; otherwise the back-fill's
                        // judgement (its breaches restart holds) stands.
                        if (r.ok()) {
                            const QMap<qint64, double> values = gridValues(r);
                            ConditionTracker replayed(condition, forDuration);
                            for (qint64 t = from.toMSecsSinceEpoch(); t <= to.toMSecsSinceEpoch();
                                 t += stepMs) {
                                const auto it = values.constFind(t);
                                replayed.update(
                                    it == values.cend() ? std::nullopt : std::optional(*it),
                                    QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc()));
                            }
                            const bool empty = !tracker.lastSampleAt().isValid();
                            const bool extendsHold =
                                tracker.lastSampleAt() <= to && tracker.holdingSince().isValid() &&
                                replayed.holdingSince().isValid() &&
                                replayed.holdingSince() < tracker.holdingSince() &&
                                (!replayed.lastBreachAt().isValid() ||
                                 (tracker.lastBreachAt().isValid() &&
                                  replayed.lastBreachAt() <= tracker.lastBreachAt()));
                            if (empty || extendsHold)
                                tracker = replayed;
                        }
                        finishOne();
                    });
            }
        }
    }
    // Bounded: a Prometheus that does not answer must not hold the live rounds back.
    QTimer::singleShot(std::max<qint64>(3000, 2 * m_plan.prometheus.timeout.ms()), this,
                       [pending, then] {
                           if (*pending > 0) {
                               *pending = -1000; // late answers change nothing now
                               then();
                           }
                       });
    finishOne();
}

// --- resuming ----------------------------------------------------------------------------------

net::Reply<QList<backends::LbWeightsRead>> *CutoverEngine::readBack(const QString &environment) {
    return runtime(environment).fleet->readWeights(m_plan.pools.legacy + m_plan.pools.otel);
}

QDateTime CutoverEngine::triggerHoldingSince(const QString &environment,
                                             const QString &trigger) const {
    const EnvironmentRuntime *rt = runtime(environment);
    if (!rt || !rt->triggers.contains(trigger))
        return {};
    return rt->triggers.value(trigger).holdingSince();
}

bool CutoverEngine::operationInFlight(const QString &environment) const {
    const EnvironmentRuntime *rt = runtime(environment);
    return rt && rt->operation && !rt->operation->isFinished();
}

void CutoverEngine::resumeInterrupted(EnvironmentRuntime &rt, const QString &why) {
    if (rt.phase() == Phase::Shifting) {
        const QString text = tr("resuming an interrupted shift of %1 (%2)").arg(rt.env->name, why);
        qCInfo(lcEngine).noquote() << text;
        audit(u"system"_s, {}, u"shift_resumed"_s, rt.env->name,
              u"stage %1"_s.arg(rt.state.stageIndex), {{u"why"_s, why}});
        Q_EMIT resumed(rt.env->name, u"shift"_s, text);
        auto *op = new Operation(Operation::Kind::Shift, rt.env->name, this);
        rt.operation = op;
        applyWeights(rt, op, weightsOf(rt.state), false, u"system"_s);
    } else if (rt.phase() == Phase::RollingBack) {
        const QString text =
            tr("resuming an interrupted rollback of %1 (%2)").arg(rt.env->name, why);
        qCInfo(lcEngine).noquote() << text;
        Q_EMIT resumed(rt.env->name, u"rollback"_s, text);
        auto *op = new Operation(Operation::Kind::Rollback, rt.env->name, this);
        // The store already holds the intent (RollingBack): no claim, finish it.
        startRollback(rt, op, u"system"_s, {}, tr("resumed: %1").arg(why), false, std::nullopt,
                      u"resumed"_s);
    }
}

void CutoverEngine::resumeStale() {
    // A shift or rollback whose engine went away mid-way (a desk closed, a command killed): once
    // it is older than anything an engine takes to finish one, the decider finishes it.
    const qint64 staleMs = std::max<qint64>(10'000, m_plan.rollback.deadline.ms()) + 5'000;
    for (auto &rt : m_environments) {
        if ((rt->phase() != Phase::Shifting && rt->phase() != Phase::RollingBack) ||
            operationInFlight(rt->env->name) || !rt->state.changedAt.isValid() ||
            rt->state.changedAt.msecsTo(now()) < staleMs)
            continue;
        resumeInterrupted(*rt, tr("no engine finished it within %1 s").arg(staleMs / 1000));
    }
}

} // namespace cutover::engine
