// Every guard of every action, on the default plan, with explicit times.

#include "app/config/plan_loader.h"
#include "app/cutover/guards.h"

#include <QJsonArray>
#include <QSet>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover;
using engine::Action;
using engine::BackendHealth;
using engine::CheckStatus;
using engine::GateStatus;
using engine::GuardInputs;
using engine::Operator;
using engine::Phase;

namespace {

const QDateTime t0 = QDateTime(QDate(2026, 11, 26), QTime(12, 0), Qt::UTC);

const Operator alice{u"alice"_s, u"Alice Example"_s, {u"release_manager"_s}};
const Operator bob{u"bob"_s, u"Bob Example"_s, {u"on_call"_s}};
const Operator erin{u"erin"_s, u"Erin Example"_s, {u"executive"_s}};

GateStatus readyGate(const config::Gate &gate) {
    GateStatus status;
    status.id = gate.id;
    status.title = gate.title;
    for (const config::Check &c : gate.checks) {
        CheckStatus check;
        check.gate = gate.id;
        check.id = c.id;
        check.title = c.title;
        check.kind = c.kind;
        check.state = CheckStatus::State::Pass;
        check.tickedBy = u"alice"_s;
        check.tickedAt = t0;
        status.checks.append(check);
    }
    for (const QString &role : gate.signOff) {
        store::SignOff s;
        s.gate = gate.id;
        s.role = role;
        s.printedName = u"Alice Example"_s;
        s.at = t0;
        status.signatures.append({role, s});
    }
    return status;
}

GateStatus unsignedGate(const config::Gate &gate) {
    GateStatus status = readyGate(gate);
    for (auto &s : status.signatures)
        s.signOff.reset();
    return status;
}

bool anyContains(const QStringList &reasons, const QString &text) {
    return std::any_of(reasons.cbegin(), reasons.cend(),
                       [&](const QString &r) { return r.contains(text); });
}

} // namespace

class TestCutoverGuards : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void shiftAllowedWhenEverythingIsReady();
    void shiftNeedsThePermission();
    void shiftRefusedWhileBusy_data();
    void shiftRefusedWhileBusy();
    void shiftRefusedWhenComplete();
    void shiftNeedsThePreCutoverChecklist();
    void shiftWaitsForTheHold();
    void shiftNeedsTheStageGates();
    void shiftRefusedWhenBackendsOrStoreAreDown();
    void shiftRefusedByTriggersDriftAndFailedValidation();
    void environmentsGoInOrder();
    void gatesSignAfterTheirHold();
    void stepBackGuards();
    void rollbackOnlyNeedsTheRole();
    void tickGuards();
    void signGuards();
    void gateScoreDecidesCompareChecks();
    void refusalCodesCarryTheirArguments();

private:
    GuardInputs atStage(int stageIndex) const;
    std::optional<config::Plan> m_plan;
};

void TestCutoverGuards::initTestCase() {
    m_plan = config::loadPlanFile(u":/plans/default.yaml"_s).plan;
    QVERIFY(m_plan);
}

GuardInputs TestCutoverGuards::atStage(int stageIndex) const {
    GuardInputs in;
    in.plan = &*m_plan;
    in.environment = u"staging"_s;
    in.state.environment = u"staging"_s;
    in.state.stageIndex = stageIndex;
    in.state.holdStartedAt = stageIndex >= 0 ? t0 : QDateTime();
    in.phase = Phase::Holding;
    in.now = stageIndex >= 0 ? t0.addDays(30) : t0;
    for (const QString &gate : engine::gatesBeforeNextShift(*m_plan, stageIndex))
        in.gates.append(readyGate(*m_plan->gate(gate)));
    in.backends = {{u"lb-staging"_s, BackendHealth::State::Ok, t0, {}},
                   {u"prometheus"_s, BackendHealth::State::Ok, t0, {}}};
    return in;
}

void TestCutoverGuards::shiftAllowedWhenEverythingIsReady() {
    for (int stage = -1; stage <= 2; ++stage)
        QVERIFY2(engine::guards(Action::Shift, alice, atStage(stage)).isEmpty(),
                 qPrintable(engine::guards(Action::Shift, alice, atStage(stage)).join(u'\n')));
}

void TestCutoverGuards::shiftNeedsThePermission() {
    const auto reasons = engine::guards(Action::Shift, erin, atStage(0));
    QCOMPARE(reasons.size(), 1);
    QCOMPARE(reasons.first(),
             u"erin (executive) may not shift: no role of theirs has the 'shift' permission"_s);
    QVERIFY(!engine::guards(Action::Shift, bob, atStage(0)).isEmpty());
}

void TestCutoverGuards::shiftRefusedWhileBusy_data() {
    QTest::addColumn<Phase>("phase");
    QTest::addColumn<QString>("word");
    QTest::newRow("shifting") << Phase::Shifting << u"shifting"_s;
    QTest::newRow("stabilizing") << Phase::Stabilizing << u"stabilizing"_s;
    QTest::newRow("validating") << Phase::Validating << u"validating"_s;
    QTest::newRow("rolling back") << Phase::RollingBack << u"rollingback"_s;
}

