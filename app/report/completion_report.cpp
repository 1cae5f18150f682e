#include "app/report/completion_report.h"

#include "app/decommission/decommission_ledger.h"
#include "app/report/report_html.h"
#include "app/report/status_report.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace cutover::report {

namespace {

using decommission::StepState;

constexpr qsizetype kLongValue = 240; // longer values (command output, per-LB lists) are cut

QString money(double value, const QString &currency) {
    return u"%1 %2"_s.arg(QString::number(value, 'f', 0), currency);
}

QString pageHeading(const QString &title, bool pageBreak) {
    return pageBreak ? u"<h2 style=\"page-break-before: always;\">%1</h2>"_s.arg(esc(title))
                     : u"<h2>%1</h2>"_s.arg(esc(title));
}

// "key: value" lines of a step's evidence or output; nested objects as dotted keys. Hashes
// stay whole: they are what an auditor compares.
void flatten(const QJsonObject &object, const QString &prefix, QStringList &lines) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = prefix.isEmpty() ? it.key() : prefix + u'.' + it.key();
        const QJsonValue value = it.value();
        if (value.isObject()) {
            flatten(value.toObject(), key, lines);
            continue;
        }
        QString text;
        if (value.isArray())
            text = QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
        else if (value.isDouble())
            text = QString::number(value.toDouble(), 'g', 12);
        else if (value.isBool())
            text = value.toBool() ? u"true"_s : u"false"_s;
        else
            text = value.toString();
        if (text.isEmpty())
            continue;
        if (text.size() > kLongValue)
            text = text.left(kLongValue) +
                   u" … (%1 characters; whole in the audit log)"_s.arg(text.size());
        lines.append(key + u": "_s + text);
    }
}

QString linesHtml(const QStringList &lines) {
    QStringList escaped;
    for (const QString &line : lines)
        escaped.append(esc(line));
    return escaped.join(u"<br>"_s);
}

const engine::GateStatus *findGate(const engine::EnvironmentSnapshot &s, const QString &id) {
    for (const engine::GateStatus &gate : s.gates) {
        if (gate.id == id)
            return &gate;
    }
    return nullptr;
}

QList<store::AuditEntry> entriesOf(const QList<store::AuditEntry> &audit, const QString &env) {
    QList<store::AuditEntry> out;
    for (const store::AuditEntry &entry : audit) {
        if (entry.environment == env)
            out.append(entry);
    }
    return out;
}

QString summaryHtml(const CompletionReportInputs &in,
                    const decommission::DecommissionLedger &ledger) {
    QString html = pageHeading(u"Summary"_s, false);
    html += tableOpen();
    html += u"<tr><th align=\"left\">Environment</th><th align=\"left\">OTel</th>"
            u"<th align=\"left\">Phase</th><th align=\"left\">Migrated</th>"
            u"<th align=\"left\">Decommission</th><th align=\"left\">Saving per month</th></tr>"_s;
    for (const engine::EnvironmentSnapshot &s : in.snapshots) {
        const bool migrated = s.phase == engine::Phase::Complete && s.currentPercent == 100;
        QString decommission = u"not planned"_s;
        QString saving = u"not measured (no decommission in the plan)"_s;
        if (s.decommission.planned) {
            const decommission::EnvironmentProgress progress = ledger.progress(s.environment);
            const decommission::CostSummary cost = ledger.cost(progress);
            decommission =
                u"%1 of %2 steps done"_s.arg(progress.doneCount()).arg(progress.steps.size());
            saving = u"%1 (%2% of the baseline)"_s.arg(money(cost.retiredPerMonth, cost.currency))
                         .arg(cost.realizedPercent(), 0, 'f', 1);
        }
        html +=
            u"<tr><td>%1</td><td>%2%</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td></tr>"_s.arg(
                esc(s.environment), QString::number(s.currentPercent),
                esc(engine::phaseName(s.phase)),
                migrated ? badge(u"yes"_s, u"#1e7b34"_s) : badge(u"no"_s, u"#5f6670"_s),
                esc(decommission), esc(saving));
    }
    html += u"</table>"_s;
    return html;
}

