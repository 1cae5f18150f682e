// PostgresStore on a real PostgreSQL 15 (tests/lab/postgres.sh, CTest fixture `postgres`):
// migrations, the version column between consoles (who and when), three consoles racing one
// shift, concurrent audit appends forming one chain, LISTEN/NOTIFY propagation (measured), a
// server restart under a watcher, and typed errors when the server is away.

#include "app/store/audit_chain.h"
#include "app/store/postgres_journal.h"
#include "app/store/postgres_store.h"
#include "app/store/postgres_watcher.h"
#include "app/store/sqlite_schema.h"
#include "app/store/store_watcher.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

#include <algorithm>
#include <latch>
#include <thread>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

QString pgDir() {
    return qEnvironmentVariable("CUTOVER_PG_DIR");
}

QHash<QString, QString> readState() {
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

PostgresStore::Options options(Clock clock = systemClock()) {
    const auto state = readState();
    PostgresStore::Options o;
    o.url = QUrl(u"postgresql://%1:%2/%3?sslmode=disable"_s.arg(
        state.value(u"PGHOST"_s), state.value(u"PGPORT"_s), state.value(u"PGDATABASE"_s)));
    o.user = state.value(u"PGUSER"_s);
    o.password = state.value(u"PGPASSWORD"_s);
    o.clock = std::move(clock);
    return o;
}

std::unique_ptr<PostgresStore> openOrFail(Clock clock = systemClock()) {
    auto opened = PostgresStore::open(options(std::move(clock)));
    if (!opened) {
        qWarning() << opened.error().toString();
        return nullptr;
    }
    return std::move(opened).value();
}

// SQL behind the store's back, as another program (or a tamperer) would.
bool rawSql(const QString &sql) {
    const auto state = readState();
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

bool script(const QString &command) {
    const int code =
        QProcess::execute(qEnvironmentVariable("CUTOVER_PG_SCRIPT"), {command, pgDir()});
    return code == 0;
}

QDateTime utc(qint64 ms) {
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc());
}

StageState state(const QString &env, int stage, const QString &phase, const QString &by) {
    StageState s;
    s.environment = env;
    s.stageIndex = stage;
    s.phase = phase;
    s.intendedWeights = {{u"lb1"_s, QJsonObject{{u"legacy-1"_s, 230}, {u"otel-1"_s, 26}}}};
    s.enteredAt = utc(1'700'000'000'000);
    s.changedBy = by;
    return s;
}

} // namespace

class TestStorePostgres : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        // openStore() puts the audit journal in AppDataLocation: keep it out of the real one.
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(!pgDir().isEmpty(), "CUTOVER_PG_DIR is not set: run through ctest (fixture)");
        QVERIFY2(readState().contains(u"PGPORT"_s), "no state.env: did postgres_up pass?");
    }
    void init() {
        // A fresh schema per test function (the role owns the database and its public schema).
        QVERIFY(rawSql(u"DROP SCHEMA public CASCADE; CREATE SCHEMA public"_s));
    }
    void migratesAndReopens();
    void newerSchemaRefused();
    void versionConflictNamesWhoAndWhen();
    void threeStoresRaceExactlyOneWins();
    void concurrentAppendsFormOneChain();
    void ticksSignOffsAndReset();
    void notifyReachesOtherConsoleWithinOneSecond();
    void serverRestartWatcherReconnects();
    void journalKeepsAuditDuringOutage();
    void typedErrorWhenServerIsAway();
    void badPasswordIsIoWithoutThePassword();
    void urlOptionsChecked();
};