void TestCutoverGuards::shiftRefusedWhileBusy() {
    QFETCH(Phase, phase);
    QFETCH(QString, word);
    GuardInputs in = atStage(1);
    in.phase = phase;
    const auto reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons, QStringList{u"staging is %1: wait until it ends"_s.arg(word)});
}

void TestCutoverGuards::shiftRefusedWhenComplete() {
    GuardInputs in = atStage(3);
    QCOMPARE(engine::guards(Action::Shift, alice, in),
             QStringList{u"staging is at 100%: the cutover is complete"_s});
    in.phase = Phase::Complete;
    QCOMPARE(engine::guards(Action::Shift, alice, in).size(), 1);
}

void TestCutoverGuards::shiftNeedsThePreCutoverChecklist() {
    GuardInputs in = atStage(-1);
    in.gates = {unsignedGate(*m_plan->gate(u"pre_cutover"_s))};
    in.gates[0].checks[3].state = CheckStatus::State::Open; // capacity_planning
    in.gates[0].checks[3].detail = u"to be ticked by release_manager"_s;
    const auto reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons.size(), 2);
    QCOMPARE(reasons.at(0), u"Pre-cutover checklist: 'Capacity planning verified' not "
                            u"ticked (to be ticked by release_manager)"_s);
    QCOMPARE(reasons.at(1), u"Pre-cutover checklist: not signed by release_manager"_s);

    // After a rollback the checklist applies again, whatever the stage index says.
    in = atStage(1);
    in.phase = Phase::RolledBack;
    in.gates = {unsignedGate(*m_plan->gate(u"pre_cutover"_s))};
    QVERIFY(anyContains(engine::guards(Action::Shift, alice, in), u"Pre-cutover checklist"_s));
}

void TestCutoverGuards::shiftWaitsForTheHold() {
    GuardInputs in = atStage(0);
    in.now = t0.addSecs(3600);
    auto reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons, QStringList{u"hold at 10%: 23h left (until 2026-11-27 12:00:00 UTC)"_s});
    in.now = t0.addSecs(24 * 3600);
    QVERIFY(engine::guards(Action::Shift, alice, in).isEmpty());

    in.state.holdStartedAt = QDateTime();
    reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons,
             QStringList{u"10% has not been validated yet: the hold of 24h has not started"_s});
}

void TestCutoverGuards::shiftNeedsTheStageGates() {
    GuardInputs in = atStage(2); // 50%: gates 3 and 4
    QCOMPARE(in.gates.size(), 2);
    in.gates[1] = unsignedGate(*m_plan->gate(u"gate_4"_s));
    auto reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons.size(), 2);
    QVERIFY(reasons.contains(u"Gate 4: 100% ready: not signed by release_manager"_s));
    QVERIFY(reasons.contains(u"Gate 4: 100% ready: not signed by executive"_s));

    in.gates.removeLast();
    reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons, QStringList{u"Gate 4: 100% ready: status not known yet"_s});
}

void TestCutoverGuards::shiftRefusedWhenBackendsOrStoreAreDown() {
    GuardInputs in = atStage(0);
    in.backends[0] = {u"lb-staging"_s, BackendHealth::State::Down, in.now.addSecs(-45),
                      u"connection refused"_s};
    in.backends[1].state = BackendHealth::State::Unknown;
    in.backends[1].lastGoodAt = QDateTime();
    in.storeAvailable = false;
    in.storeProblem = u"disk full"_s;
    const auto reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons.size(), 3);
    QVERIFY(
        reasons.contains(u"the store is unavailable (disk full): a shift cannot be recorded"_s));
    QVERIFY(reasons.contains(
        u"lb-staging is unreachable: connection refused (last good answer 45s ago)"_s));
    QVERIFY(reasons.contains(u"prometheus has not answered yet"_s));
}

void TestCutoverGuards::shiftRefusedByTriggersDriftAndFailedValidation() {
    GuardInputs in = atStage(1);
    in.firingTriggers = {u"Performance degradation >10%"_s};
    in.driftAlarms = {u"lb-staging: otel-collector-1 weight 0, intended 26"_s};
    in.validationFailed = true;
    const auto reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons.size(), 3);
    QVERIFY(reasons.contains(u"trigger firing: Performance degradation >10%"_s));
    QVERIFY(
        reasons.contains(u"weights drifted: lb-staging: otel-collector-1 weight 0, intended 26"_s));
    QVERIFY(
        reasons.contains(u"the validation at 25% failed: roll back, or have it re-validated"_s));
}

