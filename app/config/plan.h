#pragma once

// The cutover plan as plain, validated values. Produced only by PlanLoader (plan_loader.h);
// everything else in the product reads these structs and never sees YAML.

#include "app/config/condition.h"
#include "app/config/decommission_plan.h"
#include "app/config/duration.h"
#include "app/config/secret.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <algorithm>
#include <optional>

namespace cutover::config {

// What a role may do. The plan grants these to roles; operators hold roles.
enum class Permission { View, Tick, Sign, Shift, Rollback };

QString permissionName(Permission permission);
std::optional<Permission> permissionFromName(const QString &name);

struct Role {
    QString name;
    QList<Permission> permissions;

    bool grants(Permission permission) const { return permissions.contains(permission); }
};

struct StoreConfig {
    // SQLite file; relative paths are resolved against the plan's folder. Empty: the user's
    // data folder.
    QString path;
    // PostgreSQL ("postgresql://host:port/db"); empty for SQLite.
    QUrl url;
    QString user;
    Secret password;
};

struct OperatorsConfig {
    QString file; // absolute after loading
};

struct TlsConfig {
    QString caFile; // extra CA bundle to trust; empty: the system's
};

struct HttpEndpoint {
    QUrl url;
    Duration timeout = Duration::seconds(5);
    Secret bearerToken;
    QString basicUser;
    Secret basicPassword;
    TlsConfig tls;
};

// An HAProxy Runtime API address: "tcp://host:port" or "unix:///path".
struct RuntimeApiAddress {
    enum class Kind { Tcp, Unix };
    Kind kind = Kind::Tcp;
    QString host;
    quint16 port = 0;
    QString path;

    QString toString() const;
};

// HAProxy's `hash-type` of a hash-balanced backend (balance source, uri, url_param, hdr,
// rdp-cookie, hash). The Runtime API does not show it, and it decides whether weights can be
// set: map-based (HAProxy's default) accepts only 0% and 100% of the configured weight.
enum class HashType { Unspecified, MapBased, Consistent };

struct LoadBalancer {
    QString name;
    RuntimeApiAddress runtimeApi;
    QString backend;
    Duration timeout = Duration::seconds(2);
    HashType hashType = HashType::Unspecified; // `hash_type`: map-based | consistent
};

struct Pools {
    QStringList legacy;
    QStringList otel;
};

struct Environment {
    QString name;
    QStringList loadBalancers;
    // PromQL label matchers without braces (e.g. env="prod"); replaces {{selector}} in queries.
    QString selector;
};

// A `compare` check: legacy and OTel delivering the same thing, judged by statistics over a
// window (app/analysis: two-sided Mann-Whitney U and the mean ratio OTel/legacy).
struct CompareSpec {
    enum class Direction { Increase, Decrease, Either }; // which change is bad
    enum class Nan { Remove, Replace };                  // a missing point: dropped, or 0
    enum class Per { None, Request, Instance };          // how each side is normalised
    QString legacy;                                      // PromQL, one series
    QString otel;
    // With `per`: each side's value is divided by its denominator at the same instant (requests
    // per second, or instances), so that 10% and 90% of the traffic compare fairly.
    Per per = Per::None;
    QString legacyPer;
    QString otelPer;
    Duration window = Duration::minutes(30);
    Duration step = Duration::seconds(15);
    double confidence = 0.98;
    Direction direction = Direction::Either;
    double allowedIncrease = 1.0; // mean ratio OTel/legacy above which a significant rise is bad
    double allowedDecrease = 1.0; // ... below which a significant fall is bad
    int minSamples = 50;
    Nan nan = Nan::Remove;
};

struct Check {
    enum class Kind {
        Automatic, // PromQL + condition, sustained for `for`
        Manual,    // ticked by an operator with `role`
        GateRef,   // "All Gate N criteria maintained": every automatic check of those gates
        Stability, // "7-day stability at 50%": time at the stage without a breach
        // "All critical alerts functioning", end to end: an always-firing alert is active in
        // Alertmanager (routed to `receiver` when named) and Alertmanager delivered
        // notifications within `deliveredWithin` (its own counters, through Prometheus).
        AlertDelivery,
        Compare, // legacy vs OTel over a window (CompareSpec); no data is never a pass
    };
    QString id;
    QString title;
    Kind kind = Kind::Automatic;
    QString query;
    Condition condition;
    Duration forDuration;
    QString role;       // Manual
    QStringList gates;  // GateRef
    Duration stableFor; // Stability
    // AlertDelivery
    QString alertName;
    QString receiver;         // empty: any receiver
    Duration deliveredWithin; // > 0
    // PromQL whose value is the notifications Alertmanager delivered within `deliveredWithin`;
    // empty: its own counters, alertmanager_notifications_total minus _failed_total.
    QString deliveryQuery;
    // Compare
    CompareSpec compare;
    bool critical = false; // a critical check that does not pass fails its gate's score
    QString group;         // for the gate's score; empty: the check's own id
    double weight = 1.0;

