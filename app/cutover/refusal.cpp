#include "app/cutover/refusal.h"

#include "app/cutover/gate_status.h"

#include <QDateTime>
#include <QJsonArray>
#include <QMetaEnum>

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {

QString tr(const char *text) {
    return QCoreApplication::translate("cutover::engine::Refusal", text);
}

QString utc(const QVariant &at) {
    return at.toDateTime().toUTC().toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s);
}

QString iso(const QVariant &at) {
    return at.toDateTime().toString(Qt::ISODate);
}

QString actionNoun(const QString &action) {
    if (action == u"shift"_s)
        return tr("a shift");
    if (action == u"step_back"_s)
        return tr("a step back");
    if (action == u"tick"_s)
        return tr("a tick");
    if (action == u"sign"_s)
        return tr("a signature");
    return action;
}

QString backendText(const Refusal &r, const QString &head) {
    QString text = head.arg(r.arg("backend"));
    if (!r.arg("problem").isEmpty())
        text += u": "_s + r.arg("problem");
    if (const qint64 ago = r.args.value(u"last_good_ms_ago"_s, -1).toLongLong(); ago >= 0)
        text += tr(" (last good answer %1 ago)").arg(formatSpan(ago));
    return text;
}

} // namespace

QString Refusal::text() const {
    const auto a = [this](const char *key) {
        return arg(key);
    };
    switch (code) {
    case RefusalCode::NoPermission:
        return tr("%1 (%2) may not %3: no role of theirs has the '%3' permission")
            .arg(a("operator"), a("roles"), a("permission"));
    case RefusalCode::NotSignedIn:
        return a("action") == u"acknowledge_war_room"_s
                   ? tr("(not signed in) sign in to acknowledge the war room")
                   : tr("sign in first (Ctrl+I)");
    case RefusalCode::TickedByAnotherRole:
        return tr("'%1' is ticked by %2; %3 is %4")
            .arg(a("check"), a("role"), a("operator"), a("roles"));
    case RefusalCode::SignedByAnotherRole:
        return tr("%1 is signed by %2; %3 is %4")
            .arg(a("gate"), a("roles"), a("operator"), a("operator_roles"));
    case RefusalCode::StoreUnavailable:
        return tr("the store is unavailable (%1): %2 cannot be recorded")
            .arg(a("problem"), actionNoun(a("action")));
    case RefusalCode::EnvironmentBusy:
        return (a("action") == u"sign"_s ? tr("%1 is %2: sign when it holds")
                                         : tr("%1 is %2: wait until it ends"))
            .arg(a("environment"), a("phase"));
    case RefusalCode::CutoverComplete:
        return tr("%1 is at 100%: the cutover is complete").arg(a("environment"));
    case RefusalCode::ValidationFailed:
        return tr("the validation at %1 failed: roll back, or have it re-validated")
            .arg(a("stage"));
    case RefusalCode::EarlierEnvironmentFirst:
        return tr("%1 %2: %3 may not go to %4 before %1 has validated it")
            .arg(a("earlier"), a("situation"), a("environment"), a("stage"));
    case RefusalCode::GateStatusUnknown:
        return tr("%1: status not known yet").arg(a("gate"));
    case RefusalCode::StageNotValidated:
        return tr("%1 has not been validated yet: the hold of %2 has not started")
            .arg(a("stage"), a("hold"));
    case RefusalCode::HoldTimeLeft:
        return tr("hold at %1: %2 left (until %3)")
            .arg(a("stage"), formatSpan(args.value(u"left_ms"_s).toLongLong()),
                 utc(args.value(u"until"_s)));
    case RefusalCode::BackendUnreachable:
        return backendText(*this, tr("%1 is unreachable"));
    case RefusalCode::BackendNotAnswered:
        return backendText(*this, tr("%1 has not answered yet"));
    case RefusalCode::TriggerFiring:
        return tr("trigger firing: %1").arg(a("trigger"));
    case RefusalCode::WeightsDrifted:
        return tr("weights drifted: %1").arg(a("drift"));
    case RefusalCode::NoEarlierStage:
        return tr("%1 is at %2: there is no earlier stage to step back to (Rollback returns to "
                  "0%)")
            .arg(a("environment"), a("stage"));
    case RefusalCode::NotAnEarlierStage:
        return tr("step back to %1%: the earlier stages of %2 are %3")
            .arg(a("percent"), a("environment"), a("earlier"));
    case RefusalCode::RollbackRunning:
        return tr("a rollback of %1 is already running").arg(a("environment"));
    case RefusalCode::GateNotSignedNow:
        return tr("%1 is not signed now: %2 is at %3").arg(a("gate"), a("environment"), a("stage"));
    case RefusalCode::StabilityHoldNotStarted:
        return tr("%1 attests %2 of stability at %3: the hold has not started (%3 not validated "
                  "yet)")
            .arg(a("gate"), a("hold"), a("stage"));
    case RefusalCode::StabilityTimeLeft:
        return tr("%1 attests %2 of stability at %3: %4 left (observed since %5, signable at %6)")
            .arg(a("gate"), a("hold"), a("stage"),
                 formatSpan(args.value(u"left_ms"_s).toLongLong()), utc(args.value(u"since"_s)),
                 utc(args.value(u"until"_s)));
    case RefusalCode::AlreadyTicked:
        return tr("'%1' is already ticked by %2 at %3")
            .arg(a("check"), a("by"), iso(args.value(u"at"_s)));
    case RefusalCode::AlreadySigned:
        return tr("%1 is already signed as %2 by %3 at %4")
            .arg(a("gate"), a("role"), a("by"), iso(args.value(u"at"_s)));
    case RefusalCode::SignatureWouldBeVoided:
        return tr("%1 is already signed by %2: unticking would void it").arg(a("gate"), a("by"));
    case RefusalCode::MarginalNotAcknowledged:
        return tr("%1: %2 A signature must acknowledge it and say why in the comment")
            .arg(a("gate"), a("reason"));
    case RefusalCode::CheckNotTicked:
        return tr("%1: '%2' not ticked (%3)").arg(a("gate"), a("check"), a("detail"));
    case RefusalCode::CheckNotPassing:
        return tr("%1: '%2' is %3: %4").arg(a("gate"), a("check"), a("state"), a("detail"));
    case RefusalCode::GateScoreFailed:
        return tr("%1: %2").arg(a("gate"), a("reason"));
    case RefusalCode::GateNotSigned:
        return tr("%1: not signed by %2").arg(a("gate"), a("role"));
    case RefusalCode::SignedBeforeMarginal:
        return tr("%1: %2; %3 signed as %4 before it was marginal, without acknowledging it (the "
                  "score must recover, or the gate be voided by a step back)")
            .arg(a("gate"), a("reason"), a("by"), a("role"));
    case RefusalCode::NoWarRoomActive:
        return tr("no war room is active");
    case RefusalCode::MayNotAcknowledgeWarRoom:
        return tr("%1 (%2) may neither roll back nor sign: the war room is acknowledged by "
                  "someone who can act on it")
            .arg(a("operator"), a("roles"));
    case RefusalCode::UnknownEnvironment:
        return tr("no environment '%1' in the plan").arg(a("environment"));
    case RefusalCode::UnknownGate:
        return tr("no gate '%1' in the plan").arg(a("gate"));
    case RefusalCode::UnknownCheck:
        return tr("no item '%1' in %2").arg(a("check"), a("gate"));
    case RefusalCode::CheckIsAutomatic:
        return tr("'%1' is checked automatically: it cannot be ticked").arg(a("check"));
    case RefusalCode::ConfirmationMismatch: {
        const int next = args.value(u"next"_s, -1).toInt();
        return tr("confirmation typed %1, but the next stage is %2")
            .arg(a("typed"), next < 0 ? tr("none") : QString::number(next) + u'%');
    }
    case RefusalCode::MeaningMissing:
        return tr("a signature needs its meaning (e.g. \"Approved\")");
    case RefusalCode::StepBackReasonMissing:
        return tr("a step back needs its reason (it is not an emergency: say why)");
    case RefusalCode::MarginalCommentMissing:
        return tr("acknowledging a marginal score needs a comment saying why it is acceptable");
    case RefusalCode::StageChangedElsewhere:
        return a("detail");
    case RefusalCode::PastPointOfNoReturn:
        return tr("%1 is past the decommission's point of no return: '%2' started at %3 by %4%5 "
                  "- the legacy servers cannot take the traffic back")
            .arg(a("environment"), a("step"), utc(args.value(u"at"_s)), a("by"),
                 a("servers").isEmpty() ? QString() : tr(" (removed: %1)").arg(a("servers")));
    case RefusalCode::NoDecommission:
        return tr("the plan has no decommission section");
    case RefusalCode::DecommissionNotEntered:
        return tr("%1 is at %2: the decommission starts only once the cutover is complete")
            .arg(a("environment"), a("stage"));
    case RefusalCode::DecommissionNotApproved:
        return tr("%1 is not signed for %2: the decommission needs its approval")
            .arg(a("gate"), a("environment"));
    case RefusalCode::ExitHoldNotPassed:
        return tr("%1 has held %2 for less than its hold: %3 left (until %4)")
            .arg(a("environment"), a("stage"), formatSpan(args.value(u"left_ms"_s).toLongLong()),
                 utc(args.value(u"until"_s)));
    case RefusalCode::StepBlocked:
        return tr("'%1' waits for '%2' to be done").arg(a("step"), a("earlier"));
    case RefusalCode::StepApprovalsMissing:
        return a("roles").isEmpty()
                   ? tr("'%1' cannot be undone: it needs a second person's approval").arg(a("step"))
                   : tr("'%1' needs the approval of %2%3")
                         .arg(a("step"), a("roles"),
                              a("second_person") == u"true"_s
                                  ? tr(" (two distinct people: it cannot be undone)")
                                  : QString());
    case RefusalCode::StepNotRunnable:
        return tr("'%1' is %2").arg(a("step"), a("state"));
    case RefusalCode::StepNotConfigured:
        return tr("'%1' is not configured: fill in %2 in the plan").arg(a("step"), a("argument"));
    case RefusalCode::StepActionUnavailable:
        return tr("'%1': the %2 action is not available in this version; do it by hand and "
                  "record it as a manual step")
            .arg(a("step"), a("action"));
    case RefusalCode::StepAlreadyApproved:
        return tr("%1 already approved '%2' (as %3)").arg(a("operator"), a("step"), a("role"));
    case RefusalCode::StepConfirmationMismatch:
        return tr("this step cannot be undone: type exactly \"%1\" to confirm (typed \"%2\")")
            .arg(a("expected"), a("typed"));
    case RefusalCode::StepEvidenceMissing:
        return tr("'%1' needs its evidence: %2").arg(a("step"), a("evidence"));
    case RefusalCode::StepWaitLeft:
        return tr("'%1' is waiting: %2 left (until %3)")
            .arg(a("step"), formatSpan(args.value(u"left_ms"_s).toLongLong()),
                 utc(args.value(u"until"_s)));
    case RefusalCode::StepRunningElsewhere:
        return tr("'%1' is running: started %2 by %3 (on another desk or process); if that run "
                  "was cut off, it may run again after %4")
            .arg(a("step"), utc(args.value(u"at"_s)), a("by"), utc(args.value(u"until"_s)));
    case RefusalCode::ServersStillServing:
        return tr("'%1' removes only servers in maintenance with no session and an empty queue: "
                  "%2")
            .arg(a("step"), a("detail"));
    case RefusalCode::WeightsNotPermanent:
        return tr("a reload would undo the cutover - %1\n(or, if the load balancers keep a "
                  "server-state-file, say so as the permanence evidence)")
            .arg(a("detail"));
    case RefusalCode::UnknownStep:
        return tr("unknown decommission step '%1' (steps: %2)").arg(a("step"), a("known"));
    }
    return codeName(code);
}

