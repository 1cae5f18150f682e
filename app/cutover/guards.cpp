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

void permission(Refusals &reasons, const Operator &who, const config::Plan &plan,
                Permission needed) {
    if (!who.may(plan, needed)) {
        reasons.append({RefusalCode::NoPermission,
                        {{u"operator"_s, who.name},
                         {u"roles"_s, who.roles.join(u", "_s)},
                         {u"permission"_s, config::permissionName(needed)}}});
    }
}

void store(Refusals &reasons, const GuardInputs &in, const QString &action) {
    if (!in.storeAvailable)
        reasons.append({RefusalCode::StoreUnavailable,
                        {{u"problem"_s, in.storeProblem}, {u"action"_s, action}}});
}

Refusal busy(const GuardInputs &in, const QString &action) {
    return {RefusalCode::EnvironmentBusy,
            {{u"environment"_s, in.environment},
             {u"phase"_s, phaseName(in.phase).toLower()},
             {u"action"_s, action}}};
}

Refusals shiftGuards(const Operator &who, const GuardInputs &in) {
    const config::Plan &plan = *in.plan;
    Refusals reasons;
    permission(reasons, who, plan, Permission::Shift);
    store(reasons, in, u"shift"_s);

    if (isBusy(in.phase)) {
        reasons.append(busy(in, u"shift"_s));
        return reasons;
    }
    const int current = beforeFirstStage(in) ? -1 : in.state.stageIndex;
    const int next = current + 1;
    if (next >= plan.stages.size() || in.phase == Phase::Complete) {
        reasons.append({RefusalCode::CutoverComplete, {{u"environment"_s, in.environment}}});
        return reasons;
    }
    if (in.validationFailed)
        reasons.append({RefusalCode::ValidationFailed, {{u"stage"_s, stageLabel(plan, current)}}});

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
            reasons.append({RefusalCode::EarlierEnvironmentFirst,
                            {{u"earlier"_s, env.name},
                             {u"situation"_s, why},
                             {u"environment"_s, in.environment},
                             {u"stage"_s, stageLabel(plan, next)}}});
    }

    for (const QString &gateId : gatesBeforeNextShift(plan, current)) {
        const GateStatus *status = findStatus(in, gateId);
        if (!status) {
            const config::Gate *gate = plan.gate(gateId);
            reasons.append({RefusalCode::GateStatusUnknown,
                            {{u"gate"_s, gate ? gate->title : gateId}, {u"gate_id"_s, gateId}}});
            continue;
        }
        reasons.append(status->blockerRefusals());
    }

    if (current >= 0) {
        const config::Stage &stage = plan.stages.at(current);
        if (!in.state.holdStartedAt.isValid()) {
            reasons.append(
                {RefusalCode::StageNotValidated,
                 {{u"stage"_s, stageLabel(plan, current)}, {u"hold"_s, stage.hold.toString()}}});
        } else {
            const qint64 left = stage.hold.ms() - in.state.holdStartedAt.msecsTo(in.now);
            if (left > 0) {
                reasons.append({RefusalCode::HoldTimeLeft,
                                {{u"stage"_s, stageLabel(plan, current)},
                                 {u"left_ms"_s, left},
                                 {u"until"_s, in.now.addMSecs(left)}}});
            }
        }
    }

    for (const BackendHealth &backend : in.backends) {
        if (backend.state == BackendHealth::State::Down ||
            backend.state == BackendHealth::State::Unknown) {
            reasons.append({backend.state == BackendHealth::State::Down
                                ? RefusalCode::BackendUnreachable
                                : RefusalCode::BackendNotAnswered,
                            {{u"backend"_s, backend.name},
                             {u"problem"_s, backend.problem},
                             {u"last_good_ms_ago"_s, backend.lastGoodAt.isValid()
                                                         ? backend.lastGoodAt.msecsTo(in.now)
                                                         : qint64(-1)}}});
        }
    }
    for (const QString &trigger : in.firingTriggers)
        reasons.append({RefusalCode::TriggerFiring, {{u"trigger"_s, trigger}}});
    for (const QString &drift : in.driftAlarms)
        reasons.append({RefusalCode::WeightsDrifted, {{u"drift"_s, drift}}});
    return reasons;
}