    // Judged from samples over time (a tracker with `for`): Automatic and AlertDelivery.
    bool isTracked() const { return kind == Kind::Automatic || kind == Kind::AlertDelivery; }
    // The condition its samples are judged by. AlertDelivery samples are codes (see
    // AlertDeliveryCode): only Delivered passes.
    Condition trackedCondition() const;
    // AlertDelivery: the PromQL of notifications delivered within `deliveredWithin` (the plan's
    // delivery_query, or Alertmanager's own counters), before {{selector}} expansion.
    QString deliveryExpression() const;
    // PromQL whose value over time is what this check's samples were (for query_range: warming
    // up a fresh process, back-filling unwatched time). AlertDelivery: the Delivered /
    // NotActive / NotDelivered code from Prometheus' ALERTS series and the delivery counters;
    // whether the alert was routed to `receiver` is only known live, from Alertmanager.
    QString historyQuery() const;
};

// What one look at an alert_delivery check found (its sample value).
enum class AlertDeliveryCode {
    Delivered = 1,    // active in Alertmanager (routed to the receiver) and notifications went out
    NotActive = 2,    // the alert is not active in Alertmanager
    NotRouted = 3,    // active, but not routed to the named receiver
    NotDelivered = 4, // active and routed, but Alertmanager sent nothing within the window
};

// A gate's score thresholds (Kayenta's ThresholdScoreClassifier): a score >= pass passes, >=
// marginal asks every signer to acknowledge it, lower fails the gate.
struct ScoreThresholds {
    double pass = 95;
    double marginal = 75;
};

struct Gate {
    // When the gate may be signed. Stable: only once its stage's hold has been observed to the
    // end with no breach (what "10% stable (24 hours)" attests).
    enum class SignAfter { Any, Stable };
    QString id;
    QString title;
    QList<Check> checks;
    QStringList signOff; // roles whose signature the gate needs
    // Unset: Stable when a stage with a hold lists the gate, else Any.
    std::optional<SignAfter> signAfter;
    std::optional<ScoreThresholds> score; // unset: the plan's
};

struct Stage {
    int percent = 0;
    Duration stabilization;
    double tolerance = 0.2; // relative: 0.2 at 10% accepts 8%..12%
    // Absolute instead: 2 at 10% accepts 8%..12%, at 50% accepts 48%..52%. Exactly one of the
    // two is written in a plan; when set, this one counts.
    std::optional<double> tolerancePoints;
    Duration hold;     // time at this stage before the next shift
    QStringList gates; // signed before the next shift

