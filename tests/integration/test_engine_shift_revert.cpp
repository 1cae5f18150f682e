// The shift-failed -> revert path on the lab (issue 13, item 8). A shift that is not verified on
// every LB puts every LB back where it was, and the operation reports the revert's outcome per
// LB only once HAProxy read it back:
//   - lb-b refuses the weights (its backend is the lab's static-rr variant, which accepts only
//     0% and 100%): lb-a is reverted, both verified, audited as shift_reverted;
//   - lb-b is killed the moment the shift's commands are queued: the shift fails there, and so
//     does the revert, which is audited (verified false), alarmed and notified at L3.
// lb-b is always started again and the lab returned to legacy.

#include "tests/support/engine_test_support.h"

#include <QJsonArray>
#include <QScopeGuard>
#include <QTemporaryDir>

#include <csignal>

using namespace cutover;
using namespace enginetest;

namespace {

std::optional<store::AuditEntry> lastOf(const QList<store::AuditEntry> &entries,
                                        const QString &action) {
    for (auto it = entries.crbegin(); it != entries.crend(); ++it) {
        if (it->action == action)
            return *it;
    }
    return std::nullopt;
}

} // namespace

class TestEngineShiftRevert : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void lbRefusingTheWeightsIsRevertedEverywhere();
    void failedRevertIsAuditedAlarmedAndNotified();

private:
    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
};

void TestEngineShiftRevert::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
}

void TestEngineShiftRevert::lbRefusingTheWeightsIsRevertedEverywhere() {
    auto plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(plan);
    LabControl lab(m_state, *plan); // made before the change below: it drives telemetry_backend
    QVERIFY(lab.reset(this));
    // lb-b's backend: the same servers under balance static-rr (tests/lab/README.md).
    QCOMPARE(plan->loadBalancers.at(1).name, u"lb-b"_s);
    plan->loadBalancers[1].backend = u"static_rr_backend"_s;

    Console console;
    QVERIFY(console.open(*plan, m_dir.filePath(u"refusing.sqlite"_s)));
    QVERIFY(tickGate(console, plan->preCutoverGate));
    QVERIFY(signGate(console, plan->preCutoverGate));
    QSignalSpy alarms(console.engine.get(), &CutoverEngine::alarm);
    const OperationOutcome shifted = shiftTo(console, 10);
    QVERIFY(shifted.finished);
    QVERIFY(!shifted.ok);
    qInfo().noquote() << "shift:" << shifted.summary;
    QVERIFY2(shifted.summary.contains(u"shift to 10% failed"_s), qPrintable(shifted.summary));
    QVERIFY2(shifted.summary.contains(u"static LB algorithm"_s), qPrintable(shifted.summary));
    QVERIFY2(shifted.summary.contains(u"reverted to 0%: lb-a verified, lb-b verified"_s),
             qPrintable(shifted.summary));

    // When the operation said so, the revert was already recorded, after the failure.
    const auto entries = auditOf(*console.store);
    const auto failed = lastOf(entries, u"shift_failed"_s);
    const auto reverted = lastOf(entries, u"shift_reverted"_s);
    QVERIFY(failed && reverted);
    QVERIFY(failed->seq < reverted->seq);
    QCOMPARE(failed->detailsObject().value(u"failed"_s).toArray(), QJsonArray{u"lb-b"_s});
    QCOMPARE(reverted->detailsObject().value(u"verified"_s).toBool(), true);
    QCOMPARE(reverted->detailsObject().value(u"to_percent"_s).toInt(), 0);
    QVERIFY(!lastOf(entries, u"shift_revert_failed"_s));
    QVERIFY(alarms.size() >= 1);

    // lb-a, which had taken the 10% weights, holds legacy again (`lab` reads the backends the
    // plan had when it was made: both telemetry_backend).
    QVERIFY(lab.lbsHold(lab.rollbackWeights().weights, this));
    console.close();
    QVERIFY(lab.reset(this));
}

void TestEngineShiftRevert::failedRevertIsAuditedAlarmedAndNotified() {
    const auto plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(plan);
    LabControl lab(m_state, *plan);
    QVERIFY(lab.reset(this));
    bool killed = false;
    auto restore = qScopeGuard([&] {
        if (killed)
            lab.run({u"start"_s, u"lb-b"_s});
        lab.reset(this);
    });

    Console console;
    QVERIFY(console.open(*plan, m_dir.filePath(u"killed.sqlite"_s)));
    QVERIFY(tickGate(console, plan->preCutoverGate));
    QVERIFY(signGate(console, plan->preCutoverGate));
    QVERIFY(waitFor(
        console, [&] { return console.shiftGuards().isEmpty(); }, 90'000, u"shift allowed"_s,
        [&] { return console.shiftGuards(); }));

    // The state as it is now (a previous test may have restarted lb-b under another PID).
    const qint64 pid = lab::loadState().value(u"LAB_LB_B_PID"_s).toLongLong();
    QVERIFY(pid > 1);
    QSignalSpy alarms(console.engine.get(), &CutoverEngine::alarm);
    QSignalSpy notified(console.engine.get(), &CutoverEngine::notified);
    Operation *op =
        console.engine->shift(kEnv, console.who(u"alice"_s), passphraseOf(u"alice"_s), 10);
    // The commands are queued, not yet sent (that happens in the event loop): lb-b dies now.
    QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
    killed = true;
    const OperationOutcome shifted =
        awaitOperation(op, int(2 * plan->rollback.deadline.ms()) + 30'000);
    QVERIFY(shifted.finished);
    QVERIFY(!shifted.ok);
    qInfo().noquote() << "shift:" << shifted.summary;
    QVERIFY2(shifted.summary.contains(u"reverted to 0%: lb-a verified, lb-b NOT verified"_s),
             qPrintable(shifted.summary));

    const auto entries = auditOf(*console.store);
    const auto reverted = lastOf(entries, u"shift_reverted"_s);
    QVERIFY(reverted);
    QCOMPARE(reverted->detailsObject().value(u"verified"_s).toBool(), false);
    bool revertAlarm = false;
    for (const auto &args : alarms)
        revertAlarm |= args.at(2).toString().contains(u"revert to 0% NOT verified on lb-b"_s);
    QVERIFY(revertAlarm);
    bool pagedAtL3 = false;
    for (const auto &args : notified)
        pagedAtL3 |=
            args.at(0).toString() == u"shift_revert_failed"_s && args.at(2).toString() == u"L3"_s;
    QVERIFY(pagedAtL3);
    console.close();
}

QTEST_GUILESS_MAIN(TestEngineShiftRevert)
#include "test_engine_shift_revert.moc"
