// Data parity on the lab (issue 14), judged through the binary: `cutover-console --evaluate
// gate_1/CHECK --json` on the lab plan's Gate 1, with traffic split 50/50.
// - healthy collectors: completeness, cardinality and points-per-request parity pass (exit 0);
// - `scripts/lab collector otel-… drop 5` (5% of the accepted points never exported): the
//   completeness check is *low* and the whole gate fails on its critical check (exit 1);
// - `cardinality 3` on one OTel collector: the cardinality check is *high*;
// - `latency 15` on every OTel collector (+15%, allowed 5%): latency parity is *high*;
// - a bad GATE/CHECK or --at is a usage error (exit 2) that names what exists.
// Every fault is cleared in a scope guard; the LBs are reloaded at the end so that no later test
// inherits OTel's slow HAProxy average.

#include "tests/support/engine_test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEvaluateParity : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void healthyCollectorsPass();
    void droppedPointsFailCompleteness();
    void tripledSeriesFailCardinality();
    void slowerOtelFailsLatencyParity();
    void usageErrorsNameWhatExists();

private:
    QStringList base() const {
        return {u"--plan"_s, QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"),
                u"--store"_s, m_dir.filePath(u"store.sqlite"_s)};
    }
    // --evaluate gate_1/CHECK --json; the check's JSON (empty on a bad run).
    QJsonObject evaluate(const QString &check, int *exitCode = nullptr) const;
    // Polls --evaluate until the check's verdict is `verdict`, bounded.
    bool waitForVerdict(const QString &check, const QString &verdict, int timeoutMs);
    void faultEveryOtelCollector(const QString &fault, const QString &value);
    void healOtelCollectors();

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
    QJsonObject m_last;
};

void TestEvaluateParity::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
    QVERIFY(m_lab->reset(this));
    const auto applied =
        lab::await(m_lab->fleet().apply(m_lab->weightsFor(50).weights,
                                        backends::ApplyOptions::forShift(std::chrono::seconds(2))),
                   this, 10'000);
    QVERIFY(applied.ok() && applied.value().allVerified());
}

void TestEvaluateParity::cleanupTestCase() {
    if (!m_lab)
        return;
    healOtelCollectors();
    // Fresh HAProxy statistics (and the configuration's weights) for the next test.
    for (const QString &lb : m_plan->environment(kEnv)->loadBalancers)
        QVERIFY(m_lab->run({u"reload"_s, lb}));
    QVERIFY(m_lab->reset(this));
}

QJsonObject TestEvaluateParity::evaluate(const QString &check, int *exitCode) const {
    const ProcessRun run =
        runConsole(base() << u"--evaluate"_s << u"gate_1/"_s + check << u"--json"_s);
    if (exitCode)
        *exitCode = run.exitCode;
    const QJsonObject object = QJsonDocument::fromJson(run.out.toUtf8()).object();
    const QJsonArray checks = object.value(u"checks"_s).toArray();
    if (run.crashed || run.timedOut || checks.size() != 1) {
        qWarning().noquote() << "--evaluate" << check << "exit" << run.exitCode << run.out
                             << run.err;
        return {};
    }
    return checks.first().toObject();
}

bool TestEvaluateParity::waitForVerdict(const QString &check, const QString &verdict,
                                        int timeoutMs) {
    // Each run is a fresh process judging the window that ends now.
    if (QTest::qWaitFor(
            [&] {
                m_last = evaluate(check);
                return m_last.value(u"compare"_s).toObject().value(u"verdict"_s).toString() ==
                       verdict;
            },
            timeoutMs))
        return true;
    qWarning().noquote() << check << "never became" << verdict
                         << "; last:" << QJsonDocument(m_last).toJson(QJsonDocument::Compact);
    return false;
}

void TestEvaluateParity::faultEveryOtelCollector(const QString &fault, const QString &value) {
    for (const QString &collector : m_plan->pools.otel)
        QVERIFY(m_lab->run({u"collector"_s, collector, fault, value}));
}

void TestEvaluateParity::healOtelCollectors() {
    for (const QString &collector : m_plan->pools.otel)
        m_lab->setCollector(collector, u"healthy"_s);
}

