// ConditionTracker and gate evaluation with explicit times: no clock, no waiting.

#include "app/config/plan_loader.h"
#include "app/cutover/condition_tracker.h"
#include "app/cutover/gate_status.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
using namespace cutover;
using engine::CheckStatus;
using engine::ConditionTracker;

namespace {
const QDateTime t0 = QDateTime(QDate(2026, 11, 26), QTime(12, 0), Qt::UTC);
QDateTime at(qint64 seconds) {
    return t0.addSecs(seconds);
}
config::Condition below(double threshold) {
    return config::Condition{config::Condition::Op::Less, threshold};
}
} // namespace

class TestCutoverConditions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void forDurationMustBeHeldWithoutBreak();
    void missingDataIsUnknownAndRestartsFor();
    void zeroForPassesAtOnce();
    void breachesAreRemembered();
    void gateNeedsEveryItemAndEverySignature();
    void gateRefFollowsTheReferencedGate();
    void stabilityCountsFromTheHold();
    void spansReadLikePeopleSayThem();
};

void TestCutoverConditions::forDurationMustBeHeldWithoutBreak() {
    ConditionTracker tracker(below(0.01), config::Duration::minutes(10));
    QCOMPARE(tracker.state(), ConditionTracker::State::Unknown);
    tracker.update(0.001, at(0));
    QCOMPARE(tracker.state(), ConditionTracker::State::Pending);
    tracker.update(0.002, at(300));
    QCOMPARE(tracker.state(), ConditionTracker::State::Pending);
    QCOMPARE(tracker.stateAt(at(599)), ConditionTracker::State::Pending);
    QCOMPARE(tracker.stateAt(at(600)), ConditionTracker::State::True);
    tracker.update(0.5, at(610));
    QCOMPARE(tracker.state(), ConditionTracker::State::False);
    tracker.update(0.001, at(620));
    QCOMPARE(tracker.state(), ConditionTracker::State::Pending);
    QCOMPARE(tracker.holdingSince(), at(620));
}

void TestCutoverConditions::missingDataIsUnknownAndRestartsFor() {
    ConditionTracker tracker(below(0.01), config::Duration::minutes(1));
    tracker.update(0.0, at(0));
    tracker.update(std::nullopt, at(30));
    QCOMPARE(tracker.state(), ConditionTracker::State::Unknown);
    QCOMPARE(tracker.stateAt(at(120)), ConditionTracker::State::Unknown);
    tracker.update(std::numeric_limits<double>::quiet_NaN(), at(40));
    QCOMPARE(tracker.state(), ConditionTracker::State::Unknown);
    tracker.update(0.0, at(50));
    QCOMPARE(tracker.stateAt(at(100)), ConditionTracker::State::Pending);
    QCOMPARE(tracker.stateAt(at(110)), ConditionTracker::State::True);
    // NaN never satisfies a condition, whatever the operator.
    QVERIFY(!config::Condition({config::Condition::Op::NotEqual, 1}).holds(std::nan("")));
}

void TestCutoverConditions::zeroForPassesAtOnce() {
    ConditionTracker tracker(config::Condition{config::Condition::Op::GreaterEqual, 1},
                             config::Duration());
    tracker.update(1.0, at(0));
    QCOMPARE(tracker.state(), ConditionTracker::State::True);
}

void TestCutoverConditions::breachesAreRemembered() {
    ConditionTracker tracker(below(1), config::Duration());
    QVERIFY(!tracker.lastBreachAt().isValid());
    tracker.update(0.5, at(0));
    tracker.update(2.0, at(10));
    QCOMPARE(tracker.lastBreachAt(), at(10));
    tracker.update(std::nullopt, at(20)); // unknown is not a breach
    QCOMPARE(tracker.lastBreachAt(), at(10));
}

