// Drift: at 10%, lb-a is reloaded for real (a new HAProxy process, -sf): its runtime weights
// fall back to the configuration's (legacy only). The engine's periodic read-back must notice
// the difference, record it, and — with the `reassert` policy — put the intended weights back,
// while lb-b, untouched, is never reported. But when every LB holds the rollback weights (a desk
// rolled back without reaching the store, or someone at the runtime API did), re-asserting would
// undo an emergency rollback: the engine alarms and leaves the weights alone.

#include "engine_test_support.h"

#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEngineDrift : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void reloadIsDetectedAndReasserted();
    void rollbackWeightsAreNeverReasserted();
};

void TestEngineDrift::reloadIsDetectedAndReasserted() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeOperatorsFile(dir.filePath(u"operators.json"_s)));
    auto plan = loadLabPlan(state, dir.filePath(u"operators.json"_s));
    QVERIFY(plan);
    plan->drift.interval = config::Duration::seconds(1);
    plan->drift.policy = config::DriftConfig::Policy::Reassert;
    plan->rollback.triggers.clear(); // a reload blips traffic: keep this test about drift
    LabControl lab(state, *plan);
    QVERIFY(lab.reset(this));
    auto restore = qScopeGuard([&] { lab.reset(this); });

    Console console;
    QVERIFY(console.open(*plan, dir.filePath(u"store.sqlite"_s)));
    QVERIFY(tickGate(console, plan->preCutoverGate));
    QVERIFY(signGate(console, plan->preCutoverGate));
    const OperationOutcome shifted = shiftTo(console, 10);
    QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));
    QVERIFY(waitForPhase(console, {Phase::Holding}, 90'000));
    const QMap<QString, int> intended = console.snapshot().intendedWeights;
    QVERIFY(lab.lbsHold(intended, this));

    QSignalSpy alarms(console.engine.get(), &CutoverEngine::alarm);
    QVERIFY(lab.run({u"reload"_s, u"lb-a"_s}));
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
    QVERIFY(lab.lbsHold(intended, this));
    QVERIFY(waitFor(
        console, [&] { return console.snapshot().driftAlarms.isEmpty(); }, 30'000,
        u"drift alarm cleared"_s));
    QCOMPARE(console.snapshot().phase, Phase::Holding);
}

void TestEngineDrift::rollbackWeightsAreNeverReasserted() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeOperatorsFile(dir.filePath(u"operators.json"_s)));
    auto plan = loadLabPlan(state, dir.filePath(u"operators.json"_s));
    QVERIFY(plan);
    plan->drift.interval = config::Duration::seconds(1);
    plan->drift.policy = config::DriftConfig::Policy::Reassert;
    plan->rollback.triggers.clear();
    LabControl lab(state, *plan);
    QVERIFY(lab.reset(this));
    auto restore = qScopeGuard([&] { lab.reset(this); });

    Console console;
    QVERIFY(console.open(*plan, dir.filePath(u"store.sqlite"_s)));
    QVERIFY(tickGate(console, plan->preCutoverGate));
    QVERIFY(signGate(console, plan->preCutoverGate));
    const OperationOutcome shifted = shiftTo(console, 10);
    QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));
    QVERIFY(waitForPhase(console, {Phase::Holding}, 90'000));

    // Both LBs put on the rollback weights behind the engine's back (lab reset = legacy only).
    QVERIFY(lab.reset(this));
    QVERIFY(lab.lbsHold(lab.rollbackWeights().weights, this));
    QVERIFY(waitFor(
        console,
        [&] { return actionsOf(auditOf(*console.store)).contains(u"drift_not_reasserted"_s); },
        30'000, u"drift seen and not re-asserted"_s));
    // Three more read-backs: still nothing re-asserted, the LBs still on legacy only.
    QSignalSpy rounds(console.engine.get(), &CutoverEngine::monitorRoundFinished);
    QVERIFY(QTest::qWaitFor([&] { return rounds.size() >= 3; }, 30'000));
    QVERIFY(!actionsOf(auditOf(*console.store)).contains(u"drift_reasserted"_s));
    QVERIFY(lab.lbsHold(lab.rollbackWeights().weights, this));
    QVERIFY(!console.snapshot().driftAlarms.isEmpty());
}

QTEST_GUILESS_MAIN(TestEngineDrift)
#include "test_engine_drift.moc"
