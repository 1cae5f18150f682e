// Table-driven malformed plans: each edit of a known-good plan must give the expected error
// at the expected line, with the key path and what was found.

#include "app/config/plan_loader.h"

#include <QFile>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover::config;

namespace {

QByteArray fixture(const char *name) {
    QFile file(QStringLiteral(CONSOLE_SOURCE_DIR "/tests/data/plans/") + QLatin1StringView(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", name);
    return file.readAll();
}

QByteArray minimalPlan() {
    return fixture("minimal.yaml");
}

// minimal.yaml (lines 1-26 the same) with every key of escalation, controller and the rollback's
// steps set: rollback at line 27, notifications 42, escalation 47, controller 54.
QByteArray escalationPlan() {
    return fixture("escalation.yaml");
}

// Replaces line `line` (1-based) with `text`, which may hold several lines.
QByteArray replaceLine(QByteArray plan, int line, const QByteArray &text) {
    QList<QByteArray> lines = plan.split('\n');
    lines[line - 1] = text;
    return lines.join('\n');
}

QByteArray insertAfter(QByteArray plan, int line, const QByteArray &text) {
    QList<QByteArray> lines = plan.split('\n');
    lines.insert(line, text);
    return lines.join('\n');
}

// minimal.yaml with an alertmanager (line 8) and every key of issue 17: stages with
// tolerance_points (lines 21-22; the 100% stage relative), a pre-cutover gate `checklist` (25),
// gate_1 with a block-style alert_delivery check (33-40) and its default sign_after, gate_2 with
// a flow-style one (46) and `sign_after: any` (48), rollback.reset (50).
QByteArray deliveryPlan() {
    return fixture("delivery.yaml");
}

PlanLoadOptions options() {
    PlanLoadOptions o;
    o.environment = [](const QString &name) -> std::optional<QString> {
        if (name == u"SET_TOKEN")
            return u"s3cr3t-value"_s;
        return std::nullopt;
    };
    return o;
}

} // namespace

class TestPlanErrors : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void minimalPlanIsValid();
    void malformed_data();
    void malformed();
    void everyErrorIsReportedAtOnce();
    void secretsAreNeverPrinted();
    void newKeysAreRead();
    void hashTypeIsRead();
    void newKeysDefaults();
    void triggerLevelDefaults();
    void located_data();
    void located();
    void oldStylePlanStillLoads();
    void stabilityAndDeliveryKeysAreRead();
    void stabilityAndDeliveryDefaults();
    void toleranceBands_data();
    void toleranceBands();
    void deliveryNeedsAnAlertmanager();
    void compareKeysAreRead();
    void compareTriggers();
    void everyNotificationEventIsAccepted();
    void listenAddresses_data();
    void listenAddresses();
    void auditCheckpointsAreRead();
    void credentialsOnlyOverTlsOrLoopback_data();
    void credentialsOnlyOverTlsOrLoopback();
};

void TestPlanErrors::minimalPlanIsValid() {
    const auto result = loadPlanBytes(minimalPlan(), u"minimal.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QCOMPARE(result.plan->stages.size(), 2);
    QCOMPARE(result.plan->checkCount(), 2);
}

void TestPlanErrors::malformed_data() {
    QTest::addColumn<QByteArray>("plan");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");

    const QByteArray p = minimalPlan();
    auto row = [](const char *name, const QByteArray &plan, int line, const char *path,
                  const char *expected) {
        QTest::newRow(name) << plan << line << QString::fromUtf8(path)
                            << QString::fromUtf8(expected);
    };

    row("version-2", replaceLine(p, 1, "version: 2"), 1, "version", "format version 1");
    row("name-missing", replaceLine(p, 2, ""), 1, "name", "missing required key 'name'");
    row("name-empty", replaceLine(p, 2, "name: \"  \""), 2, "name", "non-empty");
    row("percent-over-100", replaceLine(p, 19, "  - { percent: 120, stabilization: 5m }"), 19,
        "stages[1].percent", "expected an integer in (0, 100], found '120'");
    row("percent-zero", replaceLine(p, 18, "  - { percent: 0, stabilization: 5m }"), 18,
        "stages[0].percent", "(0, 100]");
    row("percent-not-number", replaceLine(p, 18, "  - { percent: ten, stabilization: 5m }"), 18,
        "stages[0].percent", "found 'ten'");
    row("percent-decreasing", insertAfter(p, 18, "  - { percent: 5, stabilization: 5m }"), 19,
        "stages[1].percent", "above the previous stage's 10");
    row("last-stage-not-100", replaceLine(p, 19, "  - { percent: 90, stabilization: 5m }"), 19,
        "stages[1].percent", "last stage to be 100");
    row("tolerance-too-big",
        replaceLine(p, 18, "  - { percent: 10, stabilization: 5m, tolerance: 1.5 }"), 18,
        "stages[0].tolerance", "(0, 1)");
    row("tolerance-zero",
        replaceLine(p, 18, "  - { percent: 10, stabilization: 5m, tolerance: 0 }"), 18,
        "stages[0].tolerance", "(0, 1)");
    row("stabilization-words", replaceLine(p, 18, "  - { percent: 10, stabilization: 5 minutes }"),
        18, "stages[0].stabilization", "expected a duration such as 30s, 5m, 24h, 7d");
    row("for-bad-unit",
        replaceLine(
            p, 24,
            "      - { id: err, title: \"Errors\", query: \"sum(y)\", condition: \"< 0.01\", "
            "for: 10x }"),
        24, "gates.gate_1.checks[0].for", "found '10x'");
    row("stabilization-missing", replaceLine(p, 19, "  - { percent: 100 }"), 19,
        "stages[1].stabilization", "missing required key 'stabilization'");
    row("unknown-top-key", insertAfter(p, 2, "stagez: []"), 3, "stagez",
        "unknown key 'stagez'; did you mean 'stages'?");
    row("unknown-stage-key", replaceLine(p, 19, "  - { percnt: 100, stabilization: 5m }"), 19,
        "stages[1].percnt", "did you mean 'percent'?");
    row("unknown-key-no-suggestion", insertAfter(p, 7, "  colour: blue"), 8, "prometheus.colour",
        "expected one of: url, timeout");
    row("duplicate-key", insertAfter(p, 2, "name: \"Other\""), 3, "name",
        "duplicate key 'name' (first written on line 2)");
    row("duplicate-gate", insertAfter(p, 26, "  gate_1:\n    title: x\n    checks: []"), 27,
        "gates.gate_1", "duplicate key 'gate_1'");
    row("unknown-gate-ref",
        replaceLine(p, 18, "  - { percent: 10, stabilization: 5m, gates: [gate_9] }"), 18,
        "stages[0].gates[0]", "unknown gate 'gate_9'");
    row("unknown-role",
        replaceLine(
            p, 25, "      - { id: ok, title: \"Complaints\", manual: true, role: release_manger }"),
        25, "gates.gate_1.checks[1].role", "did you mean 'release_manager'?");
    row("role-lacks-tick",
        replaceLine(p, 25,
                    "      - { id: ok, title: \"Complaints\", manual: true, role: executive }"),
        25, "gates.gate_1.checks[1].role", "lacks the 'tick' permission");
    row("signoff-unknown-role", replaceLine(p, 26, "    sign_off: [ceo]"), 26,
        "gates.gate_1.sign_off[0]", "unknown role 'ceo'");
    row("unknown-lb", replaceLine(p, 14, "  - { name: production, load_balancers: [lb-z] }"), 14,
        "environments[0].load_balancers[0]", "unknown load balancer 'lb-z'");
    row("duplicate-lb",
        insertAfter(p, 9, "  - { name: lb-a, runtime_api: \"tcp://127.0.0.1:9998\", backend: b }"),
        10, "load_balancers[1].name", "duplicate load balancer name 'lb-a'");
    row("duplicate-environment",
        insertAfter(p, 14, "  - { name: production, load_balancers: [lb-a] }"), 15,
        "environments[1].name", "duplicate environment name 'production'");
    row("server-in-both-pools", replaceLine(p, 12, "  otel: [otel-1, legacy-2]"), 12,
        "pools.otel[1]", "found 'legacy-2' again (first at pools.legacy[1])");
    row("empty-pool", replaceLine(p, 12, "  otel: []"), 12, "pools.otel", "non-empty list");
    row("url-ftp", replaceLine(p, 7, "  url: \"ftp://127.0.0.1/\""), 7, "prometheus.url",
        "expected an http:// or https:// URL");
    row("url-no-host", replaceLine(p, 7, "  url: \"http://\""), 7, "prometheus.url",
        "http:// or https:// URL with a host");
    row("runtime-api-http",
        replaceLine(p, 9, "  - { name: lb-a, runtime_api: \"http://127.0.0.1:9999\", backend: b }"),
        9, "load_balancers[0].runtime_api", "expected tcp://host:port");
    row("runtime-api-port",
        replaceLine(p, 9, "  - { name: lb-a, runtime_api: \"tcp://127.0.0.1:70000\", backend: b }"),
        9, "load_balancers[0].runtime_api", "port 1-65535");
    row("runtime-api-unix-relative",
        replaceLine(p, 9,
                    "  - { name: lb-a, runtime_api: \"unix://run/haproxy.sock\", backend: b }"),
        9, "load_balancers[0].runtime_api", "unix:///absolute/path");
    row("hash-type-unknown",
        replaceLine(p, 9,
                    "  - { name: lb-a, runtime_api: \"tcp://127.0.0.1:9999\", backend: b, "
                    "hash_type: ring }"),
        9, "load_balancers[0].hash_type", "expected map-based or consistent");
    row("hash-type-not-text",
        replaceLine(p, 9,
                    "  - { name: lb-a, runtime_api: \"tcp://127.0.0.1:9999\", backend: b, "
                    "hash_type: [consistent] }"),
        9, "load_balancers[0].hash_type", "expected a text, found a list");
    row("query-empty",
        replaceLine(p, 24,
                    "      - { id: err, title: \"Errors\", query: \"\", condition: \"< 0.01\" }"),
        24, "gates.gate_1.checks[0].query", "non-empty");
    row("condition-words",
        replaceLine(p, 24,
                    "      - { id: err, title: \"Errors\", query: \"sum(y)\", condition: \"less "
                    "than 1\" }"),
        24, "gates.gate_1.checks[0].condition", "comparison such as '< 0.01'");
    row("condition-missing",
        replaceLine(p, 24, "      - { id: err, title: \"Errors\", query: \"sum(y)\" }"), 24,
        "gates.gate_1.checks[0].condition", "missing required key 'condition'");
    row("check-two-kinds",
        replaceLine(p, 25,
                    "      - { id: ok, title: \"C\", manual: true, role: release_manager, query: "
                    "\"x\" }"),
        25, "gates.gate_1.checks[1]", "expected exactly one of query");
    row("check-no-kind", replaceLine(p, 25, "      - { id: ok, title: \"C\" }"), 25,
        "gates.gate_1.checks[1]", "found none");
    row("duplicate-check-id",
        replaceLine(p, 25,
                    "      - { id: err, title: \"C\", manual: true, role: release_manager }"),
        25, "gates.gate_1.checks[1].id", "duplicate check id 'err'");
    row("gate-refers-to-itself",
        replaceLine(p, 25, "      - { id: ok, title: \"C\", gates: [gate_1] }"), 25,
        "gates.gate_1.checks[1].gates", "found the gate itself");
    row("trigger-action",
        replaceLine(p, 29,
                    "    - { id: t1, title: \"T\", query: \"sum(z)\", condition: \"< 0.99\", "
                    "action: maybe }"),
        29, "rollback.triggers[0].action", "expected auto (roll back at once) or prompt");
    row("permission-unknown",
        replaceLine(p, 4, "  release_manager: [view, tick, sign, shift, rollback, deploy]"), 4,
        "roles.release_manager[5]", "expected one of view, tick, sign, shift, rollback");
    row("pre-cutover-unknown", insertAfter(p, 16, "pre_cutover: checklist"), 17, "pre_cutover",
        "unknown gate 'checklist'");
    row("failure-policy", insertAfter(p, 27, "  on_validation_failure: panic"), 28,
        "rollback.on_validation_failure", "previous_stage, full or hold");
    row("notification-event",
        p + "notifications:\n  - { name: chat, url: \"http://127.0.0.1:1/x\", events: "
            "[rollbak] }\n",
        31, "notifications[0].events[0]", "did you mean 'rollback'?");
    row("panel-unit",
        p + "panels:\n  traffic_flow:\n    - { id: a, title: A, query: \"up\", unit: furlongs }\n",
        32, "panels.traffic_flow[0].unit", "expected one of ratio, percent");
    row("stages-not-list", replaceLine(replaceLine(p, 18, ""), 19, "") + "\n", 17, "stages",
        "expected a value after 'stages:', found nothing");
    row("env-var-unset", replaceLine(p, 7, "  url: \"${NO_SUCH_PROMETHEUS_URL}\""), 7,
        "prometheus.url", "environment variable NO_SUCH_PROMETHEUS_URL is not set");
    row("secret-unset", insertAfter(p, 7, "  bearer_token: \"${NO_SUCH_TOKEN}\""), 8,
        "prometheus.bearer_token", "environment variable NO_SUCH_TOKEN is not set");
    row("bearer-over-http",
        insertAfter(replaceLine(p, 7, "  url: \"http://prom.example.com:9090\""), 7,
                    "  bearer_token: \"${SET_TOKEN}\""),
        8, "prometheus.bearer_token",
        "the bearer token would cross the network in clear text to prom.example.com over "
        "http://: use https://");
    row("basic-auth-over-http",
        insertAfter(replaceLine(p, 7, "  url: \"http://10.0.0.5:9090\""), 7,
                    "  basic_auth: { user: reader, password: \"${SET_TOKEN}\" }"),
        8, "prometheus.basic_auth",
        "the basic-auth password would cross the network in clear "
        "text to 10.0.0.5");
    row("yaml-unclosed-flow", replaceLine(p, 11, "  legacy: [legacy-1, legacy-2"), 12, "",
        "YAML syntax");
    row("yaml-bad-indent", replaceLine(p, 7, "   url: \"http://127.0.0.1:9090\"\n  x"), 8, "",
        "YAML syntax");
    row("root-is-list", QByteArray("- a\n- b\n"), 1, "", "expected a mapping with keys version");
}

void TestPlanErrors::malformed() {
    QFETCH(QByteArray, plan);
    QFETCH(int, line);
    QFETCH(QString, path);
    QFETCH(QString, expected);

    const auto result = loadPlanBytes(plan, u"broken.yaml"_s, QString(), options());
    QVERIFY2(!result.ok(), "a malformed plan loaded");
    QVERIFY(!result.errors.isEmpty());
    bool found = false;
    for (const auto &error : result.errors) {
        if (error.line == line && error.path == path && error.message.contains(expected)) {
            found = true;
            QVERIFY(error.column >= 1);
            QVERIFY(error.toString().startsWith(u"broken.yaml:%1:"_s.arg(line)));
        }
    }
    QVERIFY2(found,
             qPrintable(
                 u"expected line %1, path '%2', message containing '%3'; got:\n%4"_s.arg(line).arg(
                     path, expected, result.errorText())));
}

void TestPlanErrors::auditCheckpointsAreRead() {
    const auto defaults = loadPlanBytes(minimalPlan(), u"a.yaml"_s, QString(), options());
    QVERIFY(defaults.ok());
    QCOMPARE(defaults.plan->audit.checkpointEveryEntries, 100);
    QCOMPARE(defaults.plan->audit.checkpointEvery.ms(), 600'000);
    QVERIFY(defaults.plan->audit.checkpointFile.isEmpty());
    const QByteArray set = minimalPlan() + "\naudit:\n  checkpoints: { every_entries: 50, every: "
                                           "5m, file: anchor/checkpoints.jsonl }\n";
    const auto read = loadPlanBytes(set, u"a.yaml"_s, u"/srv/plans"_s, options());
    QVERIFY2(read.ok(), qPrintable(read.errorText()));
    QCOMPARE(read.plan->audit.checkpointEveryEntries, 50);
    QCOMPARE(read.plan->audit.checkpointEvery.ms(), 300'000);
    QCOMPARE(read.plan->audit.checkpointFile, u"/srv/plans/anchor/checkpoints.jsonl"_s);
    const QByteArray bad = minimalPlan() + "\naudit:\n  checkpoints: { every_entries: 0, "
                                           "evry: 5m }\n";
    const auto refused = loadPlanBytes(bad, u"a.yaml"_s, QString(), options());
    QVERIFY(!refused.ok());
    QVERIFY2(refused.errorText().contains(u"audit.checkpoints.every_entries"_s),
             qPrintable(refused.errorText()));
    QVERIFY(refused.errorText().contains(u"audit.checkpoints.evry"_s));
}

void TestPlanErrors::credentialsOnlyOverTlsOrLoopback_data() {
    QTest::addColumn<QByteArray>("url");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("https") << QByteArray("https://prom.example.com:9090") << true;
    QTest::newRow("127.0.0.1") << QByteArray("http://127.0.0.1:9090") << true;
    QTest::newRow("127.3.2.1") << QByteArray("http://127.3.2.1:9090") << true;
    QTest::newRow("localhost") << QByteArray("http://localhost:9090") << true;
    QTest::newRow("::1") << QByteArray("http://[::1]:9090") << true;
    QTest::newRow("name") << QByteArray("http://prom.internal:9090") << false;
    QTest::newRow("127-prefixed name") << QByteArray("http://127.0.0.1.nip.io:9090") << false;
    QTest::newRow("lan") << QByteArray("http://192.168.1.10:9090") << false;
}

void TestPlanErrors::credentialsOnlyOverTlsOrLoopback() {
    QFETCH(QByteArray, url);
    QFETCH(bool, accepted);
    const QByteArray plan = insertAfter(replaceLine(minimalPlan(), 7, "  url: \"" + url + "\""), 7,
                                        "  bearer_token: \"${SET_TOKEN}\"");
    const auto result = loadPlanBytes(plan, u"tls.yaml"_s, QString(), options());
    QCOMPARE(result.ok(), accepted);
    if (!accepted) {
        QVERIFY2(result.errorText().contains(u"clear text"_s), qPrintable(result.errorText()));
        QVERIFY(!result.errorText().contains(u"s3cr3t"_s));
    }
    // Without a credential, plain http anywhere is the operator's choice.
    const auto bare = loadPlanBytes(replaceLine(minimalPlan(), 7, "  url: \"" + url + "\""),
                                    u"tls.yaml"_s, QString(), options());
    QVERIFY2(bare.ok(), qPrintable(bare.errorText()));
}

void TestPlanErrors::everyErrorIsReportedAtOnce() {
    QByteArray plan = minimalPlan();
    plan = replaceLine(plan, 1, "version: 7");
    plan = replaceLine(plan, 7, "  url: \"gopher://x\"");
    plan = replaceLine(plan, 19, "  - { percent: 100, stabilization: soon }");
    plan = replaceLine(plan, 26, "    sign_off: [nobody]");
    const auto result = loadPlanBytes(plan, u"many.yaml"_s, QString(), options());
    QVERIFY(!result.ok());
    QList<int> lines;
    for (const auto &error : result.errors)
        lines.append(error.line);
    for (int expected : {1, 7, 19, 26})
        QVERIFY2(lines.contains(expected), qPrintable(result.errorText()));
}

void TestPlanErrors::secretsAreNeverPrinted() {
    // A credential pasted into the plan must not come back in the error.
    QByteArray literal = insertAfter(minimalPlan(), 7, "  bearer_token: \"hunter2-literal\"");
    auto result = loadPlanBytes(literal, u"secret.yaml"_s, QString(), options());
    QVERIFY(!result.ok());
    QVERIFY(result.errorText().contains(u"literal value"_s));
    QVERIFY(!result.errorText().contains(u"hunter2"_s));

    // A resolved secret is available to the product but prints only as its reference.
    QByteArray referenced = insertAfter(minimalPlan(), 7, "  bearer_token: \"${SET_TOKEN}\"");
    result = loadPlanBytes(referenced, u"secret.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QCOMPARE(result.plan->prometheus.bearerToken.value(), u"s3cr3t-value"_s);
    QCOMPARE(result.plan->prometheus.bearerToken.redacted(), u"${SET_TOKEN}"_s);

    // A URL with user:password inside is refused without echoing it.
    QByteArray inUrl = replaceLine(minimalPlan(), 7, "  url: \"http://admin:pa55@127.0.0.1:9090\"");
    result = loadPlanBytes(inUrl, u"secret.yaml"_s, QString(), options());
    QVERIFY(!result.ok());
    QVERIFY(!result.errorText().contains(u"pa55"_s));
}

void TestPlanErrors::hashTypeIsRead() {
    const QByteArray base = minimalPlan();
    auto hashTypeOf = [&](const QByteArray &line) {
        const auto result =
            loadPlanBytes(replaceLine(base, 9, line), u"hash.yaml"_s, u"/plans"_s, options());
        return result.ok() ? std::optional(result.plan->loadBalancers.constFirst().hashType)
                           : std::nullopt;
    };
    const QByteArray lb = "  - { name: lb-a, runtime_api: \"tcp://127.0.0.1:9999\", backend: b";
    QCOMPARE(hashTypeOf(lb + " }"), std::optional(HashType::Unspecified));
    QCOMPARE(hashTypeOf(lb + ", hash_type: consistent }"), std::optional(HashType::Consistent));
    QCOMPARE(hashTypeOf(lb + ", hash_type: map-based }"), std::optional(HashType::MapBased));
}

void TestPlanErrors::newKeysAreRead() {
    const auto result =
        loadPlanBytes(escalationPlan(), u"escalation.yaml"_s, u"/plans"_s, options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const Plan &plan = *result.plan;

    const RollbackConfig &rollback = plan.rollback;
    QCOMPARE(rollback.assignTo, u"platform-team"_s);
    QVERIFY(rollback.verifyLegacy.has_value());
    QCOMPARE(rollback.verifyLegacy->query, u"sum(rate(legacy_2xx{ {{selector}} }[1m]))"_s);
    QCOMPARE(rollback.verifyLegacy->condition.op, Condition::Op::Greater);
    QCOMPARE(rollback.verifyLegacy->condition.threshold, 0.0);
    QCOMPARE(rollback.verifyLegacy->deadline, Duration::seconds(20));
    // Relative, so resolved against the plan's folder like the store's path.
    QCOMPARE(rollback.evidenceDirectory, u"/plans/evidence"_s);
    QCOMPARE(rollback.evidenceSpan, Duration::minutes(45));
    QVERIFY(rollback.upload.has_value());
    QCOMPARE(rollback.upload->argv, (QStringList{u"aws"_s, u"s3"_s, u"cp"_s, u"{archive}"_s,
                                                 u"s3://backup-bucket/incidents/"_s}));
    QCOMPARE(rollback.upload->timeout, Duration::minutes(2));
    QCOMPARE(rollback.triggers.size(), 2);
    QCOMPARE(rollback.triggers.at(1).level, std::optional(EscalationLevel::L3));
    QCOMPARE(rollback.triggers.at(1).escalationLevel(), EscalationLevel::L3);

    const EscalationConfig &escalation = plan.escalation;
    QVERIFY(escalation.isSet());
    QCOMPARE(escalation.targetsOf(EscalationLevel::L1), (QStringList{u"chat"_s, u"email"_s}));
    QCOMPARE(escalation.targetsOf(EscalationLevel::L2), QStringList{u"paging"_s});
    QCOMPARE(escalation.targetsOf(EscalationLevel::L3), QStringList());
    QCOMPARE(escalation.targetsOf(EscalationLevel::L4), (QStringList{u"paging"_s, u"war_room"_s}));
    QCOMPARE(escalation.eventLevels.size(), 2);
    QCOMPARE(escalation.levelOf(u"drift"_s), EscalationLevel::L3);             // overridden
    QCOMPARE(escalation.levelOf(u"operator_rollback"_s), EscalationLevel::L4); // overridden
    QCOMPARE(escalation.levelOf(u"shift"_s), EscalationLevel::L1);             // default
    QCOMPARE(escalation.levelOf(u"rollback"_s), EscalationLevel::L4);          // default

    QCOMPARE(plan.notifications.size(), 4);
    QCOMPARE(plan.notifications.at(0).events, (QStringList{u"shift"_s, u"sign_off"_s}));
    QVERIFY(plan.notifications.at(1).events.isEmpty()); // events are optional now

    QCOMPARE(plan.controller.listenHost, u"127.0.0.1"_s);
    QCOMPARE(plan.controller.listenPort, quint16(9464));
    QCOMPARE(plan.controller.lease, Duration::seconds(5));
    QCOMPARE(plan.controller.backfillLimit, Duration::days(2));
}

void TestPlanErrors::newKeysDefaults() {
    // A plan without the new sections gets the documented defaults.
    auto result = loadPlanBytes(minimalPlan(), u"minimal.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const RollbackConfig &rollback = result.plan->rollback;
    QVERIFY(rollback.assignTo.isEmpty());
    QVERIFY(!rollback.verifyLegacy.has_value());
    QVERIFY(rollback.evidenceDirectory.isEmpty());
    QCOMPARE(rollback.evidenceSpan, Duration::minutes(30));
    QVERIFY(!rollback.upload.has_value());
    QVERIFY(!result.plan->escalation.isSet());
    QVERIFY(result.plan->escalation.eventLevels.isEmpty());
    QVERIFY(result.plan->controller.listenHost.isEmpty());
    QCOMPARE(result.plan->controller.listenPort, quint16(0));
    QCOMPARE(result.plan->controller.lease, Duration::seconds(3));
    QCOMPARE(result.plan->controller.backfillLimit, Duration::days(8));

    // Each new mapping with only its required keys: the optional ones take their defaults.
    QByteArray plan = escalationPlan();
    plan = replaceLine(plan, 32, "");                      // verify_legacy.deadline
    plan = replaceLine(plan, 34, "");                      // evidence.directory
    plan = replaceLine(plan, 35, "    span: 24h");         // the longest allowed
    plan = replaceLine(plan, 38, "");                      // upload.timeout
    plan = replaceLine(plan, 55, "  listen: \"\"");        // not served
    plan = replaceLine(replaceLine(plan, 56, ""), 57, ""); // lease, backfill_limit
    result = loadPlanBytes(plan, u"defaults.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QCOMPARE(result.plan->rollback.verifyLegacy->deadline, Duration::seconds(30));
    QVERIFY(result.plan->rollback.evidenceDirectory.isEmpty());
    QCOMPARE(result.plan->rollback.evidenceSpan, Duration::hours(24));
    QCOMPARE(result.plan->rollback.upload->timeout, Duration::minutes(5));
    QVERIFY(result.plan->controller.listenHost.isEmpty());
    QCOMPARE(result.plan->controller.listenPort, quint16(0));
    QCOMPARE(result.plan->controller.lease, Duration::seconds(3));
    QCOMPARE(result.plan->controller.backfillLimit, Duration::days(8));

    // The lease's bounds are inclusive.
    for (const QByteArray &lease : {QByteArray("1s"), QByteArray("60s"), QByteArray("1m")}) {
        result = loadPlanBytes(replaceLine(escalationPlan(), 56, "  lease: " + lease),
                               u"lease.yaml"_s, QString(), options());
        QVERIFY2(result.ok(), qPrintable(result.errorText()));
    }
}

void TestPlanErrors::triggerLevelDefaults() {
    // Without `level`: L4 for an automatic trigger (its notification is the rollback), L2 for
    // one that prompts a human. With it, the level written.
    QByteArray plan = escalationPlan();
    plan = replaceLine(plan, 41,
                       "    - { id: t2, title: \"P\", query: \"sum(w)\", condition: \"> 1\", "
                       "action: prompt }");
    plan = insertAfter(plan, 41,
                       "    - { id: t3, title: \"A\", query: \"sum(v)\", condition: \"> 1\", "
                       "action: auto, level: L1 }");
    const auto result = loadPlanBytes(plan, u"levels.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const auto &triggers = result.plan->rollback.triggers;
    QCOMPARE(triggers.size(), 3);
    QVERIFY(!triggers.at(0).level.has_value());
    QCOMPARE(triggers.at(0).escalationLevel(), EscalationLevel::L4);
    QVERIFY(!triggers.at(1).level.has_value());
    QCOMPARE(triggers.at(1).escalationLevel(), EscalationLevel::L2);
    QCOMPARE(triggers.at(2).level, std::optional(EscalationLevel::L1));
    QCOMPARE(triggers.at(2).escalationLevel(), EscalationLevel::L1);
}

// Each edit of escalation.yaml must give this error at exactly this line and column.
void TestPlanErrors::located_data() {
    QTest::addColumn<QByteArray>("plan");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");

    const QByteArray p = escalationPlan();
    auto row = [](const char *name, const QByteArray &plan, int line, int column, const char *path,
                  const char *expected) {
        QTest::newRow(name) << plan << line << column << QString::fromUtf8(path)
                            << QString::fromUtf8(expected);
    };

    // escalation
    row("escalation-unknown-notification", replaceLine(p, 48, "  L1: [chat, emial]"), 48, 14,
        "escalation.L1[1]", "unknown notification 'emial'; did you mean 'email'?");
    row("escalation-unknown-notification-far", replaceLine(p, 48, "  L1: [chat, email, sms]"), 48,
        21, "escalation.L1[2]",
        "unknown notification 'sms'; expected one of: chat, email, paging, war_room");
    row("escalation-unknown-level", replaceLine(p, 49, "  L5: [paging]"), 49, 3, "escalation.L5",
        "unknown key 'L5'; did you mean 'L1'?");
    row("escalation-lowercase-level", replaceLine(p, 49, "  l2: [paging]"), 49, 3, "escalation.l2",
        "unknown key 'l2'; did you mean 'L2'?");
    row("escalation-level-not-list", replaceLine(p, 49, "  L2: paging"), 49, 7, "escalation.L2",
        "expected a list of names, found 'paging'");
    row("escalation-level-twice", insertAfter(p, 48, "  L1: [paging]"), 49, 3, "escalation.L1",
        "duplicate key 'L1' (first written on line 48)");
    row("escalation-event-unknown", replaceLine(p, 52, "    drfit: L3"), 52, 5,
        "escalation.events.drfit", "unknown event 'drfit'; did you mean 'drift'?");
    row("escalation-event-level", replaceLine(p, 52, "    drift: L5"), 52, 12,
        "escalation.events.drift", "expected an escalation level L1, L2, L3 or L4, found 'L5'");
    row("escalation-event-twice", insertAfter(p, 52, "    drift: L1"), 53, 5,
        "escalation.events.drift", "duplicate key 'drift' (first written on line 52)");
    row("escalation-events-not-mapping",
        replaceLine(replaceLine(replaceLine(p, 51, "  events: [drift]"), 52, ""), 53, ""), 51, 11,
        "escalation.events", "expected a mapping, found a list");
    row("escalation-misspelt", replaceLine(p, 47, "escalaton:"), 47, 1, "escalaton",
        "unknown key 'escalaton'; did you mean 'escalation'?");

    // notifications
    row("notification-never-notified", replaceLine(p, 48, "  L1: [chat]"), 44, 5,
        "notifications[1]", "never notified: give it events or name it in escalation");
    row("notification-empty-events-never-notified",
        replaceLine(replaceLine(p, 48, "  L1: [chat]"), 44,
                    "  - { name: email, url: \"http://127.0.0.1:1/email\", events: [] }"),
        44, 5, "notifications[1]", "never notified: give it events or name it in escalation");
    row("notification-never-notified-without-escalation",
        minimalPlan() + "notifications:\n  - { name: chat, url: \"http://127.0.0.1:1/x\" }\n", 31,
        5, "notifications[0]", "never notified: give it events or name it in escalation");
    row("notification-event-unknown",
        replaceLine(p, 43,
                    "  - { name: chat, url: \"http://127.0.0.1:1/chat\", events: [shift, "
                    "sign_of] }"),
        43, 67, "notifications[0].events[1]", "unknown event 'sign_of'; did you mean 'sign_off'?");

    // rollback.triggers[].level
    row("trigger-level",
        replaceLine(p, 41,
                    "    - { id: t2, title: \"P\", query: \"sum(w)\", condition: \"> 1\", action: "
                    "prompt, level: L9 }"),
        41, 87, "rollback.triggers[1].level",
        "expected an escalation level L1, L2, L3 or L4, found 'L9'");
    row("trigger-level-lowercase",
        replaceLine(p, 41,
                    "    - { id: t2, title: \"P\", query: \"sum(w)\", condition: \"> 1\", action: "
                    "prompt, level: l2 }"),
        41, 87, "rollback.triggers[1].level", "found 'l2'");

    // rollback: assign_to, verify_legacy, evidence, upload
    row("rollback-misspelt", replaceLine(p, 28, "  asign_to: platform-team"), 28, 3,
        "rollback.asign_to", "unknown key 'asign_to'; did you mean 'assign_to'?");
    row("assign-to-empty", replaceLine(p, 28, "  assign_to: \"\""), 28, 14, "rollback.assign_to",
        "expected a non-empty text");
    row("verify-legacy-no-query", replaceLine(p, 30, ""), 31, 5, "rollback.verify_legacy.query",
        "missing required key 'query'");
    row("verify-legacy-no-condition", replaceLine(p, 31, ""), 30, 5,
        "rollback.verify_legacy.condition", "missing required key 'condition'");
    row("verify-legacy-condition", replaceLine(p, 31, "    condition: positive"), 31, 16,
        "rollback.verify_legacy.condition", "expected a comparison such as '< 0.01'");
    row("verify-legacy-deadline-zero", replaceLine(p, 32, "    deadline: 0s"), 32, 15,
        "rollback.verify_legacy.deadline", "expected a duration above zero, found 0");
    row("verify-legacy-unknown-key", insertAfter(p, 32, "    for: 1m"), 33, 5,
        "rollback.verify_legacy.for",
        "unknown key 'for'; expected one of: query, condition, deadline");
    row("evidence-span-too-long", replaceLine(p, 35, "    span: 25h"), 35, 11,
        "rollback.evidence.span", "expected a duration above zero and at most 24h, found '25h'");
    row("evidence-span-zero", replaceLine(p, 35, "    span: 0m"), 35, 11, "rollback.evidence.span",
        "expected a duration above zero and at most 24h, found 0");
    row("evidence-misspelt", replaceLine(p, 34, "    directroy: evidence"), 34, 5,
        "rollback.evidence.directroy", "did you mean 'directory'?");
    row("evidence-directory-empty", replaceLine(p, 34, "    directory: \"\""), 34, 16,
        "rollback.evidence.directory", "expected a non-empty text");
    row("upload-shell-string", replaceLine(p, 37, "    command: \"aws s3 cp {archive} s3://b/\""),
        37, 14, "rollback.upload.command",
        "found 'aws s3 cp {archive} s3://b/': the command runs without a shell, so it must be an "
        "argv list, never a shell string");
    row("upload-mapping", replaceLine(p, 37, "    command: { run: aws }"), 37, 14,
        "rollback.upload.command", "expected an argv list such as [aws, s3, cp");
    row("upload-empty", replaceLine(p, 37, "    command: []"), 37, 14, "rollback.upload.command",
        "expected a non-empty list, found an empty one");
    row("upload-item-not-text", replaceLine(p, 37, "    command: [aws, [s3]]"), 37, 20,
        "rollback.upload.command[1]", "expected a text, found a list");
    row("upload-no-command", replaceLine(p, 37, ""), 38, 5, "rollback.upload.command",
        "missing required key 'command': expected an argv list");
    row("upload-timeout-zero", replaceLine(p, 38, "    timeout: 0s"), 38, 14,
        "rollback.upload.timeout", "expected a duration above zero, found 0");
    row("upload-misspelt", replaceLine(p, 38, "    timout: 2m"), 38, 5, "rollback.upload.timout",
        "did you mean 'timeout'?");

    // Issue 17. stages[].tolerance_points: absolute, in (0, 50), below the stage's percent, and
    // never beside `tolerance` (reported at the one written second).
    const QByteArray q = deliveryPlan();
    row("tolerance-and-points",
        replaceLine(q, 21,
                    "  - { percent: 10, stabilization: 5m, tolerance: 0.2, tolerance_points: 2, "
                    "hold: 24h, gates: [gate_1] }"),
        21, 73, "stages[0].tolerance_points",
        "give tolerance (relative) or tolerance_points (absolute), not both");
    row("points-and-tolerance",
        replaceLine(q, 21,
                    "  - { percent: 10, stabilization: 5m, tolerance_points: 2, tolerance: 0.2, "
                    "hold: 24h, gates: [gate_1] }"),
        21, 71, "stages[0].tolerance",
        "give tolerance (relative) or tolerance_points (absolute), not both");
    row("tolerance-and-points-block",
        replaceLine(q, 23,
                    "  - percent: 100\n    stabilization: 5m\n    tolerance: 0.02\n"
                    "    tolerance_points: 1"),
        26, 23, "stages[2].tolerance_points", "not both");
    row("points-zero",
        replaceLine(q, 21,
                    "  - { percent: 10, stabilization: 5m, tolerance_points: 0, hold: 24h, gates: "
                    "[gate_1] }"),
        21, 57, "stages[0].tolerance_points",
        "expected percentage points in (0, 50), e.g. 2 (10% accepts 8%..12%), found '0'");
    row("points-fifty",
        replaceLine(q, 22,
                    "  - { percent: 50, stabilization: 5m, tolerance_points: 50, hold: 72h, gates: "
                    "[gate_2] }"),
        22, 57, "stages[1].tolerance_points", "expected percentage points in (0, 50)");
    row("points-word",
        replaceLine(q, 21,
                    "  - { percent: 10, stabilization: 5m, tolerance_points: two, hold: 24h, "
                    "gates: [gate_1] }"),
        21, 57, "stages[0].tolerance_points",
        "expected percentage points in (0, 50), e.g. 2 (10% accepts 8%..12%), found 'two'");
    row("points-reach-zero",
        replaceLine(q, 21,
                    "  - { percent: 10, stabilization: 5m, tolerance_points: 10, hold: 24h, gates: "
                    "[gate_1] }"),
        21, 57, "stages[0].tolerance_points",
        "expected fewer points than the stage's 10%, found '10': the band would reach 0% and "
        "accept no traffic on OTel");
    row("points-misspelt",
        replaceLine(q, 21,
                    "  - { percent: 10, stabilization: 5m, tolerance_point: 2, hold: 24h, gates: "
                    "[gate_1] }"),
        21, 39, "stages[0].tolerance_point",
        "unknown key 'tolerance_point'; did you mean 'tolerance_points'?");

    // gates.<id>.sign_after: stable | any; stable needs a stage with a hold that lists the gate.
    row("sign-after-unknown", replaceLine(q, 48, "    sign_after: later"), 48, 17,
        "gates.gate_2.sign_after",
        "expected stable (once the hold of the gate's stage has been watched without a breach) "
        "or any (as soon as its checks pass), found 'later'");
    row("sign-after-list", replaceLine(q, 48, "    sign_after: [stable]"), 48, 17,
        "gates.gate_2.sign_after", "expected a text, found a list");
    row("sign-after-misspelt", replaceLine(q, 48, "    sign_afer: any"), 48, 5,
        "gates.gate_2.sign_afer", "unknown key 'sign_afer'; did you mean 'sign_after'?");
    row("sign-after-stable-pre-cutover", insertAfter(q, 29, "    sign_after: stable"), 30, 17,
        "gates.checklist.sign_after",
        "sign_after: stable waits for the hold of the gate's stage, but no stage lists gate "
        "'checklist': it could never be signed");
    row("sign-after-stable-no-hold",
        replaceLine(replaceLine(q, 48, "    sign_after: stable"), 22,
                    "  - { percent: 50, stabilization: 5m, tolerance_points: 2, gates: [gate_2] }"),
        48, 17, "gates.gate_2.sign_after",
        "sign_after: stable waits for the hold of the gate's stage, but stages[1], which lists "
        "gate 'gate_2', has no hold: it could never be signed (write any, or list the gate in a "
        "stage with a hold)");

    // checks[].alert_delivery
    row("delivery-names-no-alert",
        replaceLine(
            q, 46,
            "      - { id: alerts, title: \"Alerts\", alert_delivery: { receiver: pager } }"),
        46, 56, "gates.gate_2.checks[0].alert_delivery", "alert_delivery names no alert");
    row("delivery-names-no-alert-block", replaceLine(q, 36, ""), 37, 11,
        "gates.gate_1.checks[0].alert_delivery", "alert_delivery names no alert");
    row("delivery-alert-empty", replaceLine(q, 36, "          alert: \"\""), 36, 18,
        "gates.gate_1.checks[0].alert_delivery.alert", "expected a non-empty text");
    row("delivery-alert-no-value", replaceLine(q, 36, "          alert:"), 36, 11,
        "gates.gate_1.checks[0].alert_delivery.alert", "expected a value after 'alert:'");
    row("delivery-alert-name", replaceLine(q, 36, "          alert: \"Cutover Watchdog\""), 36, 18,
        "gates.gate_1.checks[0].alert_delivery.alert",
        "expected an alert name as Prometheus rules write it (letters, digits, '_' and ':', not "
        "starting with a digit), found 'Cutover Watchdog'");
    row("delivery-scalar",
        replaceLine(q, 46, "      - { id: alerts, title: \"Alerts\", alert_delivery: Watchdog }"),
        46, 56, "gates.gate_2.checks[0].alert_delivery",
        "expected a mapping with keys alert, receiver, delivered_within, delivery_query, found "
        "'Watchdog'");
    row("delivery-within-zero", replaceLine(q, 38, "          delivered_within: 0s"), 38, 29,
        "gates.gate_1.checks[0].alert_delivery.delivered_within",
        "expected a duration above zero, found 0");
    row("delivery-within-word", replaceLine(q, 38, "          delivered_within: soon"), 38, 29,
        "gates.gate_1.checks[0].alert_delivery.delivered_within", "found 'soon'");
    row("delivery-receiver-misspelt", replaceLine(q, 37, "          recevier: pager"), 37, 11,
        "gates.gate_1.checks[0].alert_delivery.recevier",
        "unknown key 'recevier'; did you mean 'receiver'?");
    row("delivery-query-empty", replaceLine(q, 39, "          delivery_query: ''"), 39, 27,
        "gates.gate_1.checks[0].alert_delivery.delivery_query", "expected a non-empty text");
    row("delivery-and-query",
        replaceLine(q, 46,
                    "      - { id: alerts, title: \"Alerts\", alert_delivery: { alert: Watchdog }, "
                    "query: \"up\" }"),
        46, 9, "gates.gate_2.checks[0]",
        "expected exactly one of query (automatic), manual: true (ticked by a role), gates "
        "(earlier gates maintained), stable_for (time at the stage), alert_delivery (an alert "
        "delivered by Alertmanager) or compare (legacy vs OTel), found 2");
    row("delivery-with-condition",
        replaceLine(q, 46,
                    "      - { id: alerts, title: \"Alerts\", alert_delivery: { alert: Watchdog }, "
                    "condition: \"> 0\" }"),
        46, 88, "gates.gate_2.checks[0].condition",
        "'condition' applies only to automatic checks (with a query)");
    row("for-with-manual",
        replaceLine(q, 41,
                    "      - { id: ok, title: \"Complaints\", manual: true, role: release_manager, "
                    "for: 1m }"),
        41, 82, "gates.gate_1.checks[1].for",
        "'for' applies only to automatic checks (with a query) and alert_delivery");
    row("delivery-for-bad", replaceLine(q, 40, "        for: 3 seconds"), 40, 14,
        "gates.gate_1.checks[0].for", "found '3 seconds'");

    // rollback.reset: stage_gates | all
    row("reset-unknown", replaceLine(q, 50, "  reset: everything"), 50, 10, "rollback.reset",
        "expected stage_gates (void the gates of the stages rolled back over; the pre-cutover "
        "checklist stays signed) or all (void every gate), found 'everything'");
    row("reset-misspelt", replaceLine(q, 50, "  rest: all"), 50, 3, "rollback.rest",
        "unknown key 'rest'; did you mean 'reset'?");

    // controller
    const char *listenExpected = "expected host:port such as 127.0.0.1:9464";
    for (const char *listen :
         {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "256.1.1.1:9464", "1.2.3:9464", "::1:9464",
          "[::1]", "[]:9464", ":9464", "host name:9464", "http://127.0.0.1:9464"}) {
        row(qPrintable(u"listen %1"_s.arg(QLatin1StringView(listen))),
            replaceLine(p, 55, QByteArray("  listen: \"") + listen + '"'), 55, 11,
            "controller.listen", listenExpected);
    }
    row("lease-too-short", replaceLine(p, 56, "  lease: 500ms"), 56, 10, "controller.lease",
        "expected a duration from 1s to 1m, found '500ms'");
    row("lease-too-long", replaceLine(p, 56, "  lease: 61s"), 56, 10, "controller.lease",
        "expected a duration from 1s to 1m, found '61s'");
    row("lease-zero", replaceLine(p, 56, "  lease: 0s"), 56, 10, "controller.lease",
        "expected a duration from 1s to 1m, found 0");
    row("backfill-zero", replaceLine(p, 57, "  backfill_limit: 0s"), 57, 19,
        "controller.backfill_limit", "expected a duration above zero, found 0");
    row("controller-misspelt", replaceLine(p, 56, "  leese: 3s"), 56, 3, "controller.leese",
        "unknown key 'leese'; did you mean 'lease'?");

    // Issue 14. compare checks (replacing gate_1's manual item, line 41): the compare map's keys
    // start at line 44, column 11.
    auto compareCheck = [&q](const char *extra) {
        return replaceLine(q, 41,
                           QByteArray("      - id: parity\n        title: \"Parity\"\n"
                                      "        compare:\n          legacy: 'a'\n"
                                      "          otel: 'b'\n") +
                               extra);
    };
    row("compare-too-few-samples", compareCheck("          window: 10m"), 44, 11,
        "gates.gate_1.checks[1].compare",
        "window 10m at step 15s gives 41 samples a side, fewer than min_samples 50: the check "
        "could never pass");
    row("compare-direction", compareCheck("          direction: up"), 46, 22,
        "gates.gate_1.checks[1].compare.direction",
        "expected increase, decrease or either, found 'up'");
    row("compare-per-without-denominators", compareCheck("          per: request"), 44, 11,
        "gates.gate_1.checks[1].compare.legacy_per", "missing required key 'legacy_per'");
    row("compare-denominator-without-per", compareCheck("          otel_per: 'c'"), 46, 21,
        "gates.gate_1.checks[1].compare.otel_per",
        "'otel_per' applies only with per: request or per: instance");
    row("compare-confidence", compareCheck("          confidence: 98"), 46, 23,
        "gates.gate_1.checks[1].compare.confidence", "expected a confidence in [0.5, 1)");
    row("compare-allowed-increase", compareCheck("          allowed_increase: 0.9"), 46, 29,
        "gates.gate_1.checks[1].compare.allowed_increase",
        "expected a mean ratio of at least 1 (1.05: 5% higher), found 0.9");
    row("compare-test", compareCheck("          test: t_test"), 46, 17,
        "gates.gate_1.checks[1].compare.test", "expected mann_whitney, found 't_test'");
    row("compare-no-otel",
        replaceLine(q, 41, "      - { id: parity, title: \"Parity\", compare: { legacy: 'a' } }"),
        41, 49, "gates.gate_1.checks[1].compare.otel", "missing required key 'otel'");
    // Score thresholds: a gate's own (after its sign_off, line 42) and the plan's (line 49).
    row("score-above-100",
        replaceLine(q, 42, "    sign_off: [release_manager]\n    score: { pass: 101 }"), 43, 20,
        "gates.gate_1.score.pass", "expected a score from 0 to 100, found 101");
    row("score-marginal-above-pass",
        replaceLine(q, 42,
                    "    sign_off: [release_manager]\n    score: { pass: 80, marginal: 90 }"),
        43, 12, "gates.gate_1.score",
        "expected marginal (90) at or below pass (80): a marginal score lies between them");
    row("score-misspelt", replaceLine(q, 49, "score: { passs: 90 }\nrollback:"), 49, 10,
        "score.passs", "unknown key 'passs'; did you mean 'pass'?");
    row("critical-on-a-manual-item",
        replaceLine(q, 41,
                    "      - { id: ok, title: \"C\", manual: true, role: release_manager, "
                    "critical: true }"),
        41, 78, "gates.gate_1.checks[1].critical", "'critical' applies only to compare checks");
}

void TestPlanErrors::located() {
    QFETCH(QByteArray, plan);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, path);
    QFETCH(QString, expected);

    const auto result = loadPlanBytes(plan, u"broken.yaml"_s, QString(), options());
    QVERIFY2(!result.ok(), "a malformed plan loaded");
    const QString prefix = u"broken.yaml:%1:%2: %3: "_s.arg(line).arg(column).arg(path);
    bool found = false;
    for (const auto &error : result.errors) {
        const QString text = error.toString();
        if (text.startsWith(prefix) && error.message.contains(expected))
            found = true;
    }
    QVERIFY2(found,
             qPrintable(u"expected '%1…%2'; got:\n%3"_s.arg(prefix, expected, result.errorText())));
}

void TestPlanErrors::oldStylePlanStillLoads() {
    // A plan written before escalation: notifications with the six events of format 1's first
    // edition, no escalation, no controller, a rollback without the new keys.
    const QByteArray plan =
        minimalPlan() +
        "drift: { interval: 30s, policy: alarm }\n"
        "notifications:\n"
        "  - name: incident\n"
        "    url: \"http://127.0.0.1:9095/incident\"\n"
        "    events: [rollback, validation_failed]\n"
        "  - name: chat\n"
        "    url: \"http://127.0.0.1:9095/chat\"\n"
        "    events: [shift, sign_off, rollback, validation_failed, drift, trigger]\n";
    const auto result = loadPlanBytes(plan, u"old.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QCOMPARE(result.plan->notifications.size(), 2);
    QCOMPARE(result.plan->notifications.at(0).events,
             (QStringList{u"rollback"_s, u"validation_failed"_s}));
    QCOMPARE(result.plan->notifications.at(1).events.size(), 6);
    QVERIFY(!result.plan->escalation.isSet());
    QCOMPARE(result.plan->rollback.triggers.at(0).escalationLevel(), EscalationLevel::L4);
    // Written before the decommission: at Complete the drift is re-asserted all the same.
    QCOMPARE(result.plan->drift.policy, DriftConfig::Policy::Alarm);
    QCOMPARE(result.plan->drift.policyFor(true), DriftConfig::Policy::Reassert);

    const auto alarmed = loadPlanBytes(minimalPlan() + "drift: { policy_at_complete: alarm }\n",
                                       u"alarm.yaml"_s, QString(), options());
    QVERIFY2(alarmed.ok(), qPrintable(alarmed.errorText()));
    QCOMPARE(alarmed.plan->drift.policyFor(true), DriftConfig::Policy::Alarm);
    const auto wrong = loadPlanBytes(minimalPlan() + "drift: { policy_at_complete: never }\n",
                                     u"wrong.yaml"_s, QString(), options());
    QVERIFY(!wrong.ok());
    QVERIFY2(wrong.errorText().contains(u"drift.policy_at_complete"_s) &&
                 wrong.errorText().contains(u"expected alarm or reassert, found 'never'"_s),
             qPrintable(wrong.errorText()));
}

void TestPlanErrors::stabilityAndDeliveryKeysAreRead() {
    const auto result = loadPlanBytes(deliveryPlan(), u"delivery.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const Plan &plan = *result.plan;

    // alert_delivery with every key, and `for`.
    const Check &full = plan.gate(u"gate_1"_s)->checks.at(0);
    QCOMPARE(full.kind, Check::Kind::AlertDelivery);
    QCOMPARE(full.alertName, u"Watchdog"_s);
    QCOMPARE(full.receiver, u"pager"_s);
    QCOMPARE(full.deliveredWithin, Duration::minutes(1));
    QCOMPARE(full.deliveryQuery, u"sum(increase(alertmanager_notifications_total[1m]))"_s);
    QCOMPARE(full.forDuration, Duration::seconds(3));
    QVERIFY(full.query.isEmpty());
    // Only the alert: any receiver, delivered within 5 minutes, the engine's own query, no `for`.
    const Check &bare = plan.gate(u"gate_2"_s)->checks.at(0);
    QCOMPARE(bare.kind, Check::Kind::AlertDelivery);
    QCOMPARE(bare.alertName, u"Watchdog"_s);
    QVERIFY(bare.receiver.isEmpty());
    QCOMPARE(bare.deliveredWithin, Duration::minutes(5));
    QVERIFY(bare.deliveryQuery.isEmpty());
    QVERIFY(bare.forDuration.isZero());

    // sign_after: gate_1 unset, listed by the 10% stage (hold 24h): waits for stability. The
    // pre-cutover gate: no stage, no wait. gate_2 says `any` although its stage holds 72h.
    QVERIFY(!plan.gate(u"gate_1"_s)->signAfter.has_value());
    QCOMPARE(plan.stageOfGate(u"gate_1"_s), 0);
    QVERIFY(plan.signsAfterStability(u"gate_1"_s));
    QVERIFY(!plan.gate(u"checklist"_s)->signAfter.has_value());
    QCOMPARE(plan.stageOfGate(u"checklist"_s), -1);
    QVERIFY(!plan.signsAfterStability(u"checklist"_s));
    QCOMPARE(plan.gate(u"gate_2"_s)->signAfter, std::optional(Gate::SignAfter::Any));
    QCOMPARE(plan.stageOfGate(u"gate_2"_s), 1);
    QVERIFY(!plan.signsAfterStability(u"gate_2"_s));

    // tolerance_points: 2 points at 10% and at 50%; the 100% stage stays relative.
    QCOMPARE(plan.stages.at(0).tolerancePoints, std::optional(2.0));
    QCOMPARE(plan.stages.at(1).tolerancePoints, std::optional(2.0));
    QVERIFY(!plan.stages.at(2).tolerancePoints.has_value());
    QCOMPARE(plan.stages.at(2).tolerance, 0.02);

    QCOMPARE(plan.rollback.reset, RollbackConfig::Reset::All);

    // Written out, `stable` is read as such (and is allowed on gate_2: its stage holds).
    const auto stable = loadPlanBytes(replaceLine(deliveryPlan(), 48, "    sign_after: stable"),
                                      u"stable.yaml"_s, QString(), options());
    QVERIFY2(stable.ok(), qPrintable(stable.errorText()));
    QCOMPARE(stable.plan->gate(u"gate_2"_s)->signAfter, std::optional(Gate::SignAfter::Stable));
    QVERIFY(stable.plan->signsAfterStability(u"gate_2"_s));
    // `any` on the pre-cutover gate changes nothing; `reset: stage_gates` written out.
    QByteArray other = insertAfter(deliveryPlan(), 29, "    sign_after: any");
    other = replaceLine(other, 51, "  reset: stage_gates");
    const auto any = loadPlanBytes(other, u"any.yaml"_s, QString(), options());
    QVERIFY2(any.ok(), qPrintable(any.errorText()));
    QCOMPARE(any.plan->gate(u"checklist"_s)->signAfter, std::optional(Gate::SignAfter::Any));
    QVERIFY(!any.plan->signsAfterStability(u"checklist"_s));
    QCOMPARE(any.plan->rollback.reset, RollbackConfig::Reset::StageGates);
}

void TestPlanErrors::stabilityAndDeliveryDefaults() {
    // A plan without the keys: relative 0.2, no points, sign_after unset, reset stage_gates.
    const auto result = loadPlanBytes(minimalPlan(), u"minimal.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const Plan &plan = *result.plan;
    QCOMPARE(plan.rollback.reset, RollbackConfig::Reset::StageGates);
    for (const Stage &stage : plan.stages) {
        QCOMPARE(stage.tolerance, 0.2);
        QVERIFY(!stage.tolerancePoints.has_value());
    }
    // The 100% stage of minimal.yaml writes no tolerance at all: the default relative band.
    QVERIFY(qFuzzyCompare(plan.stages.at(1).lowerBound(), 0.8));
    QCOMPARE(plan.stages.at(1).upperBound(), 1.0);
    // gate_1 is listed by the 10% stage, which holds 24h: it signs after stability.
    QVERIFY(!plan.gate(u"gate_1"_s)->signAfter.has_value());
    QVERIFY(plan.signsAfterStability(u"gate_1"_s));
    // Without the hold it would not.
    const auto noHold = loadPlanBytes(
        replaceLine(minimalPlan(), 18,
                    "  - { percent: 10, stabilization: 5m, tolerance: 0.2, gates: [gate_1] }"),
        u"nohold.yaml"_s, QString(), options());
    QVERIFY2(noHold.ok(), qPrintable(noHold.errorText()));
    QVERIFY(!noHold.plan->signsAfterStability(u"gate_1"_s));
    QVERIFY(!noHold.plan->signsAfterStability(u"no_such_gate"_s));
}

void TestPlanErrors::toleranceBands_data() {
    QTest::addColumn<QByteArray>("stage");
    QTest::addColumn<double>("lower");
    QTest::addColumn<double>("upper");
    // The seed's one band, 10% → 8%..12%, read both ways; at 50% they part.
    QTest::newRow("10% relative 0.2") << QByteArray("percent: 10, tolerance: 0.2") << 0.08 << 0.12;
    QTest::newRow("10% points 2") << QByteArray("percent: 10, tolerance_points: 2") << 0.08 << 0.12;
    QTest::newRow("50% relative 0.2") << QByteArray("percent: 50, tolerance: 0.2") << 0.40 << 0.60;
    QTest::newRow("50% points 2") << QByteArray("percent: 50, tolerance_points: 2") << 0.48 << 0.52;
    QTest::newRow("50% points 0.5")
        << QByteArray("percent: 50, tolerance_points: 0.5") << 0.495 << 0.505;
    QTest::newRow("50% neither: relative 0.2") << QByteArray("percent: 50") << 0.40 << 0.60;
    QTest::newRow("10% points 9.5")
        << QByteArray("percent: 10, tolerance_points: 9.5") << 0.005 << 0.195;
}

void TestPlanErrors::toleranceBands() {
    QFETCH(QByteArray, stage);
    QFETCH(double, lower);
    QFETCH(double, upper);
    const auto result = loadPlanBytes(
        replaceLine(minimalPlan(), 18,
                    "  - { " + stage + ", stabilization: 5m, hold: 24h, gates: [gate_1] }"),
        u"band.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const Stage &s = result.plan->stages.at(0);
    QVERIFY2(qAbs(s.lowerBound() - lower) < 1e-9, qPrintable(QString::number(s.lowerBound())));
    QVERIFY2(qAbs(s.upperBound() - upper) < 1e-9, qPrintable(QString::number(s.upperBound())));
}

void TestPlanErrors::compareKeysAreRead() {
    const QByteArray plan = replaceLine(
        deliveryPlan(), 41,
        "      - id: parity\n        title: \"Latency parity\"\n        critical: true\n"
        "        group: latency\n        weight: 2.5\n        compare:\n"
        "          legacy: 'rate(a{system=\"legacy\"}[1m])'\n"
        "          otel: 'rate(a{system=\"otel\"}[1m])'\n"
        "          window: 20m\n          step: 10s\n          test: mann_whitney\n"
        "          confidence: 0.99\n          direction: increase\n"
        "          allowed_increase: 1.05\n          allowed_decrease: 0.9\n"
        "          min_samples: 60\n          nan: replace\n          per: request\n"
        "          legacy_per: 'sum(rate(r{system=\"legacy\"}[1m]))'\n"
        "          otel_per: 'sum(rate(r{system=\"otel\"}[1m]))'");
    const auto result = loadPlanBytes(plan, u"compare.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const Check &c = result.plan->gate(u"gate_1"_s)->checks.at(1);
    QCOMPARE(c.kind, Check::Kind::Compare);
    QVERIFY(c.critical);
    QCOMPARE(c.group, u"latency"_s);
    QCOMPARE(c.weight, 2.5);
    QCOMPARE(c.compare.legacy, u"rate(a{system=\"legacy\"}[1m])"_s);
    QCOMPARE(c.compare.otel, u"rate(a{system=\"otel\"}[1m])"_s);
    QCOMPARE(c.compare.window, Duration::minutes(20));
    QCOMPARE(c.compare.step, Duration::seconds(10));
    QCOMPARE(c.compare.confidence, 0.99);
    QCOMPARE(c.compare.direction, CompareSpec::Direction::Increase);
    QCOMPARE(c.compare.allowedIncrease, 1.05);
    QCOMPARE(c.compare.allowedDecrease, 0.9);
    QCOMPARE(c.compare.minSamples, 60);
    QCOMPARE(c.compare.nan, CompareSpec::Nan::Replace);
    QCOMPARE(c.compare.per, CompareSpec::Per::Request);
    QCOMPARE(c.compare.legacyPer, u"sum(rate(r{system=\"legacy\"}[1m]))"_s);
    QCOMPARE(c.compare.otelPer, u"sum(rate(r{system=\"otel\"}[1m]))"_s);
    QVERIFY(!c.isTracked()); // judged over a window, not sustained for `for`
    // No score thresholds written: Kayenta's 95 / 75.
    QCOMPARE(result.plan->scoreThresholds(*result.plan->gate(u"gate_1"_s)).pass, 95.0);
    QCOMPARE(result.plan->scoreThresholds(*result.plan->gate(u"gate_1"_s)).marginal, 75.0);
    const auto scored = loadPlanBytes(
        replaceLine(replaceLine(deliveryPlan(), 49, "score: { pass: 90, marginal: 60 }\nrollback:"),
                    42, "    sign_off: [release_manager]\n    score: { pass: 100, marginal: 100 }"),
        u"score.yaml"_s, QString(), options());
    QVERIFY2(scored.ok(), qPrintable(scored.errorText()));
    QCOMPARE(scored.plan->scoreThresholds(*scored.plan->gate(u"gate_1"_s)).pass, 100.0);
    QCOMPARE(scored.plan->scoreThresholds(*scored.plan->gate(u"gate_2"_s)).pass, 90.0);
    QCOMPARE(scored.plan->scoreThresholds(*scored.plan->gate(u"gate_2"_s)).marginal, 60.0);

    // Defaults: Kayenta's 98%, either direction, no allowance, 50 samples, NaN removed.
    const auto defaults = loadPlanBytes(
        replaceLine(deliveryPlan(), 41,
                    "      - { id: p, title: P, compare: { legacy: 'a', otel: 'b' } }"),
        u"compare.yaml"_s, QString(), options());
    QVERIFY2(defaults.ok(), qPrintable(defaults.errorText()));
    const CompareSpec &d = defaults.plan->gate(u"gate_1"_s)->checks.at(1).compare;
    QCOMPARE(d.window, Duration::minutes(30));
    QCOMPARE(d.step, Duration::seconds(15));
    QCOMPARE(d.confidence, 0.98);
    QCOMPARE(d.direction, CompareSpec::Direction::Either);
    QCOMPARE(d.minSamples, 50);
    QCOMPARE(d.nan, CompareSpec::Nan::Remove);
    QCOMPARE(d.per, CompareSpec::Per::None);
}

// A trigger may compare instead of querying: it fires while the comparison is high or low.
void TestPlanErrors::compareTriggers() {
    const auto result =
        loadPlanBytes(replaceLine(minimalPlan(), 29,
                                  "    - id: parity\n      title: \"OTel slower\"\n      for: 5m\n"
                                  "      action: prompt\n      compare:\n        legacy: 'a'\n"
                                  "        otel: 'b'\n        direction: increase\n"
                                  "        allowed_increase: 1.1"),
                      u"trigger.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const Trigger &t = result.plan->rollback.triggers.at(0);
    QVERIFY(t.compare);
    QCOMPARE(t.compare->otel, u"b"_s);
    QCOMPARE(t.compare->allowedIncrease, 1.1);
    QVERIFY(t.query.isEmpty());
    QVERIFY(t.condition.holds(1) && !t.condition.holds(0));

    // query or condition beside compare: an error at the key; compare errors as in checks.
    const auto both = loadPlanBytes(
        replaceLine(minimalPlan(), 29,
                    "    - { id: p, title: P, action: auto, query: 'x', compare: { legacy: 'a', "
                    "otel: 'b' } }"),
        u"both.yaml"_s, QString(), options());
    QVERIFY(!both.ok());
    QVERIFY2(both.errorText().contains(u"both.yaml:29:47: rollback.triggers[0].query: 'query' "
                                       u"does not apply to a compare trigger"_s),
             qPrintable(both.errorText()));
    const auto bad = loadPlanBytes(
        replaceLine(minimalPlan(), 29,
                    "    - { id: p, title: P, action: auto, compare: { legacy: 'a', otel: 'b', "
                    "direction: up } }"),
        u"bad.yaml"_s, QString(), options());
    QVERIFY(!bad.ok());
    QVERIFY2(bad.errorText().contains(u"rollback.triggers[0].compare.direction"_s),
             qPrintable(bad.errorText()));
}

void TestPlanErrors::deliveryNeedsAnAlertmanager() {
    // Without an alertmanager section, every alert_delivery check is an error at the check.
    const QByteArray plan = replaceLine(replaceLine(deliveryPlan(), 8, ""), 9, "");
    const auto result = loadPlanBytes(plan, u"noam.yaml"_s, QString(), options());
    QVERIFY(!result.ok());
    const QString message = u"alert_delivery asks Alertmanager, but the plan names no alertmanager "
                            u"(add alertmanager: { url: … })"_s;
    QStringList lines;
    for (const PlanError &error : result.errors)
        lines.append(error.toString());
    QCOMPARE(lines, (QStringList{u"noam.yaml:33:9: gates.gate_1.checks[0]: "_s + message,
                                 u"noam.yaml:46:9: gates.gate_2.checks[0]: "_s + message}));

    // An alertmanager section with an error of its own: that error only, not the plan's lack.
    const auto broken = loadPlanBytes(replaceLine(deliveryPlan(), 9, "  url: \"ftp://x\""),
                                      u"badam.yaml"_s, QString(), options());
    QVERIFY(!broken.ok());
    QCOMPARE(broken.errors.size(), 1);
    QCOMPARE(broken.errors.at(0).path, u"alertmanager.url"_s);
}

void TestPlanErrors::everyNotificationEventIsAccepted() {
    QByteArray events;
    for (const QString &event : notificationEvents())
        events += (events.isEmpty() ? "" : ", ") + event.toUtf8();
    QCOMPARE(notificationEvents().size(), 14);
    const QByteArray plan = minimalPlan() +
                            "notifications:\n  - { name: all, url: \"http://127.0.0.1:1/x\", "
                            "events: [" +
                            events + "] }\n";
    const auto result = loadPlanBytes(plan, u"events.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QCOMPARE(result.plan->notifications.at(0).events, notificationEvents());

    // The same in escalation's overrides, each moved to L1.
    QByteArray overrides;
    for (const QString &event : notificationEvents())
        overrides += "    " + event.toUtf8() + ": L1\n";
    const QByteArray replaced = replaceLine(replaceLine(escalationPlan(), 52, ""), 53, "");
    const auto moved = loadPlanBytes(insertAfter(replaced, 51, overrides.chopped(1)),
                                     u"events.yaml"_s, QString(), options());
    QVERIFY2(moved.ok(), qPrintable(moved.errorText()));
    for (const QString &event : notificationEvents())
        QCOMPARE(moved.plan->escalation.levelOf(event), EscalationLevel::L1);
}

void TestPlanErrors::listenAddresses_data() {
    QTest::addColumn<QByteArray>("listen");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");

    QTest::newRow("ipv4") << QByteArray("127.0.0.1:9464") << u"127.0.0.1"_s << 9464;
    QTest::newRow("any") << QByteArray("0.0.0.0:1") << u"0.0.0.0"_s << 1;
    QTest::newRow("hostname") << QByteArray("metrics.example.org:65535") << u"metrics.example.org"_s
                              << 65535;
    QTest::newRow("localhost") << QByteArray("localhost:9464") << u"localhost"_s << 9464;
    QTest::newRow("ipv6") << QByteArray("[::1]:9464") << u"::1"_s << 9464;
    QTest::newRow("ipv6-full") << QByteArray("[2001:db8::7]:80") << u"2001:db8::7"_s << 80;
    QTest::newRow("empty") << QByteArray("") << QString() << 0;
}

void TestPlanErrors::listenAddresses() {
    QFETCH(QByteArray, listen);
    QFETCH(QString, host);
    QFETCH(int, port);
    const auto result =
        loadPlanBytes(replaceLine(escalationPlan(), 55, "  listen: \"" + listen + '"'),
                      u"listen.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QCOMPARE(result.plan->controller.listenHost, host);
    QCOMPARE(result.plan->controller.listenPort, quint16(port));
}

QTEST_GUILESS_MAIN(TestPlanErrors)
#include "test_plan_errors.moc"
