// The engine's phase transitions with a fake clock: a real SQLite store in a temporary folder,
// dry-run mode (no weights are written: no load balancer is needed), and the monitor's samples
// fed through the engine's input methods. Hours of holds pass in microseconds.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/audit_chain.h"
#include "app/store/passphrase.h"
#include "app/store/sqlite_store.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;
using engine::Phase;

namespace {

const QString kEnv = u"staging"_s;

store::Operator makeOperator(const QString &name, const QString &role) {
    store::Operator op;
    op.name = name;
    op.displayName = name.left(1).toUpper() + name.mid(1) + u" Example"_s;
    op.roles = {role};
    store::setPassphrase(op, u"pass-"_s + name, store::kCheapestArgon2Cost);
    return op;
}

const store::OperatorsFile &operators() {
    static const store::OperatorsFile file = [] {
        store::OperatorsFile f;
        f.upsert(makeOperator(u"alice"_s, u"release_manager"_s));
        f.upsert(makeOperator(u"bob"_s, u"on_call"_s));
        f.upsert(makeOperator(u"erin"_s, u"executive"_s));
        return f;
    }();
    return file;
}

// A plan with no gates and no holds, to reach any stage quickly.
config::Plan lightPlan(config::Plan plan) {
    plan.preCutoverGate.clear();
    for (config::Stage &stage : plan.stages) {
        stage.gates.clear();
        stage.hold = config::Duration();
    }
    return plan;
}

// 61 samples a side with the same noise, and a series 15% slower than legacy: a compare check
// passes on (legacy, same) and fails on (legacy, slower).
struct ParitySamples {
    QList<double> legacy, same, slower;
};
ParitySamples paritySamples() {
    ParitySamples p;
    for (int i = 0; i <= 60; ++i) {
        const double v = 0.200 + 0.004 * ((i * 7) % 11 - 5);
        p.legacy.append(v);
        p.same.append(0.200 + 0.004 * ((i * 5) % 11 - 5));
        p.slower.append(v * 1.15);
    }
    return p;
}

} // namespace

class TestCutoverEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void shiftCarriesThroughEveryPhase();
    void unknownNeverPasses();
    void validationFailureRollsBackByDefault();
    void previousStagePolicyShiftsBack();
    void holdPolicyWaitsForAHuman();
    void autoTriggerRollsBackPromptTriggerAlarms();
    void holdRestartsAfterABreach();
    void rollbackIsAllowedWhateverTheBackendsSay();
    void completeAtOneHundred();
    void stateSurvivesARestart();
    void twoEnginesRaceExactlyOneWins();
    void signOffRecordsTheSignature();
    void breakGlassRollbackWhileLockedOut();
    void rollbackVoidsOnlyTheStageGates();
    void rollbackResetAllVoidsEveryGate();
    void stepBackGoesThroughValidation();
    void tolerancePointsBandIsAbsolute();
    void compareCheckJudgesTheGate();
    void refusalsAreTyped();
    void marginalScoreNeedsAnAcknowledgementAndWhy();

private:
    void open(const config::Plan &plan);
    void healthy();
    void advance(qint64 seconds) {
        m_now = m_now.addSecs(seconds);
        m_engine->step();
    }
    engine::Operator who(const QString &name) const { return *m_engine->operatorNamed(name); }
    bool shiftTo(int percent, const QString &name = u"alice"_s);
    void feedPassingSamples(const config::Gate &gate);
    void passPreCutover();
    void passGate1();
    void reachHoldingAt(int percent);
    QStringList auditActions() const;

    std::optional<config::Plan> m_defaultPlan;
    QTemporaryDir m_dir;
    QDateTime m_now;
    std::unique_ptr<store::SqliteStore> m_store;
    std::unique_ptr<engine::CutoverEngine> m_engine;
};

void TestCutoverEngine::initTestCase() {
    m_defaultPlan = config::loadPlanFile(u":/plans/default.yaml"_s).plan;
    QVERIFY(m_defaultPlan);
    (void)operators(); // hash once, before any test's clock starts
}

void TestCutoverEngine::init() {
    QVERIFY(m_dir.isValid());
    m_now = QDateTime(QDate(2026, 11, 26), QTime(9, 0), Qt::UTC);
}

void TestCutoverEngine::cleanup() {
    m_engine.reset();
    m_store.reset();
    QFile::remove(m_dir.filePath(u"store.sqlite"_s));
    QFile::remove(m_dir.filePath(u"store.sqlite-wal"_s));
    QFile::remove(m_dir.filePath(u"store.sqlite-shm"_s));
}

void TestCutoverEngine::open(const config::Plan &plan) {
    m_engine.reset();
    m_store.reset();
    auto clock = [this] {
        return m_now;
    };
    auto opened = store::SqliteStore::open({m_dir.filePath(u"store.sqlite"_s), clock});
    QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().toString()));
    m_store = std::move(opened.value());
    engine::CutoverEngine::Options options;
    options.dryRun = true;
    options.monitor = false;
    options.clock = clock;
    // Time is driven by hand here: each engine decides alone (the lease has its own test).
    options.coordinate = false;
    m_engine = std::make_unique<engine::CutoverEngine>(plan, *m_store, operators(), options);
    m_engine->start();
}

void TestCutoverEngine::healthy() {
    m_engine->recordBackendHealth(kEnv, u"lb-staging"_s, true);
    m_engine->recordBackendHealth(kEnv, u"prometheus"_s, true);
}

bool TestCutoverEngine::shiftTo(int percent, const QString &name) {
    engine::Operation *op = m_engine->shift(kEnv, who(name), u"pass-"_s + name, percent);
    QSignalSpy finished(op, &engine::Operation::finished);
    if (!finished.wait(5000))
        return false;
    return finished.first().first().toBool();
}

void TestCutoverEngine::feedPassingSamples(const config::Gate &gate) {
    for (const config::Check &check : gate.checks) {
        if (!check.isTracked())
            continue;
        const auto &c = check.trackedCondition();
        const double passing =
            c.op == config::Condition::Op::Less || c.op == config::Condition::Op::LessEqual
                ? c.threshold - 1
                : (c.op == config::Condition::Op::Equal ? c.threshold : c.threshold + 1);
        m_engine->recordCheckSample(kEnv, gate.id, check.id,
                                    m_now.addMSecs(-check.forDuration.ms()), passing);
        m_engine->recordCheckSample(kEnv, gate.id, check.id, m_now, passing);
    }
}