void TestStorePostgres::migratesAndReopens() {
    {
        auto store = openOrFail();
        QVERIFY(store);
        QCOMPARE(store->schemaVersion(), latestSchemaVersion());
        QVERIFY(store->appendAudit({u"alice"_s, {}, u"test"_s, {}, {}, {}}));
        QVERIFY(!store->description().contains(readState().value(u"PGPASSWORD"_s)));
        QVERIFY(store->description().startsWith(u"postgresql://127.0.0.1:"_s));
    }
    auto store = openOrFail(); // idempotent: nothing re-applied, data kept
    QVERIFY(store);
    QCOMPARE(store->schemaVersion(), latestSchemaVersion());
    QCOMPARE(store->lastChangeId().value(), 1);
    QVERIFY(store->verifyAuditChain().value().ok);
    // Two consoles opening a fresh database at once: the advisory lock serialises migrations.
    QVERIFY(rawSql(u"DROP SCHEMA public CASCADE; CREATE SCHEMA public"_s));
    std::latch start(2);
    bool ok[2] = {false, false};
    auto opener = [&](int i) {
        start.arrive_and_wait();
        auto opened = PostgresStore::open(options());
        ok[i] = opened.ok();
        if (!opened)
            qWarning() << opened.error().toString();
    };
    std::thread a(opener, 0), b(opener, 1);
    a.join();
    b.join();
    QVERIFY(ok[0] && ok[1]);
}

void TestStorePostgres::newerSchemaRefused() {
    { QVERIFY(openOrFail()); }
    QVERIFY(rawSql(u"INSERT INTO schema_version VALUES (999, 'from the future', 0)"_s));
    auto opened = PostgresStore::open(options());
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Schema);
    QVERIFY2(opened.error().message.contains(u"999"_s), qPrintable(opened.error().message));
    QVERIFY(!PostgresStore::open(options())); // not downgraded
}

void TestStorePostgres::versionConflictNamesWhoAndWhen() {
    QDateTime now = utc(1'700'000'000'000);
    auto clock = [&now] {
        return now;
    };
    auto consoleA = openOrFail(clock);
    auto consoleB = openOrFail(clock);
    QVERIFY(consoleA && consoleB);
    QCOMPARE(consoleA->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"alice"_s))
                 .value()
                 .version,
             1);
    const auto seenByA = consoleA->stageState(u"prod"_s).value();
    const auto seenByB = consoleB->stageState(u"prod"_s).value();
    now = now.addSecs(5);
    auto winner =
        consoleA->updateStageState(seenByA->version, state(u"prod"_s, 1, u"Shifting"_s, u"alice"_s),
                                   {u"shift_started"_s, u"release_manager"_s, {}});
    now = now.addSecs(1);
    auto loser =
        consoleB->updateStageState(seenByB->version, state(u"prod"_s, 1, u"Shifting"_s, u"bob"_s));
    QVERIFY(winner);
    QVERIFY(!loser);
    QCOMPARE(loser.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(loser.error().changedBy, u"alice"_s);
    QCOMPARE(loser.error().changedAt, utc(1'700'000'005'000));
    QCOMPARE(loser.error().currentVersion, 2);
    QCOMPARE(loser.error().message, u"stage changed by alice at 2023-11-14T22:13:25.000Z"_s);
    const auto stored = consoleB->stageState(u"prod"_s).value();
    QCOMPARE(stored->version, 2);
    QCOMPARE(stored->intendedWeights, winner.value().intendedWeights);
    QCOMPARE(*stored, winner.value());
    const auto audit = consoleB->auditEntries().value();
    QCOMPARE(audit.size(), 2); // the loser wrote nothing
    QCOMPARE(audit.constLast().action, u"shift_started"_s);
    // First-write race: version 0 means "must not exist yet".
    auto second = consoleB->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"bob"_s));
    QVERIFY(!second);
    QCOMPARE(second.error().kind, StoreError::Kind::Conflict);
}

