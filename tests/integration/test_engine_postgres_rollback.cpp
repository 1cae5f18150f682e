// PostgreSQL stopped during a rollback (issue 7, item 4): a console on the shared store (the
// `postgres` fixture's server, a schema of its own) shifts the lab to 10%; the server is stopped;
// Rollback still runs against both load balancers and is verified by reading the weights back;
// Shift and sign-off are refused with the store as the reason; the server is started again (the
// same data, the same port); the watcher recovers, the local audit journal is replayed, the
// rollback's entries are in PostgreSQL in order and the chain verifies, also through the real
// binary's `--verify-audit` and `--export-audit` on a plan whose store is that server (which
// refuse with exit 2 while it is stopped, and never create a store in an empty schema).
// Then the server's address turns into a black hole (a listener whose accept queue is full, so
// connection attempts hang until connect_timeout, as over a cut network): the event loop must
// keep running (largest gap measured) while the change feed's thread waits on it, a rollback
// runs and a tick is refused at once. And a console started while the server is down (a new
// schema: never migrated) opens anyway: stage unknown, sign-in recorded in the journal with the
// lock-out counted in memory, Rollback verified on both LBs; when the server starts, the schema
// is created, the journal and the rolled-back state are written, and the chain verifies.
// PostgreSQL is always started again and the lab reset.

#include "app/store/schema.h"
#include "tests/support/postgres_test_support.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

namespace {

// The test's own schema: the store's suites drop and recreate `public` in the same database.
const QString kSchema = u"engine_pg_rollback"_s;

void showRun(const char *what, const ProcessRun &run) {
    qInfo().noquote() << what << "exit" << run.exitCode << "| stdout:" << run.out.trimmed()
                      << "| stderr:" << run.err.trimmed();
}

// A listener on `port` that never accepts, its accept queue filled: further connection attempts
// get no answer at all (the kernel drops their SYN), like a host behind a cut link.
struct BlackHole {
    QTcpServer server;
    std::vector<std::unique_ptr<QTcpSocket>> queued;

    bool open(quint16 port) {
        server.setListenBacklogSize(0);
        if (!server.listen(QHostAddress::LocalHost, port)) {
            qWarning() << "black hole:" << server.errorString();
            return false;
        }
        server.pauseAccepting();
        for (int i = 0; i < 8; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            QSignalSpy connected(socket.get(), &QTcpSocket::connected);
            socket->connectToHost(QHostAddress::LocalHost, port);
            const bool answered = connected.wait(500);
            queued.push_back(std::move(socket));
            if (!answered)
                return true; // the queue is full: this attempt hangs
        }
        qWarning() << "black hole: the accept queue never filled";
        return false;
    }
    void close() {
        for (auto &socket : queued)
            socket->abort();
        queued.clear();
        server.close();
    }
    ~BlackHole() { close(); }
};

} // namespace

class TestEnginePostgresRollback : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void rollbackWhileServerStoppedReplaysJournal();
    void unansweringServerNeverStallsTheEventLoop();
    void consoleStartsWhileServerIsDown();

private:
    // Each test's own local journal: entries left by one test must not replay into another's
    // schema.
    QString journalPath() const {
        return m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) +
                              u"/audit-journal.sqlite"_s);
    }

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
    bool m_stopped = false; // a test stopped PostgreSQL: cleanup() starts it again
};

void TestEnginePostgresRollback::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    REQUIRE_POSTGRES();
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
}

void TestEnginePostgresRollback::init() {
    QVERIFY(m_lab->reset(this));
}

void TestEnginePostgresRollback::cleanup() {
    if (m_stopped && pg::script(u"start"_s))
        m_stopped = false;
    m_lab->reset(this);
}

