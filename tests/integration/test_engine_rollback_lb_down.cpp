// A rollback at 10% with lb-b killed: the rollback is never refused for a backend that looks
// down; it runs on both LBs in parallel, lb-a is verified, lb-b is retried (connect errors)
// until the plan's bound and reported per LB, the operation finishes not OK, and the snapshot's
// rollbackProblems name lb-b. lb-b is always started again.

#include "tests/support/engine_test_support.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEngineRollbackLbDown : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rollbackWithOneLbDownReportsPerLb();
};

void TestEngineRollbackLbDown::rollbackWithOneLbDownReportsPerLb() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto plan = labPlanWithOperators(state, dir.path());
    QVERIFY(plan);
    LabControl lab(state, *plan);
    QVERIFY(lab.reset(this));
    bool killed = false;
    auto restore = qScopeGuard([&] {
        if (killed)
            lab.run({u"start"_s, u"lb-b"_s});
        lab.reset(this);
    });

    Console console;
    QVERIFY(console.open(*plan, dir.filePath(u"store.sqlite"_s)));
    QVERIFY(tickGate(console, plan->preCutoverGate));
    QVERIFY(signGate(console, plan->preCutoverGate));
    const OperationOutcome shifted = shiftTo(console, 10);
    QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));

    QVERIFY(lab.run({u"kill"_s, u"lb-b"_s}));
    killed = true;

    const auto bob = console.who(u"bob"_s);
    QVERIFY2(console.engine->guards(Action::Rollback, bob, kEnv).isEmpty(),
             qPrintable(console.engine->guards(Action::Rollback, bob, kEnv).join(u"; "_s)));
    QElapsedTimer clock;
    clock.start();
    const OperationOutcome rolledBack =
        awaitOperation(console.engine->rollback(kEnv, bob, u"integration test: lb-b down"_s),
                       int(plan->rollback.deadline.ms()) + 30'000);
    const qint64 elapsed = clock.elapsed();
    QVERIFY(rolledBack.finished);
    qInfo().noquote() << "rollback:" << rolledBack.summary << "in" << elapsed << "ms";
    QVERIFY(!rolledBack.ok);
    QVERIFY(rolledBack.refusals.isEmpty());
    QCOMPARE(rolledBack.results.size(), 2);
    const backends::LbApplyResult *a = nullptr;
    const backends::LbApplyResult *b = nullptr;
    for (const auto &r : rolledBack.results) {
        qInfo().noquote() << r.lb << (r.verified ? "verified" : "NOT verified") << "in"
                          << r.elapsedMs << "ms," << r.attempts << "attempt(s)"
                          << (r.error ? r.error->toString() : QString());
        if (r.lb == u"lb-a"_s)
            a = &r;
        if (r.lb == u"lb-b"_s)
            b = &r;
    }
    QVERIFY(a && b);
    QVERIFY(a->verified);
    QCOMPARE(a->readBack, lab.rollbackWeights().weights);
    QVERIFY(!b->verified);
    QVERIFY(b->error.has_value());
    QCOMPARE(b->error->kind, net::ErrorKind::Connect);
    QVERIFY2(b->attempts > 1, qPrintable(QString::number(b->attempts)));
    QVERIFY2(b->attempts <= plan->rollback.maxAttempts, qPrintable(QString::number(b->attempts)));
    QVERIFY2(b->elapsedMs <= plan->rollback.deadline.ms() + 500,
             qPrintable(QString::number(b->elapsedMs)));
    QVERIFY2(elapsed <= plan->rollback.deadline.ms() + 2'000, qPrintable(QString::number(elapsed)));

    const EnvironmentSnapshot s = console.snapshot();
    QVERIFY2(s.rollbackProblems.join(u'\n').contains(u"lb-b"_s), qPrintable(describe(s)));
    QVERIFY2(!s.rollbackProblems.join(u'\n').contains(u"lb-a"_s), qPrintable(describe(s)));
    QCOMPARE(s.phase, Phase::RolledBack);
    const QStringList actions = actionsOf(auditOf(*console.store));
    QVERIFY2(actions.contains(u"rollback_incomplete"_s), qPrintable(actions.join(u", "_s)));
    QVERIFY(!actions.contains(u"rollback_completed"_s));

    // lb-a already carries legacy 100 / OTel 0; lb-b comes back with its configuration's
    // weights, which are the same.
    QVERIFY(lab.run({u"start"_s, u"lb-b"_s}));
    killed = false;
    QVERIFY(lab.lbsHold(lab.rollbackWeights().weights, this));
}

QTEST_GUILESS_MAIN(TestEngineRollbackLbDown)
#include "test_engine_rollback_lb_down.moc"
