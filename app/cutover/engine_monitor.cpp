// The engine's time- and data-driven side: stabilization, validation, holds, triggers, drift,
// and the monitor that polls Prometheus and the load balancers.

#include "app/backends/alertmanager_client.h"
#include "app/backends/prometheus_client.h"
#include "app/backends/prometheus_types.h"
#include "app/backends/webhook_notifier.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_internal.h"
#include "app/cutover/history.h"
#include "app/store/store.h"

#include <QMetaMethod>
#include <QScopeGuard>
#include <QTimeZone>

using namespace Qt::StringLiterals;

namespace cutover::engine {

// --- time and samples --------------------------------------------------------------------------

void CutoverEngine::step() {
    if (decides())
        resumeStale();
    completeWaits();
    for (auto &rt : m_environments) {
        if (!decides() || rt->phase() != Phase::Stabilizing || rt->state.stageIndex < 0 ||
            rt->stateWritesInFlight > 0)
            continue;
        const config::Stage &stage = m_plan.stages.at(rt->state.stageIndex);
        if (rt->state.enteredAt.addMSecs(stage.stabilization.ms()) <= now()) {
            store::StageState next = rt->state;
            next.phase = phaseName(Phase::Validating);
            // enteredAt stays the time the weights were applied: validation measures from it.
            writeState(*rt, next, m_options.actorForAutomatic, u"automatic"_s,
                       u"stabilization_over"_s, {{u"percent"_s, stage.percent}});
        }
    }
    // The store watcher polls it every storePollMs and reports failures: while it reports none,
    // the store is answering.
    BackendHealth &storeHealth = m_globalHealth[u"store"_s];
    if (storeHealth.state == BackendHealth::State::Ok)
        storeHealth.lastGoodAt = now();
    for (auto &rt : m_environments)
        changed(rt->env->name); // countdowns move
}

void CutoverEngine::validate(EnvironmentRuntime &rt) {
    // A verdict waits for the state it judges to be written.
    if (rt.phase() != Phase::Validating || rt.state.stageIndex < 0 || rt.stateWritesInFlight > 0)
        return;
    // A verdict is an automatic decision; an engine that cannot see who decides may still roll
    // back on a failure (the safe direction), never pass a stage.
    if (!decides() && !decidesRollbacks())
        return;
    const config::Stage &stage = m_plan.stages.at(rt.state.stageIndex);
    // The rate window must hold only traffic under the new weights, plus one scrape.
    const QDateTime earliest = rt.state.enteredAt.addMSecs(m_plan.validation.rateWindow.ms() +
                                                           m_plan.validation.scrapeInterval.ms());
    if (!rt.measuredAt.isValid() || rt.measuredAt < earliest)
        return;
    if (!rt.measured || std::isnan(*rt.measured)) {
        if (!decides())
            return;
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
    const bool inBand = share >= stage.lowerBound() && share <= stage.upperBound();
    if (!decides() &&
        (inBand || m_plan.rollback.onValidationFailure != config::FailurePolicy::Full))
        return;
    if (inBand) {
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
                    {u"upper"_s, stage.upperBound()}});
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
                   {{u"percent"_s, stage.percent}, {u"problem"_s, why}, {u"policy"_s, u"hold"_s}});
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
        writeState(rt, next, m_options.actorForAutomatic, u"automatic"_s, u"shift_started"_s,
                   {{u"to_percent"_s, m_plan.stages.at(previous).percent}, {u"reason"_s, text}},
                   [this, &rt, weights = plan.weights](bool ok, const QString &) {
                       if (!ok)
                           return;
                       auto *op = new Operation(Operation::Kind::Shift, rt.env->name, this);
                       rt.operation = op;
                       applyWeights(rt, op, weights, false, m_options.actorForAutomatic);
                   });
        return;
    }
    auto *op = new Operation(Operation::Kind::Rollback, rt.env->name, this);
    startRollback(rt, op, m_options.actorForAutomatic, u"automatic"_s,
                  tr("validation %1").arg(text), true, std::nullopt, u"validation"_s);
}

QSet<QString> CutoverEngine::holdCheckKeys(const EnvironmentRuntime &rt) const {
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
    QSet<QString> keys;
    for (const QString &gateId : gates) {
        if (const config::Gate *gate = m_plan.gate(gateId)) {
            for (const config::Check &check : gate->checks) {
                if (check.isTracked())
                    keys.insert(checkKey(gateId, check.id));
            }
        }
    }
    return keys;
}

