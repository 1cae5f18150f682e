// The Decommission tab (issue 12), offscreen, on a real SQLite store and engine with no load
// balancer touched: the timeline model (QAbstractItemModelTester), Run step… disabled with the
// engine's refusals beside it until the approval gate is signed, a manual step run through the
// dialog with its note, an approval given through the dialog with the passphrase, the cost panel.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/phase.h"
#include "app/store/operators_file.h"
#include "app/store/passphrase.h"
#include "app/store/sqlite_store.h"
#include "models/decommission_steps_model.h"
#include "theme_screenshots.h"
#include "ui/decommission/decommission_panel.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/war_room/rollback_control.h"
#include "ui/war_room/war_room_window.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;
using models::DecommissionStepsModel;

namespace {

const QString kEnv = u"production"_s;

QByteArray planText() {
    QFile file(QStringLiteral(CONSOLE_SOURCE_DIR "/tests/data/plans/decommission.yaml"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read decommission.yaml");
    QByteArray text = file.readAll();
    // The first step becomes a manual one with a note, so that it runs without any backend.
    text.replace("      action: archive_files\n      paths: [configs/]\n"
                 "      output: archive/legacy_configs.tar.gz\n",
                 "      action: manual\n      evidence: note\n");
    return text;
}

int rowOf(const DecommissionStepsModel &model, const QString &step) {
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.index(row, 0).data(DecommissionStepsModel::StepIdRole).toString() == step)
            return row;
    }
    return -1;
}

// A desk on a store where the cutover is complete: alice (release_manager), erin (executive),
// a real engine and SQLite; dry run, so that no load balancer is reached.
struct Desk {
    QTemporaryDir dir;
    std::optional<config::Plan> plan;
    store::OperatorsFile operators;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<engine::CutoverEngine> engine;

    bool open() {
        auto loaded = config::loadPlanBytes(planText(), u"d.yaml"_s, dir.path());
        if (!dir.isValid() || !loaded.ok())
            return false;
        plan = *loaded.plan;
        for (const auto &[name, role] :
             {std::pair{u"alice"_s, u"release_manager"_s}, std::pair{u"erin"_s, u"executive"_s}}) {
            store::Operator op;
            op.name = name;
            op.displayName = name.toUpper();
            op.roles = {role};
            store::setPassphrase(op, name + u"-passphrase"_s, store::kCheapestArgon2Cost);
            operators.upsert(op);
        }
        store::SqliteStore::Options options;
        options.path = dir.filePath(u"store.sqlite"_s);
        auto opened = store::SqliteStore::open(options);
        if (!opened)
            return false;
        store = std::move(opened.value());
        store::StageState complete;
        complete.environment = kEnv;
        complete.stageIndex = int(plan->stages.size()) - 1;
        complete.phase = engine::phaseName(engine::Phase::Complete);
        complete.enteredAt = QDateTime::currentDateTimeUtc().addSecs(-60);
        if (!store->updateStageState(0, complete))
            return false;
        engine::CutoverEngine::Options engineOptions;
        engineOptions.dryRun = true;
        engine = std::make_unique<engine::CutoverEngine>(*plan, *store, operators, engineOptions);
        engine->start();
        return QTest::qWaitFor(
            [this] { return engine->snapshot(kEnv).phase == engine::Phase::Complete; }, 5000);
    }
};

} // namespace

class TestDecommissionPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void runAndApproveThroughTheTab();
    void rollbackPastThePointOfNoReturnSaysWhy();
};

