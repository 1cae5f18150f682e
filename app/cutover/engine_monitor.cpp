// The engine's time- and data-driven side: stabilization, validation, holds, triggers, drift,
// and the monitor that polls Prometheus and the load balancers.

#include "app/backends/prometheus_client.h"
#include "app/backends/prometheus_types.h"
#include "app/backends/webhook_notifier.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_internal.h"
#include "app/store/store.h"

#include <QMetaMethod>
#include <QScopeGuard>

using namespace Qt::StringLiterals;

namespace cutover::engine {

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
    // The store watcher polls it every storePollMs and reports failures: while it reports none,
    // the store is answering.
    BackendHealth &storeHealth = m_globalHealth[u"store"_s];
    if (storeHealth.state == BackendHealth::State::Ok)
        storeHealth.lastGoodAt = now();
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
        if (alarms.isEmpty() || !fresh)
            return;
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
