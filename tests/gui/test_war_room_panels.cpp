// The war room's panels, offscreen, driven with QTest: the checklist (select an item, Space or
// Tick asks for a tick; Sign gate asks for a signature; refusals shown as text; selection and
// expansion survive a new snapshot), the rollback progress headline, the audit log filters, and
// the executive board's PDF, and the header's notice while the store is unreachable.
//
// Set WAR_ROOM_PNG_DIR to save what each panel looks like (dark and light palettes) and the PDF.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "models/audit_log_model.h"
#include "models/gate_checklist_model.h"
#include "models/rollback_progress_model.h"
#include "theme_screenshots.h"
#include "ui/audit/audit_view.h"
#include "ui/charts/compare_view.h"
#include "ui/checklist/checklist_panel.h"
#include "ui/executive/executive_board.h"
#include "ui/rollback/rollback_progress_panel.h"
#include "ui/war_room/header_bar.h"

#include <QApplication>
#include <QBarSet>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QLineSeries>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStyleFactory>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace cutover;
using State = engine::CheckStatus::State;

namespace {

const QDateTime Now = QDateTime(QDate(2024, 5, 1), QTime(10, 0), Qt::UTC);

config::Plan defaultPlan() {
    const auto result = config::loadPlanFile(u":/plans/default.yaml"_s);
    if (!result.ok())
        qFatal("default plan does not load");
    return *result.plan;
}

// The default plan's gates at 10%: pre-cutover signed, gate 1 half way, the rest untouched.
QList<engine::GateStatus> gatesAtTenPercent(const config::Plan &plan, bool complaintsTicked) {
    engine::GateInputs in;
    in.plan = &plan;
    in.now = Now;
    for (const auto &check : plan.gates.first().checks)
        in.ticks.append(store::Tick{u"production"_s, plan.gates.first().id, check.id, u"alice"_s,
                                    u"release_manager"_s, Now.addDays(-1)});
    if (complaintsTicked)
        in.ticks.append(store::Tick{u"production"_s, u"gate_1"_s, u"no_complaints"_s, u"alice"_s,
                                    u"release_manager"_s, Now.addSecs(-300)});
    store::SignOff s;
    s.environment = u"production"_s;
    s.gate = plan.gates.first().id;
    s.role = u"release_manager"_s;
    s.operatorName = u"alice"_s;
    s.printedName = u"Alice Smith"_s;
    s.meaning = u"Approved"_s;
    s.comment = u"Phase 2 criteria re-checked with the SRE leads"_s;
    s.at = Now.addDays(-1);
    s.signatureHash = u"9f2c61d0a4be7733c1e0aa55f0d2b2d1e43b6b8f4f1f0e4c7b4e9a0d3c2b1a09"_s;
    in.signOffs.append(s);
    QList<engine::GateStatus> gates;
    for (const auto &gate : plan.gates)
        gates.append(engine::evaluateGate(gate, in));
    // Gate 1's automatic checks as the monitor might see them.
    auto &gate1 = gates[1];
    gate1.checks[0].state = State::Pass;
    gate1.checks[0].value = 0.004;
    gate1.checks[0].detail = u"0.004 (< 0.01) for 10m"_s;
    gate1.checks[1].state = State::Pending;
    gate1.checks[1].detail = u"1.03 (<= 1.05), held 4m 10s of 10m"_s;
    gate1.checks[2].state = State::Fail;
    gate1.checks[2].detail = u"0, needs >= 1"_s;
    return gates;
}

engine::EnvironmentSnapshot snapshot(const config::Plan &plan, const QString &environment,
                                     bool complaintsTicked) {
    engine::EnvironmentSnapshot s;
    s.environment = environment;
    s.phase = engine::Phase::Holding;
    s.stageIndex = 0;
    s.currentPercent = 10;
    s.nextPercent = 25;
    s.targetShare = 0.10;
    s.lowerBound = 0.08;
    s.upperBound = 0.12;
    s.measuredShare = 0.1012;
    s.measuredAt = Now;
    s.progressLabel = u"hold"_s;
    s.progressStart = Now.addSecs(-3600);
    s.progressEnd = Now.addSecs(23 * 3600);
    s.lastValidation = u"passed: 10.1% in 8%..12% at 2024-05-01T09:00:00Z"_s;
    s.gates = gatesAtTenPercent(plan, complaintsTicked);
    return s;
}

backends::LbApplyResult lbResult(const QString &lb, bool verified, qint64 ms,
                                 const QString &error = {}) {
    backends::LbApplyResult r;
    r.lb = lb;
    r.sent = verified;
    r.verified = verified;
    r.elapsedMs = ms;
    r.attempts = verified ? 1 : 5;
    if (!error.isEmpty()) {
        net::Error e;
        e.backend = lb;
        e.message = error;
        r.error = e;
    }
    return r;
}

store::AuditEntry auditEntry(qint64 seq, const QString &actor, const QString &action, int minutes) {
    store::AuditEntry e;
    e.seq = seq;
    e.at = Now.addSecs(minutes * 60);
    e.actor = actor;
    e.role = actor == u"engine" ? QString() : u"release_manager"_s;
    e.action = action;
    e.environment = u"production"_s;
    e.subject = u"gate_1/no_complaints"_s;
    e.details = u"{\"reason\":\"entry %1\"}"_s.arg(seq);
    e.hash = QString::number(seq).repeated(64).left(64);
    return e;
}

} // namespace

