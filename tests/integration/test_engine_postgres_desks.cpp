// Several desks in one war room on the shared PostgreSQL store (issue 7, item 4), each desk a
// console (PostgresStore + its LISTEN/NOTIFY watcher + engine) on the `postgres` fixture's server
// and the lab:
// - a tick and a sign-off made at desk A show in desk B's engine within one second (measured);
// - three desks press Shift in the same turn: exactly one shift runs, the two others fail with
//   who changed the stage and when; the one shift is carried through validation and every desk
//   agrees on the result;
// - PostgreSQL restarted mid-session: both desks report the store down, both reconnect on their
//   own, and a change made at one desk after the restart reaches the other through the
//   re-established LISTEN within one second.

#include "tests/support/postgres_test_support.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

namespace {

constexpr int kPropagationLimitMs = 1000; // the "within one second"

// How long until `seen` holds, from now; -1 when not within `limitMs` (waits at most 5 × limit so
// a slow machine prints a figure instead of only failing).
qint64 msUntil(const std::function<bool()> &seen, int limitMs) {
    QElapsedTimer clock;
    clock.start();
    if (!QTest::qWaitFor(seen, 5 * limitMs))
        return -1;
    return clock.elapsed();
}

} // namespace

class TestEnginePostgresDesks : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void tickAndSignOffReachTheOtherDeskWithinOneSecond();
    void threeDesksRaceToShiftExactlyOneWins();
    void serverRestartBothDesksReconnect();

private:
    store::PostgresStore *openDesk(Console &desk, const QString &schema) {
        return pg::openConsole(desk, *m_plan, pg::options(schema, {}));
    }

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
};

void TestEnginePostgresDesks::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    REQUIRE_POSTGRES();
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
}

void TestEnginePostgresDesks::tickAndSignOffReachTheOtherDeskWithinOneSecond() {
    const QString schema = u"engine_pg_desks_propagate"_s;
    QVERIFY(pg::freshSchema(schema));
    Console a;
    Console b;
    QVERIFY(openDesk(a, schema));
    QVERIFY(openDesk(b, schema));
    const QString gate = m_plan->preCutoverGate;

    QList<qint64> tickMs;
    for (const auto &check : m_plan->gate(gate)->checks) {
        if (check.kind != config::Check::Kind::Manual)
            continue;
        const QString who = personWithRole(check.role);
        const auto ticked = a.engine->tick(kEnv, gate, check.id, a.who(who));
        QVERIFY2(ticked.ok, qPrintable(ticked.message()));
        const qint64 ms =
            msUntil([&] { return isTicked(b.snapshot(), gate, check.id); }, kPropagationLimitMs);
        QVERIFY2(ms >= 0, qPrintable(u"tick %1 never reached desk B"_s.arg(check.id)));
        tickMs.append(ms);
    }
    QVERIFY(!tickMs.isEmpty());
    std::sort(tickMs.begin(), tickMs.end());
    qInfo().noquote() << u"tick A → B: %1 ticks, median %2 ms, max %3 ms"_s.arg(tickMs.size())
                             .arg(tickMs.at(tickMs.size() / 2))
                             .arg(tickMs.constLast());
    QVERIFY2(tickMs.constLast() <= kPropagationLimitMs, "a tick took longer than one second");

    const QString role = m_plan->gate(gate)->signOff.value(0);
    const QString signer = personWithRole(role);
    const cutover::engine::GuardTarget target{gate, {}, role};
    QVERIFY(waitFor(
        a, [&] { return a.engine->guards(Action::Sign, a.who(signer), kEnv, target).isEmpty(); },
        60'000, u"sign-off allowed"_s,
        [&] { return a.engine->guards(Action::Sign, a.who(signer), kEnv, target); }));
    const auto signedOff =
        a.engine->signOff(kEnv, gate, role, a.who(signer), passphraseOf(signer), u"Approved"_s, {});
    QVERIFY2(signedOff.ok, qPrintable(signedOff.message()));
    const qint64 signMs =
        msUntil([&] { return isSignedBy(b.snapshot(), gate, signer); }, kPropagationLimitMs);
    qInfo() << "sign-off A → B:" << signMs << "ms";
    QVERIFY2(signMs >= 0 && signMs <= kPropagationLimitMs,
             "the sign-off did not reach desk B within one second");
}