    double lowerBound() const {
        const double share = percent / 100.0;
        return std::max(0.0, tolerancePoints ? share - *tolerancePoints / 100.0
                                             : share * (1.0 - tolerance));
    }
    // A share above 100% cannot be measured: the band stops there.
    double upperBound() const {
        const double share = percent / 100.0;
        return std::min(1.0, tolerancePoints ? share + *tolerancePoints / 100.0
                                             : share * (1.0 + tolerance));
    }
};

enum class FailurePolicy { PreviousStage, Full, Hold };
QString failurePolicyName(FailurePolicy policy);

// The seed's Incident Communication matrix: L1 warning (chat, email), L2 error (paging,
// management), L3 critical (all hands, executive briefing), L4 emergency (full rollback, war room).
enum class EscalationLevel { L1 = 1, L2 = 2, L3 = 3, L4 = 4 };
QString escalationLevelName(EscalationLevel level); // "L1".."L4"
std::optional<EscalationLevel> escalationLevelFromName(const QString &name);

// Every event the engine notifies about: what a notification's `events` list and the
// escalation's `events` overrides may name. Defaults:
//   L1: shift, sign_off, backend_down, hold_restarted, war_room_acknowledged
//   L2: trigger (a `prompt` trigger), drift, controller (leadership lost or taken over),
//       evidence_failed (the rollback's evidence could not be written or uploaded)
//   L3: validation_failed, operator_rollback (a rollback an operator pressed)
//   L4: rollback (an automatic rollback), legacy_unverified (after a rollback, legacy
//       collection could not be verified)
const QStringList &notificationEvents();
EscalationLevel defaultEscalationLevel(const QString &event);

struct EscalationConfig {
    QMap<int, QStringList> targets;             // level (1..4) -> notification names
    QMap<QString, EscalationLevel> eventLevels; // event -> level, overriding the default

    bool isSet() const { return !targets.isEmpty(); }
    EscalationLevel levelOf(const QString &event) const {
        return eventLevels.value(event, defaultEscalationLevel(event));
    }
    QStringList targetsOf(EscalationLevel level) const { return targets.value(int(level)); }
};

struct Trigger {
    enum class Action { Auto, Prompt };
    QString id;
    QString title;
    QString query;
    Condition condition;
    Duration forDuration;
    Action action = Action::Prompt;
    // Set: a compare trigger. Its samples are 1 while legacy and OTel differ (high or low), 0
    // while they do not, missing on nodata; `condition` is then "> 0" and `query` empty.
    std::optional<CompareSpec> compare;
    // Unset: L4 for `auto` (its notification is the automatic rollback), L2 for `prompt`.
    std::optional<EscalationLevel> level;

    EscalationLevel escalationLevel() const {
        return level.value_or(action == Action::Auto ? EscalationLevel::L4 : EscalationLevel::L2);
    }
};

// The seed's rollback step 2, "verify legacy collection": after the weights are verified, this
// condition must hold within `deadline` (e.g. legacy 2xx rate > 0), else page at L4.
struct LegacyVerification {
    QString query;
    Condition condition;
    Duration deadline = Duration::seconds(30);
};

// The seed's rollback step 4, "upload_to_incident_bucket": an argv list (never a shell string);
// "{archive}" in an argument is replaced by the evidence archive's absolute path.
struct UploadCommand {
    QStringList argv;
    Duration timeout = Duration::minutes(5);
};

struct RollbackConfig {
    // What a rollback voids: the gates of the stages rolled back over (the pre-cutover checklist
    // stays signed), or every gate.
    enum class Reset { StageGates, All };
    FailurePolicy onValidationFailure = FailurePolicy::Full;
    Reset reset = Reset::StageGates;
    int maxAttempts = 5;
    Duration retryBackoff = Duration::milliseconds(100);
    Duration deadline = Duration::seconds(10);
    QList<Trigger> triggers;
    QString assignTo; // the incident ticket's assignee (seed: platform-team)
    std::optional<LegacyVerification> verifyLegacy;
    // Where the evidence archives go (absolute after loading); empty: an "evidence" folder
    // beside the SQLite store (or the local journal of a PostgreSQL store).
    QString evidenceDirectory;
    Duration evidenceSpan = Duration::minutes(30); // of every trigger's and the split's series
    std::optional<UploadCommand> upload;
};

struct ValidationConfig {
    QString splitQuery;
    Duration rateWindow = Duration::minutes(1);
    Duration scrapeInterval = Duration::seconds(15);
    Duration evaluationInterval = Duration::seconds(15);
};

struct DriftConfig {
    enum class Policy { Alarm, Reassert };
    Duration interval = Duration::seconds(30);
    Policy policy = Policy::Alarm;
    // Once an environment is Complete, a `systemctl reload haproxy` puts the configuration's
    // weights back, i.e. traffic on legacy collectors that the decommission is switching off:
    // there the engine re-asserts unless the plan says `policy_at_complete: alarm`.
    Policy policyAtComplete = Policy::Reassert;

