// The LB fleet on the lab's HAProxy pair: weights applied to both LBs and verified; the split
// measured by Prometheus follows; one LB killed is a connect error within the deadline while
// the other is still applied; one LB reloaded is drift.

#include "app/backends/lb_fleet.h"
#include "app/backends/prometheus_client.h"
#include "tests/support/lab.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTimer>

#include <cmath>

using namespace cutover;
using namespace cutover::backends;
using namespace cutover::net;
using namespace std::chrono_literals;

class TestLabFleet : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void measuredSplitFollowsTheWeights();
    void killedLbIsConnectErrorWhileTheOtherIsApplied();
    void reloadedLbIsDrift();

private:
    // Polls the plan's split query every 500 ms until it is within [low, high].
    bool waitForSplit(double low, double high, int timeoutMs, double *last);
    FleetApplyResult apply(const QMap<QString, int> &weights, const ApplyOptions &options);

    QHash<QString, QString> m_state;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LbFleet> m_fleet;
    std::unique_ptr<PrometheusClient> m_prometheus;
    QString m_splitQuery;
};

void TestLabFleet::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    m_plan = lab::loadPlan(m_state);
    QVERIFY(m_plan);
    const config::Environment *environment = m_plan->environment(u"lab"_s);
    QVERIFY(environment);
    m_fleet = std::make_unique<LbFleet>(*m_plan, *environment);
    QCOMPARE(m_fleet->names(), (QStringList{u"lb-a"_s, u"lb-b"_s}));
    m_prometheus = std::make_unique<PrometheusClient>(m_plan->prometheus);
    m_splitQuery = config::expandQuery(m_plan->validation.splitQuery, *environment);
}

void TestLabFleet::cleanupTestCase() {
    if (!m_fleet)
        return;
    // Fails when lb-b already runs (the usual case); the rollback below verifies both LBs.
    lab::run({u"start"_s, u"lb-b"_s}, m_state);
    const auto rollback = rollbackWeights(m_plan->pools.legacy, m_plan->pools.otel);
    QVERIFY(apply(rollback.weights, ApplyOptions::forRollback(m_plan->rollback)).allVerified());
}

FleetApplyResult TestLabFleet::apply(const QMap<QString, int> &weights,
                                     const ApplyOptions &options) {
    const auto result = lab::await(m_fleet->apply(weights, options), this);
    if (!result.ok()) {
        qWarning().noquote() << result.error().toString();
        return {};
    }
    for (const LbApplyResult &lb : result.value().lbs) {
        qInfo().noquote() << lb.lb << "sent" << lb.sent << "verified" << lb.verified << "in"
                          << lb.elapsedMs << "ms," << lb.attempts << "attempt(s)"
                          << (lb.error ? lb.error->toString() : QString());
    }
    return result.value();
}

bool TestLabFleet::waitForSplit(double low, double high, int timeoutMs, double *last) {
    *last = std::nan("");
    bool inRange = false;
    QTimer poll;
    connect(&poll, &QTimer::timeout, this, [&] {
        m_prometheus->query(m_splitQuery)->onFinished(&poll, [&](const Result<QueryResult> &r) {
            if (!r.ok())
                return;
            *last = r.value().singleValue();
            inRange = *last >= low && *last <= high; // NaN: never in range
        });
    });
    poll.start(500);
    return QTest::qWaitFor([&inRange] { return inRange; }, timeoutMs);
}