qint64 CutoverEngine::unknownToleranceMs() const {
    // One missed evaluation is jitter; longer without data is time nobody could judge.
    return 2 * std::max(m_plan.validation.evaluationInterval.ms(),
                        m_plan.validation.scrapeInterval.ms());
}

void CutoverEngine::restartHold(EnvironmentRuntime &rt, const QDateTime &at,
                                const QJsonObject &details) {
    store::StageState next = rt.state;
    next.holdStartedAt = at;
    QJsonObject recorded = details;
    recorded.insert(u"hold_restarted_at"_s, at.toString(Qt::ISODateWithMs));
    const QString environment = rt.env->name;
    writeState(rt, next, m_options.actorForAutomatic, u"automatic"_s, u"hold_restarted"_s, recorded,
               [this, environment, recorded](bool ok, const QString &) {
                   if (ok)
                       notify(u"hold_restarted"_s, environment, recorded);
               });
}

QString CutoverEngine::checkTitle(const QString &key) const {
    const QString gateId = key.section(u'/', 0, 0);
    const QString checkId = key.section(u'/', 1);
    if (const config::Gate *gate = m_plan.gate(gateId)) {
        for (const config::Check &c : gate->checks) {
            if (c.id == checkId)
                return gate->title + u": '"_s + c.title + u'\'';
        }
    }
    return key;
}

void CutoverEngine::checkHoldBreaches(EnvironmentRuntime &rt) {
    // While a state write is in flight the next round judges (a restart is not made twice).
    if (rt.phase() != Phase::Holding || rt.state.stageIndex < 0 ||
        !rt.state.holdStartedAt.isValid() || rt.stateWritesInFlight > 0)
        return;
    const QDateTime current = now();
    for (const QString &key : holdCheckKeys(rt)) {
        const ConditionTracker &tracker = rt.checks[key];
        const auto state = tracker.stateAt(current);
        const auto previous = rt.lastCheckStates.value(key, ConditionTracker::State::Unknown);
        rt.lastCheckStates.insert(key, state);
        const bool known =
            state == ConditionTracker::State::Pending || state == ConditionTracker::State::True;
        if (state == ConditionTracker::State::Unknown && !rt.unknownSince.contains(key))
            rt.unknownSince.insert(key, tracker.lastUsableAt().isValid() ? tracker.lastUsableAt()
                                                                         : current);
        if (!decides()) {
            if (known)
                rt.unknownSince.remove(key);
            continue; // shown by every desk, decided by one
        }
        if (previous == ConditionTracker::State::False && known) {
            // The hold measures time without a breach: it starts again now.
            restartHold(rt, current,
                        {{u"check"_s, key},
                         {u"reason"_s, u"breach"_s},
                         {u"breach_until"_s, tracker.lastBreachAt().toString(Qt::ISODateWithMs)}});
        } else if (known && rt.unknownSince.contains(key)) {
            const QDateTime since = rt.unknownSince.value(key);
            if (since.msecsTo(current) > unknownToleranceMs() && rt.state.holdStartedAt < current) {
                // Time nobody could judge never counts towards a hold.
                restartHold(rt, current,
                            {{u"check"_s, key},
                             {u"reason"_s, u"unknown"_s},
                             {u"unknown_from"_s, since.toString(Qt::ISODateWithMs)},
                             {u"unknown_until"_s, current.toString(Qt::ISODateWithMs)}});
            }
        } else if (state == ConditionTracker::State::False &&
                   previous != ConditionTracker::State::False) {
            Q_EMIT alarm(rt.env->name, u"check"_s, tr("%1 breached").arg(checkTitle(key)));
        }
        if (known)
            rt.unknownSince.remove(key);
    }
}