class TestWarRoomPanels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void spaceOnATickableItemRequestsATick();
    void tickAndSignButtonsFollowTheSelection();
    void selectionAndExpansionSurviveSnapshots();
    void refusalsAreVisibleText();
    void rollbackHeadlineAllVerified();
    void rollbackHeadlineOneFailed();
    void auditFilterByActorNarrowsRows();
    void auditFilterByActionAndTime();
    void executiveBoardPrintsAPdf();
    void headerSaysWhenTheStoreIsDown();
    void compareViewShowsWhy();
    void checklistSelectingACompareCheckSaysSo();

private:
    config::Plan m_plan;
};

void TestWarRoomPanels::initTestCase() {
    QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
    m_plan = defaultPlan();
}

void TestWarRoomPanels::spaceOnATickableItemRequestsATick() {
    ui::ChecklistPanel panel;
    panel.setEnvironment(u"production"_s);
    panel.setGates(gatesAtTenPercent(m_plan, false));
    panel.resize(900, 600);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));

    QSignalSpy ticks(&panel, &ui::ChecklistPanel::tickRequested);
    QVERIFY(panel.selectCheck(u"gate_1"_s, u"no_complaints"_s));
    panel.treeView()->setFocus();
    QVERIFY(panel.tickButton()->isEnabled());
    QTest::keyClick(panel.treeView(), Qt::Key_Space);
    QCOMPARE(ticks.size(), 1);
    QCOMPARE(ticks.at(0).at(0).toString(), u"gate_1"_s);
    QCOMPARE(ticks.at(0).at(1).toString(), u"no_complaints"_s);

    // An automatic check is not tickable: Space does nothing.
    QVERIFY(panel.selectCheck(u"gate_1"_s, u"error_rate"_s));
    QVERIFY(!panel.tickButton()->isEnabled());
    QTest::keyClick(panel.treeView(), Qt::Key_Space);
    QCOMPARE(ticks.size(), 1);

    // Keyboard navigation reaches the item too: Down from the automatic check above it.
    QVERIFY(panel.selectCheck(u"gate_1"_s, u"alerts_functioning"_s));
    QTest::keyClick(panel.treeView(), Qt::Key_Down);
    QCOMPARE(panel.currentCheck(), u"no_complaints"_s);
    QTest::mouseClick(panel.tickButton(), Qt::LeftButton);
    QCOMPARE(ticks.size(), 2);

    saveInBothThemes(&panel, u"checklist_panel"_s);
    // Beside the charts at 1366×768 the panel gets about a third of the width.
    panel.resize(460, 560);
    QTRY_VERIFY_WITH_TIMEOUT(
        panel.treeView()->columnWidth(models::GateChecklistModel::ItemColumn) < 300, 2000);
    saveInBothThemes(&panel, u"checklist_panel_narrow"_s);
}

