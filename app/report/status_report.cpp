#include "app/report/status_report.h"

#include "app/report/report_html.h"

#include <QHash>
#include <QSet>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::report {

namespace {

using CheckState = engine::CheckStatus::State;

QString percentText(double share, int decimals = 1) {
    return QString::number(share * 100.0, 'f', decimals) + u'%';
}

const config::Panel *findPanel(const config::Plan *plan, const QString &id) {
    if (!plan)
        return nullptr;
    for (const config::PanelGroup &group : plan->panelGroups) {
        for (const config::Panel &panel : group.panels) {
            if (panel.id == id)
                return &panel;
        }
    }
    return nullptr;
}

const config::Trigger *findTrigger(const config::Plan *plan, const QString &title) {
    if (!plan)
        return nullptr;
    for (const config::Trigger &trigger : plan->rollback.triggers) {
        if (trigger.title == title || trigger.id == title)
            return &trigger;
    }
    return nullptr;
}

// "otel" first, then "legacy", then the rest by name: the reader looks for the new system.
int systemOrder(const QString &system) {
    if (system.compare(u"otel"_s, Qt::CaseInsensitive) == 0)
        return 0;
    if (system.compare(u"legacy"_s, Qt::CaseInsensitive) == 0)
        return 1;
    return 2;
}

QString systemName(const QString &system) {
    if (system.compare(u"otel"_s, Qt::CaseInsensitive) == 0)
        return u"OTel"_s;
    if (system.compare(u"legacy"_s, Qt::CaseInsensitive) == 0)
        return u"legacy"_s;
    return system;
}

// --- Issues from the audit log ---------------------------------------------------------------

// What raises an issue, and what later entry of the same environment resolves it.
struct IssueKind {
    QString action;
    QString text;
    QStringList resolvedBy;
};

const QList<IssueKind> &issueKinds() {
    static const QList<IssueKind> kinds{
        {u"trigger_fired"_s,
         u"rollback trigger fired"_s,
         {u"rollback_completed"_s, u"validation_passed"_s}},
        {u"validation_failed"_s,
         u"validation failed"_s,
         {u"rollback_completed"_s, u"validation_passed"_s, u"shift_reverted"_s}},
        {u"validation_unknown"_s,
         u"validation could not measure the split"_s,
         {u"validation_passed"_s, u"rollback_completed"_s, u"shift_reverted"_s}},
        {u"drift_detected"_s,
         u"weight drift on a load balancer"_s,
         {u"drift_reasserted"_s, u"rollback_completed"_s, u"shift_applied"_s}},
        {u"shift_failed"_s, u"shift failed"_s, {u"shift_applied"_s, u"rollback_completed"_s}},
        {u"rollback_incomplete"_s,
         u"rollback not verified on every load balancer"_s,
         {u"rollback_completed"_s}},
    };
    return kinds;
}

QString resolutionText(const QString &action) {
    if (action == u"rollback_completed"_s)
        return u"verified rollback"_s;
    if (action == u"validation_passed"_s)
        return u"validation passed"_s;
    if (action == u"shift_reverted"_s)
        return u"shift reverted"_s;
    if (action == u"drift_reasserted"_s)
        return u"weights re-asserted"_s;
    if (action == u"shift_applied"_s)
        return u"weights rewritten by a shift"_s;
    return action;
}

void countIssues(const QList<store::AuditEntry> &audit, StatusReport &report) {
    for (qsizetype i = 0; i < audit.size(); ++i) {
        const store::AuditEntry &entry = audit.at(i);
        const auto kind =
            std::find_if(issueKinds().cbegin(), issueKinds().cend(),
                         [&](const IssueKind &k) { return k.action == entry.action; });
        if (kind == issueKinds().cend())
            continue;
        ++report.issuesRaised;
        const store::AuditEntry *resolution = nullptr;
        for (qsizetype j = i + 1; j < audit.size() && !resolution; ++j) {
            const store::AuditEntry &later = audit.at(j);
            if (later.environment == entry.environment && kind->resolvedBy.contains(later.action))
                resolution = &later;
        }
        QString line = u"%1: %2 (%3, audit #%4)"_s.arg(
            entry.environment.isEmpty() ? u"all"_s : entry.environment, kind->text, utc(entry.at),
            QString::number(entry.seq));
        const QString title = entry.detailsObject().value(u"title"_s).toString();
        if (!title.isEmpty())
            line += u": "_s + title;
        if (resolution) {
            ++report.issuesResolved;
            line += u" - resolved: %1 (%2, audit #%3)"_s.arg(resolutionText(resolution->action),
                                                             utc(resolution->at),
                                                             QString::number(resolution->seq));
        } else {
            line += u" - open"_s;
        }
        report.issueLines.append(line);
    }
}

// --- Key metrics -----------------------------------------------------------------------------

QString readingText(const MetricReading *reading, const config::Panel &panel,
                    const QString &problem) {
    if (!reading)
        return problem.isEmpty() ? u"unknown (not queried)"_s : u"unknown (%1)"_s.arg(problem);
    if (!reading->error.isEmpty())
        return u"unknown (%1)"_s.arg(reading->error);
    QList<MetricReading::Value> values;
    for (const MetricReading::Value &v : reading->values) {
        if (std::isfinite(v.value))
            values.append(v);
    }
    if (values.isEmpty())
        return u"unknown (no data)"_s;
    std::stable_sort(values.begin(), values.end(), [](const auto &a, const auto &b) {
        const int oa = systemOrder(a.system);
        const int ob = systemOrder(b.system);
        return oa != ob ? oa < ob : a.system < b.system;
    });
    QStringList parts;
    for (const MetricReading::Value &v : values) {
        const QString formatted = formatValue(v.value, panel.unit);
        parts.append(v.system.isEmpty() ? formatted : systemName(v.system) + u' ' + formatted);
    }
    return parts.join(u", "_s);
}

QString keyMetricLine(const KeyMetricSpec &spec, const ReportInputs &in) {
    const config::Panel *panel = findPanel(in.plan, spec.panelId);
    if (!panel)
        return u"%1: unknown (the plan has no '%2' panel)"_s.arg(spec.label, spec.panelId);
    QStringList perEnvironment;
    for (const engine::EnvironmentSnapshot &s : in.snapshots) {
        const MetricReading *reading = nullptr;
        for (const MetricReading &m : in.metrics) {
            if (m.environment == s.environment && m.panelId == spec.panelId)
                reading = &m;
        }
        const QString text = readingText(reading, *panel, in.metricsProblem);
        perEnvironment.append(in.snapshots.size() == 1 ? text : s.environment + u": "_s + text);
    }
    if (perEnvironment.isEmpty())
        perEnvironment.append(u"unknown (no environment)"_s);
    // Prometheus down says the same for every environment: once is enough.
    if (in.snapshots.size() > 1) {
        QStringList texts;
        for (const QString &text : perEnvironment)
            texts.append(text.section(u": "_s, 1));
        if (texts.count(texts.constFirst()) == texts.size() &&
            texts.constFirst().startsWith(u"unknown"_s))
            perEnvironment = {u"all environments: "_s + texts.constFirst()};
    }
    return u"%1: %2"_s.arg(spec.label, perEnvironment.join(u"; "_s));
}

// --- Upcoming activities and risks -----------------------------------------------------------

void addUpcoming(const engine::EnvironmentSnapshot &s, const ReportInputs &in,
                 StatusReport &report) {
    const QString env = s.environment;
    switch (s.phase) {
    case engine::Phase::Shifting:
        report.upcoming.append(u"[%1]: %2: shift to %3% in progress"_s.arg(
            utc(in.now), env, QString::number(s.nextPercent >= 0 ? s.nextPercent : 0)));
        return;
    case engine::Phase::RollingBack:
        report.upcoming.append(
            u"[%1]: %2: rollback to 100% legacy in progress"_s.arg(utc(in.now), env));
        return;
    case engine::Phase::Stabilizing:
    case engine::Phase::Validating:
        report.upcoming.append(u"[%1]: Validation of %2 at %3% (accepted %4 to %5)"_s.arg(
            s.progressEnd.isValid() ? utc(s.progressEnd) : u"when the data arrive"_s, env,
            QString::number(s.currentPercent), percentText(s.lowerBound),
            percentText(s.upperBound)));
        return;
    case engine::Phase::Complete: {
        const QDateTime since = s.state.enteredAt.isValid() ? s.state.enteredAt : s.state.changedAt;
        report.upcoming.append(u"[%1]: %2: exit criterion \"30 days stable on 100% OTel\"%3"_s.arg(
            since.isValid() ? utc(since.addDays(30)) : u"in 30 days"_s, env,
            since.isValid() ? u" (100% since %1)"_s.arg(utc(since)) : QString()));
        return;
    }
    case engine::Phase::RolledBack:
    case engine::Phase::Holding:
        break;
    }
    if (s.nextPercent < 0)
        return;
    QString when;
    QString why;
    if (s.progressLabel == u"hold"_s && s.progressEnd.isValid() && s.progressEnd > in.now) {
        when = utc(s.progressEnd);
        why = u"when the hold ends"_s;
    } else {
        when = u"not scheduled"_s;
        why = s.stageIndex < 0 ? u"first stage: no hold"_s : u"hold over"_s;
        if (s.phase == engine::Phase::RolledBack)
            why = u"after the rollback's cause is fixed"_s;
    }
    const QStringList refusals = in.shiftRefusals.value(env);
    if (!refusals.isEmpty())
        why += u"; %1 blocker(s) to clear first"_s.arg(refusals.size());
    report.upcoming.append(
        u"[%1]: Shift %2 to %3% (%4)"_s.arg(when, env, QString::number(s.nextPercent), why));
    for (const QString &gateId : s.gatesBeforeNextShift) {
        for (const engine::GateStatus &gate : s.gates) {
            if (gate.id != gateId || gate.ready())
                continue;
            QStringList awaited;
            for (const engine::SignatureStatus &sig : gate.signatures) {
                if (!sig.signOff)
                    awaited.append(sig.role);
            }
            int passing = 0;
            for (const engine::CheckStatus &c : gate.checks)
                passing += c.state == CheckState::Pass ? 1 : 0;
            report.upcoming.append(
                u"[before the shift]: Validation gate \"%1\" in %2: %3 of %4 items pass%5"_s.arg(
                    gate.title, env, QString::number(passing), QString::number(gate.checks.size()),
                    awaited.isEmpty() ? QString()
                                      : u"; signatures awaited: "_s + awaited.join(u", "_s)));
        }
    }
}

void addRisks(const engine::EnvironmentSnapshot &s, const ReportInputs &in, StatusReport &report) {
    const QString env = s.environment;
    for (const QString &title : s.firingTriggers) {
        const config::Trigger *trigger = findTrigger(in.plan, title);
        const QString mitigation = trigger && trigger->action == config::Trigger::Action::Auto
                                       ? u"automatic rollback to 100% legacy"_s
                                       : u"on-call alarmed; rollback is one press away"_s;
        report.risks.append(u"Trigger firing in %1: %2: %3"_s.arg(env, title, mitigation));
    }
    if (s.validationFailed)
        report.risks.append(
            u"Validation failed in %1 (%2): policy \"%3\" applied; next shift refused until "
            u"resolved"_s.arg(env, s.lastValidation,
                              in.plan
                                  ? config::failurePolicyName(in.plan->rollback.onValidationFailure)
                                  : u"unknown"_s));
    for (const QString &lb : s.rollbackProblems)
        report.risks.append(
            u"Rollback not verified in %1 on %2: the engine retries; check that load balancer "
            u"by hand"_s.arg(env, lb));
    for (const QString &drift : s.driftAlarms) {
        const bool reassert =
            in.plan && in.plan->drift.policyFor(s.phase == engine::Phase::Complete) ==
                           config::DriftConfig::Policy::Reassert;
        report.risks.append(u"Weight drift in %1 (%2): %3"_s.arg(
            env, drift,
            reassert ? u"the engine re-asserts the intended weights"_s
                     : u"alarm raised; an operator re-applies or rolls back"_s));
    }
    QSet<QString> seen;
    for (const engine::GateStatus &gate : s.gates) {
        const bool guardsNextShift = s.gatesBeforeNextShift.contains(gate.id);
        for (const engine::CheckStatus &check : gate.checks) {
            if (check.kind != config::Check::Kind::Automatic)
                continue;
            const QString key = check.id + u'|' + check.detail;
            if (check.state == CheckState::Fail && !seen.contains(key)) {
                seen.insert(key);
                report.risks.append(u"Check failing in %1: \"%2\" (%3, %4): %5"_s.arg(
                    env, check.title, gate.title, check.detail,
                    guardsNextShift ? u"the next shift is refused and the hold restarts on a "
                                      u"breach"_s
                                    : u"watched; not guarding the next shift"_s));
            } else if (check.state == CheckState::Unknown && guardsNextShift &&
                       !seen.contains(key)) {
                seen.insert(key);
                report.risks.append(u"Check unknown in %1: \"%2\" (%3, %4): missing data never "
                                    u"counts as a pass; the next shift waits for data"_s.arg(
                                        env, check.title, gate.title, check.detail));
            }
        }
    }
    for (const engine::BackendHealth &b : s.backends) {
        if (b.state != engine::BackendHealth::State::Down)
            continue;
        // Prometheus, Alertmanager and the store serve every environment: one line for all.
        const bool global = in.plan && !in.plan->loadBalancer(b.name);
        if (global) {
            const QString line =
                u"Backend down (all environments): %1%2: shifts refused until it "
                u"answers; a rollback is still tried on every load balancer"_s.arg(
                    b.name, b.problem.isEmpty() ? QString() : u" ("_s + b.problem + u')');
            if (!report.risks.contains(line))
                report.risks.append(line);
            continue;
        }
        report.risks.append(
            u"Backend down in %1: %2%3: shifts refused until it answers; a "
            u"rollback is still tried on every load balancer"_s.arg(
                env, b.name, b.problem.isEmpty() ? QString() : u" ("_s + b.problem + u')'));
    }
}

} // namespace