void TestEnginePostgresRollback::rollbackWhileServerStoppedReplaysJournal() {
    QVERIFY(pg::freshSchema(kSchema));

    Console console;
    const QString journal = journalPath();
    store::PostgresStore *pgStore =
        pg::openConsole(console, *m_plan, pg::options(kSchema, journal));
    QVERIFY(pgStore);
    QVERIFY(pgStore->description().startsWith(u"postgresql"_s));
    const auto alice = console.who(u"alice"_s);
    const auto bob = console.who(u"bob"_s);

    QVERIFY(tickGate(console, m_plan->preCutoverGate));
    QVERIFY(signGate(console, m_plan->preCutoverGate));
    QVERIFY2(
        QTest::qWaitFor(
            [&] { return console.engine->guards(Action::Shift, alice, kEnv).isEmpty(); }, 90'000),
        qPrintable(console.engine->guards(Action::Shift, alice, kEnv).join(u"; "_s)));
    const OperationOutcome shifted =
        awaitOperation(console.engine->shift(kEnv, alice, passphraseOf(u"alice"_s), 10));
    QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));
    QVERIFY(m_lab->lbsHold(m_lab->weightsFor(10).weights, this));
    const qint64 seqBefore = console.store->lastChangeId().value();

    // The server goes away.
    QVERIFY(pg::script(u"stop"_s));
    m_stopped = true;
    QVERIFY2(QTest::qWaitFor([&] { return pg::storeDown(console.engine->snapshot(kEnv)); }, 10'000),
             qPrintable(describe(console.engine->snapshot(kEnv))));

    // Rollback is never refused for the store; it runs on both LBs.
    QVERIFY2(console.engine->guards(Action::Rollback, bob, kEnv).isEmpty(),
             qPrintable(console.engine->guards(Action::Rollback, bob, kEnv).join(u"; "_s)));
    const OperationOutcome rolledBack =
        awaitOperation(console.engine->rollback(kEnv, bob, u"integration test: store down"_s),
                       int(m_plan->rollback.deadline.ms()) + 30'000);
    QVERIFY(rolledBack.finished);
    qInfo().noquote() << "rollback with the store down:" << rolledBack.summary << "in"
                      << rolledBack.elapsedMs << "ms";
    QVERIFY2(rolledBack.ok, qPrintable(rolledBack.summary));
    QCOMPARE(rolledBack.results.size(), 2);
    for (const auto &r : rolledBack.results) {
        QVERIFY2(r.verified, qPrintable(r.lb));
        QCOMPARE(r.readBack, m_lab->rollbackWeights().weights);
    }
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    QVERIFY2(pgStore->journalPending() >= 2,
             qPrintable(QString::number(pgStore->journalPending())));

    // The command line cannot verify a store it cannot reach: exit 2, the server named, the
    // password never shown.
    const QString sharedPlan = pg::writeSharedPlan(m_dir.path(), kSchema);
    QVERIFY(!sharedPlan.isEmpty());
    const ProcessRun unreachable = runConsole({u"--plan"_s, sharedPlan, u"--verify-audit"_s});
    showRun("--verify-audit with the server stopped:", unreachable);
    QVERIFY(!unreachable.timedOut && !unreachable.crashed);
    QCOMPARE(unreachable.exitCode, 2);
    QVERIFY2(unreachable.err.contains(u"postgresql://"_s), qPrintable(unreachable.err));
    QVERIFY(!unreachable.err.contains(pg::state().value(u"PGPASSWORD"_s)));

    // Shift and sign-off are refused, with the store as the reason.
    const QString shiftReasons = console.engine->guards(Action::Shift, alice, kEnv).join(u"; "_s);
    QVERIFY2(shiftReasons.contains(u"store"_s), qPrintable(shiftReasons));
    const OperationOutcome refusedShift =
        awaitOperation(console.engine->shift(kEnv, alice, passphraseOf(u"alice"_s), 10));
    QVERIFY(refusedShift.finished);
    QVERIFY(!refusedShift.ok);
    QVERIFY2(refusedShift.refusals.join(u"; "_s).contains(u"store"_s),
             qPrintable(refusedShift.summary + u' ' + refusedShift.refusals.join(u"; "_s)));
    const QString role = m_plan->gate(m_plan->preCutoverGate)->signOff.value(0);
    const auto signer = console.who(personWithRole(role));
    const auto refusedSign =
        console.engine->signOff(kEnv, m_plan->preCutoverGate, role, signer,
                                passphraseOf(signer.name), u"Approved"_s, u"store down"_s);
    QVERIFY(!refusedSign.ok);
    QVERIFY2(refusedSign.message().contains(u"store"_s), qPrintable(refusedSign.message()));

    // The server comes back: the watcher recovers and the journal is replayed.
    QVERIFY(pg::script(u"start"_s));
    m_stopped = false;
    QElapsedTimer recovery;
    recovery.start();
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     return !pg::storeDown(console.engine->snapshot(kEnv)) &&
                            pgStore->journalPending() == 0;
                 },
                 30'000),
             qPrintable(u"pending %1; %2"_s.arg(pgStore->journalPending())
                            .arg(describe(console.engine->snapshot(kEnv)))));
    qInfo() << "store recovered and journal replayed" << recovery.elapsed()
            << "ms after the server started";

    // In PostgreSQL, read on a fresh connection: the rollback's entries, in order.
    auto reader = store::PostgresStore::open(pg::options(kSchema, {}));
    QVERIFY2(reader, qPrintable(reader ? QString() : reader.error().toString()));
    auto entries = reader.value()->auditEntries(seqBefore);
    QVERIFY(entries);
    const QStringList actions = actionsOf(entries.value());
    const qsizetype started = actions.indexOf(u"rollback_started"_s);
    const qsizetype completed = actions.indexOf(u"rollback_completed"_s);
    QVERIFY2(started >= 0 && completed > started, qPrintable(actions.join(u", "_s)));
    for (const qsizetype i : {started, completed}) {
        const auto details = entries.value().at(i).detailsObject();
        QVERIFY2(details.contains(u"journal"_s), qPrintable(entries.value().at(i).details));
    }
    // The shared stage state says what the LBs hold.
    const auto shared = reader.value()->stageState(kEnv);
    QVERIFY(shared && shared.value());
    QCOMPARE(shared.value()->phase, engine::phaseName(Phase::RolledBack));
    const auto verified = reader.value()->verifyAuditChain();
    QVERIFY(verified);
    QVERIFY2(verified.value().ok, qPrintable(verified.value().toString()));
    qInfo().noquote() << "chain:" << verified.value().toString();

    // The operator's check, through the real binary on the plan's shared store.
    const ProcessRun verifiedByCli = runConsole({u"--plan"_s, sharedPlan, u"--verify-audit"_s});
    showRun("--verify-audit:", verifiedByCli);
    QVERIFY(!verifiedByCli.timedOut && !verifiedByCli.crashed);
    QCOMPARE(verifiedByCli.exitCode, 0);
    QVERIFY2(verifiedByCli.out.startsWith(verified.value().toString()),
             qPrintable(verifiedByCli.out));
    const QString csv = m_dir.filePath(u"audit.csv"_s);
    const ProcessRun exported = runConsole({u"--plan"_s, sharedPlan, u"--export-audit"_s, csv});
    showRun("--export-audit:", exported);
    QCOMPARE(exported.exitCode, 0);
    const qint64 count = reader.value()->lastChangeId().value();
    QVERIFY2(exported.out.contains(u"exported %1 entries"_s.arg(count)), qPrintable(exported.out));

    // A schema without a store: refused (exit 2), and nothing is created there.
    const QString empty = kSchema + u"_empty"_s;
    QVERIFY(pg::rawSql(u"DROP SCHEMA IF EXISTS %1 CASCADE; CREATE SCHEMA %1"_s.arg(empty)));
    const QString emptyPlan = pg::writeSharedPlan(m_dir.path(), empty);
    QVERIFY(!emptyPlan.isEmpty());
    const ProcessRun nothing = runConsole({u"--plan"_s, emptyPlan, u"--verify-audit"_s});
    showRun("--verify-audit on an empty schema:", nothing);
    QCOMPARE(nothing.exitCode, 2);
    QVERIFY2(nothing.err.contains(u"no cutover store"_s), qPrintable(nothing.err));
    QVERIFY(pg::rawSql(u"DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.tables WHERE "
                       u"table_schema = '%1') THEN RAISE EXCEPTION 'tables were created'; END IF; "
                       u"END $$"_s.arg(empty)));
    QVERIFY(pg::rawSql(u"DROP SCHEMA %1 CASCADE"_s.arg(empty)));
}

