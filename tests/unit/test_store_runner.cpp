// The store on its own thread (app/store/store_runner.h) and the engine on it: jobs run on the
// store's thread in order and answer on the caller's; a deadline answers with a typed timeout and
// drops the late result; a store that did not open answers every job with why; a gone caller is
// never called. And the point of it: while another console holds the database, the engine's
// tick, sign-in and sign-off return at once, this thread keeps turning, and each answers (with
// its record committed) once the database is free.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/passphrase.h"
#include "app/store/passphrase_proof.h"
#include "app/store/sqlite_store.h"
#include "app/store/store_runner.h"
#include "app/store/store_watcher.h"

#include <QSemaphore>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace cutover;
using store::Store;
using store::StoreError;
using store::StoreResult;
using store::StoreRunner;

namespace {

StoreRunner::Opener sqliteAt(const QString &path) {
    return [path]() -> StoreResult<std::unique_ptr<Store>> {
        auto opened = store::SqliteStore::open({path, {}});
        if (!opened)
            return opened.error();
        return std::unique_ptr<Store>(std::move(opened.value()));
    };
}

const store::OperatorsFile &operators() {
    static const store::OperatorsFile file = [] {
        store::OperatorsFile f;
        store::Operator alice;
        alice.name = u"alice"_s;
        alice.displayName = u"Alice Example"_s;
        alice.roles = {u"release_manager"_s};
        store::setPassphrase(alice, u"pass-alice"_s, store::kCheapestArgon2Cost);
        f.upsert(alice);
        return f;
    }();
    return file;
}

// Another console's write transaction on the same file: the store waits on it (busy timeout).
class HeldDatabase {
public:
    explicit HeldDatabase(const QString &path) {
        m_db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"holder"_s);
        m_db.setDatabaseName(path);
    }
    ~HeldDatabase() {
        release();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"holder"_s);
    }
    bool hold() {
        if (!m_db.open())
            return false;
        QSqlQuery q(m_db);
        m_held = q.exec(u"BEGIN IMMEDIATE"_s);
        return m_held;
    }
    void release() {
        if (!m_held)
            return;
        QSqlQuery q(m_db);
        (void)q.exec(u"COMMIT"_s);
        m_held = false;
    }

private:
    QSqlDatabase m_db;
    bool m_held = false;
};

} // namespace

class TestStoreRunner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_dir.emplace();
        QVERIFY(m_dir->isValid());
    }
    void jobsRunOnTheStoreThreadInOrder();
    void inlineAnswersBeforeReturning();
    void deadlineAnswersWithTimeoutAndDropsTheLateResult();
    void storeThatDidNotOpenAnswersWithWhy();
    void goneCallerIsNeverCalled();
    void watcherLivesOnTheStoreThread();
    void engineActionsDoNotWaitForTheDatabase();

private:
    QString path() const { return m_dir->filePath(u"store.sqlite"_s); }
    std::optional<QTemporaryDir> m_dir;
};

void TestStoreRunner::jobsRunOnTheStoreThreadInOrder() {
    StoreRunner runner(sqliteAt(path()));
    QVERIFY(runner.isThreaded());
    QSignalSpy opened(&runner, &StoreRunner::opened);
    QList<int> answered;
    QList<QThread *> ranOn;
    QList<QThread *> answeredOn;
    for (int i = 0; i < 3; ++i) {
        runner.run<int>(
            this,
            [i, &ranOn](Store &store) -> StoreResult<int> {
                ranOn.append(QThread::currentThread()); // jobs run one at a time
                auto appended = store.appendAudit({u"test"_s, {}, u"job_%1"_s.arg(i), {}, {}, {}});
                if (!appended)
                    return appended.error();
                return int(appended.value().seq);
            },
            [i, &answered, &answeredOn](const StoreResult<int> &seq) {
                QVERIFY2(seq.ok(), qPrintable(seq.ok() ? QString() : seq.error().toString()));
                answered.append(i);
                answeredOn.append(QThread::currentThread());
                QCOMPARE(seq.value(), i + 1);
            });
    }
    QCOMPARE(answered.size(), 0); // nothing answers before this thread turns
    QTRY_COMPARE_WITH_TIMEOUT(answered.size(), 3, 10'000);
    QCOMPARE(answered, (QList<int>{0, 1, 2}));
    for (QThread *t : ranOn)
        QVERIFY(t != QThread::currentThread());
    for (QThread *t : answeredOn)
        QCOMPARE(t, QThread::currentThread());
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.at(0).at(0).toBool(), true);
    QCOMPARE(runner.description(), u"sqlite:"_s + path());
    QCOMPARE(runner.jobsInFlight(), 0);
    // The blocking form (the command line's) reads what the jobs wrote.
    auto count = runner.runBlocking<int>([](Store &store) -> StoreResult<int> {
        auto entries = store.auditEntries();
        if (!entries)
            return entries.error();
        return int(entries.value().size());
    });
    QVERIFY(count.ok());
    QCOMPARE(count.value(), 3);
}