void TestCutoverEngine::passPreCutover() {
    const config::Gate *gate = m_engine->plan().gate(u"pre_cutover"_s);
    // What Prometheus confirms (60 days of parallel operation, the baseline series).
    feedPassingSamples(*gate);
    for (const config::Check &check : gate->checks) {
        if (check.kind != config::Check::Kind::Manual)
            continue;
        const QString by = check.role == u"on_call" ? u"bob"_s : u"alice"_s;
        const auto outcome = m_engine->tick(kEnv, gate->id, check.id, who(by));
        QVERIFY2(outcome.ok, qPrintable(outcome.message()));
    }
    m_engine->evaluateSamples(kEnv);
    const auto signedOff =
        m_engine->signOff(kEnv, gate->id, {}, who(u"alice"_s), u"pass-alice"_s, u"Approved"_s, {});
    QVERIFY2(signedOff.ok, qPrintable(signedOff.message()));
}

void TestCutoverEngine::passGate1() {
    // Passing samples for every automatic item of Gate 1, held for their `for`.
    const QDateTime start = m_now;
    for (int i = 0; i <= 1; ++i) {
        const QDateTime at = start.addSecs(i * 601);
        m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"error_rate"_s, at, 0.0);
        m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"latency"_s, at, 1.0);
        m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"alerts_functioning"_s, at, 1.0);
        m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"collector_failures"_s, at, 0.0);
        m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"queue_headroom"_s, at, 0.1);
        m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"zero_gaps"_s, at, 0.0);
    }
    m_now = start.addSecs(601);
    // Data parity: both pipelines delivering the same, judged over their windows just now.
    QList<double> same;
    for (int i = 0; i < 121; ++i)
        same.append(1.0 + 0.01 * (i % 7));
    for (const config::Check &check : m_engine->plan().gate(u"gate_1"_s)->checks) {
        if (check.kind == config::Check::Kind::Compare)
            m_engine->recordCompareSamples(kEnv, u"gate_1"_s, check.id, m_now, same, same);
    }
    m_engine->evaluateSamples(kEnv);
    QVERIFY(m_engine->tick(kEnv, u"gate_1"_s, u"no_complaints"_s, who(u"alice"_s)).ok);
    const auto signedOff = m_engine->signOff(kEnv, u"gate_1"_s, {}, who(u"alice"_s),
                                             u"pass-alice"_s, u"Approved"_s, u"stable"_s);
    QVERIFY2(signedOff.ok, qPrintable(signedOff.message()));
}

void TestCutoverEngine::reachHoldingAt(int percent) {
    QVERIFY(shiftTo(percent));
    const auto &stage = m_engine->plan().stages.at(m_engine->snapshot(kEnv).stageIndex);
    advance(stage.stabilization.ms() / 1000);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Validating);
    m_engine->recordSplitSample(kEnv, m_now, percent / 100.0);
    QCOMPARE(m_engine->snapshot(kEnv).currentPercent, percent);
}

QStringList TestCutoverEngine::auditActions() const {
    QStringList actions;
    for (const auto &entry : m_store->auditEntries().value())
        actions.append(entry.action);
    return actions;
}

void TestCutoverEngine::shiftCarriesThroughEveryPhase() {
    open(*m_defaultPlan);
    healthy();
    auto s = m_engine->snapshot(kEnv);
    QCOMPARE(s.phase, Phase::Holding);
    QCOMPARE(s.stageIndex, -1);
    QCOMPARE(s.nextPercent, 10);

    // Refused before the pre-cutover checklist: the reasons are the engine's.
    engine::Operation *refused = m_engine->shift(kEnv, who(u"alice"_s), u"pass-alice"_s, 10);
    QSignalSpy refusedDone(refused, &engine::Operation::finished);
    QVERIFY(refusedDone.wait(2000));
    QCOMPARE(refusedDone.first().first().toBool(), false);
    QCOMPARE(auditActions().count(u"shift_refused"_s), 1);

    passPreCutover();
    // The typed confirmation must name the next stage.
    QVERIFY(!shiftTo(25));
    // A wrong passphrase changes nothing.
    engine::Operation *wrong = m_engine->shift(kEnv, who(u"alice"_s), u"nope"_s, 10);
    QSignalSpy wrongDone(wrong, &engine::Operation::finished);
    QVERIFY(wrongDone.wait(2000));
    QCOMPARE(wrongDone.first().first().toBool(), false);
    QCOMPARE(m_engine->snapshot(kEnv).stageIndex, -1);

    QVERIFY(shiftTo(10));
    s = m_engine->snapshot(kEnv);
    QCOMPARE(s.phase, Phase::Stabilizing);
    QCOMPARE(s.currentPercent, 10);
    QCOMPARE(s.intendedWeights.value(u"legacy-collector-1"_s), 108);
    QCOMPARE(s.intendedWeights.value(u"otel-collector-1"_s), 8);
    QCOMPARE(s.realizedShare, 0.1);
    QCOMPARE(s.progressLabel, u"stabilizing"_s);
    QCOMPARE(s.progressEnd, m_now.addSecs(300));
    QVERIFY(auditActions().contains(u"shift_dry_run"_s));

    advance(299);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Stabilizing);
    advance(1);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Validating);

    // A sample whose rate window still covers the old weights is not used.
    const QDateTime applied = m_engine->snapshot(kEnv).state.enteredAt;
    m_engine->recordSplitSample(kEnv, applied.addSecs(60), 0.10);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Validating);
    // In the band: validated, the hold starts.
    m_engine->recordSplitSample(kEnv, m_now, 0.101);
    s = m_engine->snapshot(kEnv);
    QCOMPARE(s.phase, Phase::Holding);
    QCOMPARE(s.state.holdStartedAt, m_now);
    QVERIFY(s.lastValidation.startsWith(u"passed: 10.1% in 8.0%..12.0%"_s));
    QCOMPARE(s.progressLabel, u"hold"_s);

    // The next shift waits for the hold and Gate 1.
    auto reasons = m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv);
    QVERIFY2(reasons.contains(u"hold at 10%: 24h left (until 2026-11-27 09:05:00 UTC)"_s),
             qPrintable(reasons.join(u'\n')));
    QVERIFY(reasons.contains(u"Gate 1: 10% stable (24 hours): not signed by release_manager"_s));
    advance(24 * 3600);
    passGate1();
    reasons = m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv);
    QVERIFY2(reasons.isEmpty(), qPrintable(reasons.join(u'\n')));
    QVERIFY(shiftTo(25));
    QCOMPARE(m_engine->snapshot(kEnv).currentPercent, 25);

    const QStringList actions = auditActions();
    for (const QString &expected :
         {u"plan_loaded"_s, u"check_ticked"_s, u"gate_signed"_s, u"shift_started"_s,
          u"shift_applied"_s, u"stabilization_over"_s, u"validation_passed"_s})
        QVERIFY2(actions.contains(expected), qPrintable(expected));
    QVERIFY(m_store->verifyAuditChain().value().ok);
}