namespace {

// A value that satisfies `c`.
double passingValue(const config::Condition &c) {
    switch (c.op) {
    case config::Condition::Op::Less:
    case config::Condition::Op::LessEqual:
        return c.threshold - 1e-3 * std::max(1.0, std::abs(c.threshold));
    case config::Condition::Op::Equal:
        return c.threshold;
    default:
        return c.threshold + 1;
    }
}

// Every compare check of `gate` judged Pass at `when`.
QHash<QString, engine::CompareOutcome> passingCompares(const config::Gate &gate,
                                                       const QDateTime &when) {
    QHash<QString, engine::CompareOutcome> outcomes;
    for (const config::Check &c : gate.checks) {
        if (c.kind != config::Check::Kind::Compare)
            continue;
        engine::CompareOutcome o;
        o.result.verdict = analysis::Verdict::Pass;
        o.result.reason = u"No significant difference"_s;
        o.at = when;
        outcomes.insert(engine::checkKey(gate.id, c.id), o);
    }
    return outcomes;
}

} // namespace

void TestCutoverConditions::gateNeedsEveryItemAndEverySignature() {
    const auto plan = config::loadPlanFile(u":/plans/default.yaml"_s).plan;
    QVERIFY(plan);
    const config::Gate *gate1 = plan->gate(u"gate_1"_s);
    QHash<QString, ConditionTracker> trackers;
    int tracked = 0;
    for (const config::Check &c : gate1->checks) {
        if (c.isTracked()) {
            trackers.insert(engine::checkKey(u"gate_1"_s, c.id),
                            ConditionTracker(c.trackedCondition(), c.forDuration));
            ++tracked;
        }
    }
    QCOMPARE(tracked, 6); // error rate, latency, alerts; collector failures, queues, gaps
    engine::GateInputs in{&*plan, &trackers, {}, {}, QDateTime(), at(0)};
    auto status = engine::evaluateGate(*gate1, in);
    QCOMPARE(status.checks.size(), 11);
    QCOMPARE(status.checks.at(0).state, CheckStatus::State::Unknown);
    QCOMPARE(status.checks.at(3).state, CheckStatus::State::Open);
    QVERIFY(!status.ready());
    // 6 tracked unknown, 1 not ticked, the parity score (nothing compared yet), 1 signature.
    QCOMPARE(status.blockers().size(), 9);
    QVERIFY(status.score && status.score->score == 0.0);

    // Feed every tracked check a passing value, long enough, and every comparison a pass.
    for (const config::Check &c : gate1->checks) {
        if (c.isTracked())
            trackers[engine::checkKey(u"gate_1"_s, c.id)].update(passingValue(c.trackedCondition()),
                                                                 at(0));
    }
    const QHash<QString, engine::CompareOutcome> compares = passingCompares(*gate1, at(601));
    in.compares = &compares;
    in.now = at(601);
    in.ticks.append(store::Tick{u"production"_s, u"gate_1"_s, u"no_complaints"_s, u"alice"_s,
                                u"release_manager"_s, at(500)});
    status = engine::evaluateGate(*gate1, in);
    QVERIFY2(status.checksPass(), qPrintable(status.checkBlockers().join(u'\n')));
    QCOMPARE(status.score->score, 100.0);
    QVERIFY(!status.isSigned());
    QCOMPARE(status.blockers(),
             QStringList{u"Gate 1: 10% stable (24 hours): not signed by release_manager"_s});
    QCOMPARE(status.checks.at(3).tickedBy, u"alice"_s);

    store::SignOff signature;
    signature.gate = u"gate_1"_s;
    signature.role = u"release_manager"_s;
    signature.printedName = u"Alice Example"_s;
    in.signOffs.append(signature);
    status = engine::evaluateGate(*gate1, in);
    QVERIFY(status.ready());
    QVERIFY(status.blockers().isEmpty());

    // A latency breach fails the item at once.
    trackers[u"gate_1/latency"_s].update(1.2, at(602));
    in.now = at(602);
    status = engine::evaluateGate(*gate1, in);
    QCOMPARE(status.checks.at(1).state, CheckStatus::State::Fail);
    QVERIFY(status.checks.at(1).detail.contains(u"1.2, needs <= 1.05"_s));
    QVERIFY(!status.ready());
}

