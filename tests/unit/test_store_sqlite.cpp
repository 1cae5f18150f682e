// SqliteStore: schema and migrations, damaged files, optimistic concurrency between two
// instances on one file (two consoles), ticks, sign-offs, holds, and change notification.

#include "app/store/sqlite_schema.h"
#include "app/store/sqlite_store.h"
#include "app/store/store_watcher.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

// Runs SQL on the file behind the store's back, as a tamperer or an older/newer program would.
bool rawSql(const QString &path, const QString &sql) {
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"raw"_s);
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                qWarning() << q.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(u"raw"_s);
    return ok;
}

std::unique_ptr<SqliteStore> openOrFail(const QString &path, Clock clock = systemClock()) {
    SqliteStore::Options options;
    options.path = path;
    options.clock = std::move(clock);
    auto opened = SqliteStore::open(options);
    if (!opened) {
        qWarning() << opened.error().toString();
        return nullptr;
    }
    return std::move(opened).value();
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

class TestStoreSqlite : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_dir.emplace(); // a fresh folder per test function
        QVERIFY(m_dir->isValid());
    }
    void migratesNewFileAndReopens();
    void migratesZeroByteFile();
    void newerSchemaRefused();
    void garbageFileIsCorrupt();
    void truncatedDatabaseIsTypedError();
    void missingFileNotCreatedWhenAsked();
    void twoInstancesExactlyOneWins();
    void firstWriteRace();
    void holdSurvivesRestart();
    void ticksAndSignOffs();
    void resetGateClearsAndVoids();
    void watcherSeesOtherConsoleWithinTwoSeconds();
    void everyWriteMovesChangeId();

private:
    QString path(const QString &name = u"store.sqlite"_s) const { return m_dir->filePath(name); }
    std::optional<QTemporaryDir> m_dir;
};

void TestStoreSqlite::migratesNewFileAndReopens() {
    const QString file = m_dir->filePath(u"sub/dir/store.sqlite"_s); // folders are created
    {
        auto store = openOrFail(file);
        QVERIFY(store);
        QCOMPARE(store->schemaVersion(), latestSchemaVersion());
        auto appended = store->appendAudit({u"alice"_s, {}, u"test"_s, {}, {}, {}});
        QVERIFY2(appended, qPrintable(appended ? QString() : appended.error().toString()));
    }
    {
        auto store = openOrFail(file); // idempotent: nothing re-applied, data kept
        QVERIFY(store);
        QCOMPARE(store->schemaVersion(), latestSchemaVersion());
        QCOMPARE(store->lastChangeId().value(), 1);
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"check"_s);
    db.setDatabaseName(file);
    QVERIFY(db.open());
    {
        QSqlQuery q(db);
        QVERIFY(q.exec(u"SELECT COUNT(*) FROM schema_version"_s) && q.next());
        QCOMPARE(q.value(0).toInt(), sqliteMigrations().size());
        QVERIFY(q.exec(u"PRAGMA journal_mode"_s) && q.next());
        QCOMPARE(q.value(0).toString(), u"wal"_s);
    }
    db.close();
    db = {};
    QSqlDatabase::removeDatabase(u"check"_s);
}

void TestStoreSqlite::migratesZeroByteFile() {
    QFile empty(path());
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.close();
    auto store = openOrFail(path());
    QVERIFY(store);
    QCOMPARE(store->schemaVersion(), latestSchemaVersion());
}

void TestStoreSqlite::newerSchemaRefused() {
    { QVERIFY(openOrFail(path())); }
    QVERIFY(rawSql(path(), u"INSERT INTO schema_version VALUES (999, 'from the future', 0)"_s));
    SqliteStore::Options options;
    options.path = path();
    auto opened = SqliteStore::open(options);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Schema);
    QVERIFY2(opened.error().message.contains(u"999"_s), qPrintable(opened.error().message));
    QVERIFY(opened.error().message.contains(u"newer"_s));
    // Not downgraded: the future version is still recorded.
    QVERIFY(!SqliteStore::open(options));
}

void TestStoreSqlite::garbageFileIsCorrupt() {
    QFile garbage(path());
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    QByteArray bytes;
    for (int i = 0; i < 64 * 1024; ++i)
        bytes.append(char((i * 7919 + 13) % 251));
    garbage.write(bytes);
    garbage.close();
    SqliteStore::Options options;
    options.path = path();
    auto opened = SqliteStore::open(options);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Corrupt);
    QVERIFY2(opened.error().message.contains(path()), qPrintable(opened.error().message));
}

void TestStoreSqlite::truncatedDatabaseIsTypedError() {
    {
        auto store = openOrFail(path());
        QVERIFY(store);
        for (int i = 0; i < 200; ++i)
            QVERIFY(store->appendAudit({u"a"_s, {}, u"fill"_s, {}, QString(500, u'x'), {}}));
    }
    // Keep the valid header, overwrite the pages after it: a damaged, not an alien, file.
    QFile file(path());
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.size() > 8192);
    file.seek(4096);
    file.write(QByteArray(int(file.size()) - 4096, '\xa5'));
    file.close();
    SqliteStore::Options options;
    options.path = path();
    auto opened = SqliteStore::open(options);
    if (opened) { // the damage may only surface on use; it must still be typed
        auto verified = opened.value()->verifyAuditChain();
        QVERIFY(!verified || !verified.value().ok);
    } else {
        QVERIFY2(opened.error().kind == StoreError::Kind::Corrupt,
                 qPrintable(opened.error().toString()));
    }
}

