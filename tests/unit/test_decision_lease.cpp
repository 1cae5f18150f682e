// The decision lease (app/store/decision_lease.h, lease_keeper.h) and who decides among engines
// on one store, run once per backend (CUTOVER_STORE_BACKEND: sqlite, postgresql): the backend's
// rules, then real engines with real threads: exactly one desk decides; a controller takes over
// from a desk, which stops first; a released lease is taken at the next look.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/decision_lease.h"
#include "app/store/lease_keeper.h"
#include "app/store/sqlite_store.h"
#include "store_backends.h"

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
    void initTestCase() {
        QString error;
        m_backend = store::testing::storeBackendFromEnvironment(&error);
        QVERIFY2(m_backend, qPrintable(error));
    }

    void backendRules() {
        auto store = fresh();
        QVERIFY(store);
        auto backend = store->createLeaseBackend();
        QVERIFY(backend);
        QVERIFY(backend->open());
        auto empty = backend->read();
        QVERIFY(empty);
        QVERIFY(!empty.value().holder);
        QVERIFY(!empty.value().mark.evaluatedAt.isValid());

        // A desk takes a free lease; a second desk cannot while it is fresh.
        constexpr qint64 kLeaseMs = 400;
        const auto deskA = holder(u"a"_s, store::LeaseHolderKind::Desk);
        const auto deskB = holder(u"b"_s, store::LeaseHolderKind::Desk);
        auto a = backend->tryAcquire(deskA, kLeaseMs);
        QVERIFY(a && a.value().won);
        QCOMPARE(a.value().holder.term, 1);
        QCOMPARE(a.value().holder.renewedAt.msecsTo(a.value().holder.expiresAt), kLeaseMs);
        auto b = backend->tryAcquire(deskB, kLeaseMs);
        QVERIFY(b && !b.value().won);
        QCOMPARE(b.value().holder.id, u"a"_s);

        // Renewal moves the expiry and records the evaluation; a stranger cannot renew.
        const QDateTime evaluated = QDateTime::currentDateTimeUtc().addMSecs(-100);
        auto renewed = backend->renew(u"a"_s, kLeaseMs, evaluated);
        QVERIFY(renewed && renewed.value());
        auto notMine = backend->renew(u"b"_s, kLeaseMs, {});
        QVERIFY(notMine && !notMine.value());
        auto read = backend->read();
        QVERIFY(read && read.value().holder);
        QCOMPARE(read.value().holder->lastEvaluationAt.toMSecsSinceEpoch(),
                 evaluated.toMSecsSinceEpoch());
        QVERIFY(read.value().holder->freshAt(read.value().now));

        // A controller takes it from a desk at once and says when the desk's lease ends.
        const auto controller = holder(u"c"_s, store::LeaseHolderKind::Controller);
        auto c = backend->tryAcquire(controller, kLeaseMs);
        QVERIFY(c && c.value().won);
        QCOMPARE(c.value().holder.term, 2);
        QVERIFY(c.value().previousExpiresAt.isValid());
        QVERIFY(c.value().previousExpiresAt > c.value().now);
        // ... but not from another controller while its lease is fresh, only once it expired.
        const auto other = holder(u"d"_s, store::LeaseHolderKind::Controller);
        auto early = backend->tryAcquire(other, kLeaseMs);
        QVERIFY(early && !early.value().won);
        QTRY_VERIFY_WITH_TIMEOUT(backend->tryAcquire(other, kLeaseMs).value().won, 3000);
        auto taken = backend->read();
        QVERIFY(taken && taken.value().holder);
        QCOMPARE(taken.value().holder->id, u"d"_s);
        QCOMPARE(taken.value().holder->term, 3);
        QCOMPARE(taken.value().holder->host, u"host-d"_s);

        // Released: free at once, the holder's details stay readable.
        QVERIFY(backend->release(u"d"_s));
        auto released = backend->read();
        QVERIFY(released && released.value().holder);
        QVERIFY(!released.value().holder->freshAt(released.value().now));
        auto e = backend->tryAcquire(deskA, kLeaseMs);
        QVERIFY(e && e.value().won);

        // The watch mark only moves forward.
        const QDateTime now =
            QDateTime::fromMSecsSinceEpoch(QDateTime::currentMSecsSinceEpoch(), QTimeZone::utc());
        QVERIFY(backend->markEvaluated(now, u"x"_s));
        QVERIFY(backend->markEvaluated(now.addSecs(-60), u"y"_s));
        auto mark = backend->read();
        QVERIFY(mark);
        QCOMPARE(mark.value().mark.evaluatedAt, now);
        QCOMPARE(mark.value().mark.evaluatedBy, u"x"_s);
    }

    void exactlyOneDeskDecides() {
        const auto plan = quickPlan();
        QVERIFY(plan);
        auto storeA = fresh();
        auto storeB = another();
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
        auto deskStore = fresh();
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
        auto controllerStore = another();
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
    std::unique_ptr<store::Store> fresh() { return orWarn(m_backend->open()); }
    std::unique_ptr<store::Store> another() { return orWarn(m_backend->openAnother()); }
    static std::unique_ptr<store::Store>
    orWarn(store::StoreResult<std::unique_ptr<store::Store>> opened) {
        if (!opened) {
            qWarning("cannot open the store: %s", qPrintable(opened.error().toString()));
            return nullptr;
        }
        return std::move(opened).value();
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

    std::unique_ptr<store::testing::StoreBackend> m_backend;
};

QTEST_GUILESS_MAIN(TestDecisionLease)
#include "test_decision_lease.moc"