void TestWarRoomPanels::tickAndSignButtonsFollowTheSelection() {
    ui::ChecklistPanel panel;
    panel.setGates(gatesAtTenPercent(m_plan, true));
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QSignalSpy signs(&panel, &ui::ChecklistPanel::signRequested);
    QSignalSpy unticks(&panel, &ui::ChecklistPanel::untickRequested);

    // A ticked item: untick offered, tick not; the gate awaits its signature.
    QVERIFY(panel.selectCheck(u"gate_1"_s, u"no_complaints"_s));
    QVERIFY(!panel.tickButton()->isEnabled());
    QVERIFY(panel.untickButton()->isEnabled());
    QVERIFY(panel.signButton()->isEnabled());
    QTest::mouseClick(panel.untickButton(), Qt::LeftButton);
    QCOMPARE(unticks.size(), 1);
    QTest::mouseClick(panel.signButton(), Qt::LeftButton);
    QCOMPARE(signs.size(), 1);
    QCOMPARE(signs.at(0).at(0).toString(), u"gate_1"_s);

    // The pre-cutover gate is signed already: nothing to sign there.
    QVERIFY(panel.selectGate(u"pre_cutover"_s));
    QVERIFY(!panel.signButton()->isEnabled());

    panel.setReadOnly(true);
    QVERIFY(panel.tickButton()->isHidden());
    QVERIFY(panel.signButton()->isHidden());
}

void TestWarRoomPanels::selectionAndExpansionSurviveSnapshots() {
    ui::ChecklistPanel panel;
    panel.setGates(gatesAtTenPercent(m_plan, false));
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *model = panel.model();
    const QModelIndex gate3 = model->indexOfGate(u"gate_3"_s);
    QVERIFY(panel.treeView()->isExpanded(gate3));
    panel.treeView()->collapse(gate3);
    QVERIFY(panel.selectCheck(u"gate_1"_s, u"no_complaints"_s));
    QSignalSpy reset(model, &QAbstractItemModel::modelReset);

    for (int second = 0; second < 5; ++second)
        panel.setGates(gatesAtTenPercent(m_plan, second >= 3));

    QCOMPARE(reset.size(), 0);
    QCOMPARE(panel.currentGate(), u"gate_1"_s);
    QCOMPARE(panel.currentCheck(), u"no_complaints"_s);
    QVERIFY(!panel.treeView()->isExpanded(model->indexOfGate(u"gate_3"_s)));
    QVERIFY(panel.treeView()->isExpanded(model->indexOfGate(u"gate_1"_s)));
    // The tick arrived: the selected row now offers untick.
    QVERIFY(!panel.tickButton()->isEnabled());
    QVERIFY(panel.untickButton()->isEnabled());
}

void TestWarRoomPanels::refusalsAreVisibleText() {
    ui::ChecklistPanel panel;
    panel.setGates(gatesAtTenPercent(m_plan, false));
    panel.resize(900, 600);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QVERIFY(!panel.refusalLabel()->isVisible());
    const QStringList refusals{u"role executive may not tick 'No customer complaints' "
                               "(needs release_manager)"_s,
                               u"another console changed the stage (bob at 10:02 UTC)"_s};
    panel.setRefusals(refusals);
    QVERIFY(panel.refusalLabel()->isVisible());
    QVERIFY(panel.refusalLabel()->text().contains(u"needs release_manager"_s));
    QVERIFY(panel.refusalLabel()->text().contains(u"another console"_s));
    QCOMPARE(panel.refusals(), refusals);
    panel.selectCheck(u"gate_1"_s, u"no_complaints"_s);
    saveInBothThemes(&panel, u"checklist_refused"_s);
    panel.setRefusals({});
    QVERIFY(!panel.refusalLabel()->isVisible());
}