void TestStoreSqlite::missingFileNotCreatedWhenAsked() {
    SqliteStore::Options options;
    options.path = path(u"absent.sqlite"_s);
    options.createIfMissing = false;
    auto opened = SqliteStore::open(options);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Io);
    QVERIFY(!QFile::exists(options.path));
}

void TestStoreSqlite::twoInstancesExactlyOneWins() {
    QDateTime now = utc(1'700'000'000'000);
    auto clock = [&now] {
        return now;
    };
    auto consoleA = openOrFail(path(), clock);
    auto consoleB = openOrFail(path(), clock);
    QVERIFY(consoleA && consoleB);

    auto first = consoleA->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"alice"_s));
    QVERIFY(first);
    QCOMPARE(first.value().version, 1);

    // Both consoles read version 1 and both try to shift.
    const auto seenByA = consoleA->stageState(u"prod"_s).value();
    const auto seenByB = consoleB->stageState(u"prod"_s).value();
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
    QVERIFY(!loser);
    QCOMPARE(loser.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(loser.error().changedBy, u"alice"_s);
    QCOMPARE(loser.error().changedAt, utc(1'700'000'005'000));
    QCOMPARE(loser.error().currentVersion, 2);
    QCOMPARE(loser.error().message, u"stage changed by alice at 2023-11-14T22:13:25.000Z"_s);

    const auto stored = consoleB->stageState(u"prod"_s).value();
    QCOMPARE(stored->version, 2);
    QCOMPARE(stored->changedBy, u"alice"_s);
    QCOMPARE(stored->intendedWeights, winner.value().intendedWeights);
    // The loser wrote nothing, not even an audit entry.
    const auto audit = consoleB->auditEntries().value();
    QCOMPARE(audit.size(), 2);
    QCOMPARE(audit.constLast().action, u"shift_started"_s);
    QCOMPARE(audit.constLast().role, u"release_manager"_s);
}

