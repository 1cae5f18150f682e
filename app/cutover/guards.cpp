#include "app/cutover/guards.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {

using config::Permission;

QString stageLabel(const config::Plan &plan, int index) {
    if (index < 0 || index >= plan.stages.size())
        return u"0%"_s;
    return QString::number(plan.stages.at(index).percent) + u'%';
}

const GateStatus *findStatus(const GuardInputs &in, const QString &gate) {
    for (const GateStatus &status : in.gates) {
        if (status.id == gate)
            return &status;
    }
    return nullptr;
}

// Why an earlier environment has not validated `stage` yet; empty when it has.
QString notValidatedYet(const config::Plan &plan, const store::StageState *state, int stage) {
    if (!state)
        return u"is at 0%"_s;
    const Phase phase = phaseFromName(state->phase).value_or(Phase::Holding);
    const int at = phase == Phase::RolledBack ? -1 : state->stageIndex;
    const QString where = u"is at %1, %2"_s.arg(stageLabel(plan, at), phaseName(phase));
    if (phase == Phase::RollingBack || phase == Phase::RolledBack)
        return where;
    if (at < stage)
        return where;
    if (at > stage)
        return {};
    // At that stage: validated means holding (or complete) with a passed validation.
    const bool failed = state->intendedWeights.value(u"validation_failed"_s).toBool();
    if ((phase == Phase::Holding || phase == Phase::Complete) && !failed &&
        state->holdStartedAt.isValid())
        return {};
    return where + (failed ? u" (validation failed)"_s : u" (not validated)"_s);
}

bool beforeFirstStage(const GuardInputs &in) {
    return in.state.stageIndex < 0 || in.phase == Phase::RolledBack;
}

void permission(QStringList &reasons, const Operator &who, const config::Plan &plan,
                Permission needed) {
    if (!who.may(plan, needed)) {
        reasons.append(u"%1 (%2) may not %3: no role of theirs has the '%3' permission"_s.arg(
            who.name, who.roles.join(u", "_s), config::permissionName(needed)));
    }
}

void store(QStringList &reasons, const GuardInputs &in, const QString &what) {
    if (!in.storeAvailable)
        reasons.append(
            u"the store is unavailable (%1): %2 cannot be recorded"_s.arg(in.storeProblem, what));
}

QStringList shiftGuards(const Operator &who, const GuardInputs &in) {
    const config::Plan &plan = *in.plan;
    QStringList reasons;
    permission(reasons, who, plan, Permission::Shift);
    store(reasons, in, u"a shift"_s);

    if (isBusy(in.phase)) {
        reasons.append(
            u"%1 is %2: wait until it ends"_s.arg(in.environment, phaseName(in.phase).toLower()));
        return reasons;
    }
    const int current = beforeFirstStage(in) ? -1 : in.state.stageIndex;
    const int next = current + 1;
    if (next >= plan.stages.size() || in.phase == Phase::Complete) {
        reasons.append(u"%1 is at 100%: the cutover is complete"_s.arg(in.environment));
        return reasons;
    }
    if (in.validationFailed) {
        reasons.append(u"the validation at %1 failed: roll back, or have it re-validated"_s.arg(
            stageLabel(plan, current)));
    }

    // Progressive by environment: an environment goes to a stage only once every earlier one
    // has *validated* it (or a later one) and is not rolling back.
    for (const config::Environment &env : plan.environments) {
        if (env.name == in.environment)
            break;
        const auto other =
            std::find_if(in.allEnvironments.cbegin(), in.allEnvironments.cend(),
                         [&](const store::StageState &s) { return s.environment == env.name; });
        if (const QString why =
                notValidatedYet(plan, other == in.allEnvironments.cend() ? nullptr : &*other, next);
            !why.isEmpty())
            reasons.append(u"%1 %2: %3 may not go to %4 before %1 has validated it"_s.arg(
                env.name, why, in.environment, stageLabel(plan, next)));
    }

    for (const QString &gateId : gatesBeforeNextShift(plan, current)) {
        const GateStatus *status = findStatus(in, gateId);
        if (!status) {
            const config::Gate *gate = plan.gate(gateId);
            reasons.append(u"%1: status not known yet"_s.arg(gate ? gate->title : gateId));
            continue;
        }
        reasons.append(status->blockers());
    }

    if (current >= 0) {
        const config::Stage &stage = plan.stages.at(current);
        if (!in.state.holdStartedAt.isValid()) {
            reasons.append(u"%1 has not been validated yet: the hold of %2 has not started"_s.arg(
                stageLabel(plan, current), stage.hold.toString()));
        } else {
            const qint64 left = stage.hold.ms() - in.state.holdStartedAt.msecsTo(in.now);
            if (left > 0) {
                reasons.append(u"hold at %1: %2 left (until %3)"_s.arg(
                    stageLabel(plan, current), formatSpan(left),
                    in.now.addMSecs(left).toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s)));
            }
        }
    }

    for (const BackendHealth &backend : in.backends) {
        if (backend.state == BackendHealth::State::Down ||
            backend.state == BackendHealth::State::Unknown) {
            QString reason = backend.state == BackendHealth::State::Down
                                 ? u"%1 is unreachable"_s.arg(backend.name)
                                 : u"%1 has not answered yet"_s.arg(backend.name);
            if (!backend.problem.isEmpty())
                reason += u": "_s + backend.problem;
            if (backend.lastGoodAt.isValid())
                reason += u" (last good answer %1 ago)"_s.arg(
                    formatSpan(backend.lastGoodAt.msecsTo(in.now)));
            reasons.append(reason);
        }
    }
    for (const QString &trigger : in.firingTriggers)
        reasons.append(u"trigger firing: %1"_s.arg(trigger));
    for (const QString &drift : in.driftAlarms)
        reasons.append(u"weights drifted: %1"_s.arg(drift));
    return reasons;
}