    Policy policyFor(bool complete) const { return complete ? policyAtComplete : policy; }
};

struct Notification {
    QString name;
    QUrl url;
    // Events sent to this target whatever their level (notificationEvents()); the escalation
    // matrix adds the events of the levels that name it.
    QStringList events;
    Secret bearerToken;
    TlsConfig tls;
};

// The always-on controller (`--serve`).
struct ControllerConfig {
    // Where /metrics and /healthz are served ("127.0.0.1:9464"); empty: not served unless
    // --listen is given.
    QString listenHost;
    quint16 listenPort = 0;
    // How long a leader's lease lasts without renewal; a follower takes over once it has
    // expired. Renewed every quarter of it.
    Duration lease = Duration::seconds(3);
    // How far back a controller or window that starts looks for time nobody evaluated
    // (back-fill from Prometheus); older gaps are unknown.
    Duration backfillLimit = Duration::days(8);
};

// Signed checkpoints of the audit chain's head (app/store/audit_checkpoint.h), written by whoever
// decides (the controller, or the window without one) and published outside the store, so a
// rewrite of the log's tail with every hash recomputed is still caught.
struct AuditConfig {
    int checkpointEveryEntries = 100; // a checkpoint once this many entries were appended...
    Duration checkpointEvery = Duration::minutes(10); // ...or this long after the last one
    // Appended one JSON line per checkpoint; put it on another mount (absolute after loading;
    // empty: not written). Webhooks that list the event `audit_checkpoint` get them too.
    QString checkpointFile;
};

struct Panel {
    QString id;
    QString title;
    QString query;
    QString unit; // ratio, percent, seconds, bytes, count, per_second
};

struct PanelGroup {
    QString name; // traffic_flow, system_health, data_quality
    QList<Panel> panels;
};

struct Plan {
    int version = 1;
    QString name;
    QString sourceFile;   // absolute path, or ":/plans/…" for an embedded plan
    QByteArray sha256Hex; // of the file's bytes, recorded in the audit log at load
    StoreConfig store;
    OperatorsConfig operators;
    QList<Role> roles;
    HttpEndpoint prometheus;
    std::optional<HttpEndpoint> alertmanager;
    QList<LoadBalancer> loadBalancers;
    Pools pools;
    QList<Environment> environments;
    ValidationConfig validation;
    QString preCutoverGate; // gate that must be signed before the first shift
    QList<Stage> stages;
    QList<Gate> gates; // in file order
    // Score thresholds of every gate with compare checks that does not set its own.
    ScoreThresholds score;
    RollbackConfig rollback;
    DriftConfig drift;
    QList<Notification> notifications;
    EscalationConfig escalation;
    ControllerConfig controller;
    AuditConfig audit;
    QList<PanelGroup> panelGroups;
    DecommissionConfig decommission; // weeks 9-12; unset (no steps) when the plan has none

    const Role *role(const QString &name) const;
    const Gate *gate(const QString &id) const;
    const LoadBalancer *loadBalancer(const QString &name) const;
    const Environment *environment(const QString &name) const;
    // The first stage whose `gates` lists `gate` (-1: none, e.g. the pre-cutover gate).
    int stageOfGate(const QString &gate) const;
    // Whether signing `gate` waits for its stage's hold (sign_after, and its default).
    bool signsAfterStability(const QString &gate) const;
    int checkCount() const; // every check of every gate
    ScoreThresholds scoreThresholds(const Gate &gate) const { return gate.score.value_or(score); }
};

} // namespace cutover::config
