// The decommission (weeks 9-12): guards, approvals, running a step and recording every
// transition. The steps' actions and validations are app/decommission's; their state is the
// audit log's (DecommissionLedger).

#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_internal.h"
#include "app/decommission/step_runner.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {

using decommission::StepState;
namespace dlog = decommission::audit;

QString stepKey(const QString &environment, const QString &step) {
    return environment + u'/' + step;
}

QString stateText(StepState state) {
    switch (state) {
    case StepState::Done:
        return CutoverEngine::tr("already done");
    case StepState::Running:
        return CutoverEngine::tr("running");
    default:
        break;
    }
    return decommission::stepStateName(state);
}

// A file's SHA-256, read in blocks (on the store's thread: it may be large).
std::optional<QString> fileSha256(const QString &path, QString *error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return std::nullopt;
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file)) {
        *error = file.errorString();
        return std::nullopt;
    }
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace

bool CutoverEngine::hasDecommission() const {
    return m_plan.decommission.isSet();
}

decommission::EnvironmentProgress
CutoverEngine::decommissionProgress(const QString &environment) const {
    return m_decommission.progress(environment);
}

decommission::CostSummary CutoverEngine::decommissionCost(const QString &environment) const {
    return m_decommission.cost(environment);
}

QString CutoverEngine::decommissionConfirmation(const QString &environment,
                                                const QString &stepId) const {
    const config::DecommissionStep *step = m_plan.decommission.step(stepId);
    const config::Environment *env = m_plan.environment(environment);
    if (!step || !env || !step->isIrreversible())
        return {};
    if (step->action == config::DecommissionStep::Action::RemoveFromLb)
        return u"REMOVE %1 FROM %2"_s.arg(step->targets.join(u' '), env->loadBalancers.join(u' '));
    return u"RUN %1 IN %2"_s.arg(step->id, environment);
}

Refusals CutoverEngine::decommissionEntryRefusals(const EnvironmentRuntime &rt) const {
    Refusals reasons;
    if (rt.phase() != Phase::Complete) {
        reasons.append(
            {RefusalCode::DecommissionNotEntered,
             {{u"environment"_s, rt.env->name},
              {u"stage"_s, rt.state.stageIndex < 0
                               ? u"0%"_s
                               : u"%1%"_s.arg(m_plan.stages.at(rt.state.stageIndex).percent)}}});
        return reasons;
    }
    const config::Stage &last = m_plan.stages.last();
    if (!last.hold.isZero()) {
        const QDateTime until = rt.state.holdStartedAt.isValid()
                                    ? rt.state.holdStartedAt.addMSecs(last.hold.ms())
                                    : QDateTime();
        if (!until.isValid() || until > now())
            reasons.append(
                {RefusalCode::ExitHoldNotPassed,
                 {{u"environment"_s, rt.env->name},
                  {u"stage"_s, u"%1%"_s.arg(last.percent)},
                  {u"left_ms"_s, until.isValid() ? now().msecsTo(until) : last.hold.ms()},
                  {u"until"_s, until.isValid() ? until : now().addMSecs(last.hold.ms())}}});
    }
    const QString gate = m_plan.decommission.approvalGate;
    if (!gate.isEmpty()) {
        bool ready = false;
        for (const GateStatus &status : evaluateGates(rt)) {
            if (status.id == gate)
                ready = status.ready();
        }
        if (!ready)
            reasons.append(
                {RefusalCode::DecommissionNotApproved,
                 {{u"gate"_s, m_plan.gate(gate)->title}, {u"environment"_s, rt.env->name}}});
    }
    return reasons;
}

