// Escalation and the controller in the window, offscreen:
// - the header says who takes the automatic decisions (a controller: host, how long it leads,
//   when it last evaluated; none: amber "automatic rollback runs only while this window is
//   open"; another window; a silent controller in red);
// - an L4 event written by another desk or a controller shows the WAR ROOM band in this window;
//   a signed-in operator acknowledges it with the keyboard (Alt+K) and the store records who.
//
// Set WAR_ROOM_PNG_DIR to keep the screenshots.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/passphrase.h"
#include "app/store/sqlite_store.h"
#include "theme_screenshots.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/war_room/header_bar.h"
#include "ui/war_room/war_room_banner.h"
#include "ui/war_room/war_room_window.h"

#include <QApplication>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;

namespace {

const QDateTime Now = QDateTime(QDate(2026, 12, 2), QTime(10, 0), Qt::UTC);

store::LeaseHolder controllerHolder() {
    store::LeaseHolder h;
    h.id = u"c-1"_s;
    h.kind = store::LeaseHolderKind::Controller;
    h.host = u"host-a"_s;
    h.pid = 4242;
    h.leadingSince = Now.addDays(-3);
    h.renewedAt = Now.addSecs(-1);
    h.expiresAt = Now.addSecs(2);
    h.lastEvaluationAt = Now.addSecs(-1);
    return h;
}

} // namespace

class TestWarRoomEscalation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QApplication::setStyle(QStyleFactory::create(u"Fusion"_s)); }

    void headerSaysWhoDecides() {
        ui::HeaderBar header;
        header.resize(1400, 120);
        header.show();
        engine::EnvironmentSnapshot s;
        s.environment = u"production"_s;
        s.decision.coordinated = true;
        s.decision.observedAt = Now;

        // A controller leads: this window shows and executes what its operator does.
        s.decision.holder = controllerHolder();
        s.decision.holderFresh = true;
        header.display(s, Now);
        QCOMPARE(header.decisionLabel()->text(),
                 u"controller host-a · leading 72h · evaluated 1s ago"_s);
        QVERIFY(header.decisionLabel()->toolTip().contains(u"controller host-a (pid 4242)"_s));
        saveInBothThemes(&header, u"header-controller"_s);

        // No controller: this window decides, and says what closing it means.
        s.decision.holder.reset();
        s.decision.holderFresh = false;
        s.decision.thisEngine = true;
        header.display(s, Now);
        QCOMPARE(header.decisionLabel()->text(),
                 u"No controller: automatic rollback runs only while this window is open"_s);
        QVERIFY2(header.decisionLabel()->styleSheet().contains(u"font-weight: bold"_s),
                 "the no-controller warning is not emphasised");
        saveInBothThemes(&header, u"header-no-controller"_s);

        // Another window decides.
        store::LeaseHolder desk;
        desk.id = u"d-1"_s;
        desk.kind = store::LeaseHolderKind::Desk;
        desk.host = u"host-b"_s;
        desk.pid = 77;
        desk.operatorName = u"bob"_s;
        desk.expiresAt = Now.addSecs(2);
        s.decision.thisEngine = false;
        s.decision.holder = desk;
        s.decision.holderFresh = true;
        header.display(s, Now);
        QCOMPARE(header.decisionLabel()->text(),
                 u"No controller: automatic decisions by the console of bob on host-b (pid 77)"_s);

        // The controller went silent and no standby took over yet.
        auto silent = controllerHolder();
        silent.expiresAt = Now.addSecs(-20);
        s.decision.holder = silent;
        s.decision.holderFresh = false;
        header.display(s, Now);
        QVERIFY2(header.decisionLabel()->text().startsWith(u"Controller host-a silent for 20s"_s),
                 qPrintable(header.decisionLabel()->text()));
    }

    void warRoomIsShownUntilAcknowledged() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
        QVERIFY(loaded.ok());
        const config::Plan plan = *loaded.plan;
        store::OperatorsFile operators;
        store::Operator alice;
        alice.name = u"alice"_s;
        alice.displayName = u"Alice Example"_s;
        alice.roles = {u"release_manager"_s};
        store::setPassphrase(alice, u"pass-alice"_s, store::kCheapestArgon2Cost);
        operators.upsert(alice);

        store::SqliteStore::Options options;
        options.path = dir.filePath(u"store.sqlite"_s);
        auto opened = store::SqliteStore::open(options);
        QVERIFY(opened);
        store::Store &storeRef = *opened.value();
        // What another desk or the controller wrote when an automatic rollback ran (L4).
        QVERIFY(storeRef.appendAudit(
            {u"controller"_s,
             u"automatic"_s,
             u"war_room_activated"_s,
             u"production"_s,
             u"rollback"_s,
             {{u"event"_s, u"rollback"_s},
              {u"reason"_s, u"trigger 'Critical metric collection failure' fired (0.82)"_s},
              {u"level"_s, u"L4"_s}}}));

        engine::CutoverEngine::Options engineOptions;
        engineOptions.monitor = false;
        engineOptions.coordinate = false;
        engine::CutoverEngine engine(plan, storeRef, operators, engineOptions);
        ui::WarRoomWindow window(engine);
        window.resize(1366, 768);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        engine.start();
        window.refresh();
        ui::WarRoomBanner *banner = window.warRoomBanner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->textLabel()->text().startsWith(
                     u"WAR ROOM — production: trigger 'Critical metric collection failure'"_s),
                 qPrintable(banner->textLabel()->text()));
        saveInBothThemes(&window, u"war-room-banner"_s);

        // Not signed in: the sign-in dialog opens instead, and nothing is recorded.
        QTest::keyClick(&window, Qt::Key_K, Qt::AltModifier);
        QTRY_VERIFY_WITH_TIMEOUT(window.signInDialog() && window.signInDialog()->isVisible(), 5000);
        window.signInDialog()->reject();
        QVERIFY(banner->isVisible());

        window.setOperator(engine.operatorNamed(u"alice"_s));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keyClick(&window, Qt::Key_K, Qt::AltModifier);
        QTRY_VERIFY2_WITH_TIMEOUT(!banner->isVisible(),
                                  qPrintable(window.statusBar()->currentMessage()), 5000);
        QCOMPARE(engine.warRoom().acknowledgedBy, u"alice"_s);
        auto entries = storeRef.auditEntries(0);
        QVERIFY(entries);
        QCOMPARE(entries.value().constLast().action, u"war_room_acknowledged"_s);
        QCOMPARE(entries.value().constLast().actor, u"alice"_s);
        QCOMPARE(entries.value().constLast().role, u"release_manager"_s);

        // A second acknowledgement is refused: nothing is active.
        const auto again = engine.acknowledgeWarRoom(*engine.operatorNamed(u"alice"_s));
        QVERIFY(!again.ok);
        QVERIFY(again.refusals.contains(u"no war room is active"_s));
    }
};

QTEST_MAIN(TestWarRoomEscalation)
#include "test_war_room_escalation.moc"