void TestCutoverGuards::environmentsGoInOrder() {
    GuardInputs in = atStage(0);
    in.environment = u"production"_s;
    in.state.environment = u"production"_s;
    store::StageState staging;
    staging.environment = u"staging"_s;
    staging.stageIndex = 0;
    staging.phase = u"Holding"_s;
    staging.holdStartedAt = t0;
    in.allEnvironments = {staging, in.state};
    const QString tail = u": production may not go to 25% before staging has validated it"_s;
    auto reasons = engine::guards(Action::Shift, alice, in);
    QCOMPARE(reasons, QStringList{u"staging is at 10%, Holding"_s + tail});
    // At the stage but not validated yet: the phase says why.
    in.allEnvironments[0].stageIndex = 1;
    for (const QString &phase : {u"Stabilizing"_s, u"Validating"_s, u"Shifting"_s}) {
        in.allEnvironments[0].phase = phase;
        QCOMPARE(engine::guards(Action::Shift, alice, in),
                 QStringList{u"staging is at 25%, %1 (not validated)"_s.arg(phase) + tail});
    }
    in.allEnvironments[0].phase = u"Holding"_s;
    in.allEnvironments[0].intendedWeights = {{u"validation_failed"_s, true}};
    QCOMPARE(engine::guards(Action::Shift, alice, in),
             QStringList{u"staging is at 25%, Holding (validation failed)"_s + tail});
    in.allEnvironments[0].intendedWeights = {};
    QVERIFY(engine::guards(Action::Shift, alice, in).isEmpty());
    // Further along is fine; rolling back, or rolled back, is not.
    in.allEnvironments[0].stageIndex = 2;
    in.allEnvironments[0].phase = u"Stabilizing"_s;
    QVERIFY(engine::guards(Action::Shift, alice, in).isEmpty());
    in.allEnvironments[0].phase = u"RollingBack"_s;
    QCOMPARE(engine::guards(Action::Shift, alice, in),
             QStringList{u"staging is at 50%, RollingBack"_s + tail});
    in.allEnvironments[0].phase = u"RolledBack"_s;
    QCOMPARE(engine::guards(Action::Shift, alice, in),
             QStringList{u"staging is at 0%, RolledBack"_s + tail});
}

void TestCutoverGuards::gatesSignAfterTheirHold() {
    using T = engine::GuardTarget;
    GuardInputs in = atStage(0);
    in.gates = {unsignedGate(*m_plan->gate(u"gate_1"_s))};
    // Ten hours into the 24 h hold: the signature would attest what nobody has seen yet.
    in.now = t0.addSecs(10 * 3600);
    QCOMPARE(engine::guards(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}),
             QStringList{u"Gate 1: 10% stable (24 hours) attests 24h of stability at 10%: 14h "
                         u"left (observed since 2026-11-26 12:00:00 UTC, signable at 2026-11-27 "
                         u"12:00:00 UTC)"_s});
    in.now = t0.addSecs(24 * 3600);
    QVERIFY(engine::guards(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}).isEmpty());
    // Not validated yet: the hold has not started.
    in.state.holdStartedAt = QDateTime();
    QVERIFY(anyContains(engine::guards(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}),
                        u"the hold has not started (10% not validated yet)"_s));
    // A plan may say otherwise.
    config::Plan relaxed = *m_plan;
    for (config::Gate &gate : relaxed.gates) {
        if (gate.id == u"gate_1"_s)
            gate.signAfter = config::Gate::SignAfter::Any;
    }
    in.plan = &relaxed;
    QVERIFY(engine::guards(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}).isEmpty());
    // The pre-cutover checklist belongs to no stage: signed whenever it is ready.
    QVERIFY(!m_plan->signsAfterStability(m_plan->preCutoverGate));
}

void TestCutoverGuards::stepBackGuards() {
    using T = engine::GuardTarget;
    GuardInputs in = atStage(2);
    QVERIFY(engine::guards(Action::StepBack, alice, in, T{{}, {}, {}, 10}).isEmpty());
    QVERIFY(engine::guards(Action::StepBack, alice, in, T{{}, {}, {}, 25}).isEmpty());
    QCOMPARE(engine::guards(Action::StepBack, alice, in, T{{}, {}, {}, 50}),
             QStringList{u"step back to 50%: the earlier stages of staging are 10%, 25%"_s});
    QVERIFY(anyContains(engine::guards(Action::StepBack, bob, in, T{{}, {}, {}, 10}),
                        u"bob (on_call) may not shift"_s));
    in.phase = Phase::Stabilizing;
    QVERIFY(anyContains(engine::guards(Action::StepBack, alice, in, T{{}, {}, {}, 10}),
                        u"staging is stabilizing: wait until it ends"_s));
    QVERIFY(anyContains(engine::guards(Action::StepBack, alice, atStage(0), T{{}, {}, {}, 10}),
                        u"there is no earlier stage to step back to"_s));
}