QList<KeyMetricSpec> keyMetricSpecs() {
    return {{u"collection_success_rate"_s, u"Collection success rate"_s},
            {u"metric_delivery_latency"_s, u"Average latency"_s},
            {u"error_rates_by_system"_s, u"Error rate (5xx responses)"_s}};
}

QString formatValue(double value, const QString &unit) {
    if (!std::isfinite(value))
        return u"unknown"_s;
    if (unit == u"ratio"_s)
        return QString::number(value * 100.0, 'f', 2) + u'%';
    if (unit == u"percent"_s)
        return QString::number(value, 'f', 2) + u'%';
    if (unit == u"seconds"_s)
        return value < 1.0 ? QString::number(value * 1000.0, 'f', 1) + u" ms"_s
                           : QString::number(value, 'f', 2) + u" s"_s;
    if (unit == u"per_second"_s)
        return QString::number(value, 'f', 3) + u"/s"_s;
    if (unit == u"bytes"_s)
        return QString::number(value / (1024.0 * 1024.0), 'f', 1) + u" MiB"_s;
    return QString::number(value, 'g', 4);
}

StatusReport buildStatusReport(const ReportInputs &in) {
    StatusReport report;
    const QDate day = in.now.toUTC().date();
    int isoYear = 0;
    const int week = day.weekNumber(&isoYear);
    report.title = u"OTel Cutover Status - Week %1, %2"_s.arg(week).arg(isoYear);
    report.asOf = utc(in.now);
    if (in.plan)
        report.planLine = u"%1 (plan SHA-256 %2)"_s.arg(
            in.plan->name, QString::fromLatin1(in.plan->sha256Hex.left(16)));

    report.environmentsTotal = int(in.snapshots.size());
    for (const engine::EnvironmentSnapshot &s : in.snapshots) {
        StatusReport::Split split;
        split.environment = s.environment;
        split.otelPercent = s.currentPercent;
        split.legacyPercent = 100 - s.currentPercent;
        split.phase = engine::phaseName(s.phase);
        split.measuredShare = s.measuredShare;
        report.splits.append(split);
        if (s.phase == engine::Phase::Complete && s.currentPercent == 100)
            ++report.environmentsMigrated;
    }

    countIssues(in.audit, report);

    for (const engine::EnvironmentSnapshot &s : in.snapshots) {
        if (s.nextPercent < 0)
            continue;
        for (const QString &reason : in.shiftRefusals.value(s.environment))
            report.blockers.append(u"%1 (shift to %2%): %3"_s.arg(
                s.environment, QString::number(s.nextPercent), reason));
    }

    for (const KeyMetricSpec &spec : keyMetricSpecs())
        report.keyMetrics.append(keyMetricLine(spec, in));
    // From the decommission's inventory and the steps done: never estimated.
    QStringList savings;
    for (const engine::EnvironmentSnapshot &s : in.snapshots) {
        const engine::DecommissionSummary &d = s.decommission;
        if (!d.planned)
            continue;
        const double percent =
            d.baselinePerMonth > 0 ? 100 * d.retiredPerMonth / d.baselinePerMonth : 0;
        savings.append(u"%1: %2 %3/month (%4% of the %5 %3 baseline; target %6-%7%; %8 of %9 "
                       u"decommission steps done)"_s.arg(s.environment)
                           .arg(d.retiredPerMonth, 0, 'f', 0)
                           .arg(d.currency)
                           .arg(percent, 0, 'f', 1)
                           .arg(d.baselinePerMonth, 0, 'f', 0)
                           .arg(d.targetLowPercent)
                           .arg(d.targetHighPercent)
                           .arg(d.stepsDone)
                           .arg(d.steps));
    }
    report.costSavings = savings.isEmpty()
                             ? u"not measured by the console (the plan has no decommission)"_s
                             : savings.join(u"; "_s);

    for (const engine::EnvironmentSnapshot &s : in.snapshots) {
        addUpcoming(s, in, report);
        addRisks(s, in, report);
    }
    return report;
}