Refusals CutoverEngine::decommissionRefusals(const QString &environment, const QString &stepId,
                                             const Operator &who,
                                             const DecommissionRequest &request) const {
    Refusals reasons;
    if (!hasDecommission())
        return {{RefusalCode::NoDecommission, {}}};
    const EnvironmentRuntime *rt = runtime(environment);
    if (!rt)
        return {{RefusalCode::UnknownEnvironment, {{u"environment"_s, environment}}}};
    const config::DecommissionStep *step = m_plan.decommission.step(stepId);
    if (!step) {
        QStringList known;
        for (const auto &s : m_plan.decommission.steps)
            known.append(s.id);
        return {
            {RefusalCode::UnknownStep, {{u"step"_s, stepId}, {u"known"_s, known.join(u", "_s)}}}};
    }
    if (!who.may(m_plan, config::Permission::Shift))
        reasons.append({RefusalCode::NoPermission,
                        {{u"operator"_s, who.name},
                         {u"roles"_s, who.roles.join(u", "_s)},
                         {u"permission"_s, config::permissionName(config::Permission::Shift)}}});
    const decommission::EnvironmentProgress progress = m_decommission.progress(environment);
    const decommission::StepProgress *p = progress.step(stepId);
    // Past the point of no return the cutover is over; before it, the entry guard holds.
    if (!progress.pointOfNoReturn)
        reasons.append(decommissionEntryRefusals(*rt));
    if (m_globalHealth.value(u"store"_s).state == BackendHealth::State::Down)
        reasons.append({RefusalCode::StoreUnavailable,
                        {{u"problem"_s, m_globalHealth.value(u"store"_s).problem},
                         {u"action"_s, tr("run a decommission step")}}});
    switch (p->state) {
    case StepState::Blocked:
        for (const auto &earlier : progress.steps) {
            if (earlier.state != StepState::Done) {
                reasons.append({RefusalCode::StepBlocked,
                                {{u"step"_s, step->title}, {u"earlier"_s, earlier.step->title}}});
                break;
            }
        }
        break;
    case StepState::AwaitingApproval:
    case StepState::Failed:
        if (!p->approved())
            reasons.append(
                {RefusalCode::StepApprovalsMissing,
                 {{u"step"_s, step->title},
                  {u"roles"_s, p->missingRoles().join(u", "_s)},
                  {u"second_person"_s, p->needsSecondPerson() ? u"true"_s : u"false"_s}}});
        break;
    case StepState::Done:
        reasons.append({RefusalCode::StepNotRunnable,
                        {{u"step"_s, step->title}, {u"state"_s, stateText(p->state)}}});
        break;
    case StepState::Running: {
        if (m_decommissionRunning.contains(stepKey(environment, stepId))) {
            reasons.append({RefusalCode::StepNotRunnable,
                            {{u"step"_s, step->title}, {u"state"_s, stateText(p->state)}}});
            break;
        }
        // Started elsewhere with no outcome yet: running there, unless older than a run may
        // take (then it was cut off, and may run again).
        const QDateTime until = p->startedAt.addMSecs(step->maxRunTime().ms());
        if (until > now())
            reasons.append({RefusalCode::StepRunningElsewhere,
                            {{u"step"_s, step->title},
                             {u"by"_s, p->startedBy},
                             {u"at"_s, p->startedAt},
                             {u"until"_s, until}}});
        break;
    }
    case StepState::Waiting:
        if (m_decommissionRunning.contains(stepKey(environment, stepId)))
            reasons.append(
                {RefusalCode::StepNotRunnable,
                 {{u"step"_s, step->title}, {u"state"_s, stateText(StepState::Running)}}});
        else if (p->waitUntil > now())
            reasons.append({RefusalCode::StepWaitLeft,
                            {{u"step"_s, step->title},
                             {u"left_ms"_s, now().msecsTo(p->waitUntil)},
                             {u"until"_s, p->waitUntil}}});
        return reasons; // the final validation needs nothing more
    case StepState::Ready:
        break;
    }
    if (const QStringList placeholders = step->placeholders(); !placeholders.isEmpty())
        reasons.append({RefusalCode::StepNotConfigured,
                        {{u"step"_s, step->title}, {u"argument"_s, placeholders.join(u", "_s)}}});
    if (const QString part = decommission::unavailablePart(*step); !part.isEmpty())
        reasons.append(
            {RefusalCode::StepActionUnavailable, {{u"step"_s, step->title}, {u"action"_s, part}}});
    if (step->isIrreversible()) {
        const QString expected = decommissionConfirmation(environment, stepId);
        if (request.confirmation != expected)
            reasons.append({RefusalCode::StepConfirmationMismatch,
                            {{u"expected"_s, expected}, {u"typed"_s, request.confirmation}}});
    }
    using E = config::DecommissionStep::Evidence;
    const QString evidence = request.evidence.trimmed();
    if (step->evidence == E::Note && evidence.isEmpty())
        reasons.append({RefusalCode::StepEvidenceMissing,
                        {{u"step"_s, step->title}, {u"evidence"_s, tr("a note")}}});
    if (step->evidence == E::Url) {
        const QUrl url(evidence, QUrl::StrictMode);
        if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty())
            reasons.append({RefusalCode::StepEvidenceMissing,
                            {{u"step"_s, step->title},
                             {u"evidence"_s, tr("a URL such as https://host/path")}}});
    }
    if (step->evidence == E::File && !QFileInfo(evidence).isFile())
        reasons.append(
            {RefusalCode::StepEvidenceMissing,
             {{u"step"_s, step->title},
              {u"evidence"_s,
               evidence.isEmpty() ? tr("a file") : tr("a file (%1 is not one)").arg(evidence)}}});
    return reasons;
}