void TestCutoverEngine::unknownNeverPasses() {
    open(lightPlan(*m_defaultPlan));
    healthy();
    QVERIFY(shiftTo(10));
    advance(300);
    QSignalSpy alarms(m_engine.get(), &engine::CutoverEngine::alarm);
    for (int i = 0; i < 20; ++i) {
        advance(60);
        m_engine->recordSplitSample(kEnv, m_now, std::nullopt);
        m_engine->recordSplitSample(kEnv, m_now, std::nan(""));
    }
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Validating);
    QVERIFY(!alarms.isEmpty());
    QCOMPARE(alarms.first().at(1).toString(), u"validation"_s);
    QVERIFY(auditActions().contains(u"validation_unknown"_s));
}

void TestCutoverEngine::validationFailureRollsBackByDefault() {
    open(*m_defaultPlan);
    healthy();
    passPreCutover();
    QVERIFY(shiftTo(10));
    advance(300);
    QSignalSpy alarms(m_engine.get(), &engine::CutoverEngine::alarm);
    m_engine->recordSplitSample(kEnv, m_now, 0.2);
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->snapshot(kEnv).phase, Phase::RolledBack, 5000);
    const auto s = m_engine->snapshot(kEnv);
    QCOMPARE(s.stageIndex, -1);
    QCOMPARE(s.intendedWeights.value(u"legacy-collector-1"_s), 100);
    QCOMPARE(s.intendedWeights.value(u"otel-collector-3"_s), 0);
    const auto entries = m_store->auditEntries().value();
    const auto failed = std::find_if(entries.cbegin(), entries.cend(), [](const auto &e) {
        return e.action == u"validation_failed";
    });
    QVERIFY(failed != entries.cend());
    QCOMPARE(failed->actor, u"engine"_s);
    QVERIFY(failed->details.contains(u"measured 20.0%, outside 8.0%..12.0%"_s));
    QVERIFY(auditActions().contains(u"rollback_completed"_s));
    // rollback.reset: stage_gates (the default plan's): the pre-cutover checklist stays signed,
    // and the reset is audited all the same.
    const auto pre = std::find_if(s.gates.cbegin(), s.gates.cend(),
                                  [](const auto &g) { return g.id == u"pre_cutover"; });
    QVERIFY(pre->ready());
    QVERIFY(auditActions().contains(u"gates_reset"_s));
}

void TestCutoverEngine::previousStagePolicyShiftsBack() {
    config::Plan plan = lightPlan(*m_defaultPlan);
    plan.rollback.onValidationFailure = config::FailurePolicy::PreviousStage;
    open(plan);
    healthy();
    reachHoldingAt(10);
    reachHoldingAt(25);
    QVERIFY(shiftTo(50));
    advance(300);
    m_engine->recordSplitSample(kEnv, m_now, 0.3);
    // Back to 25%: a shift of its own, which stabilizes and validates again.
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->snapshot(kEnv).phase, Phase::Stabilizing, 5000);
    QCOMPARE(m_engine->snapshot(kEnv).currentPercent, 25);
    advance(300);
    m_engine->recordSplitSample(kEnv, m_now, 0.25);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Holding);
    QCOMPARE(m_engine->snapshot(kEnv).currentPercent, 25);
}

void TestCutoverEngine::holdPolicyWaitsForAHuman() {
    config::Plan plan = lightPlan(*m_defaultPlan);
    plan.rollback.onValidationFailure = config::FailurePolicy::Hold;
    open(plan);
    healthy();
    QVERIFY(shiftTo(10));
    advance(300);
    m_engine->recordSplitSample(kEnv, m_now, 0.5);
    const auto s = m_engine->snapshot(kEnv);
    QCOMPARE(s.phase, Phase::Holding);
    QVERIFY(s.validationFailed);
    QVERIFY(m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv)
                .contains(u"the validation at 10% failed: roll back, or have it re-validated"_s));
    // The human decision: roll back.
    engine::Operation *op = m_engine->rollback(kEnv, who(u"bob"_s));
    QSignalSpy done(op, &engine::Operation::finished);
    QVERIFY(done.wait(5000));
    QVERIFY(done.first().first().toBool());
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::RolledBack);
    QVERIFY(!m_engine->snapshot(kEnv).validationFailed);
}

void TestCutoverEngine::autoTriggerRollsBackPromptTriggerAlarms() {
    open(lightPlan(*m_defaultPlan));
    healthy();
    reachHoldingAt(10);
    QSignalSpy alarms(m_engine.get(), &engine::CutoverEngine::alarm);

    // A prompt trigger: an alarm, a guard, no rollback.
    m_engine->recordTriggerSample(kEnv, u"alert_failures"_s, m_now, 0.0);
    m_engine->evaluateSamples(kEnv);
    QVERIFY(m_engine->snapshot(kEnv).firingTriggers.isEmpty()); // `for: 2m` not yet
    advance(120);
    m_engine->recordTriggerSample(kEnv, u"alert_failures"_s, m_now, 0.0);
    m_engine->evaluateSamples(kEnv);
    QCOMPARE(m_engine->snapshot(kEnv).firingTriggers, QStringList{u"Widespread alert failures"_s});
    QVERIFY(m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv)
                .contains(u"trigger firing: Widespread alert failures"_s));
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Holding);
    QVERIFY(std::any_of(alarms.cbegin(), alarms.cend(),
                        [](const QList<QVariant> &a) { return a.at(1) == u"trigger"_s; }));
    // The episode ends when the condition stops holding.
    m_engine->recordTriggerSample(kEnv, u"alert_failures"_s, m_now, 1.0);
    m_engine->evaluateSamples(kEnv);
    QVERIFY(m_engine->snapshot(kEnv).firingTriggers.isEmpty());

    // An automatic trigger rolls back by itself.
    m_engine->recordTriggerSample(kEnv, u"collection_failure"_s, m_now, 0.5);
    advance(120);
    m_engine->recordTriggerSample(kEnv, u"collection_failure"_s, m_now, 0.5);
    m_engine->evaluateSamples(kEnv);
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->snapshot(kEnv).phase, Phase::RolledBack, 5000);
    const QStringList actions = auditActions();
    QCOMPARE(actions.count(u"trigger_fired"_s), 2);
    QVERIFY(actions.contains(u"rollback_completed"_s));
}

