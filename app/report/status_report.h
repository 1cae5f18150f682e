#pragma once

// The seed's "Weekly Status Report Template", filled from what the engine, the store and
// Prometheus say at one instant. Pure functions: no I/O, no clock, no event loop. The command
// line (app/cli/report.h) gathers the inputs; tests build them by hand.
//
// Honesty rules: a value nobody measured is "unknown" (with why), never a guess; the console
// does not measure cost, so the cost line says so.

#include "app/config/plan.h"
#include "app/cutover/engine_snapshot.h"
#include "app/store/records.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace cutover::report {

// One panel query's answer for one environment: a value per `system` label (legacy, otel), or
// one unlabelled value. `error` set, or no values: unknown.
struct MetricReading {
    QString environment;
    QString panelId; // collection_success_rate, metric_delivery_latency, error_rates_by_system
    struct Value {
        QString system; // the `system` label; empty when the series has none
        double value = 0;
    };
    QList<Value> values; // NaN and ±Inf are dropped before they get here (see addReading)
    QString error;       // why the value is unknown (Prometheus unreachable, query error, …)
};

// Everything a report is computed from.
struct ReportInputs {
    const config::Plan *plan = nullptr;
    QList<engine::EnvironmentSnapshot> snapshots;
    // The engine's refusals of a shift to the next stage, per environment (for an operator who
    // holds every role that may shift: only the situation's reasons remain).
    QHash<QString, QStringList> shiftRefusals;
    QList<store::AuditEntry> audit; // the whole log, oldest first
    QList<MetricReading> metrics;
    // Why every metric is unknown when nothing was queried at all (e.g. "Prometheus
    // unreachable: …"); empty when queried.
    QString metricsProblem;
    QDateTime now;
};

// The template's fields, computed. Lines are plain text (no Markdown markup inside).
struct StatusReport {
    QString title;    // "OTel Cutover Status - Week 14, 2025"
    QString asOf;     // "2025-04-02 10:00 UTC"
    QString planLine; // plan name and file hash
    struct Split {
        QString environment;
        int otelPercent = 0;
        int legacyPercent = 100;
        QString phase;
        std::optional<double> measuredShare; // empty: unknown
    };
    QList<Split> splits;
    int environmentsMigrated = 0; // Complete at 100%
    int environmentsTotal = 0;
    int issuesRaised = 0;
    int issuesResolved = 0;
    QStringList issueLines; // "production: validation failed at 10% (2025-…), resolved by …"
    QStringList blockers;   // "production: shift to 25%: <refusal>"; empty: none
    QStringList keyMetrics; // "Collection success rate: production: OTel 99.9%, legacy 99.8%"
    QString costSavings;    // "not measured by the console"
    QStringList upcoming;   // "[2025-04-03 10:00 UTC]: Shift production to 25% (hold ends)"
    QStringList risks;      // "[Risk]: [Mitigation status]"
};

// The key metrics' panel ids, in the template's order, with the template's wording.
struct KeyMetricSpec {
    QString panelId;
    QString label;
};
QList<KeyMetricSpec> keyMetricSpecs();

StatusReport buildStatusReport(const ReportInputs &inputs);

// The template's Markdown, section for section.
QString toMarkdown(const StatusReport &report);
// The same content as simple HTML (for the PDF).
QString toHtml(const StatusReport &report);

// Formats a value of a panel's unit: ratio → "99.90%", seconds → "12.3 ms", per_second → "0.02/s".
QString formatValue(double value, const QString &unit);

// The executive sign-off record: every gate of every environment with its items' states and
// every signature (printed name, role, time, meaning, comment, signature hash), and the audit
// chain's head hash. HTML for the PDF writer.
struct SignOffRecordInputs {
    const config::Plan *plan = nullptr;
    QList<engine::EnvironmentSnapshot> snapshots;
    store::AuditVerification audit;
    QDateTime now;
};
QString signOffRecordHtml(const SignOffRecordInputs &inputs);

} // namespace cutover::report