void TestLabFleet::measuredSplitFollowsTheWeights() {
    const WeightPlan half = weightsFor(0.5, m_plan->pools.legacy, m_plan->pools.otel);
    QCOMPARE(half.realizedShare, 0.5);
    const FleetApplyResult applied = apply(half.weights, ApplyOptions::forShift(1s));
    QVERIFY(applied.allVerified());
    QCOMPARE(applied.lbs.size(), 2);
    for (const LbApplyResult &lb : applied.lbs) {
        QCOMPARE(lb.readBack, half.weights);
        QCOMPARE(lb.attempts, 1);
    }
    double measured = 0;
    // The stage's tolerance: 50% ± 20% relative.
    QVERIFY2(waitForSplit(0.4, 0.6, 45'000, &measured), qPrintable(QString::number(measured)));
    qInfo() << "measured split after 50%:" << measured;

    const WeightPlan rollback = rollbackWeights(m_plan->pools.legacy, m_plan->pools.otel);
    QVERIFY(apply(rollback.weights, ApplyOptions::forRollback(m_plan->rollback)).allVerified());
    QVERIFY2(waitForSplit(0.0, 0.02, 45'000, &measured), qPrintable(QString::number(measured)));
    qInfo() << "measured split after rollback:" << measured;
}

void TestLabFleet::killedLbIsConnectErrorWhileTheOtherIsApplied() {
    QVERIFY(lab::run({u"kill"_s, u"lb-b"_s}, m_state));
    // lb-b comes back even when a comparison below fails, so the next test starts whole.
    auto restart = qScopeGuard([this] { lab::run({u"start"_s, u"lb-b"_s}, m_state); });
    const WeightPlan tenth = weightsFor(0.1, m_plan->pools.legacy, m_plan->pools.otel);
    ApplyOptions options = ApplyOptions::forRollback(m_plan->rollback);
    options.deadline = 1500ms;
    QElapsedTimer clock;
    clock.start();
    const FleetApplyResult result = apply(tenth.weights, options);
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(result.lbs.size(), 2);
    QVERIFY(result.lbs.at(0).verified); // lb-a applied regardless of lb-b
    QCOMPARE(result.lbs.at(0).readBack, tenth.weights);
    QVERIFY(!result.lbs.at(1).verified);
    QVERIFY(result.lbs.at(1).error.has_value());
    QCOMPARE(result.lbs.at(1).error->kind, ErrorKind::Connect);
    QCOMPARE(result.lbs.at(1).error->backend, u"lb-b"_s);
    QVERIFY(result.lbs.at(1).attempts > 1); // retried within the deadline
    QVERIFY2(elapsed < 1500 + 500, qPrintable(QString::number(elapsed)));
    QCOMPARE(result.failedLbs(), QStringList{u"lb-b"_s});

    restart.dismiss();
    QVERIFY(lab::run({u"start"_s, u"lb-b"_s}, m_state));
    const WeightPlan rollback = rollbackWeights(m_plan->pools.legacy, m_plan->pools.otel);
    QVERIFY(apply(rollback.weights, ApplyOptions::forRollback(m_plan->rollback)).allVerified());
}

void TestLabFleet::reloadedLbIsDrift() {
    const WeightPlan quarter = weightsFor(0.25, m_plan->pools.legacy, m_plan->pools.otel);
    QVERIFY(apply(quarter.weights, ApplyOptions::forShift(1s)).allVerified());
    const auto before = lab::await(m_fleet->checkDrift(quarter.weights), this);
    QVERIFY(before.ok());
    for (const LbDrift &lb : before.value())
        QVERIFY2(!lb.drifted(), qPrintable(lb.lb));

    QVERIFY(lab::run({u"reload"_s, u"lb-a"_s}, m_state));
    const auto after = lab::await(m_fleet->checkDrift(quarter.weights), this);
    QVERIFY(after.ok());
    QCOMPARE(after.value().size(), 2);
    const LbDrift &a = after.value().at(0);
    const LbDrift &b = after.value().at(1);
    QCOMPARE(a.lb, u"lb-a"_s);
    QVERIFY(!a.read.error);
    QVERIFY(a.drifted()); // the reload brought the configuration's weights back
    QCOMPARE(a.drifts.size(), 5);
    QCOMPARE(a.read.weights.value(u"legacy-collector-1"_s), 100);
    QVERIFY(a.read.reloaded); // a new Pid
    QVERIFY(!b.drifted());
    QVERIFY(!b.read.reloaded);
}

QTEST_GUILESS_MAIN(TestLabFleet)
#include "test_lab_fleet.moc"