QStringList stepBackGuards(const Operator &who, const GuardInputs &in, const GuardTarget &target) {
    const config::Plan &plan = *in.plan;
    QStringList reasons;
    permission(reasons, who, plan, Permission::Shift);
    store(reasons, in, u"a step back"_s);
    if (isBusy(in.phase)) {
        reasons.append(
            u"%1 is %2: wait until it ends"_s.arg(in.environment, phaseName(in.phase).toLower()));
        return reasons;
    }
    const int current = beforeFirstStage(in) ? -1 : in.state.stageIndex;
    QStringList earlier;
    for (int i = 0; i < current; ++i)
        earlier.append(stageLabel(plan, i));
    if (earlier.isEmpty()) {
        reasons.append(u"%1 is at %2: there is no earlier stage to step back to (Rollback "
                       u"returns to 0%)"_s.arg(in.environment, stageLabel(plan, current)));
        return reasons;
    }
    bool known = false;
    for (int i = 0; i < current; ++i)
        known = known || plan.stages.at(i).percent == target.percent;
    if (!known)
        reasons.append(u"step back to %1%: the earlier stages of %2 are %3"_s.arg(target.percent)
                           .arg(in.environment, earlier.join(u", "_s)));
    return reasons;
}

QStringList rollbackGuards(const Operator &who, const GuardInputs &in) {
    // Only the role can refuse a rollback: never a backend that looks down, never the store
    // (the rollback runs and reports per load balancer).
    QStringList reasons;
    permission(reasons, who, *in.plan, Permission::Rollback);
    if (in.phase == Phase::RollingBack)
        reasons.append(u"a rollback of %1 is already running"_s.arg(in.environment));
    return reasons;
}

QStringList tickGuards(const Operator &who, const GuardInputs &in, const GuardTarget &target) {
    const config::Plan &plan = *in.plan;
    QStringList reasons;
    permission(reasons, who, plan, Permission::Tick);
    const config::Gate *gate = plan.gate(target.gate);
    if (!gate)
        return reasons << u"no gate '%1' in the plan"_s.arg(target.gate);
    const auto check = std::find_if(gate->checks.cbegin(), gate->checks.cend(),
                                    [&](const config::Check &c) { return c.id == target.check; });
    if (check == gate->checks.cend())
        return reasons << u"no item '%1' in %2"_s.arg(target.check, gate->title);
    if (check->kind != config::Check::Kind::Manual) {
        return reasons << u"'%1' is checked automatically: it cannot be ticked"_s.arg(check->title);
    }
    if (!who.roles.contains(check->role))
        reasons.append(u"'%1' is ticked by %2; %3 is %4"_s.arg(check->title, check->role, who.name,
                                                               who.roles.join(u", "_s)));
    if (const GateStatus *status = findStatus(in, gate->id)) {
        for (const CheckStatus &c : status->checks) {
            if (c.id == check->id && c.state == CheckStatus::State::Pass)
                reasons.append(u"'%1' is already ticked by %2 at %3"_s.arg(
                    check->title, c.tickedBy, c.tickedAt.toString(Qt::ISODate)));
        }
    }
    store(reasons, in, u"a tick"_s);
    return reasons;
}

