// PostgreSQL stopped during a rollback (issue 7, item 4): a console on the shared store (the
// `postgres` fixture's server, a schema of its own) shifts the lab to 10%; the server is stopped;
// Rollback still runs against both load balancers and is verified by reading the weights back;
// Shift and sign-off are refused with the store as the reason; the server is started again (the
// same data, the same port); the watcher recovers, the local audit journal is replayed, the
// rollback's entries are in PostgreSQL in order and the chain verifies. PostgreSQL is always
// started again and the lab always reset.

#include "app/store/postgres_store.h"
#include "app/store/postgres_watcher.h"
#include "engine_test_support.h"

#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QUrlQuery>

using namespace cutover;
using namespace enginetest;

namespace {

// The test's own schema: the store's unit tests drop and recreate `public` in the same database.
const QString kSchema = u"engine_pg_rollback"_s;

QString pgDir() {
    return qEnvironmentVariable("CUTOVER_PG_DIR");
}

QHash<QString, QString> pgState() {
    QHash<QString, QString> values;
    QFile file(pgDir() + u"/state.env"_s);
    if (!file.open(QIODevice::ReadOnly))
        return values;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0)
            values.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return values;
}

bool pgScript(const QString &command) {
    return QProcess::execute(qEnvironmentVariable("CUTOVER_PG_SCRIPT"), {command, pgDir()}) == 0;
}

bool rawSql(const QString &sql) {
    const auto state = pgState();
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, u"raw"_s);
        db.setHostName(state.value(u"PGHOST"_s));
        db.setPort(state.value(u"PGPORT"_s).toInt());
        db.setDatabaseName(state.value(u"PGDATABASE"_s));
        db.setUserName(state.value(u"PGUSER"_s));
        db.setPassword(state.value(u"PGPASSWORD"_s));
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                qWarning() << q.lastError().text();
        } else {
            qWarning() << db.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(u"raw"_s);
    return ok;
}

store::PostgresStore::Options pgOptions(const QString &journalPath) {
    const auto state = pgState();
    store::PostgresStore::Options o;
    QUrl url(u"postgresql://%1:%2/%3"_s.arg(state.value(u"PGHOST"_s), state.value(u"PGPORT"_s),
                                            state.value(u"PGDATABASE"_s)));
    QUrlQuery query;
    query.addQueryItem(u"sslmode"_s, u"disable"_s);
    query.addQueryItem(u"options"_s, u"-csearch_path="_s + kSchema);
    url.setQuery(query);
    o.url = url;
    o.user = state.value(u"PGUSER"_s);
    o.password = state.value(u"PGPASSWORD"_s);
    o.journalPath = journalPath;
    return o;
}

// A console on the PostgreSQL store.
struct PgConsole {
    std::unique_ptr<store::PostgresStore> store;
    std::unique_ptr<CutoverEngine> engine;