void CutoverEngine::evaluateTriggers(EnvironmentRuntime &rt) {
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        const ConditionTracker &tracker = rt.triggers[trigger.id];
        const auto state = tracker.stateAt(now());
        if (state != ConditionTracker::State::True) {
            if (state == ConditionTracker::State::False) {
                // The episode is over.
                if (rt.firedTriggers.remove(trigger.id))
                    changed(rt.env->name);
                rt.actedTriggers.remove(trigger.id);
            }
            continue;
        }
        if (!hasOtelTraffic(rt.state))
            continue;
        if (!rt.firedTriggers.contains(trigger.id)) {
            rt.firedTriggers.insert(trigger.id); // every desk shows it
            changed(rt.env->name);
        }
        const bool automatic = trigger.action == config::Trigger::Action::Auto;
        if (rt.actedTriggers.contains(trigger.id) ||
            !(decides() || (automatic && decidesRollbacks())))
            continue;
        rt.actedTriggers.insert(trigger.id);
        // A decider that took over mid-episode: its predecessor already acted on it.
        const QDateTime episodeStart = tracker.holdingSince();
        const QDateTime firedBefore = m_triggerFiredAt.value(rt.env->name + u'/' + trigger.id);
        if (firedBefore.isValid() && episodeStart.isValid() &&
            firedBefore >= episodeStart.addMSecs(-m_plan.validation.evaluationInterval.ms()))
            continue;
        const double value = tracker.lastValue().value_or(std::nan(""));
        if (automatic && rt.phase() != Phase::RollingBack) {
            // The rollback first (its claim is the one write before the load balancers); its
            // notification is the incident (one per event).
            auto *op = new Operation(Operation::Kind::Rollback, rt.env->name, this);
            startRollback(rt, op, m_options.actorForAutomatic, u"automatic"_s,
                          tr("trigger '%1' fired (%2)").arg(trigger.title).arg(value), true,
                          trigger.escalationLevel(), u"trigger:"_s + trigger.id);
        }
        audit(m_options.actorForAutomatic, u"automatic"_s, u"trigger_fired"_s, rt.env->name,
              trigger.id,
              {{u"title"_s, trigger.title},
               {u"value"_s, value},
               {u"condition"_s, trigger.condition.toString()},
               {u"action"_s, automatic ? u"auto"_s : u"prompt"_s},
               {u"level"_s, config::escalationLevelName(trigger.escalationLevel())}});
        Q_EMIT alarm(
            rt.env->name, u"trigger"_s,
            tr("%1: %2 %3").arg(trigger.title).arg(value).arg(trigger.condition.toString()));
        if (!automatic) {
            notify(u"trigger"_s, rt.env->name,
                   {{u"trigger"_s, trigger.id},
                    {u"title"_s, trigger.title},
                    {u"value"_s, value},
                    {u"condition"_s, trigger.condition.toString()}},
                   trigger.escalationLevel());
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

void CutoverEngine::recordCompareSamples(const QString &environment, const QString &gate,
                                         const QString &check, const QDateTime &at,
                                         const QList<double> &legacy, const QList<double> &otel) {
    CompareSamples samples;
    samples.legacy = legacy;
    samples.otel = otel;
    samples.end = at;
    samples.start = at;
    recordCompareSamples(environment, gate, check, samples);
}

void CutoverEngine::recordCompareSamples(const QString &environment, const QString &gate,
                                         const QString &check, const CompareSamples &samples) {
    EnvironmentRuntime &rt = runtime(environment);
    const config::Gate *g = m_plan.gate(gate);
    if (!g)
        return;
    for (const config::Check &c : g->checks) {
        if (c.id == check && c.kind == config::Check::Kind::Compare)
            rt.compares.insert(checkKey(gate, check), judgeCompare(c.compare, samples));
    }
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
    // While a new decider back-fills the unwatched time, live samples would interleave with
    // older ones in the trackers: they wait (a back-fill takes a few queries).
    if (!m_prometheus || m_backfilling)
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
            if (allDone) {
                markEvaluated();
                Q_EMIT monitorRoundFinished();
            }
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
            if (check.kind == config::Check::Kind::AlertDelivery) {
                ++rt.pendingQueries;
                queryAlertDelivery(rt, gate.id, check, issuedAt, finishedOne);
                continue;
            }
            if (check.kind == config::Check::Kind::Compare) {
                // A window of samples at `step`: asked again only once a step has passed.
                const QString key = checkKey(gate.id, check.id);
                const QDateTime asked = rt.compareAsked.value(key);
                if (asked.isValid() && asked.msecsTo(issuedAt) < check.compare.step.ms())
                    continue;
                rt.compareAsked.insert(key, issuedAt);
                ++rt.pendingQueries;
                queryCompare(rt, gate.id, check, issuedAt, finishedOne);
                continue;
            }
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
        const QString id = trigger.id;
        if (trigger.compare) {
            // Judged over its window once a step: 1 while legacy and OTel differ, 0 while they
            // do not, no sample on nodata (never counts toward `for`).
            const QString key = u"trigger/"_s + id;
            const QDateTime asked = rt.compareAsked.value(key);
            if (asked.isValid() && asked.msecsTo(issuedAt) < trigger.compare->step.ms())
                continue;
            rt.compareAsked.insert(key, issuedAt);
            ++rt.pendingQueries;
            queryCompareSamples(
                *m_prometheus, *trigger.compare, *rt.env, issuedAt, this,
                [this, environment, id, spec = *trigger.compare,
                 finishedOne](const CompareSamples &samples) {
                    const CompareOutcome outcome = judgeCompare(spec, samples);
                    std::optional<double> value;
                    if (outcome.result.verdict != analysis::Verdict::NoData)
                        value = outcome.result.verdict == analysis::Verdict::Pass ? 0.0 : 1.0;
                    runtime(environment).compares.insert(u"trigger/"_s + id, outcome);
                    recordTriggerSample(environment, id, samples.end, value);
                    finishedOne();
                });
            continue;
        }
        ++rt.pendingQueries;
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

void CutoverEngine::queryAlertDelivery(EnvironmentRuntime &rt, const QString &gate,
                                       const config::Check &check, const QDateTime &issuedAt,
                                       const std::function<void()> &done) {
    const QString environment = rt.env->name;
    const QString checkId = check.id;
    if (!m_alertmanager) {
        recordCheckSample(environment, gate, checkId, issuedAt, std::nullopt);
        done();
        return;
    }
    // Both answers are needed: the alert active (and routed) in Alertmanager, and Alertmanager's
    // own counters saying it delivered notifications within the window.
    struct Pending {
        std::optional<config::AlertDeliveryCode> alertState; // set when the alert is not fine
        bool alertKnown = false;
        std::optional<double> delivered;
        int answers = 0;
    };
    auto pending = std::make_shared<Pending>();
    auto judge = [this, environment, gate, checkId, issuedAt, pending, done] {
        if (++pending->answers < 2)
            return;
        std::optional<double> value;
        if (pending->alertKnown) {
            if (pending->alertState)
                value = double(*pending->alertState);
            else if (pending->delivered)
                value = double(*pending->delivered > 0 ? config::AlertDeliveryCode::Delivered
                                                       : config::AlertDeliveryCode::NotDelivered);
        }
        recordCheckSample(environment, gate, checkId, issuedAt, value);
        done();
    };
    backends::AlertFilter filter;
    filter.active = true;
    filter.matchers = {u"alertname=\"%1\""_s.arg(check.alertName)};
    const QString receiver = check.receiver;
    m_alertmanager->alerts(filter)->onFinished(
        this, [this, pending, judge, receiver](const net::Result<QList<backends::Alert>> &r) {
            setGlobalHealth(u"alertmanager"_s, r.ok(), r.ok() ? QString() : r.error().toString());
            if (r.ok()) {
                pending->alertKnown = true;
                bool active = false;
                bool routed = receiver.isEmpty();
                for (const backends::Alert &alert : r.value()) {
                    if (alert.state != u"active"_s)
                        continue;
                    active = true;
                    routed = routed || alert.receivers.contains(receiver);
                }
                if (!active)
                    pending->alertState = config::AlertDeliveryCode::NotActive;
                else if (!routed)
                    pending->alertState = config::AlertDeliveryCode::NotRouted;
            }
            judge();
        });
    const QString query = config::expandQuery(check.deliveryExpression(), *rt.env);
    m_prometheus->query(query)->onFinished(
        this, [pending, judge](const net::Result<backends::QueryResult> &r) {
            if (r.ok() && !std::isnan(r.value().singleValue()))
                pending->delivered = r.value().singleValue();
            judge();
        });
}

void CutoverEngine::queryCompare(EnvironmentRuntime &rt, const QString &gate,
                                 const config::Check &check, const QDateTime &issuedAt,
                                 const std::function<void()> &done) {
    const QString environment = rt.env->name;
    queryCompareSamples(
        *m_prometheus, check.compare, *rt.env, issuedAt, this,
        [this, environment, gate, checkId = check.id, done](const CompareSamples &samples) {
            recordCompareSamples(environment, gate, checkId, samples);
            done();
        });
}

void CutoverEngine::requestPanelHistory(const QString &environment,
                                        std::chrono::milliseconds span) {
    const EnvironmentRuntime *rt = std::as_const(*this).runtime(environment);
    if (!rt || !m_prometheus || span.count() <= 0)
        return;
    constexpr qint64 kMaxPoints = 4'320; // 6 h at 5 s
    const qint64 stepMs =
        std::max<qint64>({m_plan.validation.scrapeInterval.ms(), span.count() / kMaxPoints, 1000});
    const QDateTime end = now();
    const QDateTime start = end.addMSecs(-span.count());
    for (const config::PanelGroup &group : m_plan.panelGroups) {
        for (const config::Panel &panel : group.panels) {
            const QString id = panel.id;
            m_prometheus
                ->queryRange(config::expandQuery(panel.query, *rt->env), start, end,
                             std::chrono::milliseconds(stepMs))
                ->onFinished(this,
                             [this, environment, id](const net::Result<backends::QueryResult> &r) {
                                 if (r.ok())
                                     Q_EMIT panelHistory(environment, id, r.value().matrix);
                             });
        }
    }
}

void CutoverEngine::checkDrift(EnvironmentRuntime &rt) {
    // Read back even while a shift runs (the LBs' health matters most then); only the
    // comparison waits until the weights are meant to be stable.
    rt.lastDriftAt = now();
    QMap<QString, int> intendedWeights = weightsOf(rt.state);
    QStringList servers = m_plan.pools.legacy + m_plan.pools.otel;
    // Servers the decommission deleted are gone from HAProxy: asking for their weight would make
    // every read fail ("No such server") and show healthy LBs as down.
    if (hasDecommission()) {
        for (const QString &removed : m_decommission.progress(rt.env->name).serversRemoved()) {
            servers.removeAll(removed);
            intendedWeights.remove(removed);
        }
    }
    const QString environment = rt.env->name;
    ++rt.pendingQueries;
    rt.fleet->readWeights(servers)->onFinished(this, [this, environment, intendedWeights](
                                                         const net::Result<QList<
                                                             backends::LbWeightsRead>> &result) {
        EnvironmentRuntime &r = runtime(environment);
        auto done = qScopeGuard([&] {
            if (--r.pendingQueries == 0) {
                // The round's last answer: judge it now, whichever query came last.
                evaluateSamples(environment);
                bool allDone = true;
                for (const auto &other : m_environments)
                    allDone = allDone && other->pendingQueries == 0;
                if (allDone) {
                    markEvaluated();
                    Q_EMIT monitorRoundFinished();
                }
            }
        });
        if (!result.ok())
            return;
        QStringList alarms;
        const QMap<QString, int> rollbackWeights =
            backends::rollbackWeights(m_plan.pools.legacy, m_plan.pools.otel).weights;
        bool allHoldRollback = !intendedWeights.isEmpty() && intendedWeights != rollbackWeights;
        for (const backends::LbWeightsRead &read : result.value()) {
            setBackendHealth(r, read.lb, !read.error,
                             read.error ? read.error->toString() : QString());
            if (read.error) {
                allHoldRollback = false; // unknown is not "rolled back"
                continue;
            }
            r.observed.insert(read.lb, read.weights);
            allHoldRollback = allHoldRollback &&
                              backends::compareWeights(rollbackWeights, read.weights).isEmpty();
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
        if (alarms.isEmpty() || !fresh || !decides())
            return; // every desk shows drift; one decides what to do about it
        audit(m_options.actorForAutomatic, u"automatic"_s, u"drift_detected"_s, environment, {},
              {{u"differences"_s, QJsonArray::fromStringList(alarms)}});
        notify(u"drift"_s, environment, {{u"differences"_s, QJsonArray::fromStringList(alarms)}});
        Q_EMIT alarm(environment, u"drift"_s, alarms.join(u"; "_s));
        // Never put traffic back on OTel over a rollback: when every LB holds the rollback
        // weights, a desk that could not reach the store (or an engineer at the runtime API)
        // rolled back, and re-asserting the stored stage would undo that emergency action.
        if (allHoldRollback) {
            audit(m_options.actorForAutomatic, u"automatic"_s, u"drift_not_reasserted"_s,
                  environment, {},
                  {{u"reason"_s, u"the load balancers hold the rollback weights"_s}});
            Q_EMIT alarm(environment, u"drift"_s,
                         tr("every load balancer holds the rollback weights, but the store says "
                            "otherwise: not re-asserted (a rollback that was not recorded?)"));
            return;
        }
        if (m_plan.drift.policyFor(r.phase() == Phase::Complete) ==
                config::DriftConfig::Policy::Reassert &&
            !m_options.dryRun) {
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

} // namespace cutover::engine
