// What only PostgresStore has, on a real PostgreSQL 15 (tests/lab/postgres.sh, CTest fixture
// `postgres`): a newer schema refused, a server restart under a LISTEN watcher (outage noticed,
// reconnect, feed again), the local audit journal during an outage, typed errors when the server
// is away or the password is wrong, and the url's options. The behaviours every store shares
// (migrations, the version column between consoles, racing consoles, ticks, sign-offs, the change
// counter, NOTIFY propagation, the audit chain) are in test_store_contract.cpp, which runs on this
// server as test_store_contract_postgres.

#include "app/store/postgres_journal.h"
#include "app/store/postgres_schema.h"
#include "app/store/postgres_store.h"
#include "app/store/postgres_watcher.h"
#include "app/store/store_watcher.h"
#include "tests/lab/postgres_server.h"

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

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

using pglab::rawSql;
using pglab::script;

PostgresStore::Options options(Clock clock = systemClock()) {
    const auto state = pglab::state();
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

} // namespace

class TestStorePostgres : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        // openStore() puts the audit journal in AppDataLocation: keep it out of the real one.
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(!pglab::dir().isEmpty(), "CUTOVER_PG_DIR is not set: run through ctest (fixture)");
        QVERIFY2(pglab::state().contains(u"PGPORT"_s), "no state.env: did postgres_up pass?");
    }
    void init() {
        // A fresh schema per test function (the role owns the database and its public schema).
        QVERIFY(rawSql(u"DROP SCHEMA public CASCADE; CREATE SCHEMA public"_s));
    }
    void newerSchemaRefused();
    void serverRestartWatcherReconnects();
    void journalKeepsAuditDuringOutage();
    void typedErrorWhenServerIsAway();
    void badPasswordIsIoWithoutThePassword();
    void urlOptionsChecked();
    void statementTimeoutEndsALongWait();
};

void TestStorePostgres::newerSchemaRefused() {
    { QVERIFY(openOrFail()); }
    QVERIFY(rawSql(u"INSERT INTO schema_version VALUES (999, 'from the future', 0)"_s));
    auto opened = PostgresStore::open(options());
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Schema);
    QVERIFY2(opened.error().message.contains(u"999"_s), qPrintable(opened.error().message));
    QVERIFY(!PostgresStore::open(options())); // not downgraded
}

void TestStorePostgres::serverRestartWatcherReconnects() {
    auto consoleA = openOrFail();
    auto consoleB = openOrFail();
    std::unique_ptr<StoreWatcher> watcher(consoleB->createWatcher(nullptr));
    // LISTEN, not polling (the contract suite measures NOTIFY's propagation).
    auto *listener = qobject_cast<PostgresWatcher *>(watcher.get());
    QVERIFY(listener);
    QSignalSpy failed(watcher.get(), &StoreWatcher::failed);
    QSignalSpy recovered(watcher.get(), &StoreWatcher::recovered);
    QSignalSpy changed(watcher.get(), &StoreWatcher::changed);
    QVERIFY(consoleA->tick({u"prod"_s, u"pre"_s, u"before"_s, u"alice"_s, u"rm"_s, {}}));
    QVERIFY(changed.wait(1000));
    QVERIFY(listener->listening()); // the feed is up before the server goes away

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
    QVERIFY(!error.message.contains(pglab::state().value(u"PGPASSWORD"_s)));
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
    {
        // The description names the server, never the password.
        auto store = openOrFail();
        QVERIFY(store);
        QVERIFY(store->description().startsWith(u"postgresql://127.0.0.1:"_s));
        QVERIFY(!store->description().contains(pglab::state().value(u"PGPASSWORD"_s)));
    }
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

// A session never waits longer than its statement_timeout: another session holds the write lock
// (lock_timeout set far longer), and the write fails as Busy, naming the timeout, in about that
// time instead of hanging.
void TestStorePostgres::statementTimeoutEndsALongWait() {
    PostgresStore::Options o = options();
    o.busyTimeoutMs = 30'000;
    o.statementTimeoutMs = 400;
    auto opened = PostgresStore::open(o);
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    auto store = std::move(opened).value();
    const QString name = u"lock-holder"_s;
    {
        QSqlDatabase holder = pglab::addConnection(pglab::state(), name);
        QVERIFY2(holder.open(), qPrintable(holder.lastError().text()));
        QSqlQuery q(holder);
        QVERIFY(q.exec(u"SELECT pg_advisory_lock(%1)"_s.arg(kWriteLockKey)));
        QElapsedTimer clock;
        clock.start();
        const auto written = store->appendAudit({u"alice"_s, {}, u"probe"_s, {}, {}, {}});
        const qint64 took = clock.elapsed();
        QVERIFY(!written);
        QCOMPARE(written.error().kind, StoreError::Kind::Busy);
        QVERIFY2(written.error().message.contains(u"statement timeout of 400 ms"_s),
                 qPrintable(written.error().message));
        QVERIFY2(took < 20'000, qPrintable(QString::number(took))); // not lock_timeout's 30 s
        QVERIFY(q.exec(u"SELECT pg_advisory_unlock(%1)"_s.arg(kWriteLockKey)));
        holder.close();
    }
    QSqlDatabase::removeDatabase(name);
    // The lock released: the same store writes again.
    QVERIFY(store->appendAudit({u"alice"_s, {}, u"probe"_s, {}, {}, {}}));
}

QTEST_GUILESS_MAIN(TestStorePostgres)
#include "test_store_postgres.moc"
