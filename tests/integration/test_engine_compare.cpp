// compare checks on the lab (issue 14): Gate 1's "latency parity" in the lab plan, the lab's
// HAProxy response times of the legacy pool against the OTel pool, judged by Mann-Whitney over a
// 1 min window at 1 s steps, allowed 5% higher. With traffic split 50/50:
// - identical collectors pass, and 50 monitor rounds in a row raise no false high or low;
// - `scripts/lab collector otel-… latency 100` (OTel answers twice as slowly) is *high*, and the
//   check says why;
// - with Prometheus unreachable the check is unknown (nodata), never a pass.
// The LBs are reloaded after the slow test, so that no later test inherits OTel's slow average.

#include "tests/support/engine_test_support.h"

#include <QScopeGuard>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

namespace {

const QString kParity = u"latency_parity"_s;

engine::CheckStatus parityOf(const Console &console) {
    for (const auto &g : console.snapshot().gates) {
        for (const auto &c : g.checks) {
            if (c.id == kParity)
                return c;
        }
    }
    return {};
}

// A loopback port where nothing listens (bound, then released).
quint16 deadPort() {
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

} // namespace

class TestEngineCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void identicalPoolsPass();
    void slowerOtelIsHigh();
    void prometheusDownIsNoData();

private:
    bool splitFiftyFifty();
    bool seedFiftyPercent(const QString &path);

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
};

void TestEngineCompare::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    auto plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(plan);
    m_plan = *plan;
    // A prompt trigger on the same comparison (issue 14: compare as a trigger condition).
    config::Trigger slower;
    slower.id = u"otel_slower"_s;
    slower.title = u"OTel answers slower than legacy"_s;
    slower.action = config::Trigger::Action::Prompt;
    slower.forDuration = config::Duration::seconds(2);
    slower.condition = {config::Condition::Op::Greater, 0};
    for (const config::Check &check : m_plan->gate(u"gate_1"_s)->checks) {
        if (check.id == kParity)
            slower.compare = check.compare;
    }
    QVERIFY(slower.compare);
    // Alone: the lab plan's own triggers (some roll back by themselves) are not under test.
    m_plan->rollback.triggers = {slower};
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
    QVERIFY(m_lab->reset(this));
}

void TestEngineCompare::cleanup() {
    QVERIFY(m_lab->reset(this));
}

// A store that says the lab holds at 50% (stage 3): triggers are judged only while OTel has
// traffic by the plan, and the intended weights match what splitFiftyFifty() applies.
bool TestEngineCompare::seedFiftyPercent(const QString &path) {
    store::SqliteStore::Options options;
    options.path = path;
    auto opened = store::SqliteStore::open(options);
    if (!opened)
        return false;
    store::StageState state;
    state.environment = kEnv;
    state.stageIndex = 2;
    state.phase = u"Holding"_s;
    QJsonObject weights;
    const QMap<QString, int> fifty = m_lab->weightsFor(50).weights;
    for (auto it = fifty.cbegin(); it != fifty.cend(); ++it)
        weights.insert(it.key(), it.value());
    state.intendedWeights = {{u"weights"_s, weights}};
    state.enteredAt = QDateTime::currentDateTimeUtc();
    state.holdStartedAt = state.enteredAt;
    state.changedBy = u"alice"_s;
    return bool(opened.value()->updateStageState(0, state, {u"shift_completed"_s, {}, {}}));
}

