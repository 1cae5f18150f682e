// `--preflight` on the lab: every LB, Prometheus query and Alertmanager check of the lab plan
// passes; a plan pointing one LB at the level-user socket fails on the permission row; the lab's
// variant backends (same servers, other balance algorithms, no health checks) fail or warn as
// HAProxy 2.6 would behave mid-shift.

#include "app/backends/haproxy_runtime_client.h"
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

const cli::Preflight::Row *rowOf(const Run &run, const QString &subject, const QString &check) {
    for (const auto &row : run.rows) {
        if (row.subject == subject && row.check == check)
            return &row;
    }
    return nullptr;
}

QString describe(const cli::Preflight::Row &row) {
    return row.subject + u": "_s + row.check + u": "_s + row.detail;
}

} // namespace

class TestLabPreflight : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void labPlanPasses();
    void userLevelSocketFailsThePermissionRow();
    void staticRoundRobinFails();
    void leastconnWarns();
    void mapBasedHashFailsUnlessDeclaredConsistent();
    void runtimeWeightProvesConsistentHashing();
    void serversWithoutHealthChecksWarn();
    void decommissionStepsToFinishWarn();
    void weakenedStoreTlsWarns();

private:
    // The lab plan with lb-a on one of the lab's variant backends (tests/lab/README.md).
    config::Plan planOnBackend(const QString &backend,
                               config::HashType hashType = config::HashType::Unspecified) const;
    // Every row but lb-a's `check` passes without a warning, except `warnings` checks.
    void othersPass(const Run &run, const QString &check, const QStringList &warnings = {});

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
    // Plus Prometheus reachable, one row per query, and Alertmanager.
    int lbRows = 0;
    for (const auto &row : run.rows) {
        QVERIFY2(row.pass, qPrintable(row.subject + u": "_s + row.check + u": "_s + row.detail));
        if (row.subject.startsWith(u"lb-"_s))
            ++lbRows;
    }
    // Per LB: reachable, backend, algorithm, 5 servers, permission, weights, reload = 11 rows.
    QCOMPARE(lbRows, 22);
    QVERIFY2(run.out.contains(u"balance roundrobin"_s), qPrintable(run.out));
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

config::Plan TestLabPreflight::planOnBackend(const QString &backend,
                                             config::HashType hashType) const {
    config::Plan plan = *m_plan;
    plan.loadBalancers[0].backend = backend;
    plan.loadBalancers[0].hashType = hashType;
    return plan;
}

void TestLabPreflight::othersPass(const Run &run, const QString &check,
                                  const QStringList &warnings) {
    for (const auto &row : run.rows) {
        if (row.subject == u"lb-a"_s && row.check == check)
            continue;
        QVERIFY2(row.pass, qPrintable(describe(row)));
        if (row.subject == u"lb-a"_s && !warnings.contains(row.check))
            QVERIFY2(!row.warn, qPrintable(describe(row)));
    }
}

void TestLabPreflight::staticRoundRobinFails() {
    const Run run = runPreflight(planOnBackend(u"static_rr_backend"_s), this);
    QCOMPARE(run.exitCode, 1);
    const auto *row = rowOf(run, u"lb-a"_s, u"balance algorithm"_s);
    QVERIFY(row);
    QVERIFY2(!row->pass && row->detail.contains(u"balance static-rr"_s),
             qPrintable(describe(*row)));
    othersPass(run, u"balance algorithm"_s, {u"weights survive a reload"_s});
    QVERIFY2(run.out.contains(u"preflight FAILED: 1 of"_s), qPrintable(run.out));
}

void TestLabPreflight::leastconnWarns() {
    const Run run = runPreflight(planOnBackend(u"leastconn_backend"_s), this);
    QCOMPARE(run.exitCode, 0);
    const auto *row = rowOf(run, u"lb-a"_s, u"balance algorithm"_s);
    QVERIFY(row);
    QVERIFY2(row->pass && row->warn && row->detail.contains(u"short requests ignore weights"_s),
             qPrintable(describe(*row)));
    QVERIFY2(run.out.contains(u"WARN  lb-a"_s), qPrintable(run.out));
    QVERIFY2(run.out.contains(u"with a warning)"_s), qPrintable(run.out));
    othersPass(run, u"balance algorithm"_s, {u"weights survive a reload"_s});
}

void TestLabPreflight::mapBasedHashFailsUnlessDeclaredConsistent() {
    // balance source, HAProxy's default map-based hashing: undeclared, it fails (the Runtime API
    // cannot tell), and so it does when the plan says map-based.
    for (auto declared : {config::HashType::Unspecified, config::HashType::MapBased}) {
        const Run run = runPreflight(planOnBackend(u"source_backend"_s, declared), this);
        QCOMPARE(run.exitCode, 1);
        const auto *row = rowOf(run, u"lb-a"_s, u"balance algorithm"_s);
        QVERIFY(row);
        QVERIFY2(!row->pass && row->detail.contains(u"balance source"_s),
                 qPrintable(describe(*row)));
    }
    // The same algorithm with hash-type consistent, declared in the plan: it passes.
    const Run run =
        runPreflight(planOnBackend(u"consistent_backend"_s, config::HashType::Consistent), this);
    QCOMPARE(run.exitCode, 0);
    const auto *row = rowOf(run, u"lb-a"_s, u"balance algorithm"_s);
    QVERIFY(row);
    QVERIFY2(row->pass && !row->warn && row->detail.contains(u"as the plan declares"_s),
             qPrintable(describe(*row)));
}