QString toMarkdown(const StatusReport &r) {
    QString md;
    auto line = [&md](const QString &text) {
        md += text + u'\n';
    };
    auto list = [&line](const QString &head, const QStringList &items, const QString &none) {
        if (items.isEmpty()) {
            line(u"- %1: %2"_s.arg(head, none));
            return;
        }
        line(u"- %1:"_s.arg(head));
        for (const QString &item : items)
            line(u"  - "_s + item);
    };

    line(u"# "_s + r.title);
    line(QString());
    QString asOf = u"As of "_s + r.asOf;
    if (!r.planLine.isEmpty())
        asOf += u" · "_s + r.planLine;
    line(u"_%1_"_s.arg(asOf));
    line(QString());
    line(u"## Progress Summary"_s);
    QStringList splits;
    for (const StatusReport::Split &s : r.splits) {
        splits.append(u"%1: %2% OTel / %3% Legacy (%4; measured OTel share %5)"_s.arg(
            s.environment, QString::number(s.otelPercent), QString::number(s.legacyPercent),
            s.phase, s.measuredShare ? percentText(*s.measuredShare) : u"unknown"_s));
    }
    if (splits.size() == 1)
        line(u"- Current traffic split: "_s + splits.constFirst().section(u": "_s, 1));
    else
        list(u"Current traffic split"_s, splits, u"no environment"_s);
    line(u"- Systems migrated: %1 of %2 (environments at 100% OTel, validated)"_s.arg(
        QString::number(r.environmentsMigrated), QString::number(r.environmentsTotal)));
    QString issues = u"Issues resolved: %1"_s.arg(r.issuesResolved);
    if (r.issuesRaised > 0)
        issues += u" (of %1 raised; %2 open)"_s.arg(r.issuesRaised)
                      .arg(r.issuesRaised - r.issuesResolved);
    if (r.issueLines.isEmpty())
        line(u"- %1 (none raised)"_s.arg(issues));
    else
        list(issues, r.issueLines, {});
    list(u"Blockers"_s, r.blockers, u"None"_s);
    line(QString());
    line(u"## Key Metrics"_s);
    for (const QString &metric : r.keyMetrics)
        line(u"- "_s + metric);
    line(u"- Cost savings realized: "_s + r.costSavings);
    line(QString());
    line(u"## Upcoming Activities"_s);
    if (r.upcoming.isEmpty())
        line(u"- None scheduled"_s);
    for (const QString &item : r.upcoming)
        line(u"- "_s + item);
    line(QString());
    line(u"## Risks and Mitigations"_s);
    if (r.risks.isEmpty())
        line(u"- None observed at report time: no trigger firing, no failing check, no drift"_s);
    for (const QString &item : r.risks)
        line(u"- "_s + item);
    return md;
}