Refusals stepBackGuards(const Operator &who, const GuardInputs &in, const GuardTarget &target) {
    const config::Plan &plan = *in.plan;
    Refusals reasons;
    permission(reasons, who, plan, Permission::Shift);
    store(reasons, in, u"step_back"_s);
    if (isBusy(in.phase)) {
        reasons.append(busy(in, u"step_back"_s));
        return reasons;
    }
    const int current = beforeFirstStage(in) ? -1 : in.state.stageIndex;
    QStringList earlier;
    for (int i = 0; i < current; ++i)
        earlier.append(stageLabel(plan, i));
    if (earlier.isEmpty()) {
        reasons.append(
            {RefusalCode::NoEarlierStage,
             {{u"environment"_s, in.environment}, {u"stage"_s, stageLabel(plan, current)}}});
        return reasons;
    }
    bool known = false;
    for (int i = 0; i < current; ++i)
        known = known || plan.stages.at(i).percent == target.percent;
    if (!known)
        reasons.append({RefusalCode::NotAnEarlierStage,
                        {{u"percent"_s, target.percent},
                         {u"environment"_s, in.environment},
                         {u"earlier"_s, earlier.join(u", "_s)}}});
    return reasons;
}

Refusals rollbackGuards(const Operator &who, const GuardInputs &in) {
    // Only the role can refuse a rollback: never a backend that looks down, never the store
    // (the rollback runs and reports per load balancer) - and a decommission that has removed
    // the legacy servers, which no rollback can bring back.
    Refusals reasons;
    permission(reasons, who, *in.plan, Permission::Rollback);
    if (in.pointOfNoReturn)
        reasons.append(pastPointOfNoReturn(in.environment, *in.pointOfNoReturn));
    if (in.phase == Phase::RollingBack)
        reasons.append({RefusalCode::RollbackRunning, {{u"environment"_s, in.environment}}});
    return reasons;
}

Refusals tickGuards(const Operator &who, const GuardInputs &in, const GuardTarget &target) {
    const config::Plan &plan = *in.plan;
    Refusals reasons;
    permission(reasons, who, plan, Permission::Tick);
    const config::Gate *gate = plan.gate(target.gate);
    if (!gate)
        return reasons << Refusal{RefusalCode::UnknownGate, {{u"gate"_s, target.gate}}};
    const auto check = std::find_if(gate->checks.cbegin(), gate->checks.cend(),
                                    [&](const config::Check &c) { return c.id == target.check; });
    if (check == gate->checks.cend())
        return reasons << Refusal{RefusalCode::UnknownCheck,
                                  {{u"check"_s, target.check}, {u"gate"_s, gate->title}}};
    if (check->kind != config::Check::Kind::Manual)
        return reasons << Refusal{RefusalCode::CheckIsAutomatic, {{u"check"_s, check->title}}};
    if (!who.roles.contains(check->role))
        reasons.append({RefusalCode::TickedByAnotherRole,
                        {{u"check"_s, check->title},
                         {u"role"_s, check->role},
                         {u"operator"_s, who.name},
                         {u"roles"_s, who.roles.join(u", "_s)}}});
    if (const GateStatus *status = findStatus(in, gate->id)) {
        for (const CheckStatus &c : status->checks) {
            if (c.id == check->id && c.state == CheckStatus::State::Pass)
                reasons.append(
                    {RefusalCode::AlreadyTicked,
                     {{u"check"_s, check->title}, {u"by"_s, c.tickedBy}, {u"at"_s, c.tickedAt}}});
        }
    }
    store(reasons, in, u"tick"_s);
    return reasons;
}