void TestEvaluateParity::healthyCollectorsPass() {
    for (const QString &check :
         {u"completeness_parity"_s, u"cardinality_parity"_s, u"points_parity"_s}) {
        QVERIFY(waitForVerdict(check, u"pass"_s, 90'000));
        int exitCode = -1;
        const QJsonObject judged = evaluate(check, &exitCode);
        const QJsonObject numbers = judged.value(u"compare"_s).toObject();
        qInfo().noquote() << check << ":" << judged.value(u"detail"_s).toString();
        QCOMPARE(judged.value(u"state"_s).toString(), u"pass"_s);
        QCOMPARE(exitCode, 0);
        QVERIFY(numbers.value(u"n_legacy"_s).toDouble() >= 10);
        QVERIFY(numbers.value(u"n_otel"_s).toDouble() >= 10);
        QVERIFY(numbers.value(u"p_value"_s).isDouble());
    }
}

void TestEvaluateParity::droppedPointsFailCompleteness() {
    auto healthy = qScopeGuard([this] { healOtelCollectors(); });
    faultEveryOtelCollector(u"drop"_s, u"5"_s);
    QVERIFY(waitForVerdict(u"completeness_parity"_s, u"low"_s, 120'000));
    const QJsonObject numbers = m_last.value(u"compare"_s).toObject();
    qInfo().noquote() << "drop 5:" << m_last.value(u"detail"_s).toString();
    QVERIFY2(numbers.value(u"mean_ratio"_s).toDouble() < 0.995,
             qPrintable(QString::number(numbers.value(u"mean_ratio"_s).toDouble())));
    QVERIFY(numbers.value(u"p_value"_s).toDouble() < 0.02);

    // The whole gate: its critical check fails, so the score is 0 and the exit status 1.
    const ProcessRun run = runConsole(base() << u"--evaluate"_s << u"gate_1"_s << u"--json"_s);
    QCOMPARE(run.exitCode, 1);
    const QJsonObject gate = QJsonDocument::fromJson(run.out.toUtf8()).object();
    const QJsonObject score = gate.value(u"score"_s).toObject();
    QCOMPARE(score.value(u"classification"_s).toString(), u"fail"_s);
    QCOMPARE(score.value(u"score"_s).toDouble(), 0.0);
    QVERIFY(score.value(u"critical_failures"_s).toArray().contains(u"completeness_parity"_s));
    // People read the same thing.
    const ProcessRun text = runConsole(base() << u"--evaluate"_s << u"gate_1"_s);
    QVERIFY2(text.out.contains(u"critical check completeness_parity did not pass"_s) &&
                 text.out.contains(u"NOT PASSING"_s),
             qPrintable(text.out));
}

void TestEvaluateParity::tripledSeriesFailCardinality() {
    const QString collector = m_plan->pools.otel.constFirst();
    auto healthy = qScopeGuard([&] { m_lab->setCollector(collector, u"healthy"_s); });
    QVERIFY(m_lab->run({u"collector"_s, collector, u"cardinality"_s, u"3"_s}));
    QVERIFY(waitForVerdict(u"cardinality_parity"_s, u"high"_s, 120'000));
    qInfo().noquote() << "cardinality x3:" << m_last.value(u"detail"_s).toString();
    // Three OTel collectors, one with three times the series: 5/3 of legacy's per collector.
    const double ratio = m_last.value(u"compare"_s).toObject().value(u"mean_ratio"_s).toDouble();
    QVERIFY2(ratio > 1.2 && ratio < 1.7, qPrintable(QString::number(ratio)));
}

void TestEvaluateParity::slowerOtelFailsLatencyParity() {
    auto healthy = qScopeGuard([this] { healOtelCollectors(); });
    faultEveryOtelCollector(u"latency"_s, u"15"_s);
    QVERIFY(waitForVerdict(u"latency_parity"_s, u"high"_s, 150'000));
    const QString detail = m_last.value(u"detail"_s).toString();
    qInfo().noquote() << "latency +15%:" << detail;
    QVERIFY2(detail.contains(u"higher than legacy"_s) && detail.contains(u"allowed 5%"_s),
             qPrintable(detail));
}

void TestEvaluateParity::usageErrorsNameWhatExists() {
    ProcessRun run = runConsole(base() << u"--evaluate"_s << u"gate_1/nope"_s);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(u"no check 'nope' in gate_1; its checks are error_rate"_s),
             qPrintable(run.err));
    run = runConsole(base() << u"--evaluate"_s << u"gate_9"_s);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(u"no gate 'gate_9' in the plan; its gates are pre_cutover"_s),
             qPrintable(run.err));
    run = runConsole(base() << u"--evaluate"_s << u"gate_1"_s << u"--at"_s << u"yesterday"_s);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(u"--at expects an ISO 8601 time"_s), qPrintable(run.err));

    // A past time: judged at that moment (the JSON says when).
    run = runConsole(base() << u"--evaluate"_s << u"gate_1/cardinality_parity"_s << u"--at"_s
                            << u"30s"_s << u"--json"_s);
    const QJsonObject object = QJsonDocument::fromJson(run.out.toUtf8()).object();
    const QDateTime at = QDateTime::fromString(object.value(u"at"_s).toString(), Qt::ISODate);
    QVERIFY2(at.isValid(), qPrintable(run.out + run.err));
    const qint64 ago = at.secsTo(QDateTime::currentDateTimeUtc());
    QVERIFY2(ago >= 29 && ago < 90, qPrintable(QString::number(ago)));
}

QTEST_GUILESS_MAIN(TestEvaluateParity)
#include "test_evaluate_parity.moc"
