// The behaviours every Store shares (app/store/store.h), written once against the interface and
// run on each backend (store_backends.h): test_store_contract_sqlite on a SQLite file,
// test_store_contract_postgres on the PostgreSQL 15 of the CTest fixture `postgres`
// (CUTOVER_STORE_BACKEND chooses). Migrations and restarts, the version column between consoles
// (who and when), consoles racing one shift on threads of their own, ticks, sign-offs, gate
// resets, sign-in lock-outs, the change counter, the watcher's propagation (measured), and the
// audit chain: concurrent appends form one chain, a row edited behind the store's back is named.
// What only one backend has (damaged files; outages, the journal, connection options) stays in
// test_store_sqlite.cpp and test_store_postgres.cpp.

#include "app/store/audit_chain.h"
#include "app/store/schema.h"
#include "app/store/store_watcher.h"
#include "store_backends.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QStandardPaths>
#include <QTest>
#include <QTimeZone>

#include <algorithm>
#include <latch>
#include <thread>
#include <vector>

using namespace Qt::StringLiterals;
using namespace cutover::store;
using cutover::store::testing::StoreBackend;

namespace {

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

SignOff signature(const QString &gate, const QString &role, const QString &by) {
    SignOff s;
    s.environment = u"prod"_s;
    s.gate = gate;
    s.role = role;
    s.operatorName = by;
    s.printedName = by + u" (printed)"_s;
    s.meaning = u"approved"_s;
    return s;
}

QStringList actions(const QList<AuditEntry> &entries) {
    QStringList result;
    for (const AuditEntry &e : entries)
        result.append(e.action);
    return result;
}

QString errorText(const StoreError &error) {
    return error.toString();
}

} // namespace

class TestStoreContract : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // nothing lands in the real AppDataLocation
        // QtSql (6.4) registers its exit clean-up on first use without a lock: when two threads
        // are its first users (twoConsolesMigrateAFreshStoreAtOnce run alone), the clean-up is
        // registered twice and re-registers itself forever, and the process spins at exit. Use it
        // once on this thread first.
        QVERIFY(QSqlDatabase::drivers().contains(u"QSQLITE"_s));
        QString error;
        m_backend = cutover::store::testing::storeBackendFromEnvironment(&error);
        if (!m_backend)
            QFAIL(qPrintable(error));
        qInfo("store backend: %s", qPrintable(m_backend->name()));
    }
    void migrateAndReopenKeepData();
    void twoConsolesMigrateAFreshStoreAtOnce();
    void versionConflictNamesWhoAndWhen();
    void firstWriteRace();
    void threeConsolesRaceExactlyOneWins();
    void holdAndEnteredAtSurviveReopen();
    void ticksAndSignOffsConflictsNameWhoAndWhen();
    void resetGateClearsTicksAndVoidsSignOffs();
    void signInLockOutSurvivesReopen();
    void everyWriteMovesLastChangeId();
    void watcherSeesOtherConsoleWithinLimit();
    void concurrentAuditAppendsFormOneChain();
    void auditRowEditedBehindTheStoreIsNamed();

private:
    // The first console on a fresh store / another console on it; nullptr (with a warning) when
    // it cannot be opened.
    std::unique_ptr<Store> fresh(Clock clock = systemClock()) {
        return orWarn(m_backend->open(std::move(clock)));
    }
    std::unique_ptr<Store> another(Clock clock = systemClock()) {
        return orWarn(m_backend->openAnother(std::move(clock)));
    }
    static std::unique_ptr<Store> orWarn(StoreResult<std::unique_ptr<Store>> opened) {
        if (!opened) {
            qWarning("cannot open the store: %s", qPrintable(opened.error().toString()));
            return nullptr;
        }
        return std::move(opened).value();
    }

    std::unique_ptr<StoreBackend> m_backend;
};

