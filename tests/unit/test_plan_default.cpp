// The embedded default plan loads and mirrors the seed procedure (tests/data/seed_phase3.txt,
// a copy of the cutover procedure the product automates): every checklist and gate item, the
// stages, holds, triggers and dashboards.

#include "app/config/plan_loader.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover::config;

namespace {

struct SeedGate {
    QString title;
    QStringList items;
};

// Reads the checklist items of the seed: the pre-cutover checklist and Gates 1-4.
QList<SeedGate> seedGates() {
    QFile file(QStringLiteral(CONSOLE_SOURCE_DIR "/tests/data/seed_phase3.txt"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        qFatal("cannot read the seed copy");
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    static const QRegularExpression item(u"^- \\[ \\] (.+)$"_s);
    static const QRegularExpression gate(u"^\\*\\*(Gate \\d+:[^*]+)\\*\\*"_s);
    QList<SeedGate> gates;
    enum { Outside, PreCutover, Gates } section = Outside;
    for (const QString &line : lines) {
        if (line.startsWith(u"### Pre-Cutover Checklist"_s)) {
            section = PreCutover;
            gates.append({u"Pre-cutover checklist"_s, {}});
            continue;
        }
        if (line.startsWith(u"### Traffic Shifting Process"_s) ||
            line.startsWith(u"## Legacy Decommission"_s)) {
            section = Outside;
            continue;
        }
        if (line.startsWith(u"#### Validation Gates"_s)) {
            section = Gates;
            continue;
        }
        if (section == Gates) {
            if (const auto m = gate.match(line); m.hasMatch())
                gates.append({m.captured(1).trimmed(), {}});
        }
        if (section != Outside && !gates.isEmpty()) {
            if (const auto m = item.match(line.trimmed()); m.hasMatch())
                gates.last().items.append(m.captured(1).trimmed());
        }
    }
    return gates;
}

const Gate *findGate(const Plan &plan, const QString &seedTitle) {
    // "Gate 1: 10% Stable (24 hours)" -> the plan gate whose title starts with "Gate 1:".
    const QString prefix = seedTitle.section(u':', 0, 0);
    for (const Gate &g : plan.gates) {
        if (g.title.startsWith(prefix + u':', Qt::CaseInsensitive) ||
            g.title.compare(seedTitle, Qt::CaseInsensitive) == 0)
            return &g;
    }
    return nullptr;
}

} // namespace

class TestPlanDefault : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void seedHasWhatWeExpect();
    void everySeedItemIsAGateCheck();
    void stagesHoldsAndTolerances();
    void signOffAndRoles();
    void triggersMirrorTheSeed();
    void panelsMirrorTheSeed();
    void installedCopyMatchesTheResource();

private:
    std::optional<Plan> m_plan;
};

void TestPlanDefault::initTestCase() {
    const auto result = loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    m_plan = result.plan;
    QCOMPARE(m_plan->sha256Hex.size(), 64);
}

void TestPlanDefault::seedHasWhatWeExpect() {
    const auto gates = seedGates();
    QCOMPARE(gates.size(), 5); // pre-cutover + Gates 1-4
    QCOMPARE(gates.at(0).items.size(), 10);
    int total = 0;
    for (const auto &g : gates)
        total += int(g.items.size());
    QCOMPARE(total, 10 + 4 * 4);
}

void TestPlanDefault::everySeedItemIsAGateCheck() {
    const auto gates = seedGates();
    for (const SeedGate &seed : gates) {
        const Gate *gate = seed.title == u"Pre-cutover checklist"
                               ? m_plan->gate(m_plan->preCutoverGate)
                               : findGate(*m_plan, seed.title);
        QVERIFY2(gate, qPrintable(u"no plan gate for '%1'"_s.arg(seed.title)));
        QCOMPARE(gate->checks.size(), seed.items.size());
        for (const QString &text : seed.items) {
            const bool present =
                std::any_of(gate->checks.cbegin(), gate->checks.cend(), [&](const Check &c) {
                    return c.title.compare(text, Qt::CaseInsensitive) == 0;
                });
            QVERIFY2(present, qPrintable(u"%1: missing item '%2'"_s.arg(gate->title, text)));
        }
    }
    // The automatic items are PromQL with a condition and a sustain time.
    const Gate *gate1 = m_plan->gate(u"gate_1"_s);
    QVERIFY(gate1);
    int automatic = 0;
    for (const Check &c : gate1->checks) {
        if (c.kind == Check::Kind::Automatic) {
            ++automatic;
            QVERIFY(c.query.contains(u"haproxy_server_"_s) || c.query.contains(u"ALERTS"_s));
            QVERIFY(!c.forDuration.isZero());
        }
    }
    QCOMPARE(automatic, 3);
    // "7-day stability at 50%" is a stability check of 7 days in Gate 4.
    const Gate *gate4 = m_plan->gate(u"gate_4"_s);
    QVERIFY(gate4);
    const auto stability =
        std::find_if(gate4->checks.cbegin(), gate4->checks.cend(),
                     [](const Check &c) { return c.kind == Check::Kind::Stability; });
    QVERIFY(stability != gate4->checks.cend());
    QCOMPARE(stability->stableFor, Duration::days(7));
}

void TestPlanDefault::stagesHoldsAndTolerances() {
    QCOMPARE(m_plan->stages.size(), 4);
    const QList<int> percents{10, 25, 50, 100};
    const QList<Duration> holds{Duration::hours(24), Duration::hours(48), Duration::hours(72)};
    for (int i = 0; i < 4; ++i) {
        const Stage &stage = m_plan->stages.at(i);
        QCOMPARE(stage.percent, percents.at(i));
        QCOMPARE(stage.stabilization, Duration::minutes(5));
        if (i < 3) {
            QCOMPARE(stage.hold, holds.at(i));
            QCOMPARE(stage.tolerance, 0.2);
        }
    }
    // The seed's validate_traffic_split accepts 0.08..0.12 at 10%.
    QVERIFY(qFuzzyCompare(m_plan->stages.at(0).lowerBound(), 0.08));
    QVERIFY(qFuzzyCompare(m_plan->stages.at(0).upperBound(), 0.12));
    QCOMPARE(m_plan->stages.at(2).gates, (QStringList{u"gate_3"_s, u"gate_4"_s}));
    QCOMPARE(m_plan->preCutoverGate, u"pre_cutover"_s);
    QCOMPARE(m_plan->pools.legacy.size(), 2);
    QCOMPARE(m_plan->pools.otel.size(), 3);
    QCOMPARE(m_plan->rollback.onValidationFailure, FailurePolicy::Full);
    QVERIFY(m_plan->validation.splitQuery.contains(u"otel-"_s));
}

void TestPlanDefault::signOffAndRoles() {
    const Gate *gate4 = m_plan->gate(u"gate_4"_s);
    QVERIFY(gate4->signOff.contains(u"executive"_s));
    const Role *executive = m_plan->role(u"executive"_s);
    QVERIFY(executive);
    QVERIFY(executive->grants(Permission::Sign));
    QVERIFY(!executive->grants(Permission::Shift));
    QVERIFY(m_plan->role(u"on_call"_s)->grants(Permission::Rollback));
    QVERIFY(m_plan->role(u"release_manager"_s)->grants(Permission::Shift));
}

void TestPlanDefault::triggersMirrorTheSeed() {
    const QStringList seedTriggers{
        u"Critical metric collection failure"_s, u"Widespread alert failures"_s,
        u"Performance degradation >10%"_s, u"Data loss detected"_s, u"Security incident"_s};
    QCOMPARE(m_plan->rollback.triggers.size(), seedTriggers.size());
    for (int i = 0; i < seedTriggers.size(); ++i)
        QCOMPARE(m_plan->rollback.triggers.at(i).title, seedTriggers.at(i));
    QCOMPARE(m_plan->rollback.triggers.at(0).action, Trigger::Action::Auto);
}

void TestPlanDefault::panelsMirrorTheSeed() {
    const QMap<QString, QStringList> seed{
        {u"traffic_flow"_s,
         {u"legacy_vs_otel_traffic_ratio"_s, u"collection_success_rate"_s,
          u"metric_delivery_latency"_s, u"error_rates_by_system"_s}},
        {u"system_health"_s,
         {u"collector_cpu_usage"_s, u"memory_utilization"_s, u"network_throughput"_s,
          u"queue_depths"_s}},
        {u"data_quality"_s,
         {u"metric_completeness"_s, u"data_freshness"_s, u"cardinality_comparison"_s,
          u"anomaly_detection"_s}}};
    QCOMPARE(m_plan->panelGroups.size(), 3);
    for (const PanelGroup &group : m_plan->panelGroups) {
        QVERIFY2(seed.contains(group.name), qPrintable(group.name));
        QStringList ids;
        for (const Panel &panel : group.panels)
            ids.append(panel.id);
        QCOMPARE(ids, seed.value(group.name));
    }
}

void TestPlanDefault::installedCopyMatchesTheResource() {
    // The file on disk (installed to share/) and the embedded one are the same bytes.
    QFile onDisk(QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/default.yaml"));
    QFile embedded(u":/plans/default.yaml"_s);
    QVERIFY(onDisk.open(QIODevice::ReadOnly));
    QVERIFY(embedded.open(QIODevice::ReadOnly));
    QCOMPARE(onDisk.readAll(), embedded.readAll());
}

QTEST_GUILESS_MAIN(TestPlanDefault)
#include "test_plan_default.moc"