QStringList signGuards(const Operator &who, const GuardInputs &in, const GuardTarget &target) {
    const config::Plan &plan = *in.plan;
    QStringList reasons;
    permission(reasons, who, plan, Permission::Sign);
    store(reasons, in, u"a signature"_s);
    const config::Gate *gate = plan.gate(target.gate);
    if (!gate)
        return reasons << u"no gate '%1' in the plan"_s.arg(target.gate);
    QString role = target.role;
    if (role.isEmpty()) {
        for (const QString &r : who.roles) {
            if (gate->signOff.contains(r)) {
                role = r;
                break;
            }
        }
    }
    if (role.isEmpty() || !gate->signOff.contains(role) || !who.roles.contains(role)) {
        reasons.append(u"%1 is signed by %2; %3 is %4"_s.arg(
            gate->title, gate->signOff.join(u", "_s), who.name, who.roles.join(u", "_s)));
    }
    const int current = beforeFirstStage(in) ? -1 : in.state.stageIndex;
    if (isBusy(in.phase)) {
        reasons.append(
            u"%1 is %2: sign when it holds"_s.arg(in.environment, phaseName(in.phase).toLower()));
    } else if (!gatesBeforeNextShift(plan, current).contains(gate->id)) {
        reasons.append(u"%1 is not signed now: %2 is at %3"_s.arg(gate->title, in.environment,
                                                                  stageLabel(plan, current)));
    } else if (plan.signsAfterStability(gate->id)) {
        // The signature attests the stability the gate's title promises: only once the hold has
        // been watched to its end with no breach (a breach or unwatched time restarts it).
        const config::Stage &stage = plan.stages.at(current);
        if (!in.state.holdStartedAt.isValid()) {
            reasons.append(u"%1 attests %2 of stability at %3: the hold has not started (%3 not "
                           u"validated yet)"_s.arg(gate->title, stage.hold.toString(),
                                                   stageLabel(plan, current)));
        } else if (const qint64 left = stage.hold.ms() - in.state.holdStartedAt.msecsTo(in.now);
                   left > 0) {
            reasons.append(
                u"%1 attests %2 of stability at %3: %4 left (observed since %5, signable at %6)"_s
                    .arg(gate->title, stage.hold.toString(), stageLabel(plan, current),
                         formatSpan(left),
                         in.state.holdStartedAt.toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s),
                         in.now.addMSecs(left).toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s)));
        }
    }
    if (const GateStatus *status = findStatus(in, gate->id)) {
        for (const SignatureStatus &s : status->signatures) {
            if (s.role == role && s.signOff)
                reasons.append(u"%1 is already signed as %2 by %3 at %4"_s.arg(
                    gate->title, role, s.signOff->printedName,
                    s.signOff->at.toString(Qt::ISODate)));
        }
        reasons.append(status->checkBlockers());
        if (status->isMarginal() && !target.acknowledgesMarginal)
            reasons.append(u"%1: %2 A signature must acknowledge it and say why in the "
                           u"comment"_s.arg(gate->title, status->score->reason));
    } else {
        reasons.append(u"%1: status not known yet"_s.arg(gate->title));
    }
    return reasons;
}

} // namespace

QString actionName(Action action) {
    switch (action) {
    case Action::Shift:
        return u"shift"_s;
    case Action::Rollback:
        return u"rollback"_s;
    case Action::Tick:
        return u"tick"_s;
    case Action::Sign:
        return u"sign"_s;
    case Action::StepBack:
        return u"step back"_s;
    }
    return QString();
}

QString Operator::roleFor(const config::Plan &plan, config::Permission permission) const {
    for (const QString &roleName : roles) {
        const config::Role *role = plan.role(roleName);
        if (role && role->grants(permission))
            return roleName;
    }
    return QString();
}

QStringList gatesBeforeNextShift(const config::Plan &plan, int stageIndex) {
    if (stageIndex < 0)
        return plan.preCutoverGate.isEmpty() ? QStringList() : QStringList{plan.preCutoverGate};
    if (stageIndex >= plan.stages.size())
        return {};
    return plan.stages.at(stageIndex).gates;
}

QStringList guards(Action action, const Operator &who, const GuardInputs &in,
                   const GuardTarget &target) {
    Q_ASSERT(in.plan);
    switch (action) {
    case Action::Shift:
        return shiftGuards(who, in);
    case Action::Rollback:
        return rollbackGuards(who, in);
    case Action::Tick:
        return tickGuards(who, in, target);
    case Action::Sign:
        return signGuards(who, in, target);
    case Action::StepBack:
        return stepBackGuards(who, in, target);
    }
    return {};
}

} // namespace cutover::engine