QString toHtml(const StatusReport &r) {
    QString html = u"<html><body style=\"color:#000000; background-color:#ffffff;\">"_s;
    auto items = [](const QStringList &list, const QString &none) {
        return bulletList(list.isEmpty() ? QStringList{none} : list);
    };
    html += u"<h1>%1</h1>"_s.arg(esc(r.title));
    html += u"<p><i>%1</i></p>"_s.arg(
        esc(u"As of "_s + r.asOf + (r.planLine.isEmpty() ? QString() : u" · "_s + r.planLine)));
    html += u"<h2>Progress Summary</h2><ul>"_s;
    QStringList splits;
    for (const StatusReport::Split &s : r.splits)
        splits.append(u"%1: %2% OTel / %3% Legacy (%4; measured OTel share %5)"_s.arg(
            s.environment, QString::number(s.otelPercent), QString::number(s.legacyPercent),
            s.phase, s.measuredShare ? percentText(*s.measuredShare) : u"unknown"_s));
    html += u"<li><b>Current traffic split:</b>%1</li>"_s.arg(items(splits, u"no environment"_s));
    html += u"<li><b>Systems migrated:</b> %1 of %2</li>"_s.arg(r.environmentsMigrated)
                .arg(r.environmentsTotal);
    QString issues = QString::number(r.issuesResolved);
    if (r.issuesRaised > 0)
        issues += u" (of %1 raised; %2 open)"_s.arg(r.issuesRaised)
                      .arg(r.issuesRaised - r.issuesResolved);
    html += u"<li><b>Issues resolved:</b> %1%2</li>"_s.arg(
        esc(issues), r.issueLines.isEmpty() ? QString() : items(r.issueLines, {}));
    html += u"<li><b>Blockers:</b>%1</li></ul>"_s.arg(items(r.blockers, u"None"_s));
    html += u"<h2>Key Metrics</h2>"_s;
    html += items(r.keyMetrics + QStringList{u"Cost savings realized: "_s + r.costSavings}, {});
    html += u"<h2>Upcoming Activities</h2>"_s + items(r.upcoming, u"None scheduled"_s);
    html += u"<h2>Risks and Mitigations</h2>"_s +
            items(r.risks,
                  u"None observed at report time: no trigger firing, no failing check, no drift"_s);
    html += u"</body></html>"_s;
    return html;
}