// Each stage of the plan with when it was last reached and last validated (and how often, when
// a rollback made the cutover go through it again).
QString stagesHtml(const config::Plan &plan, const QList<store::AuditEntry> &entries) {
    struct Seen {
        const store::AuditEntry *shifted = nullptr;
        int shifts = 0;
        const store::AuditEntry *validated = nullptr;
    };
    QHash<int, Seen> seen;
    for (const store::AuditEntry &entry : entries) {
        const bool shifted = entry.action == u"shift_applied"_s;
        const bool validated = entry.action == u"validation_passed"_s;
        if (!shifted && !validated)
            continue;
        const int percent = entry.detailsObject().value(u"percent"_s).toInt(-1);
        Seen &s = seen[percent];
        if (shifted) {
            s.shifted = &entry;
            ++s.shifts;
        } else {
            s.validated = &entry;
        }
    }
    QString html = u"<h3>Stages</h3>"_s + tableOpen();
    html += u"<tr><th align=\"left\">Stage</th><th align=\"left\">Weights applied</th>"
            u"<th align=\"left\">Validated</th></tr>"_s;
    for (const config::Stage &stage : plan.stages) {
        const Seen s = seen.value(stage.percent);
        QString shifted = u"not reached"_s;
        if (s.shifted) {
            shifted = u"%1 by %2 (audit #%3)"_s.arg(utc(s.shifted->at), s.shifted->actor)
                          .arg(s.shifted->seq);
            if (s.shifts > 1)
                shifted += u"; reached %1 times"_s.arg(s.shifts);
        }
        QString validated = u"-"_s;
        if (s.validated) {
            const QJsonObject d = s.validated->detailsObject();
            validated =
                u"%1: measured %2% OTel (accepted %3-%4%) (audit #%5)"_s.arg(utc(s.validated->at))
                    .arg(d.value(u"measured_share"_s).toDouble() * 100, 0, 'f', 1)
                    .arg(d.value(u"lower"_s).toDouble() * 100, 0, 'f', 1)
                    .arg(d.value(u"upper"_s).toDouble() * 100, 0, 'f', 1)
                    .arg(s.validated->seq);
        }
        html += u"<tr><td>%1%</td><td>%2</td><td>%3</td></tr>"_s.arg(QString::number(stage.percent),
                                                                     esc(shifted), esc(validated));
    }
    html += u"</table>"_s;
    return html;
}

QString rollbacksHtml(const CompletionReportInputs &in, const engine::EnvironmentSnapshot &s,
                      const QList<store::AuditEntry> &entries) {
    QStringList rollbacks;
    int started = 0;
    for (const store::AuditEntry &entry : entries) {
        const QJsonObject d = entry.detailsObject();
        if (entry.action == u"rollback_started"_s) {
            ++started;
            rollbacks.append(u"%1: rollback started by %2 (%3): %4 (audit #%5)"_s.arg(
                utc(entry.at), entry.actor, d.value(u"cause"_s).toString(),
                d.value(u"reason"_s).toString(), QString::number(entry.seq)));
        } else if (entry.action == u"rollback_completed"_s ||
                   entry.action == u"rollback_incomplete"_s) {
            rollbacks.append(
                u"%1: %2 (audit #%3)"_s.arg(utc(entry.at),
                                            entry.action == u"rollback_completed"_s
                                                ? u"rollback verified on every load balancer"_s
                                                : u"rollback NOT verified on every load balancer"_s,
                                            QString::number(entry.seq)));
        }
    }
    // The incidents are the status report's issues, with what resolved them.
    ReportInputs issues;
    issues.plan = in.plan;
    issues.snapshots = {s};
    issues.audit = entries;
    issues.now = in.now;
    const StatusReport status = buildStatusReport(issues);

    QString html = u"<h3>Rollbacks and incidents</h3>"_s;
    auto list = [](const QStringList &lines, const QString &none) {
        return lines.isEmpty() ? u"<p>%1</p>"_s.arg(esc(none)) : bulletList(lines);
    };
    html += u"<p><b>Rollbacks:</b> %1</p>"_s.arg(started);
    html += list(rollbacks, u"No rollback."_s);
    html += u"<p><b>Incidents:</b> %1 raised, %2 resolved</p>"_s.arg(status.issuesRaised)
                .arg(status.issuesResolved);
    html += list(status.issueLines, u"No incident recorded."_s);
    return html;
}