void TestCutoverEngine::holdRestartsAfterABreach() {
    open(*m_defaultPlan);
    healthy();
    passPreCutover();
    reachHoldingAt(10);
    const QDateTime validated = m_engine->snapshot(kEnv).state.holdStartedAt;
    advance(3600);
    m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"error_rate"_s, m_now, 0.0);
    m_engine->evaluateSamples(kEnv);
    advance(60);
    m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"error_rate"_s, m_now, 0.5); // breach
    m_engine->evaluateSamples(kEnv);
    QCOMPARE(m_engine->snapshot(kEnv).state.holdStartedAt, validated);
    advance(60);
    m_engine->recordCheckSample(kEnv, u"gate_1"_s, u"error_rate"_s, m_now, 0.0); // recovered
    m_engine->evaluateSamples(kEnv);
    QCOMPARE(m_engine->snapshot(kEnv).state.holdStartedAt, m_now);
    QVERIFY(auditActions().contains(u"hold_restarted"_s));
}

void TestCutoverEngine::rollbackIsAllowedWhateverTheBackendsSay() {
    open(lightPlan(*m_defaultPlan));
    healthy();
    reachHoldingAt(10);
    m_engine->recordBackendHealth(kEnv, u"lb-staging"_s, false, u"connection refused"_s);
    m_engine->recordBackendHealth(kEnv, u"prometheus"_s, false, u"timeout"_s);
    QVERIFY(!m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv).isEmpty());
    QVERIFY(m_engine->guards(engine::Action::Rollback, who(u"bob"_s), kEnv).isEmpty());

    engine::Operation *refused = m_engine->rollback(kEnv, who(u"erin"_s));
    QSignalSpy refusedDone(refused, &engine::Operation::finished);
    QVERIFY(refusedDone.wait(2000));
    QCOMPARE(refusedDone.first().first().toBool(), false);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Holding);

    engine::Operation *op = m_engine->rollback(kEnv, who(u"bob"_s), u"test"_s);
    QSignalSpy done(op, &engine::Operation::finished);
    QVERIFY(done.wait(5000));
    QVERIFY(done.first().first().toBool());
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::RolledBack);
    QVERIFY(auditActions().contains(u"rollback_refused"_s));
    QVERIFY(auditActions().contains(u"rollback_dry_run"_s));
}

void TestCutoverEngine::completeAtOneHundred() {
    open(lightPlan(*m_defaultPlan));
    healthy();
    reachHoldingAt(10);
    reachHoldingAt(25);
    reachHoldingAt(50);
    QVERIFY(shiftTo(100));
    advance(300);
    m_engine->recordSplitSample(kEnv, m_now, 0.995);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Complete);
    QCOMPARE(m_engine->snapshot(kEnv).nextPercent, -1);
    QCOMPARE(m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv),
             QStringList{u"staging is at 100%: the cutover is complete"_s});
}

void TestCutoverEngine::stateSurvivesARestart() {
    open(*m_defaultPlan);
    healthy();
    passPreCutover();
    reachHoldingAt(10);
    const auto before = m_engine->snapshot(kEnv);
    open(*m_defaultPlan); // a new engine on the same store: a restart
    const auto after = m_engine->snapshot(kEnv);
    QCOMPARE(after.phase, Phase::Holding);
    QCOMPARE(after.stageIndex, 0);
    QCOMPARE(after.state.holdStartedAt, before.state.holdStartedAt);
    QCOMPARE(after.state.version, before.state.version);
    QCOMPARE(after.intendedWeights, before.intendedWeights);
}

