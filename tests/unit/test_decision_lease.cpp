// The decision lease (app/store/decision_lease.h, lease_keeper.h) and who decides among engines
// on one SQLite store: the backend's rules on a clock the test drives, then real engines with
// real threads: exactly one desk decides; a controller takes over from a desk, which stops
// first; a released lease is taken at the next look.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/decision_lease.h"
#include "app/store/lease_keeper.h"
#include "app/store/sqlite_store.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover;

namespace {

store::LeaseHolder holder(const QString &id, store::LeaseHolderKind kind) {
    store::LeaseHolder h;
    h.id = id;
    h.kind = kind;
    h.host = u"host-"_s + id;
    h.pid = 100;
    h.version = u"test"_s;
    return h;
}

} // namespace

class TestDecisionLease : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() {
        QVERIFY(m_dir.isValid());
        m_now = QDateTime(QDate(2026, 12, 2), QTime(10, 0), QTimeZone::utc());
    }
    void cleanup() {
        for (const QString &suffix : {u""_s, u"-wal"_s, u"-shm"_s})
            QFile::remove(path() + suffix);
    }

    void backendRules() {
        auto store = openStore();
        QVERIFY(store);
        auto backend = store->createLeaseBackend();
        QVERIFY(backend);
        QVERIFY(backend->open());
        auto empty = backend->read();
        QVERIFY(empty);
        QVERIFY(!empty.value().holder);
        QVERIFY(!empty.value().mark.evaluatedAt.isValid());

        // A desk takes a free lease; a second desk cannot while it is fresh.
        const auto deskA = holder(u"a"_s, store::LeaseHolderKind::Desk);
        const auto deskB = holder(u"b"_s, store::LeaseHolderKind::Desk);
        auto a = backend->tryAcquire(deskA, 3000);
        QVERIFY(a && a.value().won);
        QCOMPARE(a.value().holder.term, 1);
        QCOMPARE(a.value().holder.expiresAt, m_now.addMSecs(3000));
        auto b = backend->tryAcquire(deskB, 3000);
        QVERIFY(b && !b.value().won);
        QCOMPARE(b.value().holder.id, u"a"_s);

        // Renewal moves the expiry and records the evaluation; a stranger cannot renew.
        m_now = m_now.addSecs(2);
        auto renewed = backend->renew(u"a"_s, 3000, m_now.addMSecs(-100));
        QVERIFY(renewed && renewed.value());
        auto notMine = backend->renew(u"b"_s, 3000, {});
        QVERIFY(notMine && !notMine.value());
        auto read = backend->read();
        QVERIFY(read && read.value().holder);
        QCOMPARE(read.value().holder->expiresAt, m_now.addMSecs(3000));
        QCOMPARE(read.value().holder->lastEvaluationAt, m_now.addMSecs(-100));

        // A controller takes it from a desk at once and says when the desk's lease ends.
        const auto controller = holder(u"c"_s, store::LeaseHolderKind::Controller);
        auto c = backend->tryAcquire(controller, 3000);
        QVERIFY(c && c.value().won);
        QCOMPARE(c.value().holder.term, 2);
        QCOMPARE(c.value().previousExpiresAt, m_now.addMSecs(3000));
        // ... but not from another controller while its lease is fresh.
        auto c2 = backend->tryAcquire(holder(u"d"_s, store::LeaseHolderKind::Controller), 3000);
        QVERIFY(c2 && !c2.value().won);
        // Expired: anybody may take it.
        m_now = m_now.addMSecs(3001);
        auto d = backend->tryAcquire(holder(u"d"_s, store::LeaseHolderKind::Controller), 3000);
        QVERIFY(d && d.value().won);
        QCOMPARE(d.value().holder.term, 3);
        QVERIFY(!d.value().previousExpiresAt.isValid());
        QCOMPARE(d.value().holder.leadingSince, m_now);

        // Released: free at once, the holder's details stay readable.
        QVERIFY(backend->release(u"d"_s));
        auto released = backend->read();
        QVERIFY(released && released.value().holder);
        QVERIFY(!released.value().holder->freshAt(m_now.addMSecs(1)));
        auto e = backend->tryAcquire(deskA, 3000);
        QVERIFY(e && e.value().won);

        // The watch mark only moves forward.
        QVERIFY(backend->markEvaluated(m_now, u"x"_s));
        QVERIFY(backend->markEvaluated(m_now.addSecs(-60), u"y"_s));
        auto mark = backend->read();
        QVERIFY(mark);
        QCOMPARE(mark.value().mark.evaluatedAt, m_now);
        QCOMPARE(mark.value().mark.evaluatedBy, u"x"_s);
    }

    void exactlyOneDeskDecides() {
        const auto plan = quickPlan();
        QVERIFY(plan);
        auto storeA = openRealStore();
        auto storeB = openRealStore();
        QVERIFY(storeA && storeB);
        engine::CutoverEngine a(*plan, *storeA, std::nullopt, deskOptions(u"desk-a"_s));
        engine::CutoverEngine b(*plan, *storeB, std::nullopt, deskOptions(u"desk-b"_s));
        a.start();
        b.start();
        QTRY_VERIFY_WITH_TIMEOUT(a.decides() != b.decides(), 5000);
        // It stays that way over several renewals, and both see the same holder.
        for (int i = 0; i < 6; ++i) {
            QSignalSpy observed(a.decides() ? &b : &a, &engine::CutoverEngine::decisionChanged);
            QVERIFY(observed.wait(2000));
            QVERIFY(a.decides() != b.decides());
        }
        const auto sa = a.decisionStatus();
        const auto sb = b.decisionStatus();
        QVERIFY(sa.holder && sb.holder);
        QCOMPARE(sa.holder->id, sb.holder->id);
        QCOMPARE(sa.holder->kind, store::LeaseHolderKind::Desk);
    }

    void controllerTakesOverFromADesk() {
        const auto plan = quickPlan();
        QVERIFY(plan);
        auto deskStore = openRealStore();
        QVERIFY(deskStore);
        engine::CutoverEngine desk(*plan, *deskStore, std::nullopt, deskOptions(u"desk"_s));
        desk.start();
        QTRY_VERIFY_WITH_TIMEOUT(desk.decides(), 5000);

        QElapsedTimer clock;
        clock.start();
        qint64 deskStoppedAt = -1;
        qint64 controllerStartedAt = -1;
        connect(&desk, &engine::CutoverEngine::decisionChanged, this, [&] {
            if (!desk.decides() && deskStoppedAt < 0)
                deskStoppedAt = clock.elapsed();
        });
        auto controllerStore = openRealStore();
        QVERIFY(controllerStore);
        auto options = deskOptions(u"controller"_s);
        options.role = engine::CutoverEngine::Role::Controller;
        {
            engine::CutoverEngine controller(*plan, *controllerStore, std::nullopt, options);
            connect(&controller, &engine::CutoverEngine::decisionChanged, this, [&] {
                if (controller.decides() && controllerStartedAt < 0)
                    controllerStartedAt = clock.elapsed();
            });
            controller.start();
            QTRY_VERIFY_WITH_TIMEOUT(controller.decides(), 5000);
            QVERIFY(!desk.decides());
            QVERIFY(deskStoppedAt >= 0);
            // Never two deciders: the desk stopped before the controller began.
            QVERIFY2(
                deskStoppedAt <= controllerStartedAt,
                qPrintable(u"desk stopped at %1 ms, controller began at %2 ms"_s.arg(deskStoppedAt)
                               .arg(controllerStartedAt)));
            QTRY_VERIFY_WITH_TIMEOUT(desk.decisionStatus().holder &&
                                         desk.decisionStatus().holder->kind ==
                                             store::LeaseHolderKind::Controller,
                                     3000);
        }
        // The controller released its lease as it stopped: the desk decides again, long before
        // the lease would have expired (within its look interval plus the back-fill).
        QElapsedTimer handover;
        handover.start();
        QTRY_VERIFY_WITH_TIMEOUT(desk.decides(), 5000);
        QVERIFY2(handover.elapsed() < 2500, qPrintable(QString::number(handover.elapsed())));
    }

private:
    QString path() const { return m_dir.filePath(u"store.sqlite"_s); }

    std::unique_ptr<store::SqliteStore> openStore() {
        auto opened = store::SqliteStore::open({path(), [this] {
                                                    return m_now;
                                                }});
        if (!opened) {
            qWarning().noquote() << opened.error().toString();
            return nullptr;
        }
        return std::move(opened.value());
    }
    std::unique_ptr<store::SqliteStore> openRealStore() {
        auto opened = store::SqliteStore::open({path()});
        if (!opened) {
            qWarning().noquote() << opened.error().toString();
            return nullptr;
        }
        return std::move(opened.value());
    }
    static std::optional<config::Plan> quickPlan() {
        auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
        if (!loaded.ok())
            return std::nullopt;
        config::Plan plan = *loaded.plan;
        plan.controller.lease = config::Duration::seconds(1);
        return plan;
    }
    static engine::CutoverEngine::Options deskOptions(const QString &host) {
        engine::CutoverEngine::Options options;
        options.monitor = false;
        options.dryRun = true;
        options.hostName = host;
        return options;
    }

    QTemporaryDir m_dir;
    QDateTime m_now;
};

QTEST_GUILESS_MAIN(TestDecisionLease)
#include "test_decision_lease.moc"