void TestCutoverGuards::rollbackOnlyNeedsTheRole() {
    GuardInputs in = atStage(1);
    in.phase = Phase::Validating;
    for (auto &backend : in.backends)
        backend.state = BackendHealth::State::Down;
    in.storeAvailable = false;
    in.firingTriggers = {u"x"_s};
    QVERIFY(engine::guards(Action::Rollback, bob, in).isEmpty());
    QVERIFY(engine::guards(Action::Rollback, alice, in).isEmpty());
    QCOMPARE(engine::guards(Action::Rollback, erin, in),
             QStringList{u"erin (executive) may not rollback: no role of theirs has the "
                         u"'rollback' permission"_s});
    in.phase = Phase::RollingBack;
    QCOMPARE(engine::guards(Action::Rollback, bob, in),
             QStringList{u"a rollback of staging is already running"_s});
    // Even at 0% a rollback re-asserts legacy 100 / OTel 0: never refused for that.
    in = atStage(-1);
    QVERIFY(engine::guards(Action::Rollback, bob, in).isEmpty());
    // Past the decommission's point of no return: the one refusal besides the role, whoever
    // asks and whatever the backends say.
    in = atStage(1);
    in.pointOfNoReturn =
        decommission::PointOfNoReturn{u"remove"_s,
                                      u"Remove from load balancers"_s,
                                      u"alice"_s,
                                      QDateTime(QDate(2026, 12, 1), QTime(10, 0), QTimeZone::utc()),
                                      {u"legacy-1"_s}};
    QCOMPARE(engine::guards(Action::Rollback, bob, in),
             QStringList{u"staging is past the decommission's point of no return: 'Remove from "
                         u"load balancers' started at 2026-12-01 10:00:00 UTC by alice (removed: "
                         u"legacy-1) - the legacy servers cannot take the traffic back"_s});
}

void TestCutoverGuards::tickGuards() {
    GuardInputs in = atStage(-1);
    in.gates = {unsignedGate(*m_plan->gate(u"pre_cutover"_s))};
    in.gates[0].checks[4].state = CheckStatus::State::Open; // disaster_recovery, on_call
    using T = engine::GuardTarget;
    QVERIFY(engine::guards(Action::Tick, bob, in, T{u"pre_cutover"_s, u"disaster_recovery"_s, {}})
                .isEmpty());
    QCOMPARE(
        engine::guards(Action::Tick, alice, in, T{u"pre_cutover"_s, u"disaster_recovery"_s, {}}),
        QStringList{
            u"'Disaster recovery tested' is ticked by on_call; alice is release_manager"_s});
    QVERIFY(anyContains(engine::guards(Action::Tick, erin, in,
                                       T{u"pre_cutover"_s, u"capacity_planning"_s, {}}),
                        u"erin (executive) may not tick"_s) ==
            false); // executives may tick (Executive approval obtained)...
    QVERIFY(anyContains(
        engine::guards(Action::Tick, erin, in, T{u"pre_cutover"_s, u"capacity_planning"_s, {}}),
        u"is ticked by release_manager"_s)); // ...but only their own items
    QVERIFY(anyContains(
        engine::guards(Action::Tick, alice, in, T{u"pre_cutover"_s, u"capacity_planning"_s, {}}),
        u"already ticked by alice"_s));
    QCOMPARE(
        engine::guards(Action::Tick, alice, in, T{u"gate_1"_s, u"latency"_s, {}}),
        QStringList{
            u"'Latency within 5% of baseline' is checked automatically: it cannot be ticked"_s});
    QCOMPARE(engine::guards(Action::Tick, alice, in, T{u"gate_9"_s, u"x"_s, {}}),
             QStringList{u"no gate 'gate_9' in the plan"_s});
    QCOMPARE(engine::guards(Action::Tick, alice, in, T{u"gate_1"_s, u"nope"_s, {}}),
             QStringList{u"no item 'nope' in Gate 1: 10% stable (24 hours)"_s});
    in.storeAvailable = false;
    in.storeProblem = u"locked"_s;
    QVERIFY(anyContains(
        engine::guards(Action::Tick, bob, in, T{u"pre_cutover"_s, u"disaster_recovery"_s, {}}),
        u"the store is unavailable (locked): a tick cannot be recorded"_s));
}