void TestCutoverEngine::twoEnginesRaceExactlyOneWins() {
    const config::Plan plan = lightPlan(*m_defaultPlan);
    open(plan);
    healthy();
    auto clock = [this] {
        return m_now;
    };
    auto second = store::SqliteStore::open({m_dir.filePath(u"store.sqlite"_s), clock});
    QVERIFY(second.ok());
    engine::CutoverEngine::Options options;
    options.dryRun = true;
    options.monitor = false;
    options.clock = clock;
    // Time is driven by hand here: each engine decides alone (the lease has its own test).
    options.coordinate = false;
    engine::CutoverEngine other(plan, *second.value(), operators(), options);
    other.start();
    other.recordBackendHealth(kEnv, u"lb-staging"_s, true);
    other.recordBackendHealth(kEnv, u"prometheus"_s, true);

    // Both consoles see 0% and allowed; both press Shift in the same turn of the event loop.
    engine::Operation *a = m_engine->shift(kEnv, who(u"alice"_s), u"pass-alice"_s, 10);
    engine::Operation *b = other.shift(kEnv, *other.operatorNamed(u"alice"_s), u"pass-alice"_s, 10);
    engine::Refusals loserRefused;
    for (engine::Operation *op : {a, b}) {
        connect(op, &engine::Operation::finished, this, [&loserRefused, op](bool ok) {
            if (!ok)
                loserRefused = op->refused();
        });
    }
    QSignalSpy aDone(a, &engine::Operation::finished);
    QSignalSpy bDone(b, &engine::Operation::finished);
    QTRY_COMPARE_WITH_TIMEOUT(aDone.size(), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(bDone.size(), 1, 5000);
    const bool aWon = aDone.first().first().toBool();
    const bool bWon = bDone.first().first().toBool();
    QVERIFY(aWon != bWon);
    const QString loser = (aWon ? bDone : aDone).first().at(1).toString();
    QVERIFY2(loser.startsWith(u"stage changed by alice at "_s), qPrintable(loser));
    QCOMPARE(loserRefused.size(), 1);
    QCOMPARE(loserRefused.first().code, engine::RefusalCode::StageChangedElsewhere);
    QVERIFY(loserRefused.first().arg("detail").startsWith(u"stage changed by alice at "_s));
}

void TestCutoverEngine::signOffRecordsTheSignature() {
    open(*m_defaultPlan);
    healthy();
    const config::Gate *gate = m_engine->plan().gate(u"pre_cutover"_s);
    feedPassingSamples(*gate);
    m_engine->evaluateSamples(kEnv);
    for (const config::Check &check : gate->checks) {
        if (check.kind != config::Check::Kind::Manual)
            continue;
        const QString by = check.role == u"on_call" ? u"bob"_s : u"alice"_s;
        QVERIFY(m_engine->tick(kEnv, gate->id, check.id, who(by)).ok);
    }
    // No meaning, wrong passphrase, wrong role: refused, nothing signed.
    const auto noMeaning =
        m_engine->signOff(kEnv, gate->id, {}, who(u"alice"_s), u"pass-alice"_s, {}, {});
    QVERIFY(!noMeaning.ok);
    QVERIFY(engine::hasCode(noMeaning.refused, engine::RefusalCode::MeaningMissing));
    QVERIFY(
        !m_engine->signOff(kEnv, gate->id, {}, who(u"alice"_s), u"bad"_s, u"Approved"_s, {}).ok);
    QVERIFY(
        !m_engine->signOff(kEnv, gate->id, {}, who(u"erin"_s), u"pass-erin"_s, u"Approved"_s, {})
             .ok);
    const auto outcome = m_engine->signOff(kEnv, gate->id, {}, who(u"alice"_s), u"pass-alice"_s,
                                           u"Approved"_s, u"all items verified"_s);
    QVERIFY2(outcome.ok, qPrintable(outcome.message()));
    const auto signatures = m_store->signOffs(kEnv).value();
    QCOMPARE(signatures.size(), 1);
    QCOMPARE(signatures.first().printedName, u"Alice Example"_s);
    QCOMPARE(signatures.first().role, u"release_manager"_s);
    QCOMPARE(signatures.first().meaning, u"Approved"_s);
    QCOMPARE(signatures.first().comment, u"all items verified"_s);
    QCOMPARE(signatures.first().at, m_now);
    QCOMPARE(signatures.first().signatureHash.size(), 64);
    // An Ed25519 signature by alice's key over the documented record: the plan's hash, the
    // checklist as she saw it (who ticked what) and the audit head before it.
    const store::SignOff &signature = signatures.first();
    const store::Operator *alice = operators().find(u"alice"_s);
    QCOMPARE(signature.keyFingerprint, alice->keyFingerprint());
    QCOMPARE(signature.planSha256, QString::fromLatin1(m_engine->plan().sha256Hex));
    QVERIFY(signature.items.contains(u"\"by\":\"bob\""_s));
    QVERIFY(signature.items.contains(u"\"state\":\"pass\""_s));
    QCOMPARE(signature.auditHeadBefore.size(), 64);
    QVERIFY(store::verifySignature(alice->key->publicKey, store::canonicalSignOffBytes(signature),
                                   QByteArray::fromBase64(signature.signature.toLatin1())));
    store::SignOff moved = signature;
    moved.gate = u"gate_1"_s;
    QVERIFY(!store::verifySignature(alice->key->publicKey, store::canonicalSignOffBytes(moved),
                                    QByteArray::fromBase64(signature.signature.toLatin1())));
    // Signed twice: refused with who and when.
    const auto again =
        m_engine->signOff(kEnv, gate->id, {}, who(u"alice"_s), u"pass-alice"_s, u"Approved"_s, {});
    QVERIFY(!again.ok);
    QVERIFY(again.message().contains(u"already signed as release_manager by Alice Example"_s));
    QVERIFY(engine::hasCode(again.refused, engine::RefusalCode::AlreadySigned));
    // Unticking an item of the signed gate would void the signature: refused, saying whose.
    for (const config::Check &check : gate->checks) {
        if (check.kind != config::Check::Kind::Manual || check.role != u"release_manager")
            continue;
        const auto untick = m_engine->untick(kEnv, gate->id, check.id, who(u"alice"_s));
        QVERIFY(!untick.ok);
        QCOMPARE(untick.refused.size(), 1);
        QCOMPARE(untick.refused.first().code, engine::RefusalCode::SignatureWouldBeVoided);
        QCOMPARE(untick.refused.first().arg("by"), u"Alice Example"_s);
        break;
    }
    // Five wrong passphrases lock the operator for a minute.
    for (int i = 0; i < 5; ++i)
        (void)m_engine->signIn(u"bob"_s, u"wrong"_s);
    QCOMPARE(m_engine->signIn(u"bob"_s, u"pass-bob"_s).outcome,
             store::SignInResult::Outcome::Locked);
    m_now = m_now.addSecs(61);
    QVERIFY(m_engine->signIn(u"bob"_s, u"pass-bob"_s).ok());
}

void TestCutoverEngine::breakGlassRollbackWhileLockedOut() {
    open(*m_defaultPlan);
    healthy();
    auto actionsOf = [this](const QString &action) {
        int n = 0;
        for (const auto &e : m_store->auditEntries().value())
            n += e.action == action ? 1 : 0;
        return n;
    };
    auto finish = [](engine::Operation *op) {
        QSignalSpy done(op, &engine::Operation::finished);
        [&] {
            QVERIFY(done.wait(5000));
        }();
        return done.isEmpty()
                   ? std::pair<bool, QString>{false, u"no result"_s}
                   : std::pair{done.first().at(0).toBool(), done.first().at(1).toString()};
    };
    // Not locked out: break-glass is refused (sign in instead), nothing rolled back.
    auto notLocked = finish(m_engine->breakGlassRollback(kEnv, u"bob"_s, u"pass-bob"_s));
    QVERIFY(!notLocked.first);
    QVERIFY2(notLocked.second.contains(u"only for a name locked out"_s),
             qPrintable(notLocked.second));

    // Five wrong passphrases typed under bob's name lock him out of signing in.
    for (int i = 0; i < 5; ++i)
        (void)m_engine->signIn(u"bob"_s, u"wrong"_s);
    QCOMPARE(m_engine->signIn(u"bob"_s, u"pass-bob"_s).outcome,
             store::SignInResult::Outcome::Locked);
    // Erin is locked out too, but her role has no rollback: refused for the role, no passphrase
    // even checked.
    for (int i = 0; i < 5; ++i)
        (void)m_engine->signIn(u"erin"_s, u"wrong"_s);
    auto noRole = finish(m_engine->breakGlassRollback(kEnv, u"erin"_s, u"pass-erin"_s));
    QVERIFY(!noRole.first);
    QCOMPARE(noRole.second, u"rollback refused"_s);
    // A wrong passphrase is refused and counts; an unknown name, never locked, gets the answer a
    // known name that is not locked gets: nothing tells whether mallory exists.
    auto wrong = finish(m_engine->breakGlassRollback(kEnv, u"bob"_s, u"wrong"_s));
    QVERIFY(!wrong.first);
    QCOMPARE(wrong.second, u"wrong operator name or passphrase"_s);
    auto unknown = finish(m_engine->breakGlassRollback(kEnv, u"mallory"_s, u"x"_s));
    QCOMPARE(unknown.second, notLocked.second);
    QCOMPARE(actionsOf(u"break_glass_rollback"_s), 0);
    QVERIFY(!m_engine->warRoom().active);

    // The right passphrase: the rollback runs, audited as break-glass once, paged at L4.
    QSignalSpy notified(m_engine.get(), &engine::CutoverEngine::notified);
    auto rolled = finish(
        m_engine->breakGlassRollback(kEnv, u"bob"_s, u"pass-bob"_s, u"collectors dropping data"_s));
    QVERIFY2(rolled.first, qPrintable(rolled.second));
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::RolledBack);
    QCOMPARE(actionsOf(u"break_glass_verified"_s), 1);
    QCOMPARE(actionsOf(u"break_glass_rollback"_s), 1);
    QCOMPARE(actionsOf(u"rollback_started"_s), 1);
    for (const auto &e : m_store->auditEntries().value()) {
        if (e.action == u"rollback_started"_s)
            QCOMPARE(e.detailsObject().value(u"cause"_s).toString(), u"break_glass"_s);
        if (e.action == u"break_glass_rollback"_s) {
            QCOMPARE(e.actor, u"bob"_s);
            QCOMPARE(e.detailsObject().value(u"reason"_s).toString(),
                     u"collectors dropping data"_s);
        }
    }
    bool pagedAtL4 = false;
    for (const auto &args : notified)
        pagedAtL4 |= args.at(0).toString() == u"break_glass_rollback"_s &&
                     args.at(1).toString() == kEnv && args.at(2).toString() == u"L4"_s;
    QVERIFY(pagedAtL4);
    // Nothing else: the lock-out stands.
    QCOMPARE(m_engine->signIn(u"bob"_s, u"pass-bob"_s).outcome,
             store::SignInResult::Outcome::Locked);

    // The lock-out still bounds guessing: after three wrong break-glass passphrases, even the
    // right one is refused until the lock ends.
    for (int i = 0; i < 3; ++i)
        (void)finish(m_engine->breakGlassRollback(kEnv, u"bob"_s, u"guess"_s));
    auto usedUp = finish(m_engine->breakGlassRollback(kEnv, u"bob"_s, u"pass-bob"_s));
    QVERIFY(!usedUp.first);
    QVERIFY2(usedUp.second.contains(u"refused until the lock-out ends"_s),
             qPrintable(usedUp.second));
    QCOMPARE(actionsOf(u"break_glass_rollback"_s), 1);
    // After the lock-out, bob signs in as usual.
    m_now = m_now.addSecs(61);
    QVERIFY(m_engine->signIn(u"bob"_s, u"pass-bob"_s).ok());
}

