// Alarms from every environment and "roll back all", offscreen, on a real engine and SQLite store
// in dry-run (no lab needed: the commands are recorded, not sent). Both environments of the
// default plan start at 10%, holding; the window shows staging.
// - A prompt trigger firing in production is listed in the alarm strip while staging is shown,
//   staging's Rollback does not flash; Alt+L switches to production, whose Rollback flashes.
// - Ctrl+Alt+Shift+R arms the Rollback for every environment; Enter rolls both back; the audit
//   log has exactly one rollback_started per environment.
// - A plan without panels still shows the measured split on Traffic flow.
//
// Set WAR_ROOM_PNG_DIR to keep the screenshots.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/phase.h"
#include "app/store/passphrase.h"
#include "app/store/sqlite_store.h"
#include "theme_screenshots.h"
#include "ui/charts/chart_panel.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/war_room/alarm_strip.h"
#include "ui/war_room/rollback_control.h"
#include "ui/war_room/war_room_window.h"

#include <QApplication>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;

class TestWarRoomAlarms : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QApplication::setStyle(QStyleFactory::create(u"Fusion"_s)); }
    void alarmsFromEveryEnvironmentAndRollBackAll();
    void planWithoutPanelsShowsTheSplit();
};

void TestWarRoomAlarms::alarmsFromEveryEnvironmentAndRollBackAll() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY(loaded.ok());
    const config::Plan plan = *loaded.plan;
    QCOMPARE(plan.environments.size(), 2);
    store::OperatorsFile operators;
    store::Operator alice;
    alice.name = u"alice"_s;
    alice.displayName = u"Alice Example"_s;
    alice.roles = {u"release_manager"_s};
    store::setPassphrase(alice, u"pass-alice"_s, store::kCheapestArgon2Cost);
    operators.upsert(alice);

    QDateTime now = QDateTime::currentDateTimeUtc();
    const store::Clock clock = [&now] {
        return now;
    };
    auto opened = store::SqliteStore::open({dir.filePath(u"store.sqlite"_s), clock});
    QVERIFY(opened);
    store::Store &storeRef = *opened.value();
    // Both environments at the first stage, holding (what an earlier session left).
    for (const config::Environment &env : plan.environments) {
        store::StageState state;
        state.environment = env.name;
        state.stageIndex = 0;
        state.phase = engine::phaseName(engine::Phase::Holding);
        state.enteredAt = now;
        state.holdStartedAt = now;
        state.changedBy = u"alice"_s;
        QVERIFY(storeRef.updateStageState(0, state));
    }

    engine::CutoverEngine::Options options;
    options.dryRun = true;
    options.monitor = false;
    options.coordinate = false;
    options.clock = clock;
    engine::CutoverEngine engine(plan, storeRef, operators, options);
    ui::WarRoomWindow window(engine);
    window.resize(1366, 768);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    engine.start();
    const QString shown = plan.environments.at(0).name;
    const QString other = plan.environments.at(1).name;
    window.setEnvironment(shown);
    ui::AlarmStrip *strip = window.alarmStrip();
    QVERIFY(!strip->isVisible());

    // A prompt trigger holds for its `for` in the other environment.
    engine.recordTriggerSample(other, u"alert_failures"_s, now, 0.0);
    engine.evaluateSamples(other);
    now = now.addSecs(121);
    engine.recordTriggerSample(other, u"alert_failures"_s, now, 0.0);
    engine.evaluateSamples(other);
    QTRY_VERIFY_WITH_TIMEOUT(!engine.snapshot(other).firingTriggers.isEmpty(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(strip->isVisible(), 5000);
    QCOMPARE(strip->environments(), QStringList{other});
    QCOMPARE(strip->kindOf(other), u"trigger"_s);
    QVERIFY(strip->buttonFor(other)->text().contains(u"Widespread alert failures"_s));
    QCOMPARE(window.environment(), shown);
    QVERIFY(!window.rollbackControl()->isFlashing()); // staging's Rollback is not the alarm's
    window.refresh();                                 // still firing: the alarm stays listed
    QVERIFY(strip->isVisible());
    saveInBothThemes(&window, u"alarm-other-environment"_s);

    // Alt+L goes there: production is shown and its Rollback flashes.
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keyClick(&window, Qt::Key_L, Qt::AltModifier);
    QTRY_COMPARE_WITH_TIMEOUT(window.environment(), other, 5000);
    QVERIFY(window.rollbackControl()->isFlashing());

    // Roll back all: armed like Rollback, confirmed with Enter, one rollback per environment.
    window.setOperator(engine.operatorNamed(u"alice"_s));
    QTest::keyClick(&window, Qt::Key_R, Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier);
    QTRY_VERIFY_WITH_TIMEOUT(window.rollbackControl()->isArmed(), 5000);
    QVERIFY(window.rollbackControl()->armedForAll());
    QVERIFY2(window.rollbackControl()->hintLabel()->text().contains(u"every environment"_s),
             qPrintable(window.rollbackControl()->hintLabel()->text()));
    saveInBothThemes(&window, u"rollback-all-armed"_s);
    QSignalSpy finished(&window, &ui::WarRoomWindow::operationFinished);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Return);
    QVERIFY(finished.wait(15'000));
    QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));
    const QString summary = finished.first().at(1).toString();
    QVERIFY2(summary.contains(shown) && summary.contains(other), qPrintable(summary));
    for (const config::Environment &env : plan.environments)
        QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot(env.name).phase, engine::Phase::RolledBack, 5000);
    const auto entries = storeRef.auditEntries(0);
    QVERIFY(entries);
    for (const config::Environment &env : plan.environments) {
        const auto started = std::count_if(
            entries.value().cbegin(), entries.value().cend(), [&](const store::AuditEntry &e) {
                return e.action == u"rollback_started"_s && e.environment == env.name;
            });
        QCOMPARE(started, 1);
    }
    saveInBothThemes(&window, u"rollback-all-done"_s);
}

void TestWarRoomAlarms::planWithoutPanelsShowsTheSplit() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY(loaded.ok());
    config::Plan plan = *loaded.plan;
    plan.panelGroups.clear(); // a foreign plan with no `panels`
    auto opened = store::SqliteStore::open({dir.filePath(u"store.sqlite"_s), {}});
    QVERIFY(opened);
    engine::CutoverEngine::Options options;
    options.dryRun = true;
    options.monitor = false;
    options.coordinate = false;
    engine::CutoverEngine engine(plan, *opened.value(), std::nullopt, options);
    ui::WarRoomWindow window(engine);
    window.resize(1366, 768);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    engine.start();
    ui::ChartPanel *split = window.chartPanel(u"legacy_vs_otel_traffic_ratio"_s);
    QVERIFY(split);
    QVERIFY(split->isVisible());
    const QString environment = plan.environments.constFirst().name;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (int i = 10; i >= 0; --i)
        engine.recordSplitSample(environment, now.addSecs(-i), 0.1);
    QTRY_VERIFY_WITH_TIMEOUT(split->pointsInChart() > 0, 5000);
    saveInBothThemes(&window, u"plan-without-panels"_s);
}

QTEST_MAIN(TestWarRoomAlarms)
#include "test_war_room_alarms.moc"
