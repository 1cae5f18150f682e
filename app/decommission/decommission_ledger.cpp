#include "app/decommission/decommission_ledger.h"

#include <QJsonArray>
#include <QSet>

using namespace Qt::StringLiterals;

namespace cutover::decommission {

QString stepStateName(StepState state) {
    switch (state) {
    case StepState::Blocked:
        return u"blocked"_s;
    case StepState::AwaitingApproval:
        return u"awaiting_approval"_s;
    case StepState::Ready:
        return u"ready"_s;
    case StepState::Running:
        return u"running"_s;
    case StepState::Waiting:
        return u"waiting"_s;
    case StepState::Done:
        return u"done"_s;
    case StepState::Failed:
        break;
    }
    return u"failed"_s;
}

QStringList StepProgress::missingRoles() const {
    // Each role the plan lists is covered by a different person's approval.
    QStringList missing;
    QSet<QString> used;
    for (const QString &role : step->approvals) {
        bool covered = false;
        for (const Approval &a : approvals) {
            if (a.role == role && !used.contains(a.operatorName)) {
                used.insert(a.operatorName);
                covered = true;
                break;
            }
        }
        if (!covered)
            missing.append(role);
    }
    return missing;
}

bool StepProgress::needsSecondPerson() const {
    if (!step->isIrreversible())
        return false;
    QSet<QString> people;
    for (const Approval &a : approvals)
        people.insert(a.operatorName);
    return people.size() < 2;
}

int EnvironmentProgress::doneCount() const {
    int done = 0;
    for (const StepProgress &s : steps)
        done += s.state == StepState::Done ? 1 : 0;
    return done;
}

bool EnvironmentProgress::started() const {
    for (const StepProgress &s : steps) {
        if (!s.approvals.isEmpty() || s.startedAt.isValid())
            return true;
    }
    return false;
}

const StepProgress *EnvironmentProgress::step(const QString &id) const & {
    for (const StepProgress &s : steps) {
        if (s.step->id == id)
            return &s;
    }
    return nullptr;
}

QStringList EnvironmentProgress::serversOutOfService() const {
    QStringList servers;
    for (const StepProgress &s : steps) {
        using A = config::DecommissionStep::Action;
        const A action = s.step->action;
        if (!s.startedAt.isValid() ||
            (action != A::Drain && action != A::Maintenance && action != A::RemoveFromLb))
            continue;
        for (const QString &server : s.step->targets) {
            if (!servers.contains(server))
                servers.append(server);
        }
    }
    return servers;
}

QStringList EnvironmentProgress::serversRemoved() const {
    QStringList servers;
    for (const StepProgress &s : steps) {
        if (!s.startedAt.isValid() ||
            s.step->action != config::DecommissionStep::Action::RemoveFromLb)
            continue;
        for (const QString &server : s.step->targets) {
            if (!servers.contains(server))
                servers.append(server);
        }
    }
    return servers;
}

void DecommissionLedger::applyAll(const QList<store::AuditEntry> &entries) {
    for (const store::AuditEntry &entry : entries)
        apply(entry);
}

void DecommissionLedger::apply(const store::AuditEntry &entry) {
    if (!entry.action.startsWith(u"decommission_"_s) || !m_config)
        return;
    Environment &env = m_environments[entry.environment];
    if (entry.action == audit::kReset) {
        // A rollback before the point of no return: the decommission starts over (approvals
        // included: they were given for a cutover that no longer stands).
        env = Environment{};
        return;
    }
    const config::DecommissionStep *step = m_config->step(entry.subject);
    if (!step)
        return; // a step of another version of the plan
    Record &r = env.steps[step->id];
    const QJsonObject details = entry.detailsObject();
    if (entry.action == audit::kApproved) {
        if (r.last == Record::Last::Done || r.last == Record::Last::Validated)
            return;
        r.approvals.append({entry.actor, entry.role, entry.at});
    } else if (entry.action == audit::kStarted) {
        // Two desks may record a start of the same step at once: the first one in the log runs
        // it, the other yields (kYielded). A start older than the step may run was cut off (a
        // crash): a new start replaces it.
        if (r.last == Record::Last::Started && r.startedAt.isValid() &&
            r.startedAt.addMSecs(step->maxRunTime().ms()) > entry.at) {
            r.contested.append(entry.seq);
            return;
        }
        r.startedBy = entry.actor;
        r.startedAt = entry.at;
        r.startedSeq = entry.seq;
        r.contested.clear();
        r.validatedAt = {};
        r.error.clear();
        r.evidence = details.value(u"evidence"_s).toObject();
        r.output = {};
        r.last = Record::Last::Started;
        if (const QString said = details.value(u"permanence_evidence"_s).toString();
            !said.isEmpty())
            env.permanenceEvidence = said;
        if (step->isIrreversible() && !env.pointOfNoReturn) {
            PointOfNoReturn p{step->id, step->title, entry.actor, entry.at, {}};
            if (step->action == config::DecommissionStep::Action::RemoveFromLb)
                p.servers = step->targets;
            env.pointOfNoReturn = p;
        }
    } else if (entry.action == audit::kYielded) {
        r.contested.removeAll(qint64(details.value(u"start_seq"_s).toDouble()));
    } else if (entry.action == audit::kFailed) {
        r.error = details.value(u"error"_s).toString();
        r.result = details;
        r.validatedAt = {};
        r.last = Record::Last::Failed;
        // A new run needs new approvals: what was approved did not happen as approved.
        r.approvals.clear();
    } else if (entry.action == audit::kValidated) {
        r.validatedAt = entry.at;
        r.output = details.value(u"action"_s).toObject();
        r.result = details;
        r.last = Record::Last::Validated;
    } else if (entry.action == audit::kDone) {
        r.doneAt = entry.at;
        // A step with a wait produced its output before the wait (in _validated).
        if (details.contains(u"action"_s))
            r.output = details.value(u"action"_s).toObject();
        r.result = details;
        r.last = Record::Last::Done;
    }
}

EnvironmentProgress DecommissionLedger::progress(const QString &environment) const {
    EnvironmentProgress out;
    if (!m_config)
        return out;
    const Environment env = m_environments.value(environment);
    out.pointOfNoReturn = env.pointOfNoReturn;
    out.permanenceEvidence = env.permanenceEvidence;
    bool earlierDone = true;
    for (const config::DecommissionStep &step : m_config->steps) {
        StepProgress p;
        p.step = &step;
        const Record r = env.steps.value(step.id);
        p.approvals = r.approvals;
        p.startedBy = r.startedBy;
        p.startedAt = r.startedAt;
        p.startedSeq = r.startedSeq;
        p.validatedAt = r.validatedAt;
        p.doneAt = r.doneAt;
        p.error = r.error;
        p.evidence = r.evidence;
        p.output = r.output;
        p.result = r.result;
        switch (r.last) {
        case Record::Last::Done:
            p.state = StepState::Done;
            break;
        case Record::Last::Validated:
            p.state = StepState::Waiting;
            p.waitUntil = r.validatedAt.addMSecs(step.wait.ms());
            break;
        case Record::Last::Started:
            p.state = StepState::Running;
            break;
        case Record::Last::Failed:
            p.state = StepState::Failed;
            break;
        case Record::Last::None:
            p.state = !earlierDone    ? StepState::Blocked
                      : !p.approved() ? StepState::AwaitingApproval
                                      : StepState::Ready;
            break;
        }
        earlierDone = earlierDone && p.state == StepState::Done;
        out.steps.append(p);
    }
    return out;
}

CostSummary DecommissionLedger::cost(const EnvironmentProgress &progress) const {
    CostSummary cost;
    if (!m_config)
        return cost;
    cost.currency = m_config->currency;
    cost.baselinePerMonth = m_config->baselineCostPerMonth;
    cost.targetLowPercent = m_config->targetLowPercent;
    cost.targetHighPercent = m_config->targetHighPercent;
    QSet<QString> planned;
    for (const StepProgress &s : progress.steps) {
        for (const QString &id : s.step->retires) {
            const config::DecommissionComponent *component = m_config->component(id);
            if (!component)
                continue;
            if (!planned.contains(id)) {
                planned.insert(id);
                cost.plannedPerMonth += component->costPerMonth;
            }
            if (s.state == StepState::Done && !cost.retired.contains(id)) {
                cost.retired.append(id);
                cost.retiredPerMonth += component->costPerMonth;
            }
        }
    }
    return cost;
}

} // namespace cutover::decommission
