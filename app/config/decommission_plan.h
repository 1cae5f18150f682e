#pragma once

// The plan's `decommission` section as plain values: the legacy components and what they cost,
// and the steps of the seed's weeks 9-12. Read by PlanLoader (plan_loader_decommission.cpp).

#include "app/config/condition.h"
#include "app/config/duration.h"
#include "app/config/secret.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace cutover::config {

struct DecommissionComponent {
    enum class Kind { Collector, Storage, Compute, Network, Dns, LoadBalancer, Other };
    QString id;
    QString title;
    Kind kind = Kind::Other;
    double costPerMonth = 0;
    QStringList servers; // HAProxy server names of a collector
};

QString componentKindName(DecommissionComponent::Kind kind);

// What proves a step did what it should, before the next one runs.
struct StepValidation {
    enum class Kind {
        None,
        NoActiveConnections, // `show stat`: current sessions + queue = 0 for the targets, every LB
        ZeroTraffic,         // PromQL over `window` = 0
        Query,               // PromQL + condition, held for `for`
        Command,             // argv exits 0
    };
    Kind kind = Kind::None;
    QString query;
    Condition condition; // Query
    Duration forDuration;
    Duration window = Duration::minutes(5); // ZeroTraffic: rate window (increase over it)
    QStringList argv;
    Duration timeout = Duration::minutes(5);
};

QString validationKindName(StepValidation::Kind kind);

struct DecommissionStep {
    // The seed's weeks 9, 10, 11, 12.
    enum class Phase { Preparation, CollectorShutdown, InfrastructureRemoval, FinalCleanup };
    enum class Action {
        Drain,        // set server B/S state drain, every LB of the environment
        Maintenance,  // ... state maint
        Ready,        // ... state ready
        RemoveFromLb, // del server B/S, every LB: irreversible
        ArchiveFiles,
        PrometheusSnapshot,
        ExportMetrics,
        HttpBackup,
        Command,
        Manual,
    };
    enum class Evidence { None, Note, File, Url };

    QString id;
    QString title;
    Phase phase = Phase::Preparation;
    Action action = Action::Manual;
    // HAProxy actions: server names (default: the legacy pool).
    QStringList targets;
    // archive_files: paths or globs; output: the archive (absolute after loading).
    QStringList paths;
    QString output;
    // prometheus_snapshot, export_metrics: the Prometheus (default: the plan's); http_backup: the
    // base every `urls` entry is resolved against.
    QUrl endpointUrl;
    Secret bearerToken;
    // export_metrics: named PromQL over `range` at `step`.
    QList<QPair<QString, QString>> queries;
    Duration range = Duration::days(90);
    Duration step = Duration::minutes(5);
    // http_backup: paths or URLs fetched into `output` (a folder); then, when `eachUrl` is set,
    // every item of the list at `eachItems` (a JSON pointer, empty: the whole answer) of each
    // answer fills `eachUrl`'s {field} placeholders ({} for the item itself) and is fetched too:
    // Grafana's /api/search, then /api/dashboards/uid/{uid}.
    QStringList urls;
    QString eachItems;
    QString eachUrl;
    // command: argv (never a shell string), extra environment (values may be secrets),
    // working directory (absolute after loading), timeout.
    QStringList argv;
    QList<QPair<QString, Secret>> secretEnvironment;
    QList<QPair<QString, QString>> environment;
    QString workingDirectory;
    Duration timeout = Duration::minutes(10);

    StepValidation validation;
    Duration wait;         // the validation must hold this long before the step is done
    QStringList approvals; // roles that sign before it runs; irreversible: two distinct people
    Evidence evidence = Evidence::None;
    QStringList retires; // component ids whose cost ends with this step
    bool irreversibleFlag = false;

    // remove_from_lb cannot be undone by the console: it is the point of no return whatever the
    // plan says.
    bool isIrreversible() const { return irreversibleFlag || action == Action::RemoveFromLb; }
    bool isLoadBalancerAction() const {
        return action == Action::Drain || action == Action::Maintenance ||
               action == Action::Ready || action == Action::RemoveFromLb;
    }
    // Placeholders the plan's author must still fill in ("<…>" in an argv): accepted by
    // --check-plan, reported by --preflight, refused when run.
    QStringList placeholders() const;
    bool isConfigured() const;
    // How long a run may take (action, validation, margin): a start older than that, with no
    // outcome, was cut off (a crash) and may run again; a younger one runs on another desk.
    Duration maxRunTime() const;
};

QString phaseName(DecommissionStep::Phase phase);    // "preparation", …
QString phaseTitle(DecommissionStep::Phase phase);   // "Week 9: Preparation", …
QString actionName(DecommissionStep::Action action); // "remove_from_lb", …
QString evidenceName(DecommissionStep::Evidence evidence);

struct DecommissionConfig {
    QString currency = QStringLiteral("USD");
    double baselineCostPerMonth = 0; // the whole telemetry infrastructure before the cutover
    double targetLowPercent = 30;    // the seed's 30-40% reduction
    double targetHighPercent = 40;
    // The gate signed before the first step; empty: none named (the plan must then have none).
    QString approvalGate;
    // The gates the completion report prints as the seed's "Exit Criteria" and "Handoff
    // Checklist"; empty: none named.
    QString exitCriteriaGate;
    QString handoffGate;
    QList<DecommissionComponent> components;
    QList<DecommissionStep> steps; // in order; phases never go back

    bool isSet() const { return !steps.isEmpty(); }
    const DecommissionStep *step(const QString &id) const;
    const DecommissionComponent *component(const QString &id) const;
    int indexOf(const QString &stepId) const;
};

} // namespace cutover::config
