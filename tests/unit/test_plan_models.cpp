#include "app/config/plan_loader.h"
#include "models/plan_errors_model.h"
#include "models/plan_overview_model.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;

class TestPlanModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void overviewShowsThePlan();
    void errorsModelListsEveryError();
};

void TestPlanModels::overviewShowsThePlan() {
    models::PlanOverviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);

    const auto result = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY(result.ok());
    model.setPlan(*result.plan);
    QCOMPARE(model.columnCount(), 2);

    QModelIndex gates;
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.index(row, 0).data().toString() == u"Gates")
            gates = model.index(row, 0);
    }
    QVERIFY(gates.isValid());
    QCOMPARE(model.rowCount(gates), 8); // the seed's five, then weeks 9-12's three
    const QModelIndex gate4 = model.index(4, 0, gates);
    QCOMPARE(gate4.data().toString(), u"Gate 4: 100% ready"_s);
    QVERIFY(model.index(4, 1, gates).data().toString().contains(u"executive"_s));
    QCOMPARE(model.rowCount(gate4), 4);
    QCOMPARE(model.index(1, 1, gate4).data().toString(), u"stable at the stage for 7d"_s);
    QCOMPARE(model.parent(model.index(0, 0, gate4)), gate4);

    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestPlanModels::errorsModelListsEveryError() {
    models::PlanErrorsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto result = config::loadPlanBytes("version: 3\nname: x\n", u"x.yaml"_s, QString());
    QVERIFY(!result.ok());
    model.setErrors(result.errors);
    QCOMPARE(model.rowCount(), result.errors.size());
    // Errors are listed top to bottom: the missing keys (reported at the mapping, 1:1) come
    // before the bad version value at 1:10.
    const int last = model.rowCount() - 1;
    QCOMPARE(model.index(0, models::PlanErrorsModel::LocationColumn).data().toString(), u"1:1"_s);
    QCOMPARE(model.index(last, models::PlanErrorsModel::LocationColumn).data().toString(),
             u"1:10"_s);
    QCOMPARE(model.index(last, models::PlanErrorsModel::PathColumn).data().toString(),
             u"version"_s);
    QVERIFY(model.index(last, models::PlanErrorsModel::MessageColumn)
                .data()
                .toString()
                .contains(u"format version 1"_s));
}

QTEST_GUILESS_MAIN(TestPlanModels)
#include "test_plan_models.moc"