void TestStoreContract::migrateAndReopenKeepData() {
    auto store = fresh();
    QVERIFY(store);
    QCOMPARE(store->schemaVersion(), latestSchemaVersion());
    QVERIFY2(store->description().startsWith(m_backend->name()), qPrintable(store->description()));
    QCOMPARE(store->lastChangeId().value(), 0);
    QVERIFY(store->stageStates().value().isEmpty());
    const auto empty = store->verifyAuditChain().value();
    QVERIFY2(empty.ok, qPrintable(empty.toString()));
    QCOMPARE(empty.entries, 0);
    const auto applied = m_backend->rawValue(u"SELECT COUNT(*) FROM schema_version"_s);
    QVERIFY(applied && applied->toInt() >= 1);

    auto written = store->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"alice"_s));
    QVERIFY2(written, qPrintable(written ? QString() : errorText(written.error())));
    QVERIFY(store->appendAudit({u"alice"_s, {}, u"test"_s, {}, {}, {{u"n"_s, 1}}}));

    QVERIFY(m_backend->reopen(store)); // idempotent: nothing re-applied, data kept
    QCOMPARE(store->schemaVersion(), latestSchemaVersion());
    QCOMPARE(m_backend->rawValue(u"SELECT COUNT(*) FROM schema_version"_s)->toInt(),
             applied->toInt());
    QCOMPARE(store->lastChangeId().value(), 2);
    const auto kept = store->stageState(u"prod"_s).value();
    QVERIFY(kept);
    QCOMPARE(*kept, written.value());
    const auto audit = store->auditEntries().value();
    QCOMPARE(actions(audit), (QStringList{u"stage_changed"_s, u"test"_s}));
    QCOMPARE(audit.constLast().detailsObject().value(u"n"_s).toInt(), 1);
    const auto chain = store->verifyAuditChain().value();
    QVERIFY2(chain.ok, qPrintable(chain.toString()));
    QCOMPARE(chain.entries, 2);
}

void TestStoreContract::twoConsolesMigrateAFreshStoreAtOnce() {
    // Two consoles started together on a store that does not exist yet: both end up open on one
    // schema, applied once, and neither is turned away.
    // - PostgreSQL serialises migrations with an advisory lock.
    // - SQLite: switching a new file to WAL needs an exclusive lock and SQLite answers BUSY at
    //   once to the second connection (its busy handler is not consulted); SqliteStore waits it
    //   out within its busy timeout. Before it did, about 4 rounds in 10 failed here.
    constexpr int kRounds = 10;
    int busy = 0;
    for (int round = 0; round < kRounds; ++round) {
        QVERIFY(m_backend->clean());
        std::latch start(2);
        StoreResult<qint64> seen[2] = {StoreError::io(u"not run"_s), StoreError::io(u"not run"_s)};
        int versions[2] = {0, 0};
        auto console = [&](int i) {
            start.arrive_and_wait();
            auto opened = m_backend->openAnother();
            if (!opened) {
                seen[i] = opened.error();
                return;
            }
            versions[i] = opened.value()->schemaVersion();
            seen[i] = opened.value()->lastChangeId();
        };
        std::thread a(console, 0), b(console, 1);
        a.join();
        b.join();
        int busyNow = 0;
        for (int i = 0; i < 2; ++i) {
            if (!seen[i]) {
                QVERIFY2(seen[i].error().kind == StoreError::Kind::Busy,
                         qPrintable(errorText(seen[i].error())));
                qInfo().noquote() << "told Busy:" << errorText(seen[i].error());
                ++busyNow;
                continue;
            }
            QCOMPARE(seen[i].value(), 0);
            QCOMPARE(versions[i], latestSchemaVersion());
        }
        QVERIFY2(busyNow < 2, "neither console could open the new store");
        busy += busyNow;
        auto store = another(); // the retry of a console told Busy; a third console otherwise
        QVERIFY(store);
        QCOMPARE(store->schemaVersion(), latestSchemaVersion());
        QCOMPARE(m_backend->rawValue(u"SELECT COUNT(*) FROM schema_version"_s)->toInt(),
                 latestSchemaVersion());
        QCOMPARE(store->lastChangeId().value(), 0);
        QVERIFY(store->verifyAuditChain().value().ok);
    }
    qInfo("first open on %s: %d rounds of 2 consoles at once, %d opens answered Busy",
          qPrintable(m_backend->name()), kRounds, busy);
    QCOMPARE(busy, 0);
}