void TestEnginePostgresDesks::threeDesksRaceToShiftExactlyOneWins() {
    const QString schema = u"engine_pg_desks_race"_s;
    QVERIFY(pg::freshSchema(schema));
    QVERIFY(m_lab->reset(this));
    auto restore = qScopeGuard([&] { m_lab->reset(this); });
    Console desks[3];
    for (Console &desk : desks)
        QVERIFY(openDesk(desk, schema));
    QVERIFY(tickGate(desks[0], m_plan->preCutoverGate));
    QVERIFY(signGate(desks[0], m_plan->preCutoverGate));
    for (Console &desk : desks)
        QVERIFY(waitFor(
            desk, [&] { return desk.shiftGuards().isEmpty(); }, 90'000, u"desk may shift"_s,
            [&] { return desk.shiftGuards(); }));

    // All three in the same turn of the event loop: no desk has heard of another's write.
    QList<QPointer<Operation>> operations;
    for (Console &desk : desks)
        operations.append(
            desk.engine->shift(kEnv, desk.who(u"alice"_s), passphraseOf(u"alice"_s), 10));
    const QList<OperationOutcome> outcomes = awaitAll(operations);
    int winners = 0;
    for (int i = 0; i < outcomes.size(); ++i) {
        const OperationOutcome &o = outcomes.at(i);
        qInfo().noquote() << "desk" << i << (o.ok ? "won:" : "lost:") << o.summary;
        QVERIFY2(o.finished, "a shift never finished");
        if (o.ok) {
            ++winners;
            continue;
        }
        // Who and when: "stage changed by alice at <time>".
        const QString text = o.summary + u' ' + o.refusals.join(u"; "_s);
        QVERIFY2(text.contains(u"stage changed by alice at "_s), qPrintable(text));
        static const QRegularExpression time(u"\\d{1,2}:\\d{2}"_s);
        QVERIFY2(time.match(text).hasMatch(), qPrintable(text));
    }
    QCOMPARE(winners, 1);

    // The one shift is validated, and every desk agrees on where the stage is.
    QVERIFY(waitForPhase(desks[0], {Phase::Holding, Phase::RolledBack}, 90'000));
    for (Console &desk : desks)
        QTRY_COMPARE_WITH_TIMEOUT(desk.snapshot().phase, Phase::Holding, 5'000);
    QCOMPARE(desks[1].snapshot().state.version, desks[0].snapshot().state.version);
    QCOMPARE(desks[2].snapshot().state.version, desks[0].snapshot().state.version);
    QVERIFY(m_lab->lbsHold(m_lab->weightsFor(10).weights, this));
    const QStringList actions = actionsOf(auditOf(*desks[0].store));
    QCOMPARE(actions.count(u"shift_started"_s), 1);
    QCOMPARE(actions.count(u"validation_passed"_s), 1);
    const auto verification = desks[2].store->verifyAuditChain();
    QVERIFY(verification);
    QVERIFY2(verification.value().ok, qPrintable(verification.value().toString()));
}

void TestEnginePostgresDesks::serverRestartBothDesksReconnect() {
    const QString schema = u"engine_pg_desks_restart"_s;
    QVERIFY(pg::freshSchema(schema));
    Console a;
    Console b;
    QVERIFY(openDesk(a, schema));
    QVERIFY(openDesk(b, schema));
    QTRY_VERIFY_WITH_TIMEOUT(pg::storeOk(a.snapshot()) && pg::storeOk(b.snapshot()), 10'000);

    bool stopped = false;
    auto restart = qScopeGuard([&] {
        if (stopped)
            (void)pg::script(u"start"_s);
    });
    QVERIFY(pg::script(u"stop"_s));
    stopped = true;
    QElapsedTimer clock;
    clock.start();
    QVERIFY2(
        QTest::qWaitFor([&] { return pg::storeDown(a.snapshot()) && pg::storeDown(b.snapshot()); },
                        15'000),
        qPrintable(describe(a.snapshot()) + u" / "_s + describe(b.snapshot())));
    qInfo() << "both desks report the store down" << clock.elapsed() << "ms after it stopped";
    // What the header shows: the store is named as a reason, and Shift is refused for it.
    const QString reasons = a.shiftGuards().join(u"; "_s);
    QVERIFY2(reasons.contains(u"store"_s), qPrintable(reasons));

    QVERIFY(pg::script(u"start"_s));
    stopped = false;
    clock.restart();
    QVERIFY2(QTest::qWaitFor([&] { return pg::storeOk(a.snapshot()) && pg::storeOk(b.snapshot()); },
                             30'000),
             qPrintable(describe(a.snapshot()) + u" / "_s + describe(b.snapshot())));
    qInfo() << "both desks reconnected" << clock.elapsed() << "ms after the server started";

    // Both feeds listen again: a change at either desk reaches the other within one second.
    const QString gate = m_plan->preCutoverGate;
    QList<const config::Check *> manual;
    for (const auto &check : m_plan->gate(gate)->checks)
        if (check.kind == config::Check::Kind::Manual)
            manual.append(&check);
    QVERIFY(manual.size() >= 2);
    const auto byA =
        a.engine->tick(kEnv, gate, manual.at(0)->id, a.who(personWithRole(manual.at(0)->role)));
    QVERIFY2(byA.ok, qPrintable(byA.message()));
    const qint64 toB = msUntil([&] { return isTicked(b.snapshot(), gate, manual.at(0)->id); },
                               kPropagationLimitMs);
    const auto byB =
        b.engine->tick(kEnv, gate, manual.at(1)->id, b.who(personWithRole(manual.at(1)->role)));
    QVERIFY2(byB.ok, qPrintable(byB.message()));
    const qint64 toA = msUntil([&] { return isTicked(a.snapshot(), gate, manual.at(1)->id); },
                               kPropagationLimitMs);
    qInfo() << "after the restart: tick A → B" << toB << "ms, B → A" << toA << "ms";
    QVERIFY2(toB >= 0 && toB <= kPropagationLimitMs, "desk B does not hear desk A any more");
    QVERIFY2(toA >= 0 && toA <= kPropagationLimitMs, "desk A does not hear desk B any more");
}

QTEST_GUILESS_MAIN(TestEnginePostgresDesks)
#include "test_engine_postgres_desks.moc"