void TestCutoverGuards::signGuards() {
    using T = engine::GuardTarget;
    GuardInputs in = atStage(2);
    in.gates = {unsignedGate(*m_plan->gate(u"gate_3"_s)), unsignedGate(*m_plan->gate(u"gate_4"_s))};
    QVERIFY(engine::guards(Action::Sign, erin, in, T{u"gate_4"_s, {}, {}}).isEmpty());
    QVERIFY(engine::guards(Action::Sign, alice, in, T{u"gate_4"_s, {}, u"release_manager"_s})
                .isEmpty());
    QCOMPARE(
        engine::guards(Action::Sign, erin, in, T{u"gate_3"_s, {}, {}}),
        QStringList{
            u"Gate 3: 50% stable (72 hours) is signed by release_manager; erin is executive"_s});
    QVERIFY(anyContains(engine::guards(Action::Sign, bob, in, T{u"gate_4"_s, {}, {}}),
                        u"bob (on_call) may not sign"_s));
    QVERIFY(engine::guards(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}})
                .contains(u"Gate 1: 10% stable (24 hours) is not signed now: staging is at 50%"_s));

    in.gates[1].checks[1].state = CheckStatus::State::Pending;
    in.gates[1].checks[1].detail = u"stable for 3d of 7d; 4d left"_s;
    QCOMPARE(
        engine::guards(Action::Sign, erin, in, T{u"gate_4"_s, {}, {}}),
        QStringList{
            u"Gate 4: 100% ready: '7-day stability at 50%' is pending: stable for 3d of 7d; 4d left"_s});

    in.gates[1] = readyGate(*m_plan->gate(u"gate_4"_s));
    QVERIFY(anyContains(engine::guards(Action::Sign, erin, in, T{u"gate_4"_s, {}, {}}),
                        u"already signed as executive by Alice Example"_s));
    in.phase = Phase::Validating;
    QVERIFY(anyContains(engine::guards(Action::Sign, erin, in, T{u"gate_4"_s, {}, {}}),
                        u"staging is validating: sign when it holds"_s));
}

// Four compare checks and a manual item; the score (95 / 75) decides for the compare checks.
void TestCutoverGuards::gateScoreDecidesCompareChecks() {
    using T = engine::GuardTarget;
    using analysis::Verdict;
    config::Gate gate;
    gate.id = u"gate_1"_s; // signed at 10% in the default plan
    gate.title = u"Gate 1"_s;
    gate.signOff = {u"release_manager"_s};
    QHash<QString, engine::CompareOutcome> compares;
    auto addCompare = [&](const QString &id, Verdict verdict, bool critical) {
        config::Check check;
        check.id = id;
        check.title = id;
        check.kind = config::Check::Kind::Compare;
        check.critical = critical;
        gate.checks.append(check);
        engine::CompareOutcome outcome;
        outcome.result.verdict = verdict;
        outcome.result.reason = u"judged"_s;
        outcome.at = t0;
        compares.insert(engine::checkKey(gate.id, id), outcome);
    };
    addCompare(u"latency"_s, Verdict::Pass, false);
    addCompare(u"completeness"_s, Verdict::Pass, false);
    addCompare(u"cardinality"_s, Verdict::Pass, false);
    addCompare(u"refused"_s, Verdict::High, false);
    config::Check manual;
    manual.id = u"complaints"_s;
    manual.title = u"No complaints"_s;
    manual.kind = config::Check::Kind::Manual;
    manual.role = u"release_manager"_s;
    gate.checks.append(manual);

    engine::GateInputs inputs;
    inputs.plan = &*m_plan;
    inputs.compares = &compares;
    inputs.now = t0.addSecs(1);
    inputs.ticks = {
        store::Tick{u"staging"_s, gate.id, manual.id, u"alice"_s, u"release_manager"_s, t0}};

    // 3 of 4 pass: 75, marginal. Checks may be signed, but only with an acknowledgement.
    GateStatus status = engine::evaluateGate(gate, inputs);
    QVERIFY(status.score);
    QCOMPARE(status.score->score, 75.0);
    QCOMPARE(status.score->classification, analysis::GateClass::Marginal);
    QVERIFY(status.isMarginal());
    QVERIFY(status.checksPass());
    QCOMPARE(status.checks.at(3).state, CheckStatus::State::Fail); // its own verdict stays

    GuardInputs in = atStage(0);
    in.gates = {status};
    const QStringList unacknowledged = engine::guards(Action::Sign, alice, in, T{gate.id, {}, {}});
    QCOMPARE(unacknowledged.size(), 1);
    QVERIFY2(unacknowledged.first().contains(u"Score 75 (marginal: pass needs 95)"_s),
             qPrintable(unacknowledged.first()));
    T acknowledged{gate.id, {}, {}};
    acknowledged.acknowledgesMarginal = true;
    QVERIFY(engine::guards(Action::Sign, alice, in, acknowledged).isEmpty());

    // Signed with the acknowledgement: ready. Signed without (before it turned marginal): not.
    store::SignOff signature;
    signature.environment = u"staging"_s;
    signature.gate = gate.id;
    signature.role = u"release_manager"_s;
    signature.printedName = u"Alice Example"_s;
    signature.at = t0;
    signature.comment = engine::marginalAcknowledgement(*status.score) + u" refused is a known "
                                                                         u"retry storm"_s;
    QVERIFY(engine::acknowledgesMarginal(signature));
    QVERIFY(signature.comment.startsWith(u"Acknowledged marginal score 75 (pass needs 95)."_s));
    inputs.signOffs = {signature};
    QVERIFY(engine::evaluateGate(gate, inputs).ready());
    signature.comment = u"fine"_s;
    inputs.signOffs = {signature};
    status = engine::evaluateGate(gate, inputs);
    QVERIFY(!status.ready());
    QVERIFY(anyContains(status.blockers(), u"Alice Example signed as release_manager before it "
                                           u"was marginal"_s));

    // 2 of 4: 50, fail. Signing is refused with the score; the compare checks are not listed
    // one by one.
    compares[engine::checkKey(gate.id, u"cardinality"_s)].result.verdict = Verdict::Low;
    inputs.signOffs.clear();
    status = engine::evaluateGate(gate, inputs);
    QCOMPARE(status.score->classification, analysis::GateClass::Fail);
    QVERIFY(!status.checksPass());
    QCOMPARE(status.checkBlockers(), QStringList{u"Gate 1: Score 50 (fail: pass needs 95); "
                                                 u"latency 100, completeness 100, cardinality "
                                                 u"0, refused 0."_s});

    // Everything passes but a critical check has gone stale (no judgement for 3 steps): 0.
    for (auto &c : compares)
        c.result.verdict = Verdict::Pass;
    gate.checks[0].critical = true;
    compares[engine::checkKey(gate.id, u"latency"_s)].at = t0.addSecs(-3600);
    status = engine::evaluateGate(gate, inputs);
    QCOMPARE(status.score->score, 0.0);
    QVERIFY(status.score->reason.contains(u"critical check latency did not pass"_s));
    compares[engine::checkKey(gate.id, u"latency"_s)].at = t0;
    status = engine::evaluateGate(gate, inputs);
    QCOMPARE(status.score->score, 100.0);
    QVERIFY(status.checksPass());

    // The gate's own thresholds win over the plan's.
    gate.score = config::ScoreThresholds{100, 100};
    compares[engine::checkKey(gate.id, u"refused"_s)].result.verdict = Verdict::NoData;
    QCOMPARE(engine::evaluateGate(gate, inputs).score->classification, analysis::GateClass::Fail);
}