void TestStoreRunner::inlineAnswersBeforeReturning() {
    auto opened = sqliteAt(path())();
    QVERIFY(opened.ok());
    StoreRunner runner(*opened.value());
    QVERIFY(!runner.isThreaded());
    bool answered = false;
    runner.run<qint64>(
        this, [](Store &store) { return store.lastChangeId(); },
        [&answered](const StoreResult<qint64> &id) { answered = id.ok() && id.value() == 0; });
    QVERIFY(answered);
}

void TestStoreRunner::deadlineAnswersWithTimeoutAndDropsTheLateResult() {
    StoreRunner runner(sqliteAt(path()));
    QSignalSpy timedOut(&runner, &StoreRunner::timedOut);
    // The job waits until the test lets it go, which it does only after the deadline answered.
    auto gate = std::make_shared<QSemaphore>(0);
    int calls = 0;
    std::optional<StoreError> error;
    runner.run<int>(
        this,
        [gate](Store &) -> StoreResult<int> {
            gate->acquire();
            return 42;
        },
        [&calls, &error](const StoreResult<int> &r) {
            ++calls;
            if (!r.ok())
                error = r.error();
        },
        std::chrono::milliseconds(100));
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10'000);
    QVERIFY(error);
    QCOMPARE(error->kind, StoreError::Kind::Timeout);
    QVERIFY2(error->toString().startsWith(u"timeout: "_s), qPrintable(error->toString()));
    QCOMPARE(timedOut.size(), 1);
    gate->release();
    // The late answer is dropped: a job posted after it answers, and `calls` stays 1.
    bool later = false;
    runner.run<int>(
        this, [](Store &) -> StoreResult<int> { return 1; },
        [&later](const StoreResult<int> &) { later = true; });
    QTRY_VERIFY_WITH_TIMEOUT(later, 10'000);
    QCOMPARE(calls, 1);
}

void TestStoreRunner::storeThatDidNotOpenAnswersWithWhy() {
    StoreRunner runner([]() -> StoreResult<std::unique_ptr<Store>> {
        return StoreError::io(u"cannot reach db.example:5432"_s);
    });
    QSignalSpy opened(&runner, &StoreRunner::opened);
    std::optional<StoreError> error;
    runner.run<qint64>(
        this, [](Store &store) { return store.lastChangeId(); },
        [&error](const StoreResult<qint64> &r) {
            if (!r.ok())
                error = r.error();
        });
    QTRY_VERIFY_WITH_TIMEOUT(error.has_value(), 10'000);
    QCOMPARE(error->kind, StoreError::Kind::Io);
    QCOMPARE(error->message, u"cannot reach db.example:5432"_s);
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 10'000);
    QCOMPARE(opened.at(0).at(0).toBool(), false);
    QVERIFY(opened.at(0).at(1).toString().contains(u"db.example"_s));
    bool watcherAnswered = false;
    runner.createWatcher(100, this, [&watcherAnswered](store::StoreWatcher *watcher) {
        watcherAnswered = watcher == nullptr;
    });
    QTRY_VERIFY_WITH_TIMEOUT(watcherAnswered, 10'000);
}

void TestStoreRunner::goneCallerIsNeverCalled() {
    StoreRunner runner(sqliteAt(path()));
    bool called = false;
    auto context = std::make_unique<QObject>();
    runner.run<qint64>(
        context.get(), [](Store &store) { return store.lastChangeId(); },
        [&called](const StoreResult<qint64> &) { called = true; });
    context.reset();
    bool after = false;
    runner.run<qint64>(
        this, [](Store &store) { return store.lastChangeId(); },
        [&after](const StoreResult<qint64> &) { after = true; });
    QTRY_VERIFY_WITH_TIMEOUT(after, 10'000);
    QVERIFY(!called);
}

void TestStoreRunner::watcherLivesOnTheStoreThread() {
    StoreRunner runner(sqliteAt(path()));
    store::StoreWatcher *watcher = nullptr;
    runner.createWatcher(50, this, [&watcher](store::StoreWatcher *w) { watcher = w; });
    QTRY_VERIFY_WITH_TIMEOUT(watcher != nullptr, 10'000);
    QVERIFY(watcher->thread() != QThread::currentThread());
    QSignalSpy changed(watcher, &store::StoreWatcher::changed);
    // Another console writes: the watcher, polling on the store's thread, says so here.
    auto other = sqliteAt(path())();
    QVERIFY(other.ok());
    QVERIFY(other.value()->appendAudit({u"other"_s, {}, u"written_elsewhere"_s, {}, {}, {}}).ok());
    QVERIFY(changed.wait(10'000));
}

void TestStoreRunner::engineActionsDoNotWaitForTheDatabase() {
    auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY(loaded.plan);
    config::Plan plan = *loaded.plan;
    (void)operators();
    StoreRunner runner(sqliteAt(path()));
    engine::CutoverEngine::Options options;
    options.dryRun = true;
    options.monitor = false;
    options.coordinate = false;
    engine::CutoverEngine engine(plan, runner, operators(), options);
    engine.start();
    const QString env = plan.environments.first().name;
    // The store has answered the start (the plan's hash is in the log).
    QTRY_VERIFY_WITH_TIMEOUT(engine.snapshot(env).stateKnown, 10'000);

    // A check alice may tick.
    QString gate, check;
    for (const config::Gate &g : plan.gates) {
        for (const config::Check &c : g.checks) {
            if (gate.isEmpty() && c.kind == config::Check::Kind::Manual &&
                c.role == u"release_manager"_s) {
                gate = g.id;
                check = c.id;
            }
        }
    }
    QVERIFY(!check.isEmpty());

    HeldDatabase other(path());
    QVERIFY(other.hold());
    // While another console holds the database: each call returns at once, unanswered.
    const store::PassphraseProof proof =
        store::checkPassphrase(operators(), u"alice"_s, u"pass-alice"_s);
    std::optional<store::SignInResult> signedIn;
    engine.signIn(proof, [&signedIn](const store::SignInResult &r) { signedIn = r; });
    const engine::Operator alice = *engine.operatorNamed(u"alice"_s);
    std::optional<engine::ActionOutcome> ticked;
    engine.tick(env, gate, check, alice,
                [&ticked](const engine::ActionOutcome &outcome) { ticked = outcome; });
    QVERIFY(!signedIn);
    QVERIFY(!ticked);
    // This thread keeps turning meanwhile: a timer fires while the store waits.
    int turns = 0;
    QTimer timer;
    connect(&timer, &QTimer::timeout, this, [&turns] { ++turns; });
    timer.start(10);
    QTRY_VERIFY_WITH_TIMEOUT(turns >= 5, 4'000);
    QVERIFY2(!ticked, "the tick answered while the database was held");
    // The synchronous twin says to use the callback rather than wait.
    QVERIFY(engine.tick(env, gate, check, alice).error.contains(u"callback"_s));
    other.release();
    QTRY_VERIFY_WITH_TIMEOUT(signedIn && ticked, 10'000);
    QVERIFY2(signedIn->ok(), qPrintable(signedIn->message));
    QVERIFY2(ticked->ok, qPrintable(ticked->message()));
    // Answered means recorded: the tick is in the store with its audit entry.
    auto ticks =
        runner.runBlocking<QList<store::Tick>>([env](Store &store) { return store.ticks(env); });
    QVERIFY(ticks.ok());
    QCOMPARE(ticks.value().size(), 1);
    QCOMPARE(ticks.value().first().check, check);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto s = engine.snapshot(env);
            for (const auto &g : s.gates) {
                for (const auto &c : g.checks) {
                    if (g.id == gate && c.id == check && !c.tickedBy.isEmpty())
                        return true;
                }
            }
            return false;
        }(),
        10'000);
    auto actions = runner.runBlocking<QStringList>([](Store &store) -> StoreResult<QStringList> {
        auto entries = store.auditEntries();
        if (!entries)
            return entries.error();
        QStringList names;
        for (const auto &e : entries.value())
            names.append(e.action);
        return names;
    });
    QVERIFY(actions.ok());
    QVERIFY2(actions.value().contains(u"signed_in"_s), qPrintable(actions.value().join(u' ')));
    QVERIFY2(actions.value().contains(u"check_ticked"_s), qPrintable(actions.value().join(u' ')));
}

QTEST_GUILESS_MAIN(TestStoreRunner)
#include "test_store_runner.moc"