Refusals signGuards(const Operator &who, const GuardInputs &in, const GuardTarget &target) {
    const config::Plan &plan = *in.plan;
    Refusals reasons;
    permission(reasons, who, plan, Permission::Sign);
    store(reasons, in, u"sign"_s);
    const config::Gate *gate = plan.gate(target.gate);
    if (!gate)
        return reasons << Refusal{RefusalCode::UnknownGate, {{u"gate"_s, target.gate}}};
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
        reasons.append({RefusalCode::SignedByAnotherRole,
                        {{u"gate"_s, gate->title},
                         {u"roles"_s, gate->signOff.join(u", "_s)},
                         {u"operator"_s, who.name},
                         {u"operator_roles"_s, who.roles.join(u", "_s)}}});
    }
    const int current = beforeFirstStage(in) ? -1 : in.state.stageIndex;
    if (isBusy(in.phase)) {
        reasons.append(busy(in, u"sign"_s));
    } else if (!gatesBeforeNextShift(plan, current).contains(gate->id) &&
               !(gate->id == plan.decommission.approvalGate && in.phase == Phase::Complete)) {
        // The decommission's approval is signed once the cutover is complete, and only then.
        reasons.append({RefusalCode::GateNotSignedNow,
                        {{u"gate"_s, gate->title},
                         {u"environment"_s, in.environment},
                         {u"stage"_s, stageLabel(plan, current)}}});
    } else if (plan.signsAfterStability(gate->id)) {
        // The signature attests the stability the gate's title promises: only once the hold has
        // been watched to its end with no breach (a breach or unwatched time restarts it).
        const config::Stage &stage = plan.stages.at(current);
        if (!in.state.holdStartedAt.isValid()) {
            reasons.append({RefusalCode::StabilityHoldNotStarted,
                            {{u"gate"_s, gate->title},
                             {u"hold"_s, stage.hold.toString()},
                             {u"stage"_s, stageLabel(plan, current)}}});
        } else if (const qint64 left = stage.hold.ms() - in.state.holdStartedAt.msecsTo(in.now);
                   left > 0) {
            reasons.append({RefusalCode::StabilityTimeLeft,
                            {{u"gate"_s, gate->title},
                             {u"hold"_s, stage.hold.toString()},
                             {u"stage"_s, stageLabel(plan, current)},
                             {u"left_ms"_s, left},
                             {u"since"_s, in.state.holdStartedAt},
                             {u"until"_s, in.now.addMSecs(left)}}});
        }
    }
    if (const GateStatus *status = findStatus(in, gate->id)) {
        for (const SignatureStatus &s : status->signatures) {
            if (s.role == role && s.signOff)
                reasons.append({RefusalCode::AlreadySigned,
                                {{u"gate"_s, gate->title},
                                 {u"role"_s, role},
                                 {u"by"_s, s.signOff->printedName},
                                 {u"at"_s, s.signOff->at}}});
        }
        reasons.append(status->checkBlockerRefusals());
        if (status->isMarginal() && !target.acknowledgesMarginal)
            reasons.append({RefusalCode::MarginalNotAcknowledged,
                            {{u"gate"_s, gate->title}, {u"reason"_s, status->score->reason}}});
    } else {
        reasons.append(
            {RefusalCode::GateStatusUnknown, {{u"gate"_s, gate->title}, {u"gate_id"_s, gate->id}}});
    }
    return reasons;
}

} // namespace

Refusal pastPointOfNoReturn(const QString &environment, const decommission::PointOfNoReturn &p) {
    return {RefusalCode::PastPointOfNoReturn,
            {{u"environment"_s, environment},
             {u"step"_s, p.stepTitle},
             {u"by"_s, p.by},
             {u"at"_s, p.at},
             {u"servers"_s, p.servers.join(u", "_s)}}};
}

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
    return texts(refusals(action, who, in, target));
}

Refusals refusals(Action action, const Operator &who, const GuardInputs &in,
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
