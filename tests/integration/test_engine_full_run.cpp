// The whole cutover on the real lab with the lab plan's short durations: the pre-cutover
// checklist ticked and signed, then 10 → 25 → 50 → 100%, every gate ticked by the role it names
// and signed by the roles it needs (Gate 4: release manager AND executive), every hold and
// automatic check waited for through the engine's own guards; each stage applied on both LBs
// and validated from Prometheus within its band; Complete at 100%; the audit chain verifies.

#include "tests/support/engine_test_support.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEngineFullRun : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fullRun();
};

void TestEngineFullRun::fullRun() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto plan = labPlanWithOperators(state, dir.path());
    QVERIFY(plan);
    LabControl lab(state, *plan);
    QVERIFY(lab.reset(this));
    auto restore = qScopeGuard([&] { lab.reset(this); });

    QElapsedTimer clock;
    clock.start();
    Console console;
    QVERIFY(console.open(*plan, dir.filePath(u"store.sqlite"_s)));

    QVERIFY(tickGate(console, plan->preCutoverGate));
    QVERIFY(signGate(console, plan->preCutoverGate));

    for (int i = 0; i < plan->stages.size(); ++i) {
        const config::Stage &stage = plan->stages.at(i);
        const bool last = i == plan->stages.size() - 1;
        QElapsedTimer stageClock;
        stageClock.start();
        const OperationOutcome shifted = shiftTo(console, stage.percent);
        QVERIFY2(shifted.finished, qPrintable(u"shift to %1% did not finish"_s.arg(stage.percent)));
        QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));
        qInfo().noquote() << shifted.summary;
        for (const auto &lb : shifted.results)
            QVERIFY2(lb.verified, qPrintable(lb.lb));
        QVERIFY(lab.lbsHold(lab.weightsFor(stage.percent).weights, this));

        // Stabilization, then the rate window plus a scrape, then the verdict.
        const int validationBound =
            int(stage.stabilization.ms() + plan->validation.rateWindow.ms() +
                plan->validation.scrapeInterval.ms()) +
            60'000;
        QVERIFY(waitForPhase(
            console, {Phase::Holding, Phase::Complete, Phase::RolledBack, Phase::RollingBack},
            validationBound));
        const EnvironmentSnapshot s = console.snapshot();
        QVERIFY2(s.phase == (last ? Phase::Complete : Phase::Holding), qPrintable(describe(s)));
        QVERIFY2(!s.validationFailed, qPrintable(describe(s)));
        QVERIFY2(s.lastValidation.startsWith(u"passed"_s), qPrintable(describe(s)));
        QCOMPARE(s.currentPercent, stage.percent);
        qInfo().noquote() << stage.percent << "% validation" << s.lastValidation << "after"
                          << stageClock.elapsed() << "ms";

        if (last)
            break;
        for (const QString &gate : stage.gates)
            QVERIFY2(tickGate(console, gate), qPrintable(gate));
        for (const QString &gate : stage.gates)
            QVERIFY2(signGate(console, gate, 90'000), qPrintable(gate));
    }

    const EnvironmentSnapshot end = console.snapshot();
    QCOMPARE(end.phase, Phase::Complete);
    QCOMPARE(end.currentPercent, 100);
    QCOMPARE(end.nextPercent, -1);
    QVERIFY(lab.lbsHold(lab.weightsFor(100).weights, this));
    qInfo() << "full run: 0 -> 100% in" << clock.elapsed() << "ms";

    auto verification = console.store->verifyAuditChain();
    QVERIFY(verification);
    QVERIFY2(verification.value().ok, qPrintable(verification.value().toString()));
    qInfo().noquote() << verification.value().toString();

    const auto entries = auditOf(*console.store);
    for (const config::Stage &stage : plan->stages) {
        int started = 0, applied = 0, passed = 0;
        for (const auto &e : entries) {
            const QJsonObject d = e.detailsObject();
            if (e.action == u"shift_started"_s && d.value(u"to_percent"_s).toInt() == stage.percent)
                ++started;
            if (e.action == u"shift_applied"_s && d.value(u"percent"_s).toInt() == stage.percent)
                ++applied;
            if (e.action == u"validation_passed"_s &&
                d.value(u"percent"_s).toInt() == stage.percent) {
                ++passed;
                const double share = d.value(u"measured_share"_s).toDouble(-1);
                QVERIFY2(share >= stage.lowerBound() && share <= stage.upperBound(),
                         qPrintable(u"%1% measured %2"_s.arg(stage.percent).arg(share)));
                QCOMPARE(e.actor, u"engine"_s);
            }
        }
        QVERIFY2(started == 1 && applied == 1 && passed == 1,
                 qPrintable(u"%1%: shift_started %2, shift_applied %3, validation_passed %4"_s
                                .arg(stage.percent)
                                .arg(started)
                                .arg(applied)
                                .arg(passed)));
    }
    const QStringList actions = actionsOf(entries);
    QVERIFY(!actions.contains(u"validation_failed"_s));
    QVERIFY(!actions.contains(u"rollback_started"_s));
    QVERIFY(actions.contains(u"plan_loaded"_s));
    QCOMPARE(actions.count(u"gate_signed"_s), 1 + 1 + 1 + 1 + 2); // pre, g1, g2, g3, g4 ×2
}

QTEST_GUILESS_MAIN(TestEngineFullRun)
#include "test_engine_full_run.moc"