Refusals CutoverEngine::approvalRefusals(const QString &environment, const QString &stepId,
                                         const Operator &who, const QString &role) const {
    if (!hasDecommission())
        return {{RefusalCode::NoDecommission, {}}};
    if (!runtime(environment))
        return {{RefusalCode::UnknownEnvironment, {{u"environment"_s, environment}}}};
    const config::DecommissionStep *step = m_plan.decommission.step(stepId);
    if (!step)
        return decommissionRefusals(environment, stepId, who);
    Refusals reasons;
    if (!step->approvals.contains(role) || !who.roles.contains(role))
        reasons.append({RefusalCode::SignedByAnotherRole,
                        {{u"gate"_s, step->title},
                         {u"roles"_s, step->approvals.join(u", "_s)},
                         {u"operator"_s, who.name},
                         {u"operator_roles"_s, who.roles.join(u", "_s)}}});
    const decommission::EnvironmentProgress progress = m_decommission.progress(environment);
    const decommission::StepProgress *p = progress.step(stepId);
    if (p->state == StepState::Done || p->state == StepState::Running ||
        p->state == StepState::Waiting)
        reasons.append({RefusalCode::StepNotRunnable,
                        {{u"step"_s, step->title}, {u"state"_s, stateText(p->state)}}});
    for (const decommission::Approval &a : p->approvals) {
        if (a.operatorName == who.name)
            reasons.append(
                {RefusalCode::StepAlreadyApproved,
                 {{u"step"_s, step->title}, {u"operator"_s, who.name}, {u"role"_s, a.role}}});
    }
    return reasons;
}

ActionOutcome CutoverEngine::approveDecommissionStep(const QString &environment,
                                                     const QString &stepId, const QString &role,
                                                     const Operator &who,
                                                     const QString &passphrase) {
    const store::PassphraseProof proof = proofNow(who.name, passphrase);
    return waitedOutcome([&](ActionDone done) {
        approveDecommissionStep(environment, stepId, role, who, proof, done);
    });
}

void CutoverEngine::approveDecommissionStep(const QString &environment, const QString &stepId,
                                            const QString &role, const Operator &who,
                                            const store::PassphraseProof &proof, ActionDone done) {
    ActionOutcome outcome;
    outcome.addRefusals(approvalRefusals(environment, stepId, who, role));
    if (!outcome.refused.isEmpty()) {
        audit(who.name, role, u"decommission_approval_refused"_s, environment, stepId,
              refusalDetails(outcome.refused));
        done(outcome);
        return;
    }
    if (!m_signIn || proof.operatorName() != who.name) {
        outcome.error = m_signIn ? tr("the passphrase was checked for another operator")
                                 : tr("no operators file: the passphrase cannot be verified");
        done(outcome);
        return;
    }
    // An approval is a signature: the passphrase again, as for a gate.
    verifyProof(proof, u"decommission_approval"_s,
                [this, environment, stepId, role, who, done](const store::SignInResult &verified) {
                    if (!verified.ok()) {
                        ActionOutcome refused;
                        refused.error = verified.message;
                        done(refused);
                        return;
                    }
                    recordDecommission(who.name, role, dlog::kApproved, environment, stepId,
                                       {{u"printed_name"_s, who.printedName}}, {},
                                       [done](bool ok, const QString &error, qint64) {
                                           ActionOutcome answer;
                                           answer.ok = ok;
                                           answer.error = error;
                                           done(answer);
                                       });
                });
}