bool TestEngineCompare::splitFiftyFifty() {
    const auto applied =
        lab::await(m_lab->fleet().apply(m_lab->weightsFor(50).weights,
                                        backends::ApplyOptions::forShift(std::chrono::seconds(2))),
                   this, 10'000);
    return applied.ok() && applied.value().allVerified();
}

void TestEngineCompare::identicalPoolsPass() {
    QVERIFY(splitFiftyFifty());
    QVERIFY(seedFiftyPercent(m_dir.filePath(u"identical.sqlite"_s)));
    Console console;
    QVERIFY(console.open(*m_plan, m_dir.filePath(u"identical.sqlite"_s)));
    QVERIFY(waitFor(
        console, [&] { return parityOf(console).state == engine::CheckStatus::State::Pass; },
        90'000, u"latency parity to pass"_s,
        [&] { return QStringList{parityOf(console).detail}; }));
    qInfo().noquote() << "identical:" << parityOf(console).detail;

    // 50 monitor rounds in a row (one a second; the check is asked again at most once a step,
    // and a stable lab gives the same sentence each time): no false high or low.
    for (int round = 1; round <= 50; ++round) {
        QSignalSpy finished(console.engine.get(), &CutoverEngine::monitorRoundFinished);
        QVERIFY(finished.wait(15'000));
        const engine::CheckStatus status = parityOf(console);
        QVERIFY2(status.state != engine::CheckStatus::State::Fail,
                 qPrintable(u"round %1: %2"_s.arg(round).arg(status.detail)));
        // Nor does the compare trigger on the same comparison fire.
        QVERIFY2(!console.snapshot().firingTriggers.contains(u"OTel answers slower than legacy"_s),
                 qPrintable(u"round %1"_s.arg(round)));
    }
}

void TestEngineCompare::slowerOtelIsHigh() {
    QVERIFY(splitFiftyFifty());
    QVERIFY(seedFiftyPercent(m_dir.filePath(u"slower.sqlite"_s)));
    Console console;
    QVERIFY(console.open(*m_plan, m_dir.filePath(u"slower.sqlite"_s)));
    // HAProxy averages a server's response time over its last 1,024 requests: at the small
    // shares the next tests use, OTel would look slow for minutes after the fault is gone. A
    // reload starts both LBs with fresh statistics (and the configuration's weights, which
    // cleanup() then sets to legacy 100 as always).
    auto freshStatistics = qScopeGuard([this] {
        for (const QString &collector : m_plan->pools.otel)
            m_lab->setCollector(collector, u"healthy"_s);
        for (const QString &lb : m_plan->environment(kEnv)->loadBalancers)
            QVERIFY(m_lab->run({u"reload"_s, lb}));
    });
    for (const QString &collector : m_plan->pools.otel)
        QVERIFY(m_lab->run({u"collector"_s, collector, u"latency"_s, u"100"_s}));
    QVERIFY(waitFor(
        console, [&] { return parityOf(console).state == engine::CheckStatus::State::Fail; },
        120'000, u"latency parity to fail"_s,
        [&] { return QStringList{parityOf(console).detail}; }));
    const QString why = parityOf(console).detail;
    qInfo().noquote() << "OTel twice as slow:" << why;
    QVERIFY2(why.startsWith(u"high: "_s) && why.contains(u"higher than legacy"_s) &&
                 why.contains(u"allowed 5%"_s),
             qPrintable(why));
    // The gate's score counts it as a failure: its group scores 0, so the gate cannot pass.
    QVERIFY(waitFor(
        console,
        [&] {
            for (const auto &g : console.snapshot().gates) {
                if (g.id == u"gate_1" && g.score)
                    return g.score->reason.contains(u"latency_parity 0"_s);
            }
            return false;
        },
        15'000, u"Gate 1's score to count latency parity as failing"_s));
    // The compare trigger fires on the same difference (held for its 2 s).
    QVERIFY(waitFor(
        console,
        [&] {
            return console.snapshot().firingTriggers.contains(u"OTel answers slower than legacy"_s);
        },
        30'000, u"the compare trigger to fire"_s));
}

void TestEngineCompare::prometheusDownIsNoData() {
    config::Plan blind = *m_plan;
    const quint16 port = deadPort();
    QVERIFY(port != 0);
    blind.prometheus.url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));
    Console console;
    QVERIFY(console.open(blind, m_dir.filePath(u"blind.sqlite"_s)));
    // Several rounds: never a pass, and it says so.
    for (int round = 0; round < 5; ++round) {
        QSignalSpy finished(console.engine.get(), &CutoverEngine::monitorRoundFinished);
        QVERIFY(finished.wait(15'000));
        const engine::CheckStatus status = parityOf(console);
        QVERIFY2(status.state == engine::CheckStatus::State::Unknown, qPrintable(status.detail));
    }
    const QString detail = parityOf(console).detail;
    qInfo().noquote() << "Prometheus unreachable:" << detail;
    QVERIFY2(detail.startsWith(u"nodata: "_s), qPrintable(detail));
}

QTEST_GUILESS_MAIN(TestEngineCompare)
#include "test_engine_compare.moc"