void TestCutoverEngine::rollbackVoidsOnlyTheStageGates() {
    open(*m_defaultPlan);
    healthy();
    passPreCutover();
    reachHoldingAt(10);
    advance(24 * 3600);
    passGate1();
    auto isSigned = [this](const QString &gate) {
        for (const auto &g : m_engine->snapshot(kEnv).gates) {
            if (g.id == gate)
                return g.isSigned();
        }
        return false;
    };
    QVERIFY(isSigned(u"pre_cutover"_s) && isSigned(u"gate_1"_s));
    engine::Operation *op = m_engine->rollback(kEnv, who(u"bob"_s), u"one collector"_s);
    QSignalSpy done(op, &engine::Operation::finished);
    QVERIFY(done.wait(5000));
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::RolledBack);
    // The stage's gate attested what no longer holds; the readiness checklist still holds.
    QVERIFY(!isSigned(u"gate_1"_s));
    QVERIFY(isSigned(u"pre_cutover"_s));
    const auto entries = m_store->auditEntries().value();
    const auto reset = std::find_if(entries.cbegin(), entries.cend(),
                                    [](const auto &e) { return e.action == u"gates_reset"_s; });
    QVERIFY(reset != entries.cend());
    const QJsonObject details = reset->detailsObject();
    QCOMPARE(details.value(u"scope"_s).toString(), u"stage_gates"_s);
    QCOMPARE(details.value(u"reset"_s).toArray(), QJsonArray{u"gate_1"_s});
    QCOMPARE(details.value(u"kept_signed"_s).toArray(), QJsonArray{u"pre_cutover"_s});
    // The next shift to 10% needs no re-ticked readiness checklist.
    const auto reasons = m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv);
    QVERIFY2(reasons.isEmpty(), qPrintable(reasons.join(u'\n')));
}

void TestCutoverEngine::rollbackResetAllVoidsEveryGate() {
    config::Plan plan = *m_defaultPlan;
    plan.rollback.reset = config::RollbackConfig::Reset::All;
    open(plan);
    healthy();
    passPreCutover();
    reachHoldingAt(10);
    engine::Operation *op = m_engine->rollback(kEnv, who(u"bob"_s), u"start over"_s);
    QSignalSpy done(op, &engine::Operation::finished);
    QVERIFY(done.wait(5000));
    for (const auto &g : m_engine->snapshot(kEnv).gates)
        QVERIFY2(!g.isSigned() || g.signatures.isEmpty(), qPrintable(g.id));
    QVERIFY(!m_engine->guards(engine::Action::Shift, who(u"alice"_s), kEnv).isEmpty());
}