void TestStorePostgres::threeStoresRaceExactlyOneWins() {
    {
        auto setup = openOrFail();
        QVERIFY(setup);
        QVERIFY(setup->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"setup"_s)));
    }
    constexpr int kRounds = 20;
    constexpr int kConsoles = 3;
    int singleWinnerRounds = 0;
    for (int round = 0; round < kRounds; ++round) {
        const qint64 version = round + 1; // N: what every console read
        std::latch opened(kConsoles);
        std::latch go(kConsoles);
        struct Outcome {
            bool won = false;
            StoreError error;
        };
        Outcome outcomes[kConsoles];
        auto console = [&](int i) {
            // Each console is its own connection, made and used on its own thread.
            auto store = PostgresStore::open(options());
            opened.count_down();
            go.arrive_and_wait();
            if (!store) {
                outcomes[i].error = store.error();
                return;
            }
            auto r = store.value()->updateStageState(
                version, state(u"prod"_s, round + 1, u"Shifting"_s, u"console-%1"_s.arg(i)));
            outcomes[i].won = r.ok();
            if (!r)
                outcomes[i].error = r.error();
        };
        std::vector<std::thread> threads;
        for (int i = 0; i < kConsoles; ++i)
            threads.emplace_back(console, i);
        for (auto &t : threads)
            t.join();
        int winners = 0;
        QString winner;
        for (int i = 0; i < kConsoles; ++i) {
            if (outcomes[i].won) {
                ++winners;
                winner = u"console-%1"_s.arg(i);
            }
        }
        QCOMPARE(winners, 1);
        for (int i = 0; i < kConsoles; ++i) {
            if (outcomes[i].won)
                continue;
            QVERIFY2(outcomes[i].error.kind == StoreError::Kind::Conflict,
                     qPrintable(outcomes[i].error.toString()));
            QCOMPARE(outcomes[i].error.changedBy, winner);
            QVERIFY(outcomes[i].error.changedAt.isValid());
            QCOMPARE(outcomes[i].error.currentVersion, version + 1);
        }
        ++singleWinnerRounds;
    }
    auto store = openOrFail();
    QCOMPARE(store->stageState(u"prod"_s).value()->version, kRounds + 1);
    QCOMPARE(store->lastChangeId().value(), kRounds + 1); // one audit entry per winner only
    QVERIFY(store->verifyAuditChain().value().ok);
    qInfo("race: %d rounds of %d consoles from version N: exactly one winner each time, the "
          "others Conflict with who/when/version",
          singleWinnerRounds, kConsoles);
}

void TestStorePostgres::concurrentAppendsFormOneChain() {
    { QVERIFY(openOrFail()); } // migrate first
    constexpr int kPerConsole = 150;
    std::latch go(2);
    int failures[2] = {0, 0};
    auto console = [&](int i) {
        auto store = PostgresStore::open(options());
        go.arrive_and_wait();
        if (!store) {
            failures[i] = kPerConsole;
            return;
        }
        for (int n = 0; n < kPerConsole; ++n) {
            if (!store.value()->appendAudit({u"console-%1"_s.arg(i),
                                             {},
                                             u"append"_s,
                                             u"prod"_s,
                                             QString::number(n),
                                             {{u"n"_s, n}}}))
                ++failures[i];
        }
    };
    QElapsedTimer elapsed;
    elapsed.start();
    std::thread a(console, 0), b(console, 1);
    a.join();
    b.join();
    const qint64 ms = elapsed.elapsed();
    QCOMPARE(failures[0] + failures[1], 0);
    auto store = openOrFail();
    const auto verification = store->verifyAuditChain().value();
    QVERIFY2(verification.ok, qPrintable(verification.toString()));
    QCOMPARE(verification.entries, 2 * kPerConsole);
    const auto entries = store->auditEntries().value();
    QCOMPARE(entries.size(), 2 * kPerConsole);
    for (int i = 0; i < entries.size(); ++i)
        QCOMPARE(entries.at(i).seq, i + 1);
    QCOMPARE(verifyAuditEntries(entries).ok, true);
    // Both consoles' entries are interleaved in one chain, not two.
    QVERIFY(std::any_of(entries.begin(), entries.end(),
                        [](const AuditEntry &e) { return e.actor == u"console-0"_s; }));
    QVERIFY(std::any_of(entries.begin(), entries.end(),
                        [](const AuditEntry &e) { return e.actor == u"console-1"_s; }));
    qInfo("audit: %d appends from 2 connections in %lld ms, one chain of %lld entries",
          2 * kPerConsole, ms, verification.entries);
}