void TestCutoverConditions::gateRefFollowsTheReferencedGate() {
    const auto plan = config::loadPlanFile(u":/plans/default.yaml"_s).plan;
    const config::Gate *gate1 = plan->gate(u"gate_1"_s);
    QHash<QString, ConditionTracker> trackers;
    for (const config::Check &c : gate1->checks) {
        if (c.isTracked()) { // automatic checks and alert delivery
            ConditionTracker t(c.trackedCondition(), config::Duration());
            t.update(passingValue(c.trackedCondition()), at(0));
            trackers.insert(engine::checkKey(u"gate_1"_s, c.id), t);
        }
    }
    QHash<QString, engine::CompareOutcome> compares = passingCompares(*gate1, at(1));
    engine::GateInputs in{&*plan, &trackers, {}, {}, QDateTime(), at(1), &compares};
    auto status = engine::evaluateGate(*plan->gate(u"gate_2"_s), in);
    QCOMPARE(status.checks.at(0).state, CheckStatus::State::Pass); // All Gate 1 criteria maintained
    QVERIFY2(status.checks.at(0).detail.startsWith(u"7 of 7"_s),
             qPrintable(status.checks.at(0).detail));
    trackers[u"gate_1/error_rate"_s].update(std::nullopt, at(2));
    status = engine::evaluateGate(*plan->gate(u"gate_2"_s), in);
    QCOMPARE(status.checks.at(0).state, CheckStatus::State::Unknown);
    trackers[u"gate_1/error_rate"_s].update(0.5, at(3));
    status = engine::evaluateGate(*plan->gate(u"gate_2"_s), in);
    QCOMPARE(status.checks.at(0).state, CheckStatus::State::Fail);

    // Gate 1's parity score failing (its critical completeness check low) fails it too.
    trackers[u"gate_1/error_rate"_s].update(0.0, at(3));
    compares[engine::checkKey(u"gate_1"_s, u"completeness_parity"_s)].result.verdict =
        analysis::Verdict::Low;
    status = engine::evaluateGate(*plan->gate(u"gate_2"_s), in);
    QCOMPARE(status.checks.at(0).state, CheckStatus::State::Fail);
}

void TestCutoverConditions::stabilityCountsFromTheHold() {
    const auto plan = config::loadPlanFile(u":/plans/default.yaml"_s).plan;
    const config::Gate *gate4 = plan->gate(u"gate_4"_s);
    engine::GateInputs in{&*plan, nullptr, {}, {}, QDateTime(), at(0)};
    auto status = engine::evaluateGate(*gate4, in);
    QCOMPARE(status.checks.at(1).state, CheckStatus::State::Pending);
    in.holdStartedAt = at(0);
    in.now = at(6 * 86400);
    status = engine::evaluateGate(*gate4, in);
    QCOMPARE(status.checks.at(1).state, CheckStatus::State::Pending);
    QVERIFY(status.checks.at(1).detail.contains(u"24h left"_s));
    in.now = at(7 * 86400);
    status = engine::evaluateGate(*gate4, in);
    QCOMPARE(status.checks.at(1).state, CheckStatus::State::Pass);
}

void TestCutoverConditions::spansReadLikePeopleSayThem() {
    QCOMPARE(engine::formatSpan(0), u"0s"_s);
    QCOMPARE(engine::formatSpan(65'000), u"1m 5s"_s);
    QCOMPARE(engine::formatSpan(3'600'000), u"1h"_s);
    QCOMPARE(engine::formatSpan(90'000'000), u"25h"_s);
    QCOMPARE(engine::formatSpan(8 * 86'400'000LL + 3'600'000), u"8d 1h"_s);
    QCOMPARE(engine::formatSpan(-5), u"0s"_s);
}

QTEST_GUILESS_MAIN(TestCutoverConditions)
#include "test_cutover_conditions.moc"