void TestStoreContract::versionConflictNamesWhoAndWhen() {
    QDateTime now = utc(1'700'000'000'000);
    auto clock = [&now] {
        return now;
    };
    auto consoleA = fresh(clock);
    auto consoleB = another(clock);
    QVERIFY(consoleA && consoleB);
    auto first = consoleA->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"alice"_s));
    QVERIFY(first);
    QCOMPARE(first.value().version, 1);
    QCOMPARE(first.value().changedAt, now);

    // Both consoles read version 1 and both try to shift.
    const auto seenByA = consoleA->stageState(u"prod"_s).value();
    const auto seenByB = consoleB->stageState(u"prod"_s).value();
    QVERIFY(seenByA && seenByB);
    QCOMPARE(seenByA->version, 1);
    QCOMPARE(seenByB->version, 1);
    now = now.addSecs(5);
    auto winner =
        consoleA->updateStageState(seenByA->version, state(u"prod"_s, 1, u"Shifting"_s, u"alice"_s),
                                   {u"shift_started"_s, u"release_manager"_s, {}});
    now = now.addSecs(1);
    auto loser =
        consoleB->updateStageState(seenByB->version, state(u"prod"_s, 1, u"Shifting"_s, u"bob"_s));
    QVERIFY(winner);
    QCOMPARE(winner.value().version, 2);
    QVERIFY(!loser);
    QCOMPARE(loser.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(loser.error().changedBy, u"alice"_s);
    QCOMPARE(loser.error().changedAt, utc(1'700'000'005'000));
    QCOMPARE(loser.error().currentVersion, 2);
    QCOMPARE(loser.error().message, u"stage changed by alice at 2023-11-14T22:13:25.000Z"_s);

    const auto stored = consoleB->stageState(u"prod"_s).value();
    QVERIFY(stored);
    QCOMPARE(*stored, winner.value());
    QCOMPARE(stored->changedBy, u"alice"_s);
    // The loser wrote nothing, not even an audit entry.
    const auto audit = consoleB->auditEntries().value();
    QCOMPARE(actions(audit), (QStringList{u"stage_changed"_s, u"shift_started"_s}));
    QCOMPARE(audit.constLast().role, u"release_manager"_s);
    QCOMPARE(audit.constLast().actor, u"alice"_s);
    QCOMPARE(consoleA->lastChangeId().value(), 2);
    // After reading again, B's write goes through.
    auto retried = consoleB->updateStageState(stored->version,
                                              state(u"prod"_s, 1, u"Stabilizing"_s, u"bob"_s));
    QVERIFY2(retried, qPrintable(retried ? QString() : errorText(retried.error())));
    QCOMPARE(consoleA->stageState(u"prod"_s).value()->changedBy, u"bob"_s);
}

void TestStoreContract::firstWriteRace() {
    const QDateTime at = utc(1'700'000'100'000);
    auto consoleA = fresh([at] { return at; });
    auto consoleB = another([at] { return at.addSecs(3); });
    QVERIFY(consoleA && consoleB);
    // Version 0 means "must not exist yet": both consoles believe they write the first state.
    QVERIFY(consoleA->updateStageState(0, state(u"staging"_s, 0, u"Holding"_s, u"alice"_s)));
    auto second = consoleB->updateStageState(0, state(u"staging"_s, 0, u"Holding"_s, u"bob"_s));
    QVERIFY(!second);
    QCOMPARE(second.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(second.error().changedBy, u"alice"_s);
    QCOMPARE(second.error().changedAt, at);
    QCOMPARE(second.error().currentVersion, 1);
    QVERIFY2(second.error().message.startsWith(u"stage changed by alice at "_s),
             qPrintable(second.error().message));
    QCOMPARE(consoleB->stageState(u"staging"_s).value()->changedBy, u"alice"_s);
    QCOMPARE(consoleB->lastChangeId().value(), 1);
}

void TestStoreContract::threeConsolesRaceExactlyOneWins() {
    // Real concurrency: every console is its own store (connection), opened and used on a thread
    // of its own, and all of them write from the same expected version at once. Round 0 races
    // the first write (version 0). SqliteStore takes this as well as PostgresStore: each instance
    // has its own connection name, and BEGIN IMMEDIATE + busy_timeout serialise the writers.
    { QVERIFY(fresh()); }
    constexpr int kRounds = 10;
    constexpr int kConsoles = 3;
    struct Outcome {
        bool opened = false;
        bool won = false;
        StoreError error;
    };
    QElapsedTimer elapsed;
    elapsed.start();
    for (int round = 0; round < kRounds; ++round) {
        const qint64 version = round; // what every console read
        std::latch go(kConsoles);
        Outcome outcomes[kConsoles];
        auto console = [&](int i) {
            auto store = m_backend->openAnother();
            go.arrive_and_wait(); // all open: now they write together
            if (!store) {
                outcomes[i].error = store.error();
                return;
            }
            outcomes[i].opened = true;
            auto r = store.value()->updateStageState(
                version, state(u"prod"_s, round, u"Shifting"_s, u"console-%1"_s.arg(i)));
            outcomes[i].won = r.ok();
            if (!r)
                outcomes[i].error = r.error();
        };
        std::vector<std::thread> threads;
        for (int i = 0; i < kConsoles; ++i)
            threads.emplace_back(console, i);
        for (auto &t : threads)
            t.join();

        QString winner;
        int winners = 0;
        for (int i = 0; i < kConsoles; ++i) {
            QVERIFY2(outcomes[i].opened, qPrintable(errorText(outcomes[i].error)));
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
                     qPrintable(errorText(outcomes[i].error)));
            QCOMPARE(outcomes[i].error.changedBy, winner);
            QVERIFY(outcomes[i].error.changedAt.isValid());
            QCOMPARE(outcomes[i].error.currentVersion, version + 1);
            QVERIFY2(outcomes[i].error.message.startsWith(u"stage changed by %1 at "_s.arg(winner)),
                     qPrintable(outcomes[i].error.message));
        }
        auto check = another();
        QVERIFY(check);
        const auto stored = check->stageState(u"prod"_s).value();
        QVERIFY(stored);
        QCOMPARE(stored->version, version + 1);
        QCOMPARE(stored->changedBy, winner);
    }
    auto store = another();
    QVERIFY(store);
    QCOMPARE(store->lastChangeId().value(), kRounds); // one audit entry per winner only
    const auto chain = store->verifyAuditChain().value();
    QVERIFY2(chain.ok, qPrintable(chain.toString()));
    qInfo("race on %s: %d rounds of %d consoles (threads) from the same version, exactly one "
          "winner each, the others Conflict with who/when/version; %lld ms",
          qPrintable(m_backend->name()), kRounds, kConsoles, elapsed.elapsed());
}