void TestStorePostgres::ticksSignOffsAndReset() {
    auto consoleA = openOrFail();
    auto consoleB = openOrFail();
    QVERIFY(consoleA->tick(
        {u"prod"_s, u"gate_1"_s, u"backup"_s, u"alice"_s, u"release_manager"_s, {}}));
    auto again = consoleB->tick({u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s, {}});
    QVERIFY(!again);
    QCOMPARE(again.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(again.error().changedBy, u"alice"_s);
    QCOMPARE(consoleB->untick(u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s).value(),
             true);
    QCOMPARE(consoleB->untick(u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s).value(),
             false);
    QVERIFY(consoleA->tick(
        {u"prod"_s, u"gate_4"_s, u"backup"_s, u"alice"_s, u"release_manager"_s, {}}));
    SignOff sign;
    sign.environment = u"prod"_s;
    sign.gate = u"gate_4"_s;
    sign.role = u"executive"_s;
    sign.operatorName = u"carol"_s;
    sign.printedName = u"Carol Diaz"_s;
    sign.meaning = u"approved"_s;
    sign.comment = u"go, see ticket CHG-1; it's 'quoted'"_s;
    auto signed1 = consoleA->signOff(sign);
    QVERIFY2(signed1, qPrintable(signed1 ? QString() : signed1.error().toString()));
    QVERIFY(signed1.value().id > 0);
    auto signed2 = consoleB->signOff(sign);
    QVERIFY(!signed2);
    QCOMPARE(signed2.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(consoleB->signOffs(u"prod"_s).value(), QList<SignOff>{signed1.value()});
    QCOMPARE(consoleB->resetGate(u"prod"_s, u"gate_4"_s, u"engine"_s, {}, u"rollback"_s).value(),
             2);
    QVERIFY(consoleA->signOffs(u"prod"_s).value().isEmpty());
    QVERIFY(consoleA->signOff(sign)); // signable again

    // Sign-in lock-out persists like SQLite's.
    const QDateTime t = utc(1'700'000'000'000);
    QCOMPARE(consoleA->recordSignInFailure(u"dave"_s, t, 2, 60'000).value().failures, 1);
    const auto locked = consoleB->recordSignInFailure(u"dave"_s, t, 2, 60'000).value();
    QCOMPARE(locked.lockedUntil, t.addMSecs(60'000));
    QVERIFY(consoleA->signInState(u"dave"_s).value().lockedAt(t.addSecs(30)));
    QVERIFY(consoleA->recordSignInSuccess(u"dave"_s, u"signed_in"_s));
    QCOMPARE(consoleB->signInState(u"dave"_s).value().failures, 0);

    QStringList actions;
    for (const AuditEntry &e : consoleB->auditEntries().value())
        actions.append(e.action);
    QCOMPARE(actions, (QStringList{u"check_ticked"_s, u"check_unticked"_s, u"check_ticked"_s,
                                   u"gate_signed"_s, u"gate_reset"_s, u"gate_signed"_s,
                                   u"sign_in_failed"_s, u"sign_in_failed"_s, u"signed_in"_s}));
    QCOMPARE(consoleB->auditEntries(2, 3).value().size(), 3);
    QVERIFY(consoleB->verifyAuditChain().value().ok);
    // Tampering is seen through PostgreSQL too.
    QVERIFY(rawSql(u"UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"_s));
    const auto broken = consoleA->verifyAuditChain().value();
    QVERIFY(!broken.ok);
    QCOMPARE(broken.brokenSeq, 4);
}

void TestStorePostgres::notifyReachesOtherConsoleWithinOneSecond() {
    auto consoleA = openOrFail();
    auto consoleB = openOrFail();
    std::unique_ptr<StoreWatcher> watcher(consoleB->createWatcher(nullptr));
    QVERIFY(qobject_cast<PostgresWatcher *>(watcher.get()));
    QVERIFY(static_cast<PostgresWatcher *>(watcher.get())->listening());
    QSignalSpy changed(watcher.get(), &StoreWatcher::changed);
    QList<qint64> samples;
    for (int i = 0; i < 10; ++i) {
        changed.clear();
        QElapsedTimer elapsed;
        elapsed.start();
        if (i % 2 == 0) {
            QVERIFY(consoleA->tick(
                {u"prod"_s, u"pre"_s, u"c%1"_s.arg(i), u"alice"_s, u"release_manager"_s, {}}));
        } else {
            SignOff sign;
            sign.environment = u"prod"_s;
            sign.gate = u"g%1"_s.arg(i);
            sign.role = u"executive"_s;
            sign.operatorName = u"carol"_s;
            sign.printedName = u"Carol"_s;
            sign.meaning = u"approved"_s;
            QVERIFY(consoleA->signOff(sign));
        }
        QVERIFY(changed.wait(1000));
        samples.append(elapsed.elapsed());
        QVERIFY2(samples.constLast() < 1000, qPrintable(QString::number(samples.constLast())));
        QCOMPARE(changed.constFirst().at(1).toLongLong(), consoleA->lastChangeId().value());
    }
    const auto changes = consoleB->changesSince(watcher->lastSeen() - 1).value();
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.constFirst().action, u"gate_signed"_s);
    std::sort(samples.begin(), samples.end());
    qInfo("notify propagation A -> B (commit to changed()), 10 writes: median %lld ms, max %lld "
          "ms",
          samples.at(samples.size() / 2), samples.constLast());
}

void TestStorePostgres::serverRestartWatcherReconnects() {
    auto consoleA = openOrFail();
    auto consoleB = openOrFail();
    std::unique_ptr<StoreWatcher> watcher(consoleB->createWatcher(nullptr));
    QSignalSpy failed(watcher.get(), &StoreWatcher::failed);
    QSignalSpy recovered(watcher.get(), &StoreWatcher::recovered);
    QSignalSpy changed(watcher.get(), &StoreWatcher::changed);
    QVERIFY(consoleA->tick({u"prod"_s, u"pre"_s, u"before"_s, u"alice"_s, u"rm"_s, {}}));
    QVERIFY(changed.wait(1000));

    // Whatever happens below, the server is up again for the next test function.
    struct Restart {
        ~Restart() { script(u"start"_s); }
    } restartGuard;
    QElapsedTimer elapsed;
    elapsed.start();
    QVERIFY(script(u"stop"_s));
    QVERIFY(failed.count() > 0 || failed.wait(3000));
    const qint64 noticedMs = elapsed.elapsed();
    const auto error = failed.constFirst().at(0).value<StoreError>();
    QCOMPARE(error.kind, StoreError::Kind::Io);
    QVERIFY(!error.message.contains(readState().value(u"PGPASSWORD"_s)));
    // While the server is away, calls fail typed, never crash.
    auto down = consoleA->tick({u"prod"_s, u"pre"_s, u"during"_s, u"alice"_s, u"rm"_s, {}});
    QVERIFY(!down);
    QCOMPARE(down.error().kind, StoreError::Kind::Io);
    QCOMPARE(consoleB->lastChangeId().error().kind, StoreError::Kind::Io);

    QVERIFY(script(u"start"_s));
    elapsed.restart();
    QVERIFY(recovered.count() > 0 || recovered.wait(10'000));
    const qint64 recoveredMs = elapsed.elapsed();
    // The stores reconnect by themselves, and the feed works again.
    changed.clear();
    QElapsedTimer propagation;
    propagation.start();
    auto after = consoleA->tick({u"prod"_s, u"pre"_s, u"after"_s, u"alice"_s, u"rm"_s, {}});
    QVERIFY2(after, qPrintable(after ? QString() : after.error().toString()));
    QVERIFY(changed.wait(1000));
    QCOMPARE(consoleB->ticks(u"prod"_s).value().size(), 2);
    QVERIFY(consoleB->verifyAuditChain().value().ok);
    qInfo("restart: outage noticed in %lld ms, recovered %lld ms after the server was back, "
          "then a change propagated in %lld ms",
          noticedMs, recoveredMs, propagation.elapsed());
}

void TestStorePostgres::journalKeepsAuditDuringOutage() {
    QTemporaryDir local;
    QVERIFY(local.isValid());
    PostgresStore::Options o = options();
    o.journalPath = local.filePath(u"journal/audit-journal.sqlite"_s);
    auto opened = PostgresStore::open(o);
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    auto consoleA = std::move(opened).value();
    auto consoleB = openOrFail();
    QVERIFY(consoleA->appendAudit({u"alice"_s, {}, u"before"_s, u"prod"_s, {}, {}}));
    std::unique_ptr<StoreWatcher> watcher(consoleA->createWatcher(nullptr));
    QSignalSpy recovered(watcher.get(), &StoreWatcher::recovered);

    struct Restart {
        ~Restart() { script(u"start"_s); }
    } restartGuard;
    QVERIFY(script(u"stop"_s));
    // A rollback while the server is away: its audit entries wait locally, in order.
    auto started = consoleA->appendAudit(
        {u"engine"_s, {}, u"rollback_started"_s, u"prod"_s, u"stage 1"_s, {{u"n"_s, 1}}});
    QVERIFY2(started, qPrintable(started ? QString() : started.error().toString()));
    QCOMPARE(started.value().seq, 0); // queued, not yet in the chain
    auto verified = consoleA->appendAudit(
        {u"engine"_s, {}, u"rollback_verified"_s, u"prod"_s, u"stage 1"_s, {{u"n"_s, 2}}});
    QVERIFY(verified);
    QCOMPARE(consoleA->journalPending(), 2);
    // Other writes are refused with the reason, not journaled.
    auto refused = consoleA->tick({u"prod"_s, u"g"_s, u"c"_s, u"alice"_s, u"rm"_s, {}});
    QVERIFY(!refused);
    QCOMPARE(refused.error().kind, StoreError::Kind::Io);
    QCOMPARE(consoleA->journalPending(), 2);

    // The console restarts during the outage: the journal survives (a new store can't open
    // while the server is down, so only the file is checked here).
    {
        auto file = AuditJournal::open(o.journalPath);
        QVERIFY(file);
        QCOMPARE(file.value()->count().value(), 2);
    }

    QVERIFY(script(u"start"_s));
    QVERIFY(recovered.count() > 0 || recovered.wait(10'000));
    QCOMPARE(consoleA->journalPending(), 0); // replayed on reconnect
    QVERIFY(consoleA->appendAudit({u"alice"_s, {}, u"after"_s, u"prod"_s, {}, {}}));

    const auto entries = consoleB->auditEntries().value();
    QStringList actions;
    for (const AuditEntry &e : entries)
        actions.append(e.action);
    QCOMPARE(actions,
             (QStringList{u"before"_s, u"rollback_started"_s, u"rollback_verified"_s, u"after"_s}));
    QCOMPARE(entries.at(1).at, started.value().at); // when it happened, not when replayed
    QCOMPARE(entries.at(1).detailsObject().value(u"n"_s).toInt(), 1);
    QVERIFY(entries.at(1).detailsObject().contains(u"journal"_s));
    const auto chain = consoleB->verifyAuditChain().value();
    QVERIFY2(chain.ok, qPrintable(chain.toString()));
    QCOMPARE(chain.entries, 4);

    // A replay interrupted after the shared commit but before the local delete writes nothing
    // twice: put an already replayed entry back into the journal file and replay again.
    const QString journalId =
        entries.at(1).detailsObject().value(u"journal"_s).toObject().value(u"id"_s).toString();
    QVERIFY(!journalId.isEmpty());
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"journal-raw"_s);
        db.setDatabaseName(o.journalPath);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(u"INSERT INTO pending_audit (journal_id, at, queued_at, actor, role, "
                       u"action, environment, subject, details) VALUES ('%1', 0, 0, 'engine', '', "
                       u"'rollback_started', 'prod', 'stage 1', '{}')"_s.arg(journalId)));
        db.close();
    }
    QSqlDatabase::removeDatabase(u"journal-raw"_s);
    QCOMPARE(consoleA->replayJournal().value(), 0); // recognised as already written
    QCOMPARE(consoleA->journalPending(), 0);
    QCOMPARE(consoleB->lastChangeId().value(), 4);
    QVERIFY(consoleB->verifyAuditChain().value().ok);
}

void TestStorePostgres::typedErrorWhenServerIsAway() {
    // A port where nothing listens: reserved, then released.
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    }
    PostgresStore::Options o = options();
    o.url.setPort(port);
    QElapsedTimer elapsed;
    elapsed.start();
    auto opened = PostgresStore::open(o);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Io);
    QVERIFY2(opened.error().message.contains(u"cannot connect"_s),
             qPrintable(opened.error().message));
    QVERIFY(opened.error().message.contains(QString::number(port)));
    QVERIFY(!opened.error().toString().contains(o.password));
    QVERIFY(elapsed.elapsed() < 6000);

    // And through openStore(), as the plan names it.
    cutover::config::StoreConfig config;
    config.url = o.url;
    config.user = o.user;
    config.password = cutover::config::Secret(u"PGPASSWORD"_s, o.password);
    auto viaPlan = openStore(config);
    QVERIFY(!viaPlan);
    QCOMPARE(viaPlan.error().kind, StoreError::Kind::Io);
    config.url = options().url;
    auto good = openStore(config);
    QVERIFY2(good, qPrintable(good ? QString() : good.error().toString()));
    QVERIFY(good.value()->description().startsWith(u"postgresql://"_s));
}

void TestStorePostgres::badPasswordIsIoWithoutThePassword() {
    PostgresStore::Options o = options();
    o.password = u"wrong-Secret-4711"_s;
    auto opened = PostgresStore::open(o);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Io);
    QVERIFY2(opened.error().message.contains(u"password authentication failed"_s),
             qPrintable(opened.error().message));
    QVERIFY(!opened.error().toString().contains(u"wrong-Secret-4711"_s));
}

void TestStorePostgres::urlOptionsChecked() {
    PostgresStore::Options o = options();
    o.url.setQuery(u"password=x"_s);
    auto refused = PostgresStore::open(o);
    QVERIFY(!refused);
    QVERIFY(refused.error().message.contains(u"store.password"_s));
    QVERIFY(!refused.error().message.contains(u"password=x"_s));
    o.url.setQuery(u"sslmode=require"_s); // the lab server has no TLS: libpq refuses
    auto tls = PostgresStore::open(o);
    QVERIFY(!tls);
    QCOMPARE(tls.error().kind, StoreError::Kind::Io);
    QVERIFY2(tls.error().message.contains(u"SSL"_s, Qt::CaseInsensitive),
             qPrintable(tls.error().message));
    o.url = QUrl(u"mysql://x/y"_s);
    QCOMPARE(PostgresStore::open(o).error().kind, StoreError::Kind::Io);
}

QTEST_GUILESS_MAIN(TestStorePostgres)
#include "test_store_postgres.moc"