// Every refusal the guards give is a code with its arguments (the window decides by code, tools
// read the codes): each guard code is reached here and its arguments checked; the codes only the
// engine gives (a typed confirmation, a missing meaning …) are reached in test_cutover_engine.
void TestCutoverGuards::refusalCodesCarryTheirArguments() {
    using engine::RefusalCode;
    using engine::Refusals;
    using T = engine::GuardTarget;
    QSet<RefusalCode> reached;
    bool everyTextRenders = true;
    // The refusal with `code` among `refused`, remembered as reached; nullopt if absent.
    const auto find = [&](const Refusals &refused,
                          RefusalCode code) -> std::optional<engine::Refusal> {
        std::optional<engine::Refusal> found;
        for (const engine::Refusal &r : refused) {
            everyTextRenders = everyTextRenders && !r.text().isEmpty();
            if (r.code == code && !found) {
                reached.insert(code);
                found = r;
            }
        }
        return found;
    };
#define EXPECT_ARG(refused, code, key, expected)                                                   \
    do {                                                                                           \
        const Refusals all = (refused);                                                            \
        const auto found = find(all, code);                                                        \
        QVERIFY2(found, qPrintable(engine::Refusal::codeName(code) + u" not in: "_s +              \
                                   engine::texts(all).join(u'|')));                                \
        QCOMPARE(found->args.value(QStringLiteral(key)).toString(), QString(expected));            \
    } while (false)

    const QString stage0 = QString::number(m_plan->stages.at(0).percent) + u'%';
    {
        GuardInputs past = atStage(1);
        past.pointOfNoReturn =
            decommission::PointOfNoReturn{u"remove"_s, u"Remove"_s, u"alice"_s, t0, {}};
        EXPECT_ARG(engine::refusals(Action::Rollback, bob, past), RefusalCode::PastPointOfNoReturn,
                   "step", u"Remove"_s);
    }
    // Who.
    EXPECT_ARG(engine::refusals(Action::Shift, bob, atStage(0)), RefusalCode::NoPermission,
               "permission", u"shift"_s);
    // The situation.
    GuardInputs in = atStage(0);
    in.storeAvailable = false;
    in.storeProblem = u"disk full"_s;
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::StoreUnavailable, "problem",
               u"disk full"_s);
    in = atStage(0);
    in.phase = Phase::Shifting;
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::EnvironmentBusy, "action",
               u"shift"_s);
    EXPECT_ARG(engine::refusals(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}),
               RefusalCode::EnvironmentBusy, "action", u"sign"_s);
    in = atStage(int(m_plan->stages.size()) - 1);
    in.phase = Phase::Complete;
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::CutoverComplete,
               "environment", u"staging"_s);
    in = atStage(0);
    in.validationFailed = true;
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::ValidationFailed, "stage",
               stage0);
    in = atStage(0);
    in.environment = in.state.environment = u"production"_s;
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::EarlierEnvironmentFirst,
               "earlier", u"staging"_s);
    in = atStage(0);
    in.gates.clear();
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::GateStatusUnknown,
               "gate_id", m_plan->stages.at(0).gates.value(0));
    in = atStage(0);
    in.state.holdStartedAt = QDateTime();
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::StageNotValidated, "stage",
               stage0);
    in = atStage(0);
    in.now = t0.addSecs(60);
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::HoldTimeLeft, "until",
               t0.addMSecs(m_plan->stages.at(0).hold.ms()).toString(Qt::ISODateWithMs));
    in = atStage(0);
    in.backends = {{u"lb-a"_s, BackendHealth::State::Down, in.now.addSecs(-90), u"refused"_s},
                   {u"prometheus"_s, BackendHealth::State::Unknown, {}, {}}};
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::BackendUnreachable,
               "last_good_ms_ago", u"90000"_s);
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::BackendNotAnswered,
               "last_good_ms_ago", u"-1"_s);
    in = atStage(0);
    in.firingTriggers = {u"Critical metric collection failure"_s};
    in.driftAlarms = {u"lb-a: otel-collector-1 weight 0, intended 26"_s};
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::TriggerFiring, "trigger",
               u"Critical metric collection failure"_s);
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::WeightsDrifted, "drift",
               u"lb-a: otel-collector-1 weight 0, intended 26"_s);
    EXPECT_ARG(engine::refusals(Action::StepBack, alice, atStage(0), T{{}, {}, {}, 0}),
               RefusalCode::NoEarlierStage, "stage", stage0);
    EXPECT_ARG(engine::refusals(Action::StepBack, alice, atStage(2), T{{}, {}, {}, 33}),
               RefusalCode::NotAnEarlierStage, "percent", u"33"_s);
    in = atStage(1);
    in.phase = Phase::RollingBack;
    EXPECT_ARG(engine::refusals(Action::Rollback, alice, in), RefusalCode::RollbackRunning,
               "environment", u"staging"_s);

    // Ticks.
    const config::Gate *pre = m_plan->gate(m_plan->preCutoverGate);
    QVERIFY(pre);
    const auto manual = std::find_if(pre->checks.cbegin(), pre->checks.cend(), [](const auto &c) {
        return c.kind == config::Check::Kind::Manual;
    });
    QVERIFY(manual != pre->checks.cend());
    const config::Check *automatic = nullptr;
    const config::Gate *automaticGate = nullptr;
    for (const config::Gate &g : m_plan->gates) {
        for (const config::Check &c : g.checks) {
            if (!automatic && c.kind != config::Check::Kind::Manual) {
                automatic = &c;
                automaticGate = &g;
            }
        }
    }
    QVERIFY(automatic);
    EXPECT_ARG(engine::refusals(Action::Tick, alice, atStage(-1), T{u"nope"_s, {}, {}}),
               RefusalCode::UnknownGate, "gate", u"nope"_s);
    EXPECT_ARG(engine::refusals(Action::Tick, alice, atStage(-1), T{pre->id, u"nope"_s, {}}),
               RefusalCode::UnknownCheck, "check", u"nope"_s);
    EXPECT_ARG(
        engine::refusals(Action::Tick, alice, atStage(-1), T{automaticGate->id, automatic->id, {}}),
        RefusalCode::CheckIsAutomatic, "check", automatic->title);
    const Operator stranger{u"sam"_s, u"Sam Example"_s, {u"nobody"_s}};
    EXPECT_ARG(engine::refusals(Action::Tick, stranger, atStage(-1), T{pre->id, manual->id, {}}),
               RefusalCode::TickedByAnotherRole, "role", manual->role);
    const Operator ticker{u"tom"_s, u"Tom Example"_s, {manual->role}};
    EXPECT_ARG(engine::refusals(Action::Tick, ticker, atStage(-1), T{pre->id, manual->id, {}}),
               RefusalCode::AlreadyTicked, "by", u"alice"_s);

    // Signatures.
    EXPECT_ARG(engine::refusals(Action::Sign, bob, atStage(0), T{u"gate_1"_s, {}, {}}),
               RefusalCode::SignedByAnotherRole, "operator", u"bob"_s);
    EXPECT_ARG(engine::refusals(Action::Sign, alice, atStage(-1), T{u"gate_1"_s, {}, {}}),
               RefusalCode::GateNotSignedNow, "stage", u"0%"_s);
    in = atStage(0);
    in.gates = {unsignedGate(*m_plan->gate(u"gate_1"_s))};
    in.now = t0.addSecs(3600);
    EXPECT_ARG(engine::refusals(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}),
               RefusalCode::StabilityTimeLeft, "since", t0.toString(Qt::ISODateWithMs));
    in.state.holdStartedAt = QDateTime();
    EXPECT_ARG(engine::refusals(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}),
               RefusalCode::StabilityHoldNotStarted, "stage", stage0);
    EXPECT_ARG(engine::refusals(Action::Sign, alice, atStage(0), T{u"gate_1"_s, {}, {}}),
               RefusalCode::AlreadySigned, "role", u"release_manager"_s);

    // What a gate's status blocks on.
    GateStatus gate = unsignedGate(*m_plan->gate(u"gate_1"_s));
    QVERIFY(gate.checks.size() >= 2 && !gate.signatures.isEmpty());
    gate.checks[0].state = CheckStatus::State::Open;
    gate.checks[0].detail = u"release_manager"_s;
    gate.checks[1].state = CheckStatus::State::Fail;
    gate.checks[1].kind = config::Check::Kind::Automatic;
    gate.checks[1].detail = u"error rate 2%"_s;
    analysis::GateScore score;
    score.classification = analysis::GateClass::Fail;
    score.reason = u"Score 40 (fail)"_s;
    gate.score = score;
    in = atStage(0);
    in.gates = {gate};
    const Refusals blocked = engine::refusals(Action::Shift, alice, in);
    EXPECT_ARG(blocked, RefusalCode::CheckNotTicked, "check", gate.checks[0].title);
    EXPECT_ARG(blocked, RefusalCode::CheckNotPassing, "detail", u"error rate 2%"_s);
    EXPECT_ARG(blocked, RefusalCode::GateScoreFailed, "reason", u"Score 40 (fail)"_s);
    EXPECT_ARG(blocked, RefusalCode::GateNotSigned, "role", gate.signatures.value(0).role);
    GateStatus marginal = readyGate(*m_plan->gate(u"gate_1"_s));
    score.classification = analysis::GateClass::Marginal;
    score.reason = u"Score 75 (marginal: pass needs 95)."_s;
    marginal.score = score;
    in.gates = {marginal};
    EXPECT_ARG(engine::refusals(Action::Shift, alice, in), RefusalCode::SignedBeforeMarginal, "by",
               u"Alice Example"_s);
    marginal.signatures.first().signOff.reset();
    in.gates = {marginal};
    in.now = t0.addDays(30);
    EXPECT_ARG(engine::refusals(Action::Sign, alice, in, T{u"gate_1"_s, {}, {}}),
               RefusalCode::MarginalNotAcknowledged, "reason", score.reason);