void CutoverEngine::recordDecommission(const QString &actor, const QString &role,
                                       const QString &action, const QString &environment,
                                       const QString &step, QJsonObject details,
                                       const QString &evidenceFile, Recorded then) {
    if (m_options.dryRun)
        details.insert(u"dry_run"_s, true);
    const store::AuditEvent event{actor, role, action, environment, step, details};
    m_runner.run<store::AuditEntry>(
        this,
        [event, evidenceFile](store::Store &store) -> store::StoreResult<store::AuditEntry> {
            store::AuditEvent recorded = event;
            if (!evidenceFile.isEmpty()) {
                QString error;
                const auto hash = fileSha256(evidenceFile, &error);
                if (!hash)
                    return store::StoreError::io(u"evidence %1: %2"_s.arg(evidenceFile, error));
                QJsonObject evidence = recorded.details.value(u"evidence"_s).toObject();
                evidence.insert(u"sha256"_s, *hash);
                evidence.insert(u"bytes"_s, QFileInfo(evidenceFile).size());
                recorded.details.insert(u"evidence"_s, evidence);
            }
            return store.appendAudit(recorded);
        },
        [this, then](const store::StoreResult<store::AuditEntry> &appended) {
            if (!appended) {
                setGlobalHealth(u"store"_s, false, appended.error().toString());
                then(false, appended.error().forPeople(), 0);
                return;
            }
            // Queued in the local journal (store unreachable) is not recorded: a decommission
            // never acts on a transition the shared store does not hold.
            if (appended.value().seq <= 0) {
                then(false, tr("the store is unreachable: kept in the local journal, not done"), 0);
                return;
            }
            setGlobalHealth(u"store"_s, true, {});
            const qint64 seq = appended.value().seq;
            whenAuditApplied(seq, [then, seq] { then(true, {}, seq); });
            pullAudit();
        });
}

void CutoverEngine::whenAuditApplied(qint64 seq, std::function<void()> then) {
    if (seq <= m_lastAuditSeq) {
        then();
        return;
    }
    m_afterAudit.append({seq, std::move(then)});
}

void CutoverEngine::runAfterAudit() {
    // Each waits until the ledger has seen its entry, so that what it says next is what the
    // audit log says.
    QList<std::pair<qint64, std::function<void()>>> ready;
    for (qsizetype i = 0; i < m_afterAudit.size();) {
        if (m_afterAudit.at(i).first <= m_lastAuditSeq)
            ready.append(m_afterAudit.takeAt(i));
        else
            ++i;
    }
    for (auto &[seq, then] : ready)
        then();
}

decommission::StepContext CutoverEngine::stepContext(const EnvironmentRuntime &rt) const {
    decommission::StepContext ctx;
    for (const QString &lb : rt.env->loadBalancers) {
        if (const config::LoadBalancer *l = m_plan.loadBalancer(lb))
            ctx.loadBalancers.append(*l);
    }
    ctx.intendedWeights = weightsOf(rt.state);
    ctx.prometheus = m_plan.prometheus;
    ctx.environment = *rt.env;
    return ctx;
}

