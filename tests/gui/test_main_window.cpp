// The first window, offscreen: it shows the default plan, and an invalid plan opens the error
// dialog listing every problem while the window stays usable.

#include "models/plan_overview_model.h"
#include "ui/main_window.h"
#include "ui/plan_errors_dialog.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using cutover::ui::MainWindow;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void showsTheDefaultPlan();
    void invalidPlanShowsEveryError();
};

void TestMainWindow::initTestCase() {
    QCoreApplication::setOrganizationName(u"cutover-console-tests"_s);
    QCoreApplication::setApplicationName(u"test_main_window"_s);
}

void TestMainWindow::showsTheDefaultPlan() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // The tester watches the overview model from before its first change (the plan's load).
    auto *model = window.overviewView()->model();
    QVERIFY(model);
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&window, &MainWindow::planLoaded);
    QVERIFY(window.openPlan(MainWindow::defaultPlanPath()));
    QCOMPARE(loaded.size(), 1);
    QCOMPARE(loaded.first().first().toString(), u"OTel cutover: production telemetry"_s);
    QVERIFY(window.windowTitle().startsWith(u"OTel cutover: production telemetry"_s));
    QVERIFY(window.summaryLabel()->text().contains(u"10% → 25% → 50% → 100%"_s));
    QVERIFY(window.summaryLabel()->isVisible());

    QCOMPARE(window.overviewView()->model(), model);
    QStringList topLevel;
    for (int row = 0; row < model->rowCount(); ++row)
        topLevel.append(model->index(row, 0).data().toString());
    QVERIFY(topLevel.contains(u"Environments"_s));
    QVERIFY(topLevel.contains(u"Stages"_s));
    QVERIFY(topLevel.contains(u"Gates"_s));
    // Top level is expanded: the stages can be read without a click.
    const int stagesRow = int(topLevel.indexOf(u"Stages"_s));
    QVERIFY(window.overviewView()->isExpanded(model->index(stagesRow, 0)));
    QCOMPARE(model->index(0, 0, model->index(stagesRow, 0)).data().toString(), u"10% OTel"_s);
}

void TestMainWindow::invalidPlanShowsEveryError() {
    QTemporaryDir dir;
    const QString path = dir.filePath(u"bad.yaml"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("version: 2\nname: x\nstagez: []\n");
    file.close();

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy rejected(&window, &MainWindow::planRejected);
    QVERIFY(!window.openPlan(path));
    QCOMPARE(rejected.size(), 1);
    QVERIFY(rejected.first().at(1).toInt() >= 3);

    cutover::ui::PlanErrorsDialog *dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = window.findChild<cutover::ui::PlanErrorsDialog *>()) &&
                                 dialog->isVisible(),
                             5000);
    QAbstractItemModelTester errorsTester(dialog->table()->model(),
                                          QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(dialog->table()->model()->rowCount(), rejected.first().at(1).toInt());
    QStringList messages;
    for (int row = 0; row < dialog->table()->model()->rowCount(); ++row)
        messages.append(dialog->table()->model()->index(row, 2).data().toString());
    QVERIFY(messages.contains(
        u"expected format version 1 (the only one this console reads), found '2'"_s));
    QVERIFY(messages.contains(u"unknown key 'stagez'; did you mean 'stages'?"_s));
    QVERIFY(!window.plan().has_value());

    // Escape closes the dialog; the window then loads a good plan.
    QTest::keyClick(dialog, Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!window.findChild<cutover::ui::PlanErrorsDialog *>(), 5000);
    QVERIFY(window.openPlan(MainWindow::defaultPlanPath()));
    QVERIFY(window.plan().has_value());
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