QString stepRowsHtml(const decommission::StepProgress &p) {
    const config::DecommissionStep &step = *p.step;
    QStringList approvals;
    for (const decommission::Approval &a : p.approvals)
        approvals.append(u"%1 (%2, %3)"_s.arg(a.operatorName, a.role, utc(a.at)));
    QString state = decommission::stepStateName(p.state).replace(u'_', u' ');
    const QString colour = p.state == StepState::Done     ? u"#1e7b34"_s
                           : p.state == StepState::Failed ? u"#c62828"_s
                                                          : u"#5f6670"_s;
    QString when;
    if (p.startedAt.isValid())
        when = u"started %1 by %2"_s.arg(utc(p.startedAt), p.startedBy);
    if (p.doneAt.isValid())
        when += u"; done %1"_s.arg(utc(p.doneAt));
    if (p.state == StepState::Waiting)
        when += u"; waiting until %1"_s.arg(utc(p.waitUntil));
    QString html = u"<tr><td>%1%2</td><td>%3</td><td>%4</td><td>%5</td></tr>"_s.arg(
        esc(step.title),
        step.isIrreversible() ? u"<br><small><b>irreversible</b></small>"_s : QString(),
        badge(state, colour), esc(when.isEmpty() ? u"-"_s : when),
        esc(approvals.isEmpty() ? (step.approvals.isEmpty() ? u"none needed"_s : u"none yet"_s)
                                : approvals.join(u"; "_s)));
    QStringList evidence;
    flatten(p.evidence, {}, evidence);
    QStringList output;
    flatten(p.output, {}, output);
    if (p.state == StepState::Failed && !p.error.isEmpty())
        output.prepend(u"error: "_s + p.error);
    if (!evidence.isEmpty() || !output.isEmpty()) {
        QString detail;
        if (!evidence.isEmpty())
            detail += u"<b>Evidence</b><br><small>%1</small>"_s.arg(linesHtml(evidence));
        if (!output.isEmpty())
            detail += (detail.isEmpty() ? QString() : u"<br>"_s) +
                      u"<b>Output</b><br><small>%1</small>"_s.arg(linesHtml(output));
        html += u"<tr><td colspan=\"4\">%1</td></tr>"_s.arg(detail);
    }
    return html;
}

QString decommissionHtml(const decommission::EnvironmentProgress &progress) {
    QString html = u"<h3>Decommission</h3>"_s;
    if (progress.pointOfNoReturn) {
        const decommission::PointOfNoReturn &p = *progress.pointOfNoReturn;
        html += u"<p><b>Point of no return:</b> '%1' started %2 by %3%4. Rollback is refused "
                u"from then on.</p>"_s.arg(
                    esc(p.stepTitle), esc(utc(p.at)), esc(p.by),
                    p.servers.isEmpty() ? QString()
                                        : esc(u" (removed: "_s + p.servers.join(u", "_s) + u')'));
    } else {
        html += u"<p>Point of no return not passed: a rollback still restores the legacy "
                u"collectors.</p>"_s;
    }
    if (!progress.permanenceEvidence.isEmpty())
        html +=
            u"<p>Permanence of the 100% weights: %1</p>"_s.arg(esc(progress.permanenceEvidence));
    std::optional<config::DecommissionStep::Phase> phase;
    for (const decommission::StepProgress &p : progress.steps) {
        if (!phase || *phase != p.step->phase) {
            if (phase)
                html += u"</table>"_s;
            phase = p.step->phase;
            html += u"<h4>%1</h4>"_s.arg(esc(config::phaseTitle(*phase)));
            html += tableOpen();
            html +=
                // The same columns in every week's table: the weeks read as one timeline.
                u"<tr><th align=\"left\" width=\"32%\">Step</th>"
                u"<th align=\"left\" width=\"14%\">State</th>"
                u"<th align=\"left\" width=\"28%\">When, by whom</th>"
                u"<th align=\"left\" width=\"26%\">Approvals</th></tr>"_s;
        }
        html += stepRowsHtml(p);
    }
    if (phase)
        html += u"</table>"_s;
    return html;
}

QString costHtml(const config::DecommissionConfig &config,
                 const decommission::EnvironmentProgress &progress,
                 const decommission::CostSummary &cost) {
    QString html = u"<h3>Cost analysis</h3>"_s + tableOpen();
    html += u"<tr><th align=\"left\">Component</th><th align=\"left\">Kind</th>"
            u"<th align=\"right\">Per month</th><th align=\"left\">Retired by</th>"
            u"<th align=\"left\">Status</th></tr>"_s;
    for (const config::DecommissionComponent &c : config.components) {
        QString retiredBy = u"-"_s;
        bool retired = false;
        for (const decommission::StepProgress &p : progress.steps) {
            if (!p.step->retires.contains(c.id))
                continue;
            retiredBy = p.step->title;
            retired = p.state == StepState::Done;
            if (retired)
                retiredBy += u" (%1)"_s.arg(utc(p.doneAt));
        }
        html += u"<tr><td>%1</td><td>%2</td><td align=\"right\">%3</td><td>%4</td><td>%5</td>"
                u"</tr>"_s.arg(esc(c.title), esc(config::componentKindName(c.kind)),
                               esc(money(c.costPerMonth, config.currency)), esc(retiredBy),
                               retired ? badge(u"retired"_s, u"#1e7b34"_s)
                                       : badge(u"running"_s, u"#5f6670"_s));
    }
    html += u"</table>"_s;
    const double after = cost.baselinePerMonth - cost.retiredPerMonth;
    const bool inBand = cost.realizedPercent() >= cost.targetLowPercent;
    html +=
        u"<p>Before: <b>%1</b> per month (the whole telemetry infrastructure). After: "
        u"<b>%2</b> per month. Saving realized: <b>%3</b> per month, <b>%4%</b> of the "
        u"baseline (planned when every step is done: %5, %6%). Target: %7-%8% %9</p>"_s
            .arg(esc(money(cost.baselinePerMonth, cost.currency)), esc(money(after, cost.currency)),
                 esc(money(cost.retiredPerMonth, cost.currency)))
            .arg(cost.realizedPercent(), 0, 'f', 1)
            .arg(esc(money(cost.plannedPerMonth, cost.currency)))
            .arg(cost.plannedPercent(), 0, 'f', 1)
            .arg(cost.targetLowPercent)
            .arg(cost.targetHighPercent)
            .arg(inBand ? badge(u"met"_s, u"#1e7b34"_s) : badge(u"not met"_s, u"#c62828"_s));
    html += u"<p><small>Costs are the plan's inventory: a component's cost counts as saved once "
            u"the step that retires it is done (never estimated).</small></p>"_s;
    return html;
}