void TestStoreSqlite::firstWriteRace() {
    auto consoleA = openOrFail(path());
    auto consoleB = openOrFail(path());
    QVERIFY(consoleA->updateStageState(0, state(u"staging"_s, 0, u"Holding"_s, u"alice"_s)));
    auto second = consoleB->updateStageState(0, state(u"staging"_s, 0, u"Holding"_s, u"bob"_s));
    QVERIFY(!second);
    QCOMPARE(second.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(second.error().changedBy, u"alice"_s);
}

void TestStoreSqlite::holdSurvivesRestart() {
    StageState s = state(u"prod"_s, 1, u"Holding"_s, u"alice"_s);
    s.holdStartedAt = utc(1'700'000'123'456);
    {
        auto store = openOrFail(path());
        QVERIFY(store->updateStageState(0, s));
    }
    auto store = openOrFail(path());
    const auto reopened = store->stageState(u"prod"_s).value();
    QVERIFY(reopened);
    QCOMPARE(reopened->holdStartedAt, s.holdStartedAt);
    QCOMPARE(reopened->enteredAt, s.enteredAt);
    QCOMPARE(reopened->phase, u"Holding"_s);
    QCOMPARE(store->stageStates().value().size(), 1);
    QVERIFY(!store->stageState(u"nowhere"_s).value().has_value());
}

void TestStoreSqlite::ticksAndSignOffs() {
    QDateTime now = utc(1'700'000'000'000);
    auto consoleA = openOrFail(path(), [&now] { return now; });
    auto consoleB = openOrFail(path(), [&now] { return now; });
    auto ticked =
        consoleA->tick({u"prod"_s, u"gate_1"_s, u"backup"_s, u"alice"_s, u"release_manager"_s, {}});
    QVERIFY(ticked);
    QCOMPARE(ticked.value().at, now);
    auto again = consoleB->tick({u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s, {}});
    QVERIFY(!again);
    QCOMPARE(again.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(again.error().changedBy, u"alice"_s);
    QCOMPARE(consoleB->ticks(u"prod"_s).value().size(), 1);

    QCOMPARE(consoleB->untick(u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s).value(),
             true);
    QCOMPARE(consoleB->untick(u"prod"_s, u"gate_1"_s, u"backup"_s, u"bob"_s, u"on_call"_s).value(),
             false);
    QVERIFY(consoleA->ticks(u"prod"_s).value().isEmpty());

    SignOff sign;
    sign.environment = u"prod"_s;
    sign.gate = u"gate_4"_s;
    sign.role = u"executive"_s;
    sign.operatorName = u"carol"_s;
    sign.printedName = u"Carol Diaz"_s;
    sign.meaning = u"approved"_s;
    sign.comment = u"go, see ticket CHG-1"_s;
    auto signed1 = consoleA->signOff(sign);
    QVERIFY(signed1);
    QVERIFY(signed1.value().id > 0);
    QCOMPARE(signed1.value().signatureHash.size(), 64);
    auto signed2 = consoleB->signOff(sign);
    QVERIFY(!signed2);
    QCOMPARE(signed2.error().kind, StoreError::Kind::Conflict);
    QCOMPARE(signed2.error().changedBy, u"carol"_s);
    const auto seen = consoleB->signOffs(u"prod"_s).value();
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen.constFirst(), signed1.value());

    const auto audit = consoleB->auditEntries().value();
    QStringList actions;
    for (const AuditEntry &e : audit)
        actions.append(e.action);
    QCOMPARE(actions, (QStringList{u"check_ticked"_s, u"check_unticked"_s, u"gate_signed"_s}));
    QCOMPARE(audit.constLast().detailsObject().value(u"printed_name"_s).toString(),
             u"Carol Diaz"_s);
    QCOMPARE(audit.constLast().detailsObject().value(u"signature_hash"_s).toString(),
             signed1.value().signatureHash);
}

void TestStoreSqlite::resetGateClearsAndVoids() {
    auto store = openOrFail(path());
    QVERIFY(store->tick({u"prod"_s, u"gate_2"_s, u"a"_s, u"alice"_s, u"release_manager"_s, {}}));
    QVERIFY(store->tick({u"prod"_s, u"gate_2"_s, u"b"_s, u"alice"_s, u"release_manager"_s, {}}));
    QVERIFY(store->tick({u"prod"_s, u"gate_3"_s, u"a"_s, u"alice"_s, u"release_manager"_s, {}}));
    SignOff sign;
    sign.environment = u"prod"_s;
    sign.gate = u"gate_2"_s;
    sign.role = u"release_manager"_s;
    sign.operatorName = u"alice"_s;
    sign.printedName = u"Alice"_s;
    sign.meaning = u"approved"_s;
    QVERIFY(store->signOff(sign));
    QCOMPARE(store->resetGate(u"prod"_s, u"gate_2"_s, u"engine"_s, {}, u"rollback"_s).value(), 3);
    QCOMPARE(store->ticks(u"prod"_s).value().size(), 1);
    QVERIFY(store->signOffs(u"prod"_s).value().isEmpty());
    QVERIFY(store->signOff(sign)); // the gate can be signed again
}

void TestStoreSqlite::watcherSeesOtherConsoleWithinTwoSeconds() {
    auto consoleA = openOrFail(path());
    auto consoleB = openOrFail(path());
    std::unique_ptr<StoreWatcher> watcher(consoleB->createWatcher(nullptr));
    QSignalSpy changed(watcher.get(), &StoreWatcher::changed);

    QElapsedTimer elapsed;
    elapsed.start();
    QVERIFY(
        consoleA->tick({u"prod"_s, u"pre"_s, u"comms"_s, u"alice"_s, u"release_manager"_s, {}}));
    QVERIFY(changed.wait(2000));
    QVERIFY2(elapsed.elapsed() < 2000, qPrintable(QString::number(elapsed.elapsed())));
    QCOMPARE(consoleB->ticks(u"prod"_s).value().size(), 1);
    const qint64 previous = changed.constFirst().at(0).toLongLong();
    const qint64 last = changed.constFirst().at(1).toLongLong();
    const auto changes = consoleB->changesSince(previous).value();
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.constFirst().seq, last);
    QCOMPARE(changes.constFirst().action, u"check_ticked"_s);

    SignOff sign;
    sign.environment = u"prod"_s;
    sign.gate = u"pre"_s;
    sign.role = u"release_manager"_s;
    sign.operatorName = u"alice"_s;
    sign.printedName = u"Alice"_s;
    sign.meaning = u"approved"_s;
    elapsed.restart();
    QVERIFY(consoleA->signOff(sign));
    QVERIFY(changed.wait(2000));
    QVERIFY(elapsed.elapsed() < 2000);
    QCOMPARE(consoleB->signOffs(u"prod"_s).value().size(), 1);
    QCOMPARE(watcher->lastSeen(), consoleA->lastChangeId().value());
}

void TestStoreSqlite::everyWriteMovesChangeId() {
    auto store = openOrFail(path());
    QCOMPARE(store->lastChangeId().value(), 0);
    QVERIFY(store->updateStageState(0, state(u"prod"_s, 0, u"Holding"_s, u"alice"_s)));
    QCOMPARE(store->lastChangeId().value(), 1);
    QVERIFY(store->tick({u"prod"_s, u"g"_s, u"c"_s, u"alice"_s, u"r"_s, {}}));
    QCOMPARE(store->lastChangeId().value(), 2);
    QVERIFY(!store->tick({u"prod"_s, u"g"_s, u"c"_s, u"alice"_s, u"r"_s, {}}));
    QCOMPARE(store->lastChangeId().value(), 2); // a refused write changes nothing
}

QTEST_GUILESS_MAIN(TestStoreSqlite)
#include "test_store_sqlite.moc"