void TestCutoverEngine::stepBackGoesThroughValidation() {
    open(lightPlan(*m_defaultPlan));
    healthy();
    reachHoldingAt(10);
    reachHoldingAt(25);
    auto stepBack = [this](int percent, const QString &reason) {
        engine::Operation *op =
            m_engine->stepBack(kEnv, who(u"alice"_s), u"pass-alice"_s, percent, reason);
        QSignalSpy done(op, &engine::Operation::finished);
        if (!done.wait(5000))
            return QStringList{u"(never finished)"_s};
        return done.first().first().toBool() ? QStringList() : op->refusals();
    };
    // Not an earlier stage, no reason, a role without `shift`: refused, nothing moves.
    QVERIFY(!stepBack(50, u"why not"_s).isEmpty());
    QVERIFY(stepBack(10, u"  "_s)
                .contains(u"a step back needs its reason (it is not an emergency: say why)"_s));
    QCOMPARE(m_engine->snapshot(kEnv).currentPercent, 25);

    QVERIFY(stepBack(10, u"OTel queue saturated at 25%"_s).isEmpty());
    auto s = m_engine->snapshot(kEnv);
    QCOMPARE(s.currentPercent, 10);
    QCOMPARE(s.phase, Phase::Stabilizing);
    // The same path as a shift: stabilization, then the measured split in 10%'s band.
    advance(m_engine->plan().stages.at(0).stabilization.ms() / 1000);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Validating);
    m_engine->recordSplitSample(kEnv, m_now, 0.25); // still the old split: outside 8-12%
    // The plan's failure policy: a rollback, verified on the (fake) load balancers.
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->snapshot(kEnv).phase, Phase::RolledBack, 5000);
    const QStringList actions = auditActions();
    QVERIFY(actions.contains(u"step_back_started"_s));
    QVERIFY(actions.indexOf(u"validation_failed"_s) > actions.indexOf(u"step_back_started"_s));
}

void TestCutoverEngine::tolerancePointsBandIsAbsolute() {
    config::Plan plan = lightPlan(*m_defaultPlan);
    plan.stages[0].tolerancePoints = 1.0; // 10% accepts 9..11%, where relative 0.2 took 8..12%
    open(plan);
    healthy();
    QVERIFY(shiftTo(10));
    auto s = m_engine->snapshot(kEnv);
    QCOMPARE(s.lowerBound, 0.09);
    QCOMPARE(s.upperBound, 0.11);
    advance(plan.stages.at(0).stabilization.ms() / 1000);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Validating);
    m_engine->recordSplitSample(kEnv, m_now, 0.115); // inside 8..12, outside 9..11
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->snapshot(kEnv).phase, Phase::RolledBack, 5000);
    const auto entries = m_store->auditEntries().value();
    const auto failed = std::find_if(entries.cbegin(), entries.cend(), [](const auto &e) {
        return e.action == u"validation_failed";
    });
    QVERIFY(failed != entries.cend());
    QVERIFY2(failed->details.contains(u"outside 9.0%..11.0%"_s), qPrintable(failed->details));

    // Inside the absolute band: passes.
    QVERIFY(shiftTo(10));
    advance(plan.stages.at(0).stabilization.ms() / 1000);
    m_engine->recordSplitSample(kEnv, m_now, 0.105);
    QCOMPARE(m_engine->snapshot(kEnv).phase, Phase::Holding);
    QCOMPARE(m_engine->snapshot(kEnv).currentPercent, 10);
}

void TestCutoverEngine::compareCheckJudgesTheGate() {
    config::Plan plan = *m_defaultPlan;
    config::Check parity;
    parity.id = u"latency_parity"_s;
    parity.title = u"Query performance within 5% of legacy"_s;
    parity.kind = config::Check::Kind::Compare;
    parity.compare.legacy = u"legacy_p95"_s;
    parity.compare.otel = u"otel_p95"_s;
    parity.compare.window = config::Duration::minutes(15);
    parity.compare.step = config::Duration::seconds(15);
    parity.compare.direction = config::CompareSpec::Direction::Increase;
    parity.compare.allowedIncrease = 1.05;
    parity.compare.minSamples = 50;
    for (config::Gate &gate : plan.gates) {
        if (gate.id == u"gate_1")
            gate.checks.append(parity);
    }
    open(plan);
    auto state = [this]() -> std::pair<engine::CheckStatus::State, QString> {
        for (const auto &g : m_engine->snapshot(kEnv).gates) {
            for (const auto &c : g.checks) {
                if (c.id == u"latency_parity")
                    return {c.state, c.detail};
            }
        }
        return {engine::CheckStatus::State::Open, u"(no such check)"_s};
    };
    QCOMPARE(state().first, engine::CheckStatus::State::Unknown); // not compared yet

    // 61 samples a side with the same noise: no change, a pass.
    const auto [legacy, same, slower] = paritySamples();
    m_engine->recordCompareSamples(kEnv, u"gate_1"_s, parity.id, m_now, legacy, same);
    QCOMPARE(state().first, engine::CheckStatus::State::Pass);

    // 15% slower than legacy, allowed 5%: fails, and says why with its numbers.
    m_engine->recordCompareSamples(kEnv, u"gate_1"_s, parity.id, m_now, legacy, slower);
    auto [failed, why] = state();
    QCOMPARE(failed, engine::CheckStatus::State::Fail);
    QVERIFY2(why.startsWith(u"high: "_s) && why.contains(u"15% higher"_s) &&
                 why.contains(u"ratio 1.150"_s) && why.contains(u"n 61/61"_s),
             qPrintable(why));
    QVERIFY(!m_engine->guards(engine::Action::Sign, who(u"alice"_s), kEnv, {u"gate_1"_s, {}, {}})
                 .isEmpty());

    // Too few points (Prometheus had nothing): never a pass.
    m_engine->recordCompareSamples(kEnv, u"gate_1"_s, parity.id, m_now, legacy.mid(0, 10),
                                   same.mid(0, 10));
    QCOMPARE(state().first, engine::CheckStatus::State::Unknown);
    QVERIFY2(state().second.startsWith(u"nodata: "_s), qPrintable(state().second));

    // A pass that nobody renewed for three steps goes stale: unknown again.
    m_engine->recordCompareSamples(kEnv, u"gate_1"_s, parity.id, m_now, legacy, same);
    QCOMPARE(state().first, engine::CheckStatus::State::Pass);
    advance(46);
    QCOMPARE(state().first, engine::CheckStatus::State::Unknown);
    QVERIFY2(state().second.startsWith(u"no comparison for 46s"_s), qPrintable(state().second));
}