// --- Sign-off record -------------------------------------------------------------------------

QString signOffRecordHtml(const SignOffRecordInputs &in) {
    QString html = u"<html><body style=\"color:#000000; background-color:#ffffff;\">"_s;
    const QString planName = in.plan ? in.plan->name : QString();
    html += u"<h1>Sign-off record%1</h1>"_s.arg(planName.isEmpty() ? QString()
                                                                   : u" - "_s + esc(planName));
    html += u"<p>As of %1.</p>"_s.arg(esc(utc(in.now)));
    if (in.plan && !in.plan->sha256Hex.isEmpty())
        html += u"<p>Plan file %1<br>SHA-256 <tt>%2</tt></p>"_s.arg(
            esc(in.plan->sourceFile), esc(QString::fromLatin1(in.plan->sha256Hex)));
    if (in.audit.ok) {
        html += u"<p><b>Audit chain verified:</b> %1 entries.<br>Head hash:<br><tt>%2</tt></p>"_s
                    .arg(in.audit.entries)
                    .arg(esc(in.audit.headHash));
    } else {
        html += u"<p>%1 <b>%2</b></p>"_s.arg(badge(u"audit chain broken"_s, u"#c62828"_s),
                                             esc(in.audit.toString()));
    }
    html += u"<p>Each signature is an electronic signature (21 CFR Part 11 §11.50): printed name, "
            u"date and time, and meaning, signed with the signer's Ed25519 key over the gate, the "
            u"environment, the checklist as the signer saw it, the plan's SHA-256 and the audit "
            u"head before it (<tt>cutover-console --verify-signoffs</tt> checks every signature "
            u"against the keys the audit log recorded). The head hash ties this record to the "
            u"audit log: <tt>cutover-console --verify-audit</tt> prints the same value while the "
            u"log is unchanged.</p>"_s;
    if (in.snapshots.isEmpty())
        html += u"<p><i>No environment.</i></p>"_s;
    for (qsizetype i = 0; i < in.snapshots.size(); ++i) {
        const engine::EnvironmentSnapshot &s = in.snapshots.at(i);
        html += i > 0 ? u"<h2 style=\"page-break-before: always;\">Environment: %1</h2>"_s.arg(
                            esc(s.environment))
                      : u"<h2>Environment: %1</h2>"_s.arg(esc(s.environment));
        html += u"<p><b>%1% on OpenTelemetry</b> · phase %2%3</p>"_s.arg(
            QString::number(s.currentPercent), esc(engine::phaseName(s.phase)),
            s.nextPercent >= 0 ? u" · next stage %1%"_s.arg(s.nextPercent) : u" · final stage"_s);
        if (!s.lastValidation.isEmpty())
            html += u"<p>Last validation: %1</p>"_s.arg(esc(s.lastValidation));
        for (const engine::GateStatus &gate : s.gates)
            html += gateRecordHtml(gate, s.gatesBeforeNextShift.contains(gate.id));
    }
    html += u"</body></html>"_s;
    return html;
}

} // namespace cutover::report
