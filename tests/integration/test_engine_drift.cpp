// Drift: at 10%, lb-a is reloaded for real (a new HAProxy process, -sf): its runtime weights
// fall back to the configuration's (legacy only). The engine's periodic read-back must notice
// the difference, record it, and — with the `reassert` policy — put the intended weights back,
// while lb-b, untouched, is never reported. But when every LB holds the rollback weights (a desk
// rolled back without reaching the store, or someone at the runtime API did), re-asserting would
// undo an emergency rollback: the engine alarms and leaves the weights alone.

#include "tests/support/engine_test_support.h"

#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEngineDrift : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup() {
        if (m_lab)
            m_lab->reset(this);
    }
    void reloadIsDetectedAndReasserted();
    void rollbackWeightsAreNeverReasserted();
    void completeIsReassertedUnderAnAlarmPolicy();

private:
    // A console on a fresh store, the lab shifted to 10% and holding.
    void shiftTo10(Console &console, const QString &storeName) {
        QVERIFY(m_lab->reset(this));
        QVERIFY(console.open(*m_plan, m_dir.filePath(storeName)));
        QVERIFY(tickGate(console, m_plan->preCutoverGate));
        QVERIFY(signGate(console, m_plan->preCutoverGate));
        const OperationOutcome shifted = enginetest::shiftTo(console, 10);
        QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));
        QVERIFY(waitForPhase(console, {Phase::Holding}, 90'000));
    }

    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
};

void TestEngineDrift::initTestCase() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(state, m_dir.path());
    QVERIFY(m_plan);
    m_plan->drift.interval = config::Duration::seconds(1);
    m_plan->drift.policy = config::DriftConfig::Policy::Reassert;
    m_plan->rollback.triggers.clear(); // a reload blips traffic: keep these tests about drift
    m_lab = std::make_unique<LabControl>(state, *m_plan);
}

void TestEngineDrift::reloadIsDetectedAndReasserted() {
    Console console;
    shiftTo10(console, u"reload.sqlite"_s);
    if (QTest::currentTestFailed())
        return;
    const QMap<QString, int> intended = console.snapshot().intendedWeights;
    QVERIFY(m_lab->lbsHold(intended, this));

    QSignalSpy alarms(console.engine.get(), &CutoverEngine::alarm);
    QVERIFY(m_lab->run({u"reload"_s, u"lb-a"_s}));
    // Detected and recorded...
    QVERIFY(waitFor(
        console, [&] { return actionsOf(auditOf(*console.store)).contains(u"drift_detected"_s); },
        30'000, u"drift detected"_s));
    const auto entries = auditOf(*console.store);
    const auto detected = std::find_if(entries.cbegin(), entries.cend(),
                                       [](const auto &e) { return e.action == u"drift_detected"; });
    QVERIFY(detected->details.contains(u"lb-a"_s));
    QVERIFY(!detected->details.contains(u"lb-b"_s));
    QVERIFY(std::any_of(alarms.cbegin(), alarms.cend(),
                        [](const QList<QVariant> &a) { return a.at(1) == u"drift"_s; }));
    // ...and re-asserted: both LBs hold the intended weights again, the alarm clears.
    QVERIFY(waitFor(
        console, [&] { return actionsOf(auditOf(*console.store)).contains(u"drift_reasserted"_s); },
        30'000, u"drift re-asserted"_s));
    QVERIFY(m_lab->lbsHold(intended, this));
    QVERIFY(waitFor(
        console, [&] { return console.snapshot().driftAlarms.isEmpty(); }, 30'000,
        u"drift alarm cleared"_s));
    QCOMPARE(console.snapshot().phase, Phase::Holding);
}

void TestEngineDrift::rollbackWeightsAreNeverReasserted() {
    Console console;
    shiftTo10(console, u"rolled-back.sqlite"_s);
    if (QTest::currentTestFailed())
        return;

    // Both LBs put on the rollback weights behind the engine's back (lab reset = legacy only).
    QVERIFY(m_lab->reset(this));
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    QVERIFY(waitFor(
        console,
        [&] { return actionsOf(auditOf(*console.store)).contains(u"drift_not_reasserted"_s); },
        30'000, u"drift seen and not re-asserted"_s));
    // Three more read-backs: still nothing re-asserted, the LBs still on legacy only.
    QSignalSpy rounds(console.engine.get(), &CutoverEngine::monitorRoundFinished);
    QVERIFY(QTest::qWaitFor([&] { return rounds.size() >= 3; }, 30'000));
    QVERIFY(!actionsOf(auditOf(*console.store)).contains(u"drift_reasserted"_s));
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    QVERIFY(!console.snapshot().driftAlarms.isEmpty());
}

void TestEngineDrift::completeIsReassertedUnderAnAlarmPolicy() {
    // At 100% a reload would put traffic back on the legacy collectors the decommission is
    // switching off: there the engine re-asserts even though the plan only alarms elsewhere.
    config::Plan plan = *m_plan;
    plan.drift.policy = config::DriftConfig::Policy::Alarm;
    QCOMPARE(plan.drift.policyAtComplete, config::DriftConfig::Policy::Reassert); // the default
    QVERIFY(m_lab->reset(this));
    const QMap<QString, int> full = m_lab->weightsFor(100).weights;
    const QString path = m_dir.filePath(u"complete.sqlite"_s);
    {
        auto opened = store::SqliteStore::open({path});
        QVERIFY(opened.ok());
        QJsonObject w;
        for (auto it = full.cbegin(); it != full.cend(); ++it)
            w.insert(it.key(), it.value());
        store::StageState complete;
        complete.environment = kEnv;
        complete.stageIndex = int(plan.stages.size()) - 1;
        complete.phase = engine::phaseName(Phase::Complete);
        complete.intendedWeights = QJsonObject{{u"weights"_s, w}};
        complete.enteredAt = QDateTime::currentDateTimeUtc().addSecs(-120);
        complete.holdStartedAt = complete.enteredAt;
        QVERIFY(opened.value()->updateStageState(0, complete));
    }
    bool applied = false;
    m_lab->fleet()
        .apply(full, backends::ApplyOptions{})
        ->onFinished(this, [&](const net::Result<backends::FleetApplyResult> &r) {
            applied = r.ok() && r.value().allVerified();
        });
    QVERIFY(QTest::qWaitFor([&] { return applied; }, 10'000));
    Console console;
    QVERIFY(console.open(plan, path));
    QVERIFY(waitForPhase(console, {Phase::Complete}, 30'000));

    QVERIFY(m_lab->run({u"reload"_s, u"lb-a"_s})); // back to the configuration's weights
    QVERIFY(waitFor(
        console, [&] { return actionsOf(auditOf(*console.store)).contains(u"drift_reasserted"_s); },
        30'000, u"drift re-asserted at Complete"_s));
    QVERIFY(m_lab->lbsHold(full, this));
    QCOMPARE(console.snapshot().phase, Phase::Complete);
}

QTEST_GUILESS_MAIN(TestEngineDrift)
#include "test_engine_drift.moc"