void TestWarRoomPanels::rollbackHeadlineAllVerified() {
    ui::RollbackProgressPanel panel;
    panel.resize(800, 260);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::Idle);
    QSignalSpy outcomes(&panel, &ui::RollbackProgressPanel::outcomeChanged);

    panel.start(u"production"_s, {u"lb-a"_s, u"lb-b"_s});
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::InProgress);
    QVERIFY(panel.headline().contains(u"0 of 2"_s));
    panel.addResult(lbResult(u"lb-a"_s, true, 2));
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::InProgress);
    QVERIFY(panel.headline().contains(u"1 of 2"_s));
    saveInBothThemes(&panel, u"rollback_in_progress"_s);
    panel.addResult(lbResult(u"lb-b"_s, true, 3));
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::Verified);
    QCOMPARE(panel.headline(), u"production: rolled back, 2/2 LBs verified (3 ms)"_s);
    panel.finish(true, u"legacy 100 / OTel 0 on lb-a, lb-b"_s);
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::Verified);
    QCOMPARE(panel.summary(), u"legacy 100 / OTel 0 on lb-a, lb-b"_s);
    QCOMPARE(outcomes.size(), 2);
    QCOMPARE(panel.tableView()->model()->rowCount(), 2);
    saveInBothThemes(&panel, u"rollback_verified"_s);
}

void TestWarRoomPanels::rollbackHeadlineOneFailed() {
    ui::RollbackProgressPanel panel;
    panel.resize(800, 260);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.start(u"production"_s, {u"lb-a"_s, u"lb-b"_s});
    panel.addResult(lbResult(u"lb-b"_s, false, 2004, u"connect: connection refused"_s));
    // One failure with another LB still out: in progress, the failure already named.
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::InProgress);
    QVERIFY(panel.headline().contains(u"lb-b"_s));
    panel.addResult(lbResult(u"lb-a"_s, true, 2));
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::NotVerified);
    QCOMPARE(panel.headline(), u"production: NOT verified on lb-b: connect: connection refused"_s);
    QCOMPARE(panel.model()->index(1, models::RollbackProgressModel::VerifiedColumn).data(),
             u"NO"_s);
    panel.finish(false, u"rollback not verified on lb-b after 5 attempts"_s);
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::NotVerified);
    saveInBothThemes(&panel, u"rollback_failed"_s);

    // Finished without any per-LB result (the operation itself failed): still loud.
    panel.start(u"staging"_s, {});
    panel.finish(false, u"store unavailable"_s);
    QCOMPARE(panel.outcome(), ui::RollbackProgressPanel::Outcome::NotVerified);
    QVERIFY(panel.headline().contains(u"store unavailable"_s));
}