void CutoverEngine::runDecommissionStep(const QString &environment, const QString &stepId,
                                        const Operator &who, const DecommissionRequest &request,
                                        ActionDone done) {
    ActionOutcome outcome;
    outcome.addRefusals(decommissionRefusals(environment, stepId, who, request));
    if (!outcome.refused.isEmpty()) {
        audit(who.name, {}, u"decommission_step_refused"_s, environment, stepId,
              refusalDetails(outcome.refused));
        done(outcome);
        return;
    }
    EnvironmentRuntime &rt = runtime(environment);
    const config::DecommissionStep &step = *m_plan.decommission.step(stepId);
    const QString key = stepKey(environment, stepId);
    m_decommissionRunning.insert(key);
    auto finish = [this, key, done](ActionOutcome answer) {
        m_decommissionRunning.remove(key);
        done(answer);
    };
    const bool waiting =
        m_decommission.progress(environment).steps.at(m_plan.decommission.indexOf(stepId)).state ==
        StepState::Waiting;
    const QString role = who.roleFor(m_plan, config::Permission::Shift);
    if (waiting) {
        finalValidation(rt, step, who.name, role, finish);
        return;
    }
    decommission::StepContext ctx = stepContext(rt);
    ctx.progress = [this, environment, stepId](qint64 count, qint64 total, const QString &unit) {
        Q_EMIT decommissionStepProgress(environment, stepId, count, total, unit);
    };
    // Before anything is recorded: the preconditions that refuse with HAProxy's own numbers.
    auto start = [this, &rt, &step, who, role, request, ctx, finish](QJsonObject checked) {
        QJsonObject details = checked;
        details.insert(u"action"_s, config::actionName(step.action));
        details.insert(u"title"_s, step.title);
        if (step.isLoadBalancerAction())
            details.insert(u"targets"_s, QJsonArray::fromStringList(step.targets));
        if (step.isIrreversible())
            details.insert(u"confirmation"_s, request.confirmation);
        QJsonArray approvals;
        const decommission::EnvironmentProgress now = m_decommission.progress(rt.env->name);
        for (const auto &a : now.step(step.id)->approvals)
            approvals.append(QJsonObject{{u"operator"_s, a.operatorName}, {u"role"_s, a.role}});
        details.insert(u"approvals"_s, approvals);
        using E = config::DecommissionStep::Evidence;
        QString evidenceFile;
        if (step.evidence != E::None) {
            const QString evidence = request.evidence.trimmed();
            details.insert(
                u"evidence"_s,
                QJsonObject{{u"kind"_s, config::evidenceName(step.evidence)},
                            {step.evidence == E::File  ? u"file"_s
                             : step.evidence == E::Url ? u"url"_s
                                                       : u"note"_s,
                             step.evidence == E::File ? QFileInfo(evidence).absoluteFilePath()
                                                      : evidence}});
            if (step.evidence == E::File)
                evidenceFile = QFileInfo(evidence).absoluteFilePath();
        }
        Q_EMIT decommissionProgressed(rt.env->name, step.id,
                                      tr("recording the start of '%1'").arg(step.title));
        // The start is in the store before the first command: past the point of no return
        // nothing may happen that the log does not show.
        recordDecommission(
            who.name, role, dlog::kStarted, rt.env->name, step.id, details, evidenceFile,
            [this, &rt, &step, who, role, ctx, details, finish](bool started, const QString &why,
                                                                qint64 seq) {
                if (!started) {
                    ActionOutcome answer;
                    answer.error = tr("'%1' not started: %2").arg(step.title, why);
                    finish(answer);
                    return;
                }
                // Another desk's start came first in the log: it runs the step, this one yields
                // (recorded, so that the log explains the second start) and does nothing.
                const decommission::EnvironmentProgress recorded =
                    m_decommission.progress(rt.env->name);
                const decommission::StepProgress *current = recorded.step(step.id);
                if (current && current->startedSeq != seq) {
                    audit(m_options.actorForAutomatic, u"automatic"_s, dlog::kYielded, rt.env->name,
                          step.id,
                          {{u"start_seq"_s, double(seq)},
                           {u"running_seq"_s, double(current->startedSeq)},
                           {u"running_by"_s, current->startedBy}});
                    ActionOutcome answer;
                    answer.addRefusals(
                        {{RefusalCode::StepRunningElsewhere,
                          {{u"step"_s, step.title},
                           {u"by"_s, current->startedBy},
                           {u"at"_s, current->startedAt},
                           {u"until"_s, current->startedAt.addMSecs(step.maxRunTime().ms())}}}});
                    finish(answer);
                    return;
                }
                Q_EMIT decommissionProgressed(rt.env->name, step.id,
                                              tr("running '%1'").arg(step.title));
                decommission::runAction(
                    this, step, ctx,
                    [this, &rt, &step, who, role, ctx, details,
                     finish](const decommission::StepResult &acted) {
                        if (!acted.ok) {
                            failStep(rt, step, acted, finish);
                            return;
                        }
                        Q_EMIT decommissionProgressed(rt.env->name, step.id,
                                                      tr("validating '%1'").arg(step.title));
                        decommission::runValidation(
                            this, step, ctx,
                            [this, &rt, &step, acted, details,
                             finish](const decommission::StepResult &validated) {
                                if (!validated.ok) {
                                    failStep(rt, step, validated, finish);
                                    return;
                                }
                                QJsonObject result{{u"action"_s, acted.details},
                                                   {u"validation"_s, validated.details}};
                                if (!step.wait.isZero()) {
                                    recordDecommission(
                                        m_options.actorForAutomatic, u"automatic"_s,
                                        dlog::kValidated, rt.env->name, step.id, result, {},
                                        [finish](bool ok, const QString &error, qint64) {
                                            ActionOutcome answer;
                                            answer.ok = ok;
                                            answer.error = error;
                                            finish(answer);
                                        });
                                    return;
                                }
                                completeStep(rt, step, result, finish);
                            });
                    });
            });
    };
    auto afterPermanence = [this, &rt, &step, ctx, start, finish](QJsonObject checked) {
        if (step.action != config::DecommissionStep::Action::RemoveFromLb) {
            start(checked);
            return;
        }
        decommission::checkRemovable(
            this, step, ctx,
            [this, &rt, &step, start, finish, checked](const decommission::StepResult &r) {
                if (!r.ok) {
                    refuseStep(rt, step,
                               {RefusalCode::ServersStillServing,
                                {{u"step"_s, step.title}, {u"detail"_s, r.error}}},
                               r.details, finish);
                    return;
                }
                QJsonObject more = checked;
                more.insert(u"before"_s, r.details);
                start(more);
            });
    };
    const bool pastPointOfNoReturn =
        m_decommission.progress(environment).pointOfNoReturn.has_value();
    if (!step.isLoadBalancerAction() || pastPointOfNoReturn) {
        afterPermanence({});
        return;
    }
    decommission::checkPermanence(
        this, ctx,
        [this, &rt, &step, request, afterPermanence, finish](const decommission::StepResult &r) {
            QJsonObject checked{{u"permanence"_s, r.details}};
            if (!r.ok) {
                const QString said = request.permanenceEvidence.trimmed().isEmpty()
                                         ? m_decommission.progress(rt.env->name).permanenceEvidence
                                         : request.permanenceEvidence.trimmed();
                if (said.isEmpty()) {
                    refuseStep(rt, step,
                               {RefusalCode::WeightsNotPermanent, {{u"detail"_s, r.error}}},
                               r.details, finish);
                    return;
                }
                // The operator says the LBs keep a server-state-file: recorded with the step.
                checked.insert(u"permanence_evidence"_s, said);
            }
            afterPermanence(checked);
        });
}