void TestDecommissionPanel::runAndApproveThroughTheTab() {
    Desk desk;
    QVERIFY(desk.open());
    engine::CutoverEngine &engine = *desk.engine;
    const engine::Operator alice = *engine.operatorNamed(u"alice"_s);
    const engine::Operator erin = *engine.operatorNamed(u"erin"_s);

    ui::DecommissionPanel panel(engine);
    QAbstractItemModelTester tester(panel.model(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    panel.resize(1200, 420);
    panel.setEnvironment(kEnv);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCOMPARE(panel.model()->rowCount(), 4);
    QCOMPARE(panel.model()->index(0, DecommissionStepsModel::WeekColumn).data().toString(),
             u"Week 9: Preparation"_s);

    // Not signed in: view only.
    QVERIFY(!panel.runButton()->isEnabled());
    panel.setOperator(alice);
    panel.view()->setCurrentIndex(
        panel.model()->index(rowOf(*panel.model(), u"archive_configs"_s), 0));
    // The approval gate is not signed: the button mirrors the engine and says why.
    QVERIFY(!panel.runButton()->isEnabled());
    QVERIFY2(panel.refusalsLabel()->text().contains(u"Decommission approval is not signed"_s),
             qPrintable(panel.refusalsLabel()->text()));

    QVERIFY(engine.signIn(u"alice"_s, u"alice-passphrase"_s).ok());
    QVERIFY(engine.tick(kEnv, u"decommission_approval"_s, u"plan_reviewed"_s, alice).ok);
    const auto signedOff = engine.signOff(kEnv, u"decommission_approval"_s, u"executive"_s, erin,
                                          u"erin-passphrase"_s, u"Approved"_s, {}, false);
    QVERIFY2(signedOff.ok, qPrintable(signedOff.message()));
    panel.refresh();
    QVERIFY2(panel.runButton()->isEnabled(), qPrintable(panel.refusalsLabel()->text()));

    // Run the manual step through the dialog: its note is required.
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(panel.openDialog() && panel.openDialog()->isVisible(), 5000);
    auto *dialog = panel.openDialog();
    QPushButton *ok = dialog->buttons()->button(QDialogButtonBox::Ok);
    QVERIFY(!ok->isEnabled());
    QTest::keyClicks(dialog->evidenceEdit(), u"reviewed with the platform team"_s);
    QVERIFY(ok->isEnabled());
    QTest::mouseClick(ok, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!panel.openDialog(), 5000);
    const int first = rowOf(*panel.model(), u"archive_configs"_s);
    QCOMPARE(panel.model()->index(first, 0).data(DecommissionStepsModel::StateRole).toInt(),
             int(decommission::StepState::Done));
    // The evidence column: the note, short; the whole record in its tooltip.
    const QModelIndex evidence =
        panel.model()->index(first, DecommissionStepsModel::EvidenceColumn);
    QCOMPARE(evidence.data().toString(), u"note: reviewed with the platform team"_s);
    QVERIFY(evidence.data(Qt::ToolTipRole).toString().contains(u"\"kind\": \"note\""_s));

    // The drain needs an approval: Approve… with the passphrase, from the keyboard.
    panel.view()->setCurrentIndex(panel.model()->index(rowOf(*panel.model(), u"drain"_s), 0));
    QVERIFY(!panel.runButton()->isEnabled());
    QVERIFY(panel.refusalsLabel()->text().contains(u"needs the approval of release_manager"_s));
    QVERIFY(panel.approveButton()->isEnabled());
    QTest::mouseClick(panel.approveButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(panel.openDialog() && panel.openDialog()->isVisible(), 5000);
    dialog = panel.openDialog();
    QTest::keyClicks(dialog->passphraseEdit(), u"alice-passphrase"_s);
    QTest::keyClick(dialog->passphraseEdit(), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(!panel.openDialog(), 10'000);
    const int drain = rowOf(*panel.model(), u"drain"_s);
    QVERIFY2(panel.model()
                 ->index(drain, DecommissionStepsModel::ApprovalsColumn)
                 .data()
                 .toString()
                 .contains(u"alice (release_manager)"_s),
             qPrintable(panel.model()
                            ->index(drain, DecommissionStepsModel::ApprovalsColumn)
                            .data()
                            .toString()));
    QCOMPARE(panel.model()->index(drain, 0).data(DecommissionStepsModel::StateRole).toInt(),
             int(decommission::StepState::Ready));
    QTRY_VERIFY2_WITH_TIMEOUT(panel.runButton()->isEnabled(),
                              qPrintable(panel.refusalsLabel()->text()), 5000);

    // A long action's progress reaches the open dialog of its step, and only that one.
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(panel.openDialog() && panel.openDialog()->isVisible(), 5000);
    dialog = panel.openDialog();
    QVERIFY(!dialog->progressBar()->isVisible());
    Q_EMIT engine.decommissionStepProgress(kEnv, u"archive_configs"_s, 1, 9, u"URLs fetched"_s);
    QVERIFY(!dialog->progressBar()->isVisible());
    Q_EMIT engine.decommissionStepProgress(kEnv, u"drain"_s, 1, 2, u"URLs fetched"_s);
    QVERIFY(dialog->progressBar()->isVisible());
    QCOMPARE(dialog->progressBar()->text(), u"1 of 2 URLs fetched"_s);
    QCOMPARE(dialog->progressBar()->value(), 1);
    saveInBothThemes(dialog, u"decommission-step-progress"_s);
    QTest::keyClick(dialog, Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!panel.openDialog(), 5000);

    // The cost panel: nothing retired yet, 35% planned of a 10,000 EUR baseline.
    QVERIFY2(panel.costLabel()->text().contains(u"planned 35.0%"_s),
             qPrintable(panel.costLabel()->text()));
    QVERIFY(panel.model()
                ->index(rowOf(*panel.model(), u"remove"_s), DecommissionStepsModel::StepColumn)
                .data()
                .toString()
                .contains(u"cannot be undone"_s));
    saveInBothThemes(&panel, u"decommission-tab"_s);
}

void TestDecommissionPanel::rollbackPastThePointOfNoReturnSaysWhy() {
    // Another desk started the removal (recorded before its first command): from then on the
    // window's Rollback does not arm, and says why — the decommission's reason, not a backend's.
    Desk desk;
    QVERIFY(desk.open());
    engine::CutoverEngine &engine = *desk.engine;
    QVERIFY(desk.store
                ->appendAudit({u"alice"_s,
                               u"release_manager"_s,
                               decommission::audit::kStarted,
                               kEnv,
                               u"remove"_s,
                               {{u"title"_s, u"Remove from load balancers"_s}}})
                .ok());
    QTRY_VERIFY_WITH_TIMEOUT(engine.decommissionProgress(kEnv).pointOfNoReturn.has_value(), 10'000);
    // A long action's progress shows in the running step's detail.
    {
        ui::DecommissionPanel panel(engine);
        QAbstractItemModelTester tester(panel.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        panel.setEnvironment(kEnv);
        Q_EMIT engine.decommissionStepProgress(kEnv, u"remove"_s, 1, 2, u"URLs fetched"_s);
        const QModelIndex detail = panel.model()->index(rowOf(*panel.model(), u"remove"_s),
                                                        DecommissionStepsModel::DetailColumn);
        QVERIFY2(detail.data().toString().contains(u"started"_s) &&
                     detail.data().toString().endsWith(u" · 1 of 2 URLs fetched"_s),
                 qPrintable(detail.data().toString()));
    }

    ui::WarRoomWindow window(engine);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.setOperator(*engine.operatorNamed(u"alice"_s));
    window.refresh();
    QVERIFY(!window.rollbackControl()->button()->isEnabled());
    const QString why = window.rollbackControl()->hintLabel()->text();
    QVERIFY2(why.contains(u"point of no return"_s) && why.contains(u"by alice"_s), qPrintable(why));
    // Two keys away from anywhere, and still nothing arms.
    window.rollbackControl()->arm();
    QVERIFY(!window.rollbackControl()->isArmed());
    // The Decommission tab says the same above its timeline.
    window.tabs()->setCurrentWidget(window.decommissionPanel());
    window.decommissionPanel()->refresh();
    saveInBothThemes(&window, u"decommission-past-point-of-no-return"_s);
}

QTEST_MAIN(TestDecommissionPanel)
#include "test_decommission_panel.moc"