void TestStoreContract::holdAndEnteredAtSurviveReopen() {
    StageState s = state(u"prod"_s, 1, u"Holding"_s, u"alice"_s);
    s.enteredAt = utc(1'700'000'100'007);
    s.holdStartedAt = utc(1'700'000'123'456);
    auto store = fresh();
    QVERIFY(store);
    QVERIFY(store->updateStageState(0, s));
    QVERIFY(store->updateStageState(0, state(u"staging"_s, 3, u"Complete"_s, u"alice"_s)));

    QVERIFY(m_backend->reopen(store)); // a restart
    const auto reopened = store->stageState(u"prod"_s).value();
    QVERIFY(reopened);
    QCOMPARE(reopened->holdStartedAt, s.holdStartedAt);
    QCOMPARE(reopened->enteredAt, s.enteredAt);
    QCOMPARE(reopened->phase, u"Holding"_s);
    QCOMPARE(reopened->stageIndex, 1);
    QCOMPARE(reopened->intendedWeights, s.intendedWeights);
    QCOMPARE(reopened->version, 1);
    const auto all = store->stageStates().value();
    QCOMPARE(all.size(), 2);
    QCOMPARE(all.constFirst().environment, u"prod"_s); // ordered by environment
    QVERIFY(!store->stageState(u"nowhere"_s).value().has_value());

    // A hold that ends stays ended after a restart (no stale hold comes back).
    StageState ended = *reopened;
    ended.holdStartedAt = {};
    ended.phase = u"Shifting"_s;
    QVERIFY(store->updateStageState(reopened->version, ended));
    QVERIFY(m_backend->reopen(store));
    const auto afterEnd = store->stageState(u"prod"_s).value();
    QVERIFY(afterEnd);
    QVERIFY(!afterEnd->holdStartedAt.isValid());
    QCOMPARE(afterEnd->enteredAt, s.enteredAt);
    QCOMPARE(afterEnd->version, 2);
}