void CutoverEngine::refuseStep(const EnvironmentRuntime &rt, const config::DecommissionStep &step,
                               const Refusal &refusal, const QJsonObject &found,
                               ActionDone finish) {
    // A precondition HAProxy answered: refused (nothing recorded as started), with its numbers.
    const Refusals refused{refusal};
    audit(m_options.actorForAutomatic, u"automatic"_s, u"decommission_step_refused"_s, rt.env->name,
          step.id, refusalDetails(refused, found));
    ActionOutcome answer;
    answer.addRefusals(refused);
    finish(answer);
}

void CutoverEngine::failStep(EnvironmentRuntime &rt, const config::DecommissionStep &step,
                             const decommission::StepResult &result, ActionDone finish) {
    QJsonObject details = result.details;
    details.insert(u"error"_s, result.error);
    recordDecommission(m_options.actorForAutomatic, u"automatic"_s, dlog::kFailed, rt.env->name,
                       step.id, details, {}, [step, result, finish](bool, const QString &, qint64) {
                           ActionOutcome answer;
                           answer.error = tr("'%1' failed: %2").arg(step.title, result.error);
                           finish(answer);
                       });
}

void CutoverEngine::completeStep(EnvironmentRuntime &rt, const config::DecommissionStep &step,
                                 QJsonObject result, ActionDone finish) {
    result.insert(u"retires"_s, QJsonArray::fromStringList(step.retires));
    recordDecommission(m_options.actorForAutomatic, u"automatic"_s, dlog::kDone, rt.env->name,
                       step.id, result, {}, [finish](bool ok, const QString &error, qint64) {
                           ActionOutcome answer;
                           answer.ok = ok;
                           answer.error = error;
                           finish(answer);
                       });
}