void TestEnginePostgresRollback::unansweringServerNeverStallsTheEventLoop() {
    const QString schema = u"engine_pg_black_hole"_s;
    QVERIFY(pg::freshSchema(schema));
    BlackHole hole;

    Console console;
    const QString journal = journalPath();
    store::PostgresStore *pgStore = pg::openConsole(console, *m_plan, pg::options(schema, journal));
    QVERIFY(pgStore);
    QTRY_VERIFY_WITH_TIMEOUT(pg::storeOk(console.snapshot()), 10'000);

    // The event loop's largest gap from here on: a 10 ms timer that notes how late it runs.
    QElapsedTimer sinceLastTick;
    sinceLastTick.start();
    qint64 largestGapMs = 0;
    QTimer meter;
    meter.setInterval(10);
    connect(&meter, &QTimer::timeout, this,
            [&] { largestGapMs = std::max(largestGapMs, sinceLastTick.restart()); });
    meter.start();

    const quint16 port = quint16(pg::state().value(u"PGPORT"_s).toUInt());
    QVERIFY(pg::script(u"stop"_s));
    m_stopped = true;
    QVERIFY(hole.open(port));
    sinceLastTick.restart();
    largestGapMs = 0; // from the moment the address answers nothing
    QVERIFY2(QTest::qWaitFor([&] { return pg::storeDown(console.snapshot()); }, 10'000),
             qPrintable(describe(console.snapshot())));

    // A tick is refused at once, the store named.
    const QString gate = m_plan->preCutoverGate;
    const config::Check *manual = nullptr;
    for (const auto &check : m_plan->gate(gate)->checks)
        if (check.kind == config::Check::Kind::Manual && !manual)
            manual = &check;
    QVERIFY(manual);
    QElapsedTimer call;
    call.start();
    const auto refused =
        console.engine->tick(kEnv, gate, manual->id, console.who(personWithRole(manual->role)));
    const qint64 tickMs = call.elapsed();
    QVERIFY(!refused.ok);
    QVERIFY2(refused.message().contains(u"store"_s), qPrintable(refused.message()));

    // The rollback runs on both LBs while the feed's thread waits on the black hole.
    const OperationOutcome rolledBack = awaitOperation(
        console.engine->rollback(kEnv, console.who(u"bob"_s), u"integration test: black hole"_s),
        int(m_plan->rollback.deadline.ms()) + 30'000);
    QVERIFY2(rolledBack.ok, qPrintable(rolledBack.summary));
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    // Long enough for the feed to be inside a connect attempt that hangs (connect_timeout 5 s).
    QSignalSpy window(&meter, &QTimer::timeout);
    QElapsedTimer held;
    held.start();
    (void)QTest::qWaitFor([&] { return held.elapsed() >= 7'000; }, 8'000);
    qInfo() << "black hole: tick refused in" << tickMs << "ms, rollback verified in"
            << rolledBack.elapsedMs << "ms, largest event-loop gap" << largestGapMs << "ms over"
            << held.elapsed() << "ms;" << window.count() << "meter ticks;"
            << "journal" << pgStore->journalPending() << "waiting";
    QVERIFY2(tickMs < 1'000, "a refused tick waited on the network");
    QVERIFY2(largestGapMs < 1'000, "the event loop stalled on the unreachable server");
    QVERIFY(pgStore->journalPending() >= 2);

    // The server comes back: the same port, the journal replays, the chain verifies.
    hole.close();
    QVERIFY(pg::script(u"start"_s));
    m_stopped = false;
    QVERIFY2(QTest::qWaitFor(
                 [&] { return pg::storeOk(console.snapshot()) && pgStore->journalPending() == 0; },
                 30'000),
             qPrintable(describe(console.snapshot())));
    const auto verified = pgStore->verifyAuditChain();
    QVERIFY(verified);
    QVERIFY2(verified.value().ok, qPrintable(verified.value().toString()));
}

void TestEnginePostgresRollback::consoleStartsWhileServerIsDown() {
    const QString schema = u"engine_pg_cold_start"_s;
    QVERIFY(pg::freshSchema(schema)); // empty: the first contact must migrate it

    QVERIFY(pg::script(u"stop"_s));
    m_stopped = true;
    // Without permission to start unreachable (the command line), opening fails with Io.
    auto options = pg::options(schema, journalPath());
    const auto refused = store::PostgresStore::open(options);
    QVERIFY(!refused);
    QCOMPARE(refused.error().kind, store::StoreError::Kind::Io);
    // The war-room window's way: it opens, and says what it does not know.
    options.startUnreachable = true;
    Console console;
    store::PostgresStore *pgStore = pg::openConsole(console, *m_plan, options);
    QVERIFY(pgStore);
    QVERIFY(pg::storeDown(console.snapshot()));
    QVERIFY(!console.snapshot().stateKnown);
    const QString shiftReasons = console.shiftGuards().join(u"; "_s);
    QVERIFY2(shiftReasons.contains(u"store"_s), qPrintable(shiftReasons));

    // Sign-in: a wrong passphrase is refused and counted, the right one works; both recorded.
    const auto wrong = console.engine->signIn(u"bob"_s, u"not bob's"_s);
    QCOMPARE(wrong.outcome, store::SignInResult::Outcome::Refused);
    QCOMPARE(wrong.failures, 1);
    const auto signedIn = console.engine->signIn(u"bob"_s, passphraseOf(u"bob"_s));
    QVERIFY2(signedIn.ok(), qPrintable(signedIn.message));

    // Rollback on both LBs; the stage is now known: the LBs were just told.
    const OperationOutcome rolledBack = awaitOperation(
        console.engine->rollback(kEnv, console.who(u"bob"_s), u"integration test: cold start"_s),
        int(m_plan->rollback.deadline.ms()) + 30'000);
    QVERIFY2(rolledBack.ok, qPrintable(rolledBack.summary));
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    QVERIFY(console.snapshot().stateKnown);
    QCOMPARE(console.snapshot().phase, Phase::RolledBack);
    const qint64 waiting = pgStore->journalPending();
    QVERIFY2(waiting >= 4, qPrintable(QString::number(waiting))); // plan, 2 sign-ins, rollback

    // The server starts: schema created, journal and state written, chain verified.
    QVERIFY(pg::script(u"start"_s));
    m_stopped = false;
    QVERIFY2(QTest::qWaitFor(
                 [&] { return pg::storeOk(console.snapshot()) && pgStore->journalPending() == 0; },
                 30'000),
             qPrintable(describe(console.snapshot())));
    QCOMPARE(pgStore->schemaVersion(), store::latestSchemaVersion());
    auto reader = store::PostgresStore::open(pg::options(schema, {}));
    QVERIFY(reader);
    const auto shared = reader.value()->stageState(kEnv);
    QVERIFY(shared && shared.value());
    QCOMPARE(shared.value()->phase, engine::phaseName(Phase::RolledBack));
    const QStringList actions = actionsOf(auditOf(*reader.value()));
    for (const QString &action : {u"plan_loaded"_s, u"sign_in_failed"_s, u"signed_in"_s,
                                  u"rollback_started"_s, u"rollback_completed"_s})
        QVERIFY2(actions.contains(action), qPrintable(action + u": "_s + actions.join(u", "_s)));
    const auto verified = reader.value()->verifyAuditChain();
    QVERIFY(verified);
    QVERIFY2(verified.value().ok, qPrintable(verified.value().toString()));
    qInfo().noquote() << "cold start:" << waiting << "entries journaled; after the server started:"
                      << verified.value().toString();
}

QTEST_GUILESS_MAIN(TestEnginePostgresRollback)
#include "test_engine_postgres_rollback.moc"