// The engine's own refusals (beyond the guards, see test_cutover_guards) are typed too: a
// code with its arguments, and the rendered text beside it.
void TestCutoverEngine::refusalsAreTyped() {
    using engine::RefusalCode;
    open(lightPlan(*m_defaultPlan));
    healthy();
    const engine::Refusals unknown =
        m_engine->refusals(engine::Action::Shift, who(u"alice"_s), u"nowhere"_s);
    QCOMPARE(unknown.size(), 1);
    QCOMPARE(unknown.first().code, RefusalCode::UnknownEnvironment);
    QCOMPARE(unknown.first().arg("environment"), u"nowhere"_s);
    QCOMPARE(m_engine->guards(engine::Action::Shift, who(u"alice"_s), u"nowhere"_s),
             QStringList{u"no environment 'nowhere' in the plan"_s});

    // A shift confirmed with the wrong target: the code says what was typed and what is next.
    engine::Operation *shift = m_engine->shift(kEnv, who(u"alice"_s), u"pass-alice"_s, 50);
    engine::Refusals refused;
    connect(shift, &engine::Operation::finished, this,
            [&refused, shift] { refused = shift->refused(); });
    QSignalSpy shiftDone(shift, &engine::Operation::finished);
    QVERIFY(shiftDone.wait(5000));
    QVERIFY(!shiftDone.first().first().toBool());
    QVERIFY(engine::hasCode(refused, RefusalCode::ConfirmationMismatch));
    for (const engine::Refusal &r : refused) {
        if (r.code == RefusalCode::ConfirmationMismatch) {
            QCOMPARE(r.arg("typed"), u"50"_s);
            QCOMPARE(r.args.value(u"next"_s).toInt(), m_engine->snapshot(kEnv).nextPercent);
        }
    }
    // Audited with the codes.
    const auto audit = m_store->auditEntries(0).value();
    const auto shiftRefused = std::find_if(audit.crbegin(), audit.crend(), [](const auto &e) {
        return e.action == u"shift_refused"_s;
    });
    QVERIFY(shiftRefused != audit.crend());
    QVERIFY(shiftRefused->detailsObject()
                .value(u"codes"_s)
                .toArray()
                .contains(QJsonValue(u"confirmation_mismatch"_s)));

    // A step back with no reason.
    engine::Operation *back = m_engine->stepBack(kEnv, who(u"alice"_s), u"pass-alice"_s, 0, {});
    engine::Refusals backRefused;
    connect(back, &engine::Operation::finished, this,
            [&backRefused, back] { backRefused = back->refused(); });
    QSignalSpy backDone(back, &engine::Operation::finished);
    QVERIFY(backDone.wait(5000));
    QVERIFY(engine::hasCode(backRefused, RefusalCode::StepBackReasonMissing));

    // The war room: nobody signed in, someone who may not act, and nothing to acknowledge.
    const auto nobody = m_engine->acknowledgeWarRoom(engine::Operator{});
    QCOMPARE(nobody.refused.first().code, RefusalCode::NotSignedIn);
    QCOMPARE(nobody.refused.first().arg("action"), u"acknowledge_war_room"_s);
    QVERIFY(nobody.refusals.first().startsWith(u"(not signed in)"_s));
    const engine::Operator viewer{u"vic"_s, u"Vic Example"_s, {u"viewer"_s}};
    const auto cannot = m_engine->acknowledgeWarRoom(viewer);
    QVERIFY(engine::hasCode(cannot.refused, RefusalCode::MayNotAcknowledgeWarRoom));
    QVERIFY(engine::hasCode(cannot.refused, RefusalCode::NoWarRoomActive));
}

// A gate judged marginal by its compare checks (3 of 4 pass: 75, the plan's marginal bar) is
// signed only with an acknowledgement, and the acknowledgement needs a comment saying why.
void TestCutoverEngine::marginalScoreNeedsAnAcknowledgementAndWhy() {
    using engine::RefusalCode;
    config::Plan plan = lightPlan(*m_defaultPlan);
    config::Gate gate;
    gate.id = u"parity_gate"_s;
    gate.title = u"Parity"_s;
    gate.signOff = {u"release_manager"_s};
    for (const QString &id : {u"a"_s, u"b"_s, u"c"_s, u"d"_s}) {
        config::Check check;
        check.id = id;
        check.title = id;
        check.kind = config::Check::Kind::Compare;
        check.compare.legacy = u"legacy_"_s + id;
        check.compare.otel = u"otel_"_s + id;
        check.compare.window = config::Duration::minutes(15);
        check.compare.step = config::Duration::seconds(15);
        check.compare.direction = config::CompareSpec::Direction::Increase;
        check.compare.allowedIncrease = 1.05;
        check.compare.minSamples = 50;
        gate.checks.append(check);
    }
    plan.gates.append(gate);
    plan.preCutoverGate = gate.id; // signed before the first stage
    open(plan);
    healthy();
    const auto [legacy, same, slower] = paritySamples();
    for (const QString &id : {u"a"_s, u"b"_s, u"c"_s})
        m_engine->recordCompareSamples(kEnv, gate.id, id, m_now, legacy, same);
    m_engine->recordCompareSamples(kEnv, gate.id, u"d"_s, m_now, legacy, slower);
    const auto status = [&] {
        for (const engine::GateStatus &g : m_engine->snapshot(kEnv).gates)
            if (g.id == gate.id)
                return g;
        return engine::GateStatus();
    }();
    QVERIFY2(status.isMarginal(), qPrintable(status.score ? status.score->reason : u"no score"_s));

    const auto unacknowledged =
        m_engine->signOff(kEnv, gate.id, {}, who(u"alice"_s), u"pass-alice"_s, u"Approved"_s, {});
    QVERIFY(engine::hasCode(unacknowledged.refused, RefusalCode::MarginalNotAcknowledged));
    const auto noWhy = m_engine->signOff(kEnv, gate.id, {}, who(u"alice"_s), u"pass-alice"_s,
                                         u"Approved"_s, u"  "_s, true);
    QCOMPARE(noWhy.refused.size(), 1);
    QCOMPARE(noWhy.refused.first().code, RefusalCode::MarginalCommentMissing);
    const auto signedOff = m_engine->signOff(kEnv, gate.id, {}, who(u"alice"_s), u"pass-alice"_s,
                                             u"Approved"_s, u"d is a known slow path"_s, true);
    QVERIFY2(signedOff.ok, qPrintable(signedOff.message()));
}

QTEST_GUILESS_MAIN(TestCutoverEngine)
#include "test_cutover_engine.moc"