void TestLabPreflight::runtimeWeightProvesConsistentHashing() {
    backends::HaproxyRuntimeClient client(m_plan->loadBalancers.constFirst());
    const QString server = m_plan->pools.otel.constFirst();
    // What preflight claims of map-based hashing, checked against the lab's HAProxy itself.
    const auto refused = lab::await(client.setWeight(u"source_backend"_s, server, 10), this);
    QVERIFY2(!refused.ok() && refused.error().message.contains(u"static LB algorithm"_s),
             qPrintable(refused.ok() ? u"accepted"_s : refused.error().toString()));

    const auto set = lab::await(client.setWeight(u"consistent_backend"_s, server, 10), this);
    QVERIFY(set.ok());
    const Run run = runPreflight(planOnBackend(u"consistent_backend"_s), this);
    const auto restored = lab::await(client.setWeight(u"consistent_backend"_s, server, 0), this);
    QVERIFY(restored.ok());

    QCOMPARE(run.exitCode, 0);
    const auto *algorithm = rowOf(run, u"lb-a"_s, u"balance algorithm"_s);
    QVERIFY(algorithm);
    QVERIFY2(algorithm->pass && algorithm->detail.contains(u"hashing is consistent"_s),
             qPrintable(describe(*algorithm)));
    const auto *reload = rowOf(run, u"lb-a"_s, u"weights survive a reload"_s);
    QVERIFY(reload);
    QVERIFY2(reload->pass && reload->warn &&
                 reload->detail.contains(u"%1 10 (configured 0)"_s.arg(server)),
             qPrintable(describe(*reload)));
}

void TestLabPreflight::serversWithoutHealthChecksWarn() {
    const Run run = runPreflight(planOnBackend(u"nocheck_backend"_s), this);
    QCOMPARE(run.exitCode, 0);
    const QStringList servers = m_plan->pools.legacy + m_plan->pools.otel;
    for (const QString &server : servers) {
        const auto *row = rowOf(run, u"lb-a"_s, u"server "_s + server);
        QVERIFY(row);
        QVERIFY2(row->pass && row->warn && row->detail.contains(u"health checks off"_s),
                 qPrintable(describe(*row)));
    }
    // lb-b, on the lab's own backend, has its checks: no such warning there.
    for (const QString &server : servers) {
        const auto *row = rowOf(run, u"lb-b"_s, u"server "_s + server);
        QVERIFY(row);
        QVERIFY2(!row->warn, qPrintable(describe(*row)));
    }
}

// A shared store off this machine: sslmode=verify-full unless the url weakens it, which is a
// warning naming what it gives away. (Preflight does not connect to the store: nothing leaves
// loopback.)
void TestLabPreflight::weakenedStoreTlsWarns() {
    config::Plan plan = *m_plan;
    plan.store.url = QUrl(u"postgresql://db.example.com:5432/cutover?sslmode=require"_s);
    Run run = runPreflight(plan, this);
    QCOMPARE(run.exitCode, 0);
    const auto *weakened = rowOf(run, u"store"_s, u"TLS to db.example.com"_s);
    QVERIFY(weakened);
    QVERIFY2(weakened->pass && weakened->warn &&
                 weakened->detail.contains(u"sslmode=require for db.example.com: the server's "
                                           u"certificate is not checked"_s),
             qPrintable(describe(*weakened)));
    plan.store.url = QUrl(u"postgresql://db.example.com:5432/cutover"_s);
    run = runPreflight(plan, this);
    const auto *strict = rowOf(run, u"store"_s, u"TLS to db.example.com"_s);
    QVERIFY(strict);
    QVERIFY2(strict->pass && !strict->warn && strict->detail.contains(u"verify-full"_s),
             qPrintable(describe(*strict)));
}

void TestLabPreflight::decommissionStepsToFinishWarn() {
    // Weeks 9-12 are reported, never failed: a placeholder to fill in, a program this machine
    // lacks; a configured step gets no row of its own.
    config::Plan plan = *m_plan;
    auto command = [](const QString &id, const QStringList &argv) {
        config::DecommissionStep step;
        step.id = id;
        step.title = id;
        step.action = config::DecommissionStep::Action::Command;
        step.argv = argv;
        return step;
    };
    plan.decommission.baselineCostPerMonth = 1000;
    plan.decommission.steps = {
        command(u"upload"_s, {u"/bin/true"_s, u"s3://<backup-bucket>/legacy/"_s}),
        command(u"configured"_s, {u"/bin/true"_s}),
        command(u"missing_tool"_s, {u"no-such-tool-for-the-preflight"_s, u"--yes"_s})};
    const Run run = runPreflight(plan, this);
    QCOMPARE(run.exitCode, 0);
    const auto *upload = rowOf(run, u"decommission"_s, u"step upload"_s);
    QVERIFY(upload);
    QVERIFY2(upload->pass && upload->warn &&
                 upload->detail == u"not configured: fill in <backup-bucket>"_s,
             qPrintable(describe(*upload)));
    const auto *missing = rowOf(run, u"decommission"_s, u"step missing_tool"_s);
    QVERIFY(missing);
    QVERIFY2(missing->warn &&
                 missing->detail.contains(u"no-such-tool-for-the-preflight not found"_s),
             qPrintable(describe(*missing)));
    QVERIFY(!rowOf(run, u"decommission"_s, u"step configured"_s));
    const auto *summary = rowOf(run, u"decommission"_s, u"steps"_s);
    QVERIFY(summary);
    QVERIFY2(summary->warn && summary->detail.startsWith(u"2 of 3 steps to finish"_s),
             qPrintable(describe(*summary)));
    QVERIFY2(run.out.contains(u"WARN  decommission"_s), qPrintable(run.out));
}

QTEST_GUILESS_MAIN(TestLabPreflight)
#include "test_lab_preflight.moc"