    bool open(const config::Plan &plan, const store::PostgresStore::Options &options) {
        auto opened = store::PostgresStore::open(options);
        if (!opened) {
            qWarning().noquote() << "store:" << opened.error().toString();
            return false;
        }
        store = std::move(opened).value();
        auto loaded = store::loadOperatorsFile(plan.operators.file, &plan);
        if (!loaded.ok()) {
            qWarning().noquote() << "operators:" << loaded.errorText();
            return false;
        }
        engine =
            std::make_unique<CutoverEngine>(plan, *store, loaded.file, CutoverEngine::Options{});
        engine->start();
        return true;
    }
    ~PgConsole() {
        if (engine && engine->pendingNotifications() > 0) {
            QSignalSpy idle(engine.get(), &CutoverEngine::notificationsIdle);
            (void)idle.wait(5'000);
        }
        engine.reset();
        store.reset();
    }
};

// The engine test helpers take a Console (SQLite); these do the same on a PgConsole.
bool tickAll(PgConsole &c, const QString &gate) {
    const config::Gate *g = c.engine->plan().gate(gate);
    if (!g)
        return false;
    for (const config::Check &check : g->checks) {
        if (check.kind != config::Check::Kind::Manual)
            continue;
        QString name;
        for (const Person &p : people())
            if (p.role == check.role)
                name = p.name;
        const auto outcome = c.engine->tick(kEnv, gate, check.id, *c.engine->operatorNamed(name));
        if (!outcome.ok) {
            qWarning().noquote() << "tick" << gate << check.id << "refused:" << outcome.message();
            return false;
        }
    }
    return true;
}

QString nameFor(const QString &role) {
    for (const Person &p : people())
        if (p.role == role)
            return p.name;
    return {};
}

bool signAll(PgConsole &c, const QString &gate) {
    const config::Gate *g = c.engine->plan().gate(gate);
    if (!g)
        return false;
    for (const QString &role : g->signOff) {
        const QString name = nameFor(role);
        const auto who = *c.engine->operatorNamed(name);
        const engine::GuardTarget target{gate, {}, role};
        if (!QTest::qWaitFor(
                [&] { return c.engine->guards(Action::Sign, who, kEnv, target).isEmpty(); },
                60'000)) {
            qWarning().noquote() << "sign-off of" << gate << "as" << role << "never allowed:"
                                 << c.engine->guards(Action::Sign, who, kEnv, target);
            return false;
        }
        const auto outcome = c.engine->signOff(kEnv, gate, role, who, passphraseOf(name),
                                               u"Approved"_s, u"integration test"_s);
        if (!outcome.ok) {
            qWarning().noquote() << "sign" << gate << "as" << role
                                 << "refused:" << outcome.message();
            return false;
        }
    }
    return true;
}

bool storeDown(const EnvironmentSnapshot &s) {
    for (const auto &b : s.backends)
        if (b.name == u"store"_s)
            return b.state == engine::BackendHealth::State::Down;
    return false;
}

} // namespace

class TestEnginePostgresRollback : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rollbackWhileServerStoppedReplaysJournal();
};

