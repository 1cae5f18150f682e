// Two consoles in one war room: two SqliteStore instances (two connections) on one file, two
// engines, one process.
// (a) both press Shift in the same event-loop turn: exactly one operation succeeds, the other
//     fails with "stage changed by …";
// (b) a tick and a sign-off made on console A show in console B's snapshot within 2 s.

#include "tests/support/engine_test_support.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEngineTwoConsoles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void ticksAndSignOffsPropagate();
    void racingShiftsExactlyOneWins();

private:
    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
};

void TestEngineTwoConsoles::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
}

void TestEngineTwoConsoles::ticksAndSignOffsPropagate() {
    const QString storePath = m_dir.filePath(u"propagate.sqlite"_s);
    Console a;
    Console b;
    QVERIFY(a.open(*m_plan, storePath));
    QVERIFY(b.open(*m_plan, storePath));
    const QString gate = m_plan->preCutoverGate;

    QElapsedTimer clock;
    const auto ticked = a.engine->tick(kEnv, gate, u"phase2_criteria"_s, a.who(u"alice"_s));
    QVERIFY2(ticked.ok, qPrintable(ticked.message()));
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(isTicked(b.snapshot(), gate, u"phase2_criteria"_s), 2000);
    const qint64 tickMs = clock.elapsed();
    qInfo() << "tick on A seen by B after" << tickMs << "ms";

    // The rest of the checklist, then the signature.
    for (const auto &check : m_plan->gate(gate)->checks) {
        if (check.kind != config::Check::Kind::Manual || check.id == u"phase2_criteria"_s)
            continue; // Prometheus confirms the automatic ones
        const QString who = check.role == u"on_call"_s ? u"bob"_s : u"alice"_s;
        QVERIFY(a.engine->tick(kEnv, gate, check.id, a.who(who)).ok);
    }
    QVERIFY(signGate(a, gate)); // once its automatic items have passed on A
    clock.restart();
    QTRY_VERIFY_WITH_TIMEOUT(isSignedBy(b.snapshot(), gate, u"alice"_s), 2000);
    const qint64 signMs = clock.elapsed();
    qInfo() << "sign-off on A seen by B after" << signMs << "ms";
}

void TestEngineTwoConsoles::racingShiftsExactlyOneWins() {
    QVERIFY(m_lab->reset(this));
    auto restore = qScopeGuard([&] { m_lab->reset(this); });
    const QString storePath = m_dir.filePath(u"race.sqlite"_s);
    Console a;
    Console b;
    QVERIFY(a.open(*m_plan, storePath));
    QVERIFY(b.open(*m_plan, storePath));
    QVERIFY(tickGate(a, m_plan->preCutoverGate));
    QVERIFY(signGate(a, m_plan->preCutoverGate));
    QVERIFY(waitFor(
        a, [&] { return a.shiftGuards().isEmpty(); }, 30'000, u"A may shift"_s,
        [&] { return a.shiftGuards(); }));
    QVERIFY(waitFor(
        b, [&] { return b.shiftGuards().isEmpty(); }, 30'000, u"B may shift"_s,
        [&] { return b.shiftGuards(); }));

    // Both in the same turn of the event loop: neither has seen the other's write.
    QPointer<Operation> opA =
        a.engine->shift(kEnv, a.who(u"alice"_s), passphraseOf(u"alice"_s), 10);
    QPointer<Operation> opB =
        b.engine->shift(kEnv, b.who(u"alice"_s), passphraseOf(u"alice"_s), 10);
    QVERIFY(opA && opB);
    const QList<OperationOutcome> outcomes = awaitAll({opA, opB});
    QVERIFY(outcomes[0].finished && outcomes[1].finished);
    qInfo().noquote() << "A:" << outcomes[0].ok << outcomes[0].summary;
    qInfo().noquote() << "B:" << outcomes[1].ok << outcomes[1].summary;
    QVERIFY2(outcomes[0].ok != outcomes[1].ok, "exactly one shift must succeed");
    const OperationOutcome &loser = outcomes[0].ok ? outcomes[1] : outcomes[0];
    QVERIFY2(loser.summary.contains(u"stage changed by"_s), qPrintable(loser.summary));
    QVERIFY2(loser.summary.contains(u"alice"_s), qPrintable(loser.summary));

    auto entries = auditOf(*a.store);
    QCOMPARE(actionsOf(entries).count(u"shift_started"_s), 1);
    // Both consoles agree on the stage, and it is carried through validation.
    QVERIFY(waitForPhase(a, {Phase::Holding, Phase::RolledBack}, 60'000));
    QTRY_COMPARE_WITH_TIMEOUT(b.snapshot().phase, Phase::Holding, 5'000);
    QCOMPARE(a.snapshot().state.version, b.snapshot().state.version);
    QVERIFY(m_lab->lbsHold(m_lab->weightsFor(10).weights, this));
    entries = auditOf(*a.store);
    QCOMPARE(actionsOf(entries).count(u"validation_passed"_s), 1);
    auto verification = a.store->verifyAuditChain();
    QVERIFY(verification && verification.value().ok);
}

QTEST_GUILESS_MAIN(TestEngineTwoConsoles)
#include "test_engine_two_consoles.moc"