void TestStoreContract::ticksAndSignOffsConflictsNameWhoAndWhen() {
    QDateTime now = utc(1'700'000'000'000);
    auto consoleA = fresh([&now] { return now; });
    auto consoleB = another([&now] { return now; });
    QVERIFY(consoleA && consoleB);
    auto ticked =
        consoleA->tick({u"prod"_s, u"gate_1"_s, u"backup"_s, u"alice"_s, u"release_manager"_s, {}});
    QVERIFY(ticked);
    QCOMPARE(ticked.value().at, now);
    const QDateTime tickedAt = now;
    now = now.addSecs(7);
    auto again = consoleB->tick({u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s, {}});
    QVERIFY(!again);
    QCOMPARE(again.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(again.error().changedBy, u"alice"_s);
    QCOMPARE(again.error().changedAt, tickedAt);
    QVERIFY2(again.error().message.contains(u"alice"_s), qPrintable(again.error().message));
    QCOMPARE(consoleB->ticks(u"prod"_s).value(), QList<Tick>{ticked.value()});

    QCOMPARE(consoleB->untick(u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s).value(),
             true);
    const qint64 afterUntick = consoleB->lastChangeId().value();
    QCOMPARE(consoleB->untick(u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s).value(),
             false);
    QCOMPARE(consoleB->lastChangeId().value(), afterUntick); // nothing to untick: nothing written
    QVERIFY(consoleA->ticks(u"prod"_s).value().isEmpty());
    // Unticked, it can be ticked again, by the other console this time.
    QVERIFY(consoleB->tick({u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s, {}}));
    QCOMPARE(consoleA->ticks(u"prod"_s).value().constFirst().tickedBy, u"bob"_s);

    SignOff sign = signature(u"gate_4"_s, u"executive"_s, u"carol"_s);
    sign.printedName = u"Carol Diaz"_s;
    sign.comment = u"go, see ticket CHG-1; it's 'quoted'"_s;
    auto signed1 = consoleA->signOff(sign);
    QVERIFY2(signed1, qPrintable(signed1 ? QString() : errorText(signed1.error())));
    QVERIFY(signed1.value().id > 0);
    QCOMPARE(signed1.value().at, now);
    QCOMPARE(signed1.value().signatureHash.size(), 64);
    now = now.addSecs(2);
    SignOff other = sign;
    other.operatorName = u"dave"_s;
    other.printedName = u"Dave"_s;
    auto signed2 = consoleB->signOff(other);
    QVERIFY(!signed2);
    QCOMPARE(signed2.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(signed2.error().changedBy, u"carol"_s);
    QCOMPARE(signed2.error().changedAt, signed1.value().at);
    // Another role may sign the same gate.
    QVERIFY(consoleB->signOff(signature(u"gate_4"_s, u"release_manager"_s, u"alice"_s)));
    const auto seen = consoleB->signOffs(u"prod"_s).value();
    QCOMPARE(seen.size(), 2);
    QCOMPARE(seen.constFirst(), signed1.value()); // oldest first, exactly as signed

    const auto audit = consoleA->auditEntries().value();
    QCOMPARE(actions(audit), (QStringList{u"check_ticked"_s, u"check_unticked"_s, u"check_ticked"_s,
                                          u"gate_signed"_s, u"gate_signed"_s}));
    const QJsonObject details = audit.at(3).detailsObject();
    QCOMPARE(details.value(u"printed_name"_s).toString(), u"Carol Diaz"_s);
    QCOMPARE(details.value(u"comment"_s).toString(), sign.comment);
    QCOMPARE(details.value(u"signature_hash"_s).toString(), signed1.value().signatureHash);
    QCOMPARE(audit.at(1).actor, u"bob"_s);
    QCOMPARE(audit.at(1).subject, u"gate_1/backup"_s);
    // Paging through the log.
    const auto page = consoleB->auditEntries(1, 2).value();
    QCOMPARE(page.size(), 2);
    QCOMPARE(page.constFirst().seq, 2);
    QCOMPARE(page.constLast().seq, 3);
}

void TestStoreContract::resetGateClearsTicksAndVoidsSignOffs() {
    auto consoleA = fresh();
    auto consoleB = another();
    QVERIFY(consoleA && consoleB);
    QVERIFY(consoleA->tick({u"prod"_s, u"gate_2"_s, u"a"_s, u"alice"_s, u"release_manager"_s, {}}));
    QVERIFY(consoleA->tick({u"prod"_s, u"gate_2"_s, u"b"_s, u"alice"_s, u"release_manager"_s, {}}));
    QVERIFY(consoleA->tick({u"prod"_s, u"gate_3"_s, u"a"_s, u"alice"_s, u"release_manager"_s, {}}));
    const SignOff sign = signature(u"gate_2"_s, u"release_manager"_s, u"alice"_s);
    QVERIFY(consoleA->signOff(sign));
    QVERIFY(consoleA->signOff(signature(u"gate_3"_s, u"release_manager"_s, u"alice"_s)));

    QCOMPARE(consoleB->resetGate(u"prod"_s, u"gate_2"_s, u"engine"_s, {}, u"rollback"_s).value(),
             3);
    const auto ticks = consoleA->ticks(u"prod"_s).value();
    QCOMPARE(ticks.size(), 1); // gate_3 is untouched
    QCOMPARE(ticks.constFirst().gate, u"gate_3"_s);
    const auto signOffs = consoleA->signOffs(u"prod"_s).value();
    QCOMPARE(signOffs.size(), 1);
    QCOMPARE(signOffs.constFirst().gate, u"gate_3"_s);
    const AuditEntry reset = consoleA->auditEntries().value().constLast();
    QCOMPARE(reset.action, u"gate_reset"_s);
    QCOMPARE(reset.actor, u"engine"_s);
    QCOMPARE(reset.subject, u"gate_2"_s);
    QCOMPARE(reset.detailsObject().value(u"reason"_s).toString(), u"rollback"_s);
    QCOMPARE(reset.detailsObject().value(u"ticks_cleared"_s).toInt(), 2);
    QCOMPARE(reset.detailsObject().value(u"sign_offs_voided"_s).toInt(), 1);

    // The gate must be passed again, and can be.
    QVERIFY(consoleA->tick({u"prod"_s, u"gate_2"_s, u"a"_s, u"alice"_s, u"release_manager"_s, {}}));
    auto resigned = consoleA->signOff(sign);
    QVERIFY2(resigned, qPrintable(resigned ? QString() : errorText(resigned.error())));
    QCOMPARE(consoleB->signOffs(u"prod"_s).value().size(), 2);
    // A reset with nothing to clear still says it happened.
    QCOMPARE(consoleB->resetGate(u"prod"_s, u"gate_9"_s, u"engine"_s, {}, u"test"_s).value(), 0);
    QCOMPARE(consoleA->auditEntries().value().constLast().action, u"gate_reset"_s);
}

void TestStoreContract::signInLockOutSurvivesReopen() {
    auto consoleA = fresh();
    auto consoleB = another();
    QVERIFY(consoleA && consoleB);
    const QDateTime t = utc(1'700'000'000'000);
    QCOMPARE(consoleA->signInState(u"dave"_s).value().failures, 0);
    QCOMPARE(consoleA->recordSignInFailure(u"dave"_s, t, 2, 60'000).value().failures, 1);
    // The second failure, at another desk, reaches the threshold: locked, count restarted.
    const auto locked = consoleB->recordSignInFailure(u"dave"_s, t.addSecs(1), 2, 60'000).value();
    QCOMPARE(locked.lockedUntil, t.addSecs(1).addMSecs(60'000));
    QCOMPARE(locked.failures, 0);

    QVERIFY(m_backend->reopen(consoleA)); // a restart does not lift a lock-out
    const auto afterRestart = consoleA->signInState(u"dave"_s).value();
    QVERIFY(afterRestart.lockedAt(t.addSecs(30)));
    QVERIFY(!afterRestart.lockedAt(t.addSecs(61)));
    QCOMPARE(afterRestart.lastFailureAt, t.addSecs(1));
    QVERIFY(!consoleA->signInState(u"erin"_s).value().lockedAt(t));

    QCOMPARE(consoleA->recordSignInFailure(u"dave"_s, t.addSecs(90), 2, 60'000).value().failures,
             1);
    QVERIFY(consoleA->recordSignInSuccess(u"dave"_s, u"signed_in"_s));
    QCOMPARE(consoleB->signInState(u"dave"_s).value().failures, 0);
    const auto audit = consoleB->auditEntries().value();
    QCOMPARE(actions(audit), (QStringList{u"sign_in_failed"_s, u"sign_in_failed"_s,
                                          u"sign_in_failed"_s, u"signed_in"_s}));
    QVERIFY(audit.at(1).detailsObject().contains(u"locked_until"_s));
}

void TestStoreContract::everyWriteMovesLastChangeId() {
    auto store = fresh();
    auto other = another();
    QVERIFY(store && other);
    qint64 expected = 0;
    QCOMPARE(store->lastChangeId().value(), expected);
    auto moved = [&](bool written) {
        if (written)
            ++expected;
        const qint64 mine = store->lastChangeId().value();
        const qint64 theirs = other->lastChangeId().value();
        if (mine != expected || theirs != expected)
            qWarning("lastChangeId: this console %lld, the other %lld, expected %lld", mine, theirs,
                     expected);
        return mine == expected && theirs == expected;
    };
    QVERIFY(store->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"alice"_s)));
    QVERIFY(moved(true));
    QVERIFY(store->tick({u"prod"_s, u"g"_s, u"c"_s, u"alice"_s, u"r"_s, {}}));
    QVERIFY(moved(true));
    QVERIFY(store->untick(u"prod"_s, u"g"_s, u"c"_s, u"alice"_s, u"r"_s).value());
    QVERIFY(moved(true));
    QVERIFY(store->signOff(signature(u"g"_s, u"r"_s, u"alice"_s)));
    QVERIFY(moved(true));
    QVERIFY(store->resetGate(u"prod"_s, u"g"_s, u"engine"_s, {}, u"test"_s));
    QVERIFY(moved(true));
    QVERIFY(store->recordSignInFailure(u"alice"_s, utc(1'700'000'000'000), 3, 1000));
    QVERIFY(moved(true));
    QVERIFY(store->recordSignInSuccess(u"alice"_s, u"signed_in"_s));
    QVERIFY(moved(true));
    auto appended = store->appendAudit({u"alice"_s, {}, u"note"_s, {}, {}, {}});
    QVERIFY(appended);
    QVERIFY(moved(true));
    QCOMPARE(appended.value().seq, expected); // the counter is the audit log's last seq

    // Refused writes change nothing.
    QVERIFY(other->tick({u"prod"_s, u"g2"_s, u"c"_s, u"bob"_s, u"r"_s, {}}));
    QVERIFY(moved(true));
    QVERIFY(!store->tick({u"prod"_s, u"g2"_s, u"c"_s, u"alice"_s, u"r"_s, {}}));
    QVERIFY(moved(false));
    QVERIFY(!store->updateStageState(0, state(u"prod"_s, 1, u"Shifting"_s, u"alice"_s)));
    QVERIFY(moved(false));
    QCOMPARE(store->untick(u"prod"_s, u"none"_s, u"c"_s, u"alice"_s, u"r"_s).value(), false);
    QVERIFY(moved(false));
    QVERIFY(other->signOff(signature(u"g3"_s, u"r"_s, u"bob"_s)));
    QVERIFY(moved(true));
    QVERIFY(!store->signOff(signature(u"g3"_s, u"r"_s, u"alice"_s)));
    QVERIFY(moved(false));
    const auto changes = other->changesSince(expected - 2).value();
    QCOMPARE(actions(changes), (QStringList{u"check_ticked"_s, u"gate_signed"_s}));
    QCOMPARE(changes.constLast().seq, expected);
}

void TestStoreContract::watcherSeesOtherConsoleWithinLimit() {
    const int limitMs = m_backend->watcherLimitMs();
    auto consoleA = fresh();
    auto consoleB = another();
    QVERIFY(consoleA && consoleB);
    QVERIFY(consoleA->appendAudit({u"alice"_s, {}, u"before"_s, {}, {}, {}}));
    std::unique_ptr<StoreWatcher> watcher(consoleB->createWatcher(nullptr));
    QVERIFY(watcher);
    QCOMPARE(watcher->lastSeen(), 1); // starts at the current change, reports only later ones
    QSignalSpy changed(watcher.get(), &StoreWatcher::changed);
    QSignalSpy failed(watcher.get(), &StoreWatcher::failed);
    QList<qint64> samples;
    for (int i = 0; i < 10; ++i) {
        changed.clear();
        QElapsedTimer elapsed;
        elapsed.start();
        if (i % 2 == 0) {
            QVERIFY(consoleA->tick(
                {u"prod"_s, u"pre"_s, u"c%1"_s.arg(i), u"alice"_s, u"release_manager"_s, {}}));
        } else {
            QVERIFY(consoleA->signOff(signature(u"g%1"_s.arg(i), u"executive"_s, u"carol"_s)).ok());
        }
        const qint64 written = consoleA->lastChangeId().value();
        QVERIFY2(changed.wait(limitMs), qPrintable(u"no changed() within %1 ms"_s.arg(limitMs)));
        samples.append(elapsed.elapsed());
        QVERIFY2(samples.constLast() < limitMs, qPrintable(QString::number(samples.constLast())));
        QCOMPARE(changed.size(), 1);
        const qint64 previous = changed.constFirst().at(0).toLongLong();
        QCOMPARE(changed.constFirst().at(1).toLongLong(), written);
        QCOMPARE(watcher->lastSeen(), written);
        // What changed, read by the watching console.
        const auto changes = consoleB->changesSince(previous).value();
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes.constFirst().seq, written);
        QCOMPARE(changes.constFirst().action, i % 2 == 0 ? u"check_ticked"_s : u"gate_signed"_s);
    }
    QCOMPARE(consoleB->ticks(u"prod"_s).value().size(), 5);
    QCOMPARE(consoleB->signOffs(u"prod"_s).value().size(), 5);
    QCOMPARE(failed.size(), 0);
    std::sort(samples.begin(), samples.end());
    qInfo("watcher propagation on %s, A writes -> B's changed(), 10 writes: min %lld ms, median "
          "%lld ms, max %lld ms (limit %d ms)",
          qPrintable(m_backend->name()), samples.constFirst(), samples.at(samples.size() / 2),
          samples.constLast(), limitMs);
}

void TestStoreContract::concurrentAuditAppendsFormOneChain() {
    { QVERIFY(fresh()); } // migrated first
    constexpr int kPerConsole = 100;
    std::latch go(2);
    int failures[2] = {0, 0};
    StoreError lastError[2];
    auto console = [&](int i) {
        auto store = m_backend->openAnother();
        go.arrive_and_wait();
        if (!store) {
            failures[i] = kPerConsole;
            lastError[i] = store.error();
            return;
        }
        for (int n = 0; n < kPerConsole; ++n) {
            auto appended = store.value()->appendAudit({u"console-%1"_s.arg(i),
                                                        {},
                                                        u"append"_s,
                                                        u"prod"_s,
                                                        QString::number(n),
                                                        {{u"n"_s, n}}});
            if (!appended) {
                ++failures[i];
                lastError[i] = appended.error();
            }
        }
    };
    QElapsedTimer elapsed;
    elapsed.start();
    std::thread a(console, 0), b(console, 1);
    a.join();
    b.join();
    const qint64 ms = elapsed.elapsed();
    QVERIFY2(failures[0] == 0, qPrintable(errorText(lastError[0])));
    QVERIFY2(failures[1] == 0, qPrintable(errorText(lastError[1])));

    auto store = another();
    QVERIFY(store);
    const auto verification = store->verifyAuditChain().value();
    QVERIFY2(verification.ok, qPrintable(verification.toString()));
    QCOMPARE(verification.entries, 2 * kPerConsole);
    const auto entries = store->auditEntries().value();
    QCOMPARE(entries.size(), 2 * kPerConsole);
    QCOMPARE(verifyAuditEntries(entries).ok, true);
    QCOMPARE(verification.headHash, entries.constLast().hash);
    int next[2] = {0, 0};
    int switches = 0;
    for (int i = 0; i < entries.size(); ++i) {
        const AuditEntry &e = entries.at(i);
        QCOMPARE(e.seq, i + 1); // one gap-free chain, not two
        if (i > 0) {
            QCOMPARE(e.prevHash, entries.at(i - 1).hash);
            if (e.actor != entries.at(i - 1).actor)
                ++switches;
        }
        // Each console's entries are all there, in the order it wrote them.
        const int who = e.actor == u"console-0"_s ? 0 : 1;
        QCOMPARE(e.detailsObject().value(u"n"_s).toInt(), next[who]);
        ++next[who];
    }
    QCOMPARE(next[0], kPerConsole);
    QCOMPARE(next[1], kPerConsole);
    QCOMPARE(store->lastChangeId().value(), 2 * kPerConsole);
    qInfo("audit on %s: %d appends from 2 consoles (threads) in %lld ms, one chain of %lld "
          "entries, the writer changed %d times along it",
          qPrintable(m_backend->name()), 2 * kPerConsole, ms, verification.entries, switches);
}

void TestStoreContract::auditRowEditedBehindTheStoreIsNamed() {
    auto consoleA = fresh();
    auto consoleB = another();
    QVERIFY(consoleA && consoleB);
    for (int i = 0; i < 10; ++i) {
        Store &by = i % 2 == 0 ? *consoleA : *consoleB;
        QVERIFY(by.appendAudit({u"alice"_s, {}, u"fill"_s, u"prod"_s, {}, {{u"i"_s, i}}}));
    }
    QVERIFY(consoleA->verifyAuditChain().value().ok);

    QVERIFY(m_backend->rawSql(u"UPDATE audit_log SET actor = 'mallory' WHERE seq = 7"_s));
    for (Store *console : {consoleA.get(), consoleB.get()}) {
        const auto broken = console->verifyAuditChain();
        QVERIFY2(broken, qPrintable(broken ? QString() : errorText(broken.error())));
        QVERIFY(!broken.value().ok);
        QCOMPARE(broken.value().brokenSeq, 7);
        QVERIFY2(broken.value().problem.contains(u"hash"_s), qPrintable(broken.value().problem));
        QVERIFY(broken.value().toString().startsWith(u"BROKEN at seq 7"_s));
    }
    // Rewriting the hash too does not help: the next entry's prev_hash no longer matches.
    const AuditEntry seven = consoleA->auditEntries(6, 1).value().constFirst();
    QCOMPARE(seven.actor, u"mallory"_s);
    QVERIFY(m_backend->rawSql(
        u"UPDATE audit_log SET hash = '%1' WHERE seq = 7"_s.arg(auditHash(seven))));
    QCOMPARE(consoleB->verifyAuditChain().value().brokenSeq, 8);
    // A removed row is named too, and an append afterwards does not paper over it.
    QVERIFY(m_backend->rawSql(u"DELETE FROM audit_log WHERE seq = 4"_s));
    QVERIFY(consoleA->appendAudit({u"alice"_s, {}, u"after"_s, u"prod"_s, {}, {}}));
    const auto gap = consoleB->verifyAuditChain().value();
    QVERIFY(!gap.ok);
    QCOMPARE(gap.brokenSeq, 4);
}

QTEST_GUILESS_MAIN(TestStoreContract)
#include "test_store_contract.moc"