void TestEnginePostgresRollback::rollbackWhileServerStoppedReplaysJournal() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QVERIFY2(!pgDir().isEmpty(), "CUTOVER_PG_DIR is not set: run through ctest (fixture)");
    QVERIFY2(pgState().contains(u"PGPORT"_s), "no state.env: did postgres_up pass?");
    QVERIFY(rawSql(u"DROP SCHEMA IF EXISTS %1 CASCADE; CREATE SCHEMA %1"_s.arg(kSchema)));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeOperatorsFile(dir.filePath(u"operators.json"_s)));
    const auto loaded = loadLabPlan(state, dir.filePath(u"operators.json"_s));
    QVERIFY(loaded);
    LabControl lab(state, *loaded);
    QVERIFY(lab.reset(this));
    bool stopped = false;
    auto restore = qScopeGuard([&] {
        if (stopped)
            (void)pgScript(u"start"_s);
        lab.reset(this);
    });

    PgConsole console;
    const QString journal = dir.filePath(u"journal/audit-journal.sqlite"_s);
    QVERIFY(console.open(*loaded, pgOptions(journal)));
    QVERIFY(console.store->description().startsWith(u"postgresql"_s));
    const auto alice = *console.engine->operatorNamed(u"alice"_s);
    const auto bob = *console.engine->operatorNamed(u"bob"_s);

    QVERIFY(tickAll(console, loaded->preCutoverGate));
    QVERIFY(signAll(console, loaded->preCutoverGate));
    QVERIFY2(
        QTest::qWaitFor(
            [&] { return console.engine->guards(Action::Shift, alice, kEnv).isEmpty(); }, 90'000),
        qPrintable(console.engine->guards(Action::Shift, alice, kEnv).join(u"; "_s)));
    const OperationOutcome shifted =
        awaitOperation(console.engine->shift(kEnv, alice, passphraseOf(u"alice"_s), 10));
    QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));
    QVERIFY(lab.lbsHold(lab.weightsFor(10).weights, this));
    const qint64 seqBefore = console.store->lastChangeId().value();

    // The server goes away.
    QVERIFY(pgScript(u"stop"_s));
    stopped = true;
    QVERIFY2(QTest::qWaitFor([&] { return storeDown(console.engine->snapshot(kEnv)); }, 10'000),
             qPrintable(describe(console.engine->snapshot(kEnv))));

    // Rollback is never refused for the store; it runs on both LBs.
    QVERIFY2(console.engine->guards(Action::Rollback, bob, kEnv).isEmpty(),
             qPrintable(console.engine->guards(Action::Rollback, bob, kEnv).join(u"; "_s)));
    const OperationOutcome rolledBack =
        awaitOperation(console.engine->rollback(kEnv, bob, u"integration test: store down"_s),
                       int(loaded->rollback.deadline.ms()) + 30'000);
    QVERIFY(rolledBack.finished);
    qInfo().noquote() << "rollback with the store down:" << rolledBack.summary << "in"
                      << rolledBack.elapsedMs << "ms";
    QVERIFY2(rolledBack.ok, qPrintable(rolledBack.summary));
    QCOMPARE(rolledBack.results.size(), 2);
    for (const auto &r : rolledBack.results) {
        QVERIFY2(r.verified, qPrintable(r.lb));
        QCOMPARE(r.readBack, lab.rollbackWeights().weights);
    }
    QVERIFY(lab.lbsHold(lab.rollbackWeights().weights, this));
    QVERIFY2(console.store->journalPending() >= 2,
             qPrintable(QString::number(console.store->journalPending())));

    // Shift and sign-off are refused, with the store as the reason.
    const QString shiftReasons = console.engine->guards(Action::Shift, alice, kEnv).join(u"; "_s);
    QVERIFY2(shiftReasons.contains(u"store"_s), qPrintable(shiftReasons));
    const OperationOutcome refusedShift =
        awaitOperation(console.engine->shift(kEnv, alice, passphraseOf(u"alice"_s), 10));
    QVERIFY(refusedShift.finished);
    QVERIFY(!refusedShift.ok);
    QVERIFY2(refusedShift.refusals.join(u"; "_s).contains(u"store"_s),
             qPrintable(refusedShift.summary + u' ' + refusedShift.refusals.join(u"; "_s)));
    const QString role = loaded->gate(loaded->preCutoverGate)->signOff.value(0);
    const auto signer = *console.engine->operatorNamed(nameFor(role));
    const auto refusedSign =
        console.engine->signOff(kEnv, loaded->preCutoverGate, role, signer,
                                passphraseOf(signer.name), u"Approved"_s, u"store down"_s);
    QVERIFY(!refusedSign.ok);
    QVERIFY2(refusedSign.message().contains(u"store"_s), qPrintable(refusedSign.message()));

    // The server comes back: the watcher recovers and the journal is replayed.
    QVERIFY(pgScript(u"start"_s));
    stopped = false;
    QElapsedTimer recovery;
    recovery.start();
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     return !storeDown(console.engine->snapshot(kEnv)) &&
                            console.store->journalPending() == 0;
                 },
                 30'000),
             qPrintable(u"pending %1; %2"_s.arg(console.store->journalPending())
                            .arg(describe(console.engine->snapshot(kEnv)))));
    qInfo() << "store recovered and journal replayed" << recovery.elapsed()
            << "ms after the server started";

    // In PostgreSQL, read on a fresh connection: the rollback's entries, in order.
    auto reader = store::PostgresStore::open(pgOptions(dir.filePath(u"reader-journal.sqlite"_s)));
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
}

QTEST_GUILESS_MAIN(TestEnginePostgresRollback)
#include "test_engine_postgres_rollback.moc"