QString auditHtml(const store::AuditVerification &v) {
    if (!v.ok)
        return u"<p>%1 <b>%2</b></p>"_s.arg(badge(u"audit chain broken"_s, u"#c62828"_s),
                                            esc(v.toString()));
    return u"<p><b>Audit chain verified:</b> %1 entries.<br>Head hash:<br><tt>%2</tt><br>"
           u"<small><tt>cutover-console --verify-audit</tt> prints the same head hash while the "
           u"log is unchanged.</small></p>"_s.arg(v.entries)
               .arg(esc(v.headHash));
}

} // namespace

QString completionReportHtml(const CompletionReportInputs &in) {
    QString html = u"<html><body style=\"color:#000000; background-color:#ffffff;\">"_s;
    const QString planName = in.plan ? in.plan->name : QString();
    html += u"<h1>Cutover completion report%1</h1>"_s.arg(
        planName.isEmpty() ? QString() : u" - "_s + esc(planName));
    html += u"<p>As of %1.</p>"_s.arg(esc(utc(in.now)));
    if (in.plan && !in.plan->sha256Hex.isEmpty())
        html += u"<p>Plan file %1<br>SHA-256 <tt>%2</tt></p>"_s.arg(
            esc(in.plan->sourceFile), esc(QString::fromLatin1(in.plan->sha256Hex)));
    html += auditHtml(in.verification);

    const config::DecommissionConfig *config = in.plan ? &in.plan->decommission : nullptr;
    decommission::DecommissionLedger ledger(config && config->isSet() ? config : nullptr);
    ledger.applyAll(in.audit);
    html += summaryHtml(in, ledger);

    for (qsizetype i = 0; i < in.snapshots.size(); ++i) {
        const engine::EnvironmentSnapshot &s = in.snapshots.at(i);
        const QList<store::AuditEntry> entries = entriesOf(in.audit, s.environment);
        // The first environment follows the summary; each further one starts a page.
        html += pageHeading(u"Environment: "_s + s.environment, i > 0);
        if (in.plan)
            html += stagesHtml(*in.plan, entries);
        html += rollbacksHtml(in, s, entries);

        const QString exitGate = config ? config->exitCriteriaGate : QString();
        const QString handoffGate = config ? config->handoffGate : QString();
        html += u"<h3>Gates and signatures</h3>"_s;
        for (const engine::GateStatus &gate : s.gates) {
            if (gate.id != exitGate && gate.id != handoffGate)
                html += gateRecordHtml(gate, false);
        }
        if (s.decommission.planned && config) {
            const decommission::EnvironmentProgress progress = ledger.progress(s.environment);
            html += decommissionHtml(progress);
            html += costHtml(*config, progress, ledger.cost(progress));
        }
        auto namedGate = [&](const QString &id, const QString &heading) {
            html += u"<h3>%1</h3>"_s.arg(esc(heading));
            const engine::GateStatus *gate = id.isEmpty() ? nullptr : findGate(s, id);
            if (!gate) {
                html += u"<p><i>The plan names no %1 gate (decommission.%2).</i></p>"_s.arg(
                    esc(heading.toLower()),
                    heading == u"Exit criteria"_s ? u"exit_criteria_gate"_s : u"handoff_gate"_s);
                return;
            }
            html += gateRecordHtml(*gate, false);
        };
        namedGate(exitGate, u"Exit criteria"_s);
        namedGate(handoffGate, u"Handoff checklist"_s);
    }
    html += pageHeading(u"Audit chain"_s, true);
    html += auditHtml(in.verification);
    html += u"</body></html>"_s;
    return html;
}

} // namespace cutover::report