void CutoverEngine::finalValidation(EnvironmentRuntime &rt, const config::DecommissionStep &step,
                                    const QString &actor, const QString &role, ActionDone finish) {
    Q_UNUSED(actor);
    Q_UNUSED(role);
    // The wait is over: the validation must still hold, now.
    decommission::runValidation(
        this, step, stepContext(rt),
        [this, &rt, &step, finish](const decommission::StepResult &validated) {
            if (!validated.ok) {
                failStep(rt, step, validated, finish);
                return;
            }
            const decommission::EnvironmentProgress progress =
                m_decommission.progress(rt.env->name);
            const decommission::StepProgress *p = progress.step(step.id);
            QJsonObject result{
                {u"validation"_s, validated.details},
                {u"waited_since"_s, p ? p->validatedAt.toString(Qt::ISODateWithMs) : QString()}};
            completeStep(rt, step, result, finish);
        });
}

void CutoverEngine::completeWaits() {
    // Waits are judged by whoever decides (the controller, or a lone desk).
    if (!decides() || !hasDecommission())
        return;
    for (auto &rt : m_environments) {
        for (const auto &p : m_decommission.progress(rt->env->name).steps) {
            const QString key = stepKey(rt->env->name, p.step->id);
            if (p.state != StepState::Waiting || m_decommissionRunning.contains(key))
                continue;
            if (p.waitUntil <= now()) {
                m_decommissionRunning.insert(key);
                m_waitChecks.remove(key);
                finalValidation(
                    *rt, *p.step, m_options.actorForAutomatic, u"automatic"_s,
                    [this, key](const ActionOutcome &) { m_decommissionRunning.remove(key); });
                continue;
            }
            checkDuringWait(*rt, p, key);
        }
    }
}

void CutoverEngine::checkDuringWait(EnvironmentRuntime &rt, const decommission::StepProgress &p,
                                    const QString &key) {
    // "Wait 24 h" means the validation holds for 24 h, not that it holds twice: it is checked
    // every twelfth of the wait (1 s to 5 min apart), and a lapse fails the step at once.
    if (p.step->validation.kind == config::StepValidation::Kind::None)
        return;
    const qint64 every = std::clamp<qint64>(p.step->wait.ms() / 12, 1'000, 300'000);
    const QDateTime last = m_waitChecks.value(key, p.validatedAt);
    if (last.addMSecs(every) > now())
        return;
    m_waitChecks.insert(key, now());
    m_decommissionRunning.insert(key);
    const config::DecommissionStep *step = p.step;
    EnvironmentRuntime *runtime = &rt;
    decommission::runValidation(
        this, *step, stepContext(rt), [this, key, step, runtime](decommission::StepResult checked) {
            m_decommissionRunning.remove(key);
            const decommission::EnvironmentProgress progress =
                m_decommission.progress(runtime->env->name);
            const decommission::StepProgress *current = progress.step(step->id);
            if (checked.ok || !current || current->state != StepState::Waiting)
                return;
            m_waitChecks.remove(key);
            checked.error = tr("the validation stopped holding during the wait (%1 left): %2")
                                .arg(formatSpan(now().msecsTo(current->waitUntil)), checked.error);
            m_decommissionRunning.insert(key);
            failStep(*runtime, *step, checked,
                     [this, key](const ActionOutcome &) { m_decommissionRunning.remove(key); });
        });
}

void CutoverEngine::restoreLegacyServers(EnvironmentRuntime &rt, const QString &actor) {
    const decommission::EnvironmentProgress progress = m_decommission.progress(rt.env->name);
    if (!progress.started())
        return;
    const QStringList servers = progress.serversOutOfService();
    const QString environment = rt.env->name;
    auto reset = [this, environment, actor](QJsonObject details) {
        // The decommission starts over: it was approved for a cutover that no longer stands.
        audit(actor, {}, dlog::kReset, environment, {}, details);
    };
    if (servers.isEmpty()) {
        reset({});
        return;
    }
    config::DecommissionStep ready;
    ready.action = config::DecommissionStep::Action::Ready;
    ready.targets = servers;
    decommission::runAction(
        this, ready, stepContext(rt), [reset, servers](const decommission::StepResult &r) {
            reset({{u"servers"_s, QJsonArray::fromStringList(servers)},
                   {u"restored"_s, r.ok},
                   {u"error"_s, r.error},
                   {u"load_balancers"_s, r.details.value(u"load_balancers"_s)}});
        });
}

} // namespace cutover::engine
