// `--preflight` on the lab: every LB, Prometheus query and Alertmanager check of the lab plan
// passes; a plan pointing one LB at the level-user socket fails on the permission row.

#include "app/cli/preflight.h"
#include "tests/support/lab.h"

#include <QDir>
#include <QFile>

using namespace cutover;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QList<cli::Preflight::Row> rows;
};

Run runPreflight(const config::Plan &plan, QObject *context) {
    Run run;
    QTextStream out(&run.out);
    QString errText;
    QTextStream err(&errText);
    cli::Preflight preflight(plan, out, err);
    bool done = false;
    QObject::connect(&preflight, &cli::Preflight::finished, context, [&](int code) {
        run.exitCode = code;
        done = true;
    });
    preflight.start();
    if (!QTest::qWaitFor([&done] { return done; }, 30'000))
        return run;
    run.rows = preflight.rows();
    return run;
}

} // namespace

class TestLabPreflight : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void labPlanPasses();
    void userLevelSocketFailsThePermissionRow();

private:
    QHash<QString, QString> m_state;
    std::optional<config::Plan> m_plan;
};

void TestLabPreflight::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    m_plan = lab::loadPlan(m_state);
    QVERIFY(m_plan);
}

void TestLabPreflight::labPlanPasses() {
    const Run run = runPreflight(*m_plan, this);
    QFile dump(QDir::temp().filePath(u"preflight-lab.txt"_s));
    if (dump.open(QIODevice::WriteOnly))
        dump.write(run.out.toUtf8()); // the whole table, for a human to read
    QCOMPARE(run.exitCode, 0);
    // Per LB: reachable, backend, 5 servers, permission, weights = 9 rows; plus Prometheus
    // reachable, one row per query, and Alertmanager.
    int lbRows = 0;
    for (const auto &row : run.rows) {
        QVERIFY2(row.pass, qPrintable(row.subject + u": "_s + row.check + u": "_s + row.detail));
        if (row.subject.startsWith(u"lb-"_s))
            ++lbRows;
    }
    QCOMPARE(lbRows, 18);
    QVERIFY(run.out.contains(u"HAProxy 2."_s));
    QVERIFY(run.out.contains(u"realized OTel share"_s));
    QVERIFY(run.out.contains(u"lab: validation split"_s));
    QVERIFY(run.out.contains(u"alertmanager"_s));
    QVERIFY(run.out.contains(u"preflight passed"_s));
}

void TestLabPreflight::userLevelSocketFailsThePermissionRow() {
    config::Plan plan = *m_plan;
    const QUrl user(m_state.value(u"LAB_LB_B_USER"_s));
    plan.loadBalancers[1].runtimeApi.port = quint16(user.port());
    const Run run = runPreflight(plan, this);
    QCOMPARE(run.exitCode, 1);
    bool permissionFailed = false;
    for (const auto &row : run.rows) {
        if (row.subject == u"lb-b"_s && row.check == u"admin permission"_s) {
            permissionFailed = !row.pass && row.detail.contains(u"permission_denied"_s);
        } else {
            QVERIFY2(row.pass,
                     qPrintable(row.subject + u": "_s + row.check + u": "_s + row.detail));
        }
    }
    QVERIFY(permissionFailed);
    QVERIFY(run.out.contains(u"preflight FAILED: 1 of"_s));
}

QTEST_GUILESS_MAIN(TestLabPreflight)
#include "test_lab_preflight.moc"