QString Refusal::codeName(RefusalCode code) {
    switch (code) {
#define CUTOVER_REFUSAL_NAME(value, name)                                                          \
    case RefusalCode::value:                                                                       \
        return u##name##_s;
        CUTOVER_REFUSAL_NAME(NoPermission, "no_permission")
        CUTOVER_REFUSAL_NAME(NotSignedIn, "not_signed_in")
        CUTOVER_REFUSAL_NAME(TickedByAnotherRole, "ticked_by_another_role")
        CUTOVER_REFUSAL_NAME(SignedByAnotherRole, "signed_by_another_role")
        CUTOVER_REFUSAL_NAME(StoreUnavailable, "store_unavailable")
        CUTOVER_REFUSAL_NAME(EnvironmentBusy, "environment_busy")
        CUTOVER_REFUSAL_NAME(CutoverComplete, "cutover_complete")
        CUTOVER_REFUSAL_NAME(ValidationFailed, "validation_failed")
        CUTOVER_REFUSAL_NAME(EarlierEnvironmentFirst, "earlier_environment_first")
        CUTOVER_REFUSAL_NAME(GateStatusUnknown, "gate_status_unknown")
        CUTOVER_REFUSAL_NAME(StageNotValidated, "stage_not_validated")
        CUTOVER_REFUSAL_NAME(HoldTimeLeft, "hold_time_left")
        CUTOVER_REFUSAL_NAME(BackendUnreachable, "backend_unreachable")
        CUTOVER_REFUSAL_NAME(BackendNotAnswered, "backend_not_answered")
        CUTOVER_REFUSAL_NAME(TriggerFiring, "trigger_firing")
        CUTOVER_REFUSAL_NAME(WeightsDrifted, "weights_drifted")
        CUTOVER_REFUSAL_NAME(NoEarlierStage, "no_earlier_stage")
        CUTOVER_REFUSAL_NAME(NotAnEarlierStage, "not_an_earlier_stage")
        CUTOVER_REFUSAL_NAME(RollbackRunning, "rollback_running")
        CUTOVER_REFUSAL_NAME(GateNotSignedNow, "gate_not_signed_now")
        CUTOVER_REFUSAL_NAME(StabilityHoldNotStarted, "stability_hold_not_started")
        CUTOVER_REFUSAL_NAME(StabilityTimeLeft, "stability_time_left")
        CUTOVER_REFUSAL_NAME(AlreadyTicked, "already_ticked")
        CUTOVER_REFUSAL_NAME(AlreadySigned, "already_signed")
        CUTOVER_REFUSAL_NAME(SignatureWouldBeVoided, "signature_would_be_voided")
        CUTOVER_REFUSAL_NAME(MarginalNotAcknowledged, "marginal_not_acknowledged")
        CUTOVER_REFUSAL_NAME(CheckNotTicked, "check_not_ticked")
        CUTOVER_REFUSAL_NAME(CheckNotPassing, "check_not_passing")
        CUTOVER_REFUSAL_NAME(GateScoreFailed, "gate_score_failed")
        CUTOVER_REFUSAL_NAME(GateNotSigned, "gate_not_signed")
        CUTOVER_REFUSAL_NAME(SignedBeforeMarginal, "signed_before_marginal")
        CUTOVER_REFUSAL_NAME(NoWarRoomActive, "no_war_room_active")
        CUTOVER_REFUSAL_NAME(MayNotAcknowledgeWarRoom, "may_not_acknowledge_war_room")
        CUTOVER_REFUSAL_NAME(UnknownEnvironment, "unknown_environment")
        CUTOVER_REFUSAL_NAME(UnknownGate, "unknown_gate")
        CUTOVER_REFUSAL_NAME(UnknownCheck, "unknown_check")
        CUTOVER_REFUSAL_NAME(CheckIsAutomatic, "check_is_automatic")
        CUTOVER_REFUSAL_NAME(ConfirmationMismatch, "confirmation_mismatch")
        CUTOVER_REFUSAL_NAME(MeaningMissing, "meaning_missing")
        CUTOVER_REFUSAL_NAME(StepBackReasonMissing, "step_back_reason_missing")
        CUTOVER_REFUSAL_NAME(MarginalCommentMissing, "marginal_comment_missing")
        CUTOVER_REFUSAL_NAME(StageChangedElsewhere, "stage_changed_elsewhere")
        CUTOVER_REFUSAL_NAME(PastPointOfNoReturn, "past_point_of_no_return")
        CUTOVER_REFUSAL_NAME(NoDecommission, "no_decommission")
        CUTOVER_REFUSAL_NAME(DecommissionNotEntered, "decommission_not_entered")
        CUTOVER_REFUSAL_NAME(DecommissionNotApproved, "decommission_not_approved")
        CUTOVER_REFUSAL_NAME(ExitHoldNotPassed, "exit_hold_not_passed")
        CUTOVER_REFUSAL_NAME(StepBlocked, "step_blocked")
        CUTOVER_REFUSAL_NAME(StepApprovalsMissing, "step_approvals_missing")
        CUTOVER_REFUSAL_NAME(StepNotRunnable, "step_not_runnable")
        CUTOVER_REFUSAL_NAME(StepNotConfigured, "step_not_configured")
        CUTOVER_REFUSAL_NAME(StepActionUnavailable, "step_action_unavailable")
        CUTOVER_REFUSAL_NAME(StepAlreadyApproved, "step_already_approved")
        CUTOVER_REFUSAL_NAME(StepConfirmationMismatch, "step_confirmation_mismatch")
        CUTOVER_REFUSAL_NAME(StepEvidenceMissing, "step_evidence_missing")
        CUTOVER_REFUSAL_NAME(StepWaitLeft, "step_wait_left")
        CUTOVER_REFUSAL_NAME(StepRunningElsewhere, "step_running_elsewhere")
        CUTOVER_REFUSAL_NAME(ServersStillServing, "servers_still_serving")
        CUTOVER_REFUSAL_NAME(WeightsNotPermanent, "weights_not_permanent")
        CUTOVER_REFUSAL_NAME(UnknownStep, "unknown_step")
#undef CUTOVER_REFUSAL_NAME
    }
    return u"unknown"_s;
}

QList<RefusalCode> allRefusalCodes() {
    QList<RefusalCode> codes;
    for (int i = 0; i <= int(RefusalCode::StageChangedElsewhere); ++i)
        codes.append(RefusalCode(i));
    return codes;
}

QJsonObject Refusal::toJson() const {
    return {{u"code"_s, codeName(code)},
            {u"text"_s, text()},
            {u"args"_s, QJsonObject::fromVariantMap(args)}};
}

QStringList texts(const Refusals &refusals) {
    QStringList out;
    out.reserve(refusals.size());
    for (const Refusal &r : refusals)
        out.append(r.text());
    return out;
}

QJsonArray toJson(const Refusals &refusals) {
    QJsonArray out;
    for (const Refusal &r : refusals)
        out.append(r.toJson());
    return out;
}

bool hasCode(const Refusals &refusals, RefusalCode code) {
    return std::any_of(refusals.cbegin(), refusals.cend(),
                       [code](const Refusal &r) { return r.code == code; });
}

} // namespace cutover::engine