#undef EXPECT_ARG
    QVERIFY(everyTextRenders);

    // JSON carries the code, the text and the arguments.
    const QJsonArray json = engine::toJson(engine::refusals(Action::Shift, bob, atStage(0)));
    QCOMPARE(json.first()[u"code"_s].toString(), u"no_permission"_s);
    QCOMPARE(json.first()[u"args"_s][u"operator"_s].toString(), u"bob"_s);
    QVERIFY2(json.first()[u"text"_s].toString().startsWith(u"bob (on_call) may not shift"_s),
             qPrintable(json.first()[u"text"_s].toString()));

    // Every code but the engine's own is reached above; names are unique.
    // The decommission step codes come from the engine; test_engine_decommission reaches those
    // a decommission on the lab meets.
    const QSet<RefusalCode> engineCodes{RefusalCode::NoDecommission,
                                        RefusalCode::DecommissionNotEntered,
                                        RefusalCode::DecommissionNotApproved,
                                        RefusalCode::ExitHoldNotPassed,
                                        RefusalCode::StepBlocked,
                                        RefusalCode::StepApprovalsMissing,
                                        RefusalCode::StepNotRunnable,
                                        RefusalCode::StepNotConfigured,
                                        RefusalCode::StepActionUnavailable,
                                        RefusalCode::StepAlreadyApproved,
                                        RefusalCode::StepConfirmationMismatch,
                                        RefusalCode::StepEvidenceMissing,
                                        RefusalCode::StepWaitLeft,
                                        RefusalCode::StepRunningElsewhere,
                                        RefusalCode::ServersStillServing,
                                        RefusalCode::WeightsNotPermanent,
                                        RefusalCode::UnknownStep,
                                        RefusalCode::NotSignedIn,
                                        RefusalCode::SignatureWouldBeVoided,
                                        RefusalCode::NoWarRoomActive,
                                        RefusalCode::MayNotAcknowledgeWarRoom,
                                        RefusalCode::UnknownEnvironment,
                                        RefusalCode::ConfirmationMismatch,
                                        RefusalCode::MeaningMissing,
                                        RefusalCode::StepBackReasonMissing,
                                        RefusalCode::MarginalCommentMissing,
                                        RefusalCode::StageChangedElsewhere};
    QSet<QString> names;
    for (const RefusalCode code : engine::allRefusalCodes()) {
        names.insert(engine::Refusal::codeName(code));
        if (!engineCodes.contains(code))
            QVERIFY2(reached.contains(code),
                     qPrintable(engine::Refusal::codeName(code) + u" is never reached"_s));
    }
    QCOMPARE(names.size(), engine::allRefusalCodes().size());
    QVERIFY(!names.contains(u"unknown"_s));
}

QTEST_GUILESS_MAIN(TestCutoverGuards)
#include "test_cutover_guards.moc"
