// Table-driven malformed plans: each edit of a known-good plan must give the expected error
// at the expected line, with the key path and what was found.

#include "app/config/plan_loader.h"

#include <QFile>
#include <QTest>

using namespace Qt::StringLiterals;
using cutover::config::loadPlanBytes;
using cutover::config::PlanLoadOptions;

namespace {

QByteArray minimalPlan() {
    QFile file(QStringLiteral(CONSOLE_SOURCE_DIR "/tests/data/plans/minimal.yaml"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read minimal.yaml");
    return file.readAll();
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

QTEST_GUILESS_MAIN(TestPlanErrors)
#include "test_plan_errors.moc"