void TestWarRoomPanels::auditFilterByActorNarrowsRows() {
    ui::AuditView view;
    view.resize(1300, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.appendEntries({auditEntry(1, u"engine"_s, u"plan_loaded"_s, 0),
                        auditEntry(2, u"alice"_s, u"signed_in"_s, 1),
                        auditEntry(3, u"alice"_s, u"check_ticked"_s, 2),
                        auditEntry(4, u"bob"_s, u"signed_in"_s, 3),
                        auditEntry(5, u"alice"_s, u"gate_signed"_s, 4)});
    view.setChainStatus(u"Chain OK: 5 entries"_s);
    QTableView *table = view.tableView();
    QCOMPARE(table->model()->rowCount(), 5);
    // Newest first.
    QCOMPARE(table->model()->index(0, 0).data().toLongLong(), 5);

    // Choose "alice" in the actor box from the keyboard.
    QComboBox *actors = view.actorBox();
    QCOMPARE(actors->count(), 4); // All actors, alice, bob, engine
    actors->setFocus();
    QTest::keyClick(actors, Qt::Key_Down);
    QCOMPARE(actors->currentText(), u"alice"_s);
    QCOMPARE(table->model()->rowCount(), 3);
    QCOMPARE(view.countLabel()->text(), u"3 of 5 entries"_s);
    saveInBothThemes(&view, u"audit_view"_s);

    // New entries go through the filter.
    view.appendEntry(auditEntry(6, u"bob"_s, u"rollback_started"_s, 5));
    view.appendEntry(auditEntry(7, u"alice"_s, u"signed_out"_s, 6));
    QCOMPARE(actors->currentText(), u"alice"_s);
    QCOMPARE(table->model()->rowCount(), 4);

    QTest::mouseClick(view.clearButton(), Qt::LeftButton);
    QCOMPARE(table->model()->rowCount(), 7);
}

void TestWarRoomPanels::auditFilterByActionAndTime() {
    ui::AuditView view;
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.appendEntries({auditEntry(1, u"engine"_s, u"plan_loaded"_s, 0),
                        auditEntry(2, u"alice"_s, u"signed_in"_s, 1),
                        auditEntry(3, u"alice"_s, u"check_ticked"_s, 2),
                        auditEntry(4, u"bob"_s, u"signed_in"_s, 3)});
    view.setActionFilter(u"signed_in"_s);
    QCOMPARE(view.tableView()->model()->rowCount(), 2);
    view.setActionFilter({});
    view.setTimeRange(Now.addSecs(90), QDateTime());
    QVERIFY(view.fromCheck()->isChecked());
    QVERIFY(view.fromEdit()->isEnabled());
    QCOMPARE(view.tableView()->model()->rowCount(), 2);
    view.setTimeRange(Now.addSecs(30), Now.addSecs(150));
    QCOMPARE(view.tableView()->model()->rowCount(), 2);
    // From the controls: untick "To".
    QTest::mouseClick(view.toCheck(), Qt::LeftButton);
    QCOMPARE(view.tableView()->model()->rowCount(), 3);
    view.clearFilters();
    QCOMPARE(view.tableView()->model()->rowCount(), 4);
}

void TestWarRoomPanels::executiveBoardPrintsAPdf() {
    ui::ExecutiveBoard board;
    board.setPlanName(u"Phase 3: production cutover"_s);
    board.setAsOf(Now);
    engine::EnvironmentSnapshot staging = snapshot(m_plan, u"staging"_s, true);
    staging.stageIndex = 1;
    staging.currentPercent = 25;
    staging.nextPercent = 50;
    board.setSnapshots({staging, snapshot(m_plan, u"production"_s, false)});
    board.setAuditHead(u"3b9d0c8e4f1a27c6d5e8b0a9f7c3d2e1b4a5968776655443322110ffeeddccbb"_s, 42,
                       true);
    board.resize(1000, 700);
    board.show();
    QVERIFY(QTest::qWaitForWindowExposed(&board));

    const QString text = board.browser()->toPlainText();
    QVERIFY(text.contains(u"Stage 2: 25% on OpenTelemetry"_s));
    QVERIFY(text.contains(u"Alice Smith"_s));
    QVERIFY(text.contains(u"Phase 2 criteria re-checked"_s));
    QVERIFY(text.contains(u"Gate 4: 100% ready"_s));
    QVERIFY(text.contains(u"3b9d0c8e4f1a27c6"_s));
    saveInBothThemes(&board, u"executive_board"_s);

    // Updating one environment keeps the other and the reader's place.
    engine::EnvironmentSnapshot production = snapshot(m_plan, u"production"_s, true);
    production.phase = engine::Phase::RolledBack;
    board.updateSnapshot(production);
    QCOMPARE(board.snapshots().size(), 2);
    QVERIFY(board.browser()->toPlainText().contains(u"RolledBack"_s));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString outDir = qEnvironmentVariable("WAR_ROOM_PNG_DIR", dir.path());
    QDir().mkpath(outDir);
    const QString pdf = outDir + u"/executive_board.pdf"_s;
    QFile::remove(pdf);
    QString error;
    QVERIFY2(board.printToPdf(pdf, &error), qPrintable(error));
    const QFileInfo info(pdf);
    QVERIFY(info.exists());
    QVERIFY(info.size() > 1000);
    QFile file(pdf);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.read(5) == "%PDF-");

    // The PDF's text carries the signatures (pdftotext, when installed).
    const QString pdftotext = QStandardPaths::findExecutable(u"pdftotext"_s);
    if (pdftotext.isEmpty())
        QSKIP("pdftotext (poppler-utils) is not installed: the PDF's text is not checked");
    QProcess process;
    process.start(pdftotext, {u"-layout"_s, pdf, u"-"_s});
    QVERIFY(process.waitForFinished(30'000));
    const QString pdfText = QString::fromUtf8(process.readAllStandardOutput());
    QVERIFY2(pdfText.contains(u"Alice Smith"_s), qPrintable(pdfText.left(400)));
    QVERIFY(pdfText.contains(u"Gate 4: 100% ready"_s));
    QVERIFY(pdfText.contains(u"Audit chain head"_s));
}

void TestWarRoomPanels::headerSaysWhenTheStoreIsDown() {
    ui::HeaderBar header;
    header.resize(1400, 120);
    header.show();
    engine::EnvironmentSnapshot s;
    s.environment = u"production"_s;
    engine::BackendHealth store;
    store.name = u"store"_s;
    store.state = engine::BackendHealth::State::Ok;
    store.lastGoodAt = Now.addSecs(-1);
    s.backends = {store};
    header.display(s, Now);
    QVERIFY(!header.storeNotice()->isVisible());

    // Down for 42 s, two audit entries kept locally: said in words, not only a red dot.
    s.backends[0].state = engine::BackendHealth::State::Down;
    s.backends[0].lastGoodAt = Now.addSecs(-42);
    s.backends[0].problem = u"the change feed from postgresql://db:5432/cutover was lost"_s;
    s.auditEntriesWaiting = 2;
    header.display(s, Now);
    QVERIFY(header.storeNotice()->isVisible());
    const QString text = header.storeNotice()->text();
    QVERIFY2(text.contains(u"Store unreachable for 42s: reconnecting."_s), qPrintable(text));
    QVERIFY2(text.contains(u"Rollback works"_s), qPrintable(text));
    QVERIFY2(text.contains(u"2 audit entries kept on this desk"_s), qPrintable(text));
    QCOMPARE(header.storeNotice()->toolTip(), s.backends[0].problem);
    QVERIFY(header.backendLabel(u"store"_s)->toolTip().contains(u"down"_s));
    saveInBothThemes(&header, u"header-store-down"_s);

    // Started without the store: the stage is not guessed.
    s.stateKnown = false;
    header.display(s, Now);
    QCOMPARE(header.stageLabel()->text(), u"Stage unknown · store not reached yet"_s);
    s.stateKnown = true;

    // Back, and the journal written: the notice goes.
    s.backends[0].state = engine::BackendHealth::State::Ok;
    s.auditEntriesWaiting = 0;
    header.display(s, Now);
    QVERIFY(!header.storeNotice()->isVisible());
}

// The "why" of a compare check: the sentence, the numbers, both samples over the window (NaN
// points left out) and a histogram per side on shared bins.
void TestWarRoomPanels::compareViewShowsWhy() {
    ui::CompareView view;
    view.setChoices({{u"gate_1"_s, u"latency_parity"_s, u"Gate 1 · Query performance"_s},
                     {u"gate_1"_s, u"completeness_parity"_s, u"Gate 1 · Metric completeness"_s}});
    QSignalSpy chosen(&view, &ui::CompareView::checkChosen);
    QVERIFY(view.selectCheck(u"gate_1"_s, u"completeness_parity"_s));
    QCOMPARE(chosen.size(), 1);
    QCOMPARE(view.currentCheck(), u"completeness_parity"_s);
    QVERIFY(!view.selectCheck(u"gate_1"_s, u"nope"_s));
    QVERIFY(view.sentenceLabel()->text().startsWith(u"Not judged yet"_s));

    // Legacy around 0.050 s, OTel 12% slower, one point missing on each side.
    engine::CompareSeries series;
    series.start = QDateTime(QDate(2026, 12, 2), QTime(10, 0), Qt::UTC);
    series.stepMs = 15'000;
    for (int i = 0; i < 120; ++i) {
        const double wobble = 0.002 * std::sin(i * 0.7);
        series.legacy.append(i == 7 ? qQNaN() : 0.050 + wobble);
        series.otel.append(i == 9 ? qQNaN() : 0.056 + wobble);
    }
    config::CompareSpec spec;
    spec.direction = config::CompareSpec::Direction::Increase;
    spec.allowedIncrease = 1.05;
    spec.window = config::Duration::minutes(30);
    spec.step = config::Duration::seconds(15);
    engine::CompareSamples samples;
    samples.legacy = series.legacy;
    samples.otel = series.otel;
    samples.start = series.start;
    samples.end = series.start.addMSecs(119 * series.stepMs);
    samples.stepMs = series.stepMs;
    const engine::CompareOutcome outcome = engine::judgeCompare(spec, samples);
    QCOMPARE(outcome.result.verdict, analysis::Verdict::High);
    view.resize(1100, 520);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setOutcome(outcome);
    QVERIFY2(view.sentenceLabel()->text().startsWith(u"HIGH: OTel is 12% higher than legacy"_s),
             qPrintable(view.sentenceLabel()->text()));
    QVERIFY(view.sentenceLabel()->text().contains(u"allowed 5%"_s));
    QVERIFY2(view.numbersLabel()->text().contains(u"Mann-Whitney U = "_s) &&
                 view.numbersLabel()->text().contains(u"n = 119 / 119"_s),
             qPrintable(view.numbersLabel()->text()));
    QCOMPARE(view.legacyLine()->count(), 119);
    QCOMPARE(view.otelLine()->count(), 119);
    QCOMPARE(view.legacyLine()->at(0).x(), double(series.start.toMSecsSinceEpoch()));
    double legacyCount = 0;
    double otelCount = 0;
    for (int i = 0; i < view.legacyBars()->count(); ++i) {
        legacyCount += view.legacyBars()->at(i);
        otelCount += view.otelBars()->at(i);
    }
    QCOMPARE(legacyCount, 119.0);
    QCOMPARE(otelCount, 119.0);
    saveInBothThemes(&view, u"compare_why"_s);

    // Shared bins over both sides; a constant sample is one bin; nothing finite is no bins.
    const auto h = ui::CompareView::histogram({1, 2, 3, qQNaN()}, {3, 4, qInf()}, 3);
    QCOMPARE(h.edges, (QList<double>{1, 2, 3, 4}));
    QCOMPARE(h.legacy, (QList<int>{1, 1, 1}));
    QCOMPARE(h.otel, (QList<int>{0, 0, 2}));
    QCOMPARE(ui::CompareView::histogram({5, 5}, {5}, 12).legacy, QList<int>{2});
    QVERIFY(ui::CompareView::histogram({qQNaN()}, {}, 12).edges.isEmpty());

    view.setOutcome(std::nullopt);
    QCOMPARE(view.legacyLine()->count(), 0);
}

void TestWarRoomPanels::checklistSelectingACompareCheckSaysSo() {
    ui::ChecklistPanel panel;
    QList<engine::GateStatus> gates = gatesAtTenPercent(m_plan, false);
    panel.setGates(gates);
    QSignalSpy selected(&panel, &ui::ChecklistPanel::checkSelected);
    QVERIFY(panel.selectCheck(u"gate_1"_s, u"latency_parity"_s));
    QVERIFY(!selected.isEmpty());
    QCOMPARE(selected.last().at(1).toString(), u"latency_parity"_s);
    QCOMPARE(selected.last().at(2).value<config::Check::Kind>(), config::Check::Kind::Compare);
}

QTEST_MAIN(TestWarRoomPanels)
#include "test_war_room_panels.moc"
