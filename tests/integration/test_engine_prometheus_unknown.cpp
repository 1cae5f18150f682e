// Prometheus gone during validation: the split is unknown, and unknown is never a pass. A shift
// to 10% is applied on the lab (LBs fine) by a console that then goes away; a second console on
// the same store, whose plan points Prometheus at a loopback port where nothing listens, carries
// the stage through stabilization into validation and must stay Validating — never Holding —
// past stabilization + rate window + scrape + margin, with Prometheus' health Down.
//
// Why two consoles: the engine's shift guard refuses to start a shift while Prometheus is
// unreachable (DESIGN.md: "backend unreachable" is a guard), which this test also checks; the
// case of item 8 is Prometheus failing *after* the shift, and any console sharing the store
// carries a shift through validation.

#include "tests/support/engine_test_support.h"

#include <QScopeGuard>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEnginePrometheusUnknown : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void unknownIsNeverAPass();
};

namespace {

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

void TestEnginePrometheusUnknown::unknownIsNeverAPass() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto plan = labPlanWithOperators(state, dir.path());
    QVERIFY(plan);
    LabControl lab(state, *plan);
    QVERIFY(lab.reset(this));
    auto restore = qScopeGuard([&] { lab.reset(this); });

    config::Plan blind = *plan;
    const quint16 port = deadPort();
    QVERIFY(port != 0);
    blind.prometheus.url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));
    const QString storePath = dir.filePath(u"store.sqlite"_s);

    // The shift itself happens while Prometheus answers.
    {
        Console first;
        QVERIFY(first.open(*plan, storePath));
        QVERIFY(tickGate(first, plan->preCutoverGate));
        QVERIFY(signGate(first, plan->preCutoverGate));

        // A console that cannot reach Prometheus may not start a shift at all.
        Console blindConsole;
        QVERIFY(blindConsole.open(blind, storePath));
        QVERIFY(waitFor(
            blindConsole,
            [&] {
                for (const auto &b : blindConsole.snapshot().backends) {
                    if (b.name == u"prometheus"_s)
                        return b.state == engine::BackendHealth::State::Down;
                }
                return false;
            },
            15'000, u"Prometheus Down on the blind console"_s));
        const QStringList refusals = blindConsole.shiftGuards();
        QVERIFY2(refusals.join(u'\n').contains(u"prometheus is unreachable"_s),
                 qPrintable(refusals.join(u'\n')));
        blindConsole.close();

        const OperationOutcome shifted = shiftTo(first, 10);
        QVERIFY2(shifted.ok, qPrintable(shifted.summary + u' ' + shifted.refusals.join(u"; "_s)));
        QCOMPARE(first.snapshot().phase, Phase::Stabilizing);
        first.close();
    }
    QVERIFY(lab.lbsHold(lab.weightsFor(10).weights, this));

    Console console;
    QVERIFY(console.open(blind, storePath));
    QList<Phase> seen;
    connect(console.engine.get(), &engine::CutoverEngine::snapshotChanged, this,
            [&](const QString &) {
                const Phase phase = console.snapshot().phase;
                if (seen.isEmpty() || seen.constLast() != phase)
                    seen.append(phase);
            });
    const EnvironmentSnapshot atStart = console.snapshot();
    QCOMPARE(atStart.phase, Phase::Stabilizing);
    const config::Stage &stage = plan->stages.constFirst();
    // When a measurement could have decided, plus a margin of several monitor rounds.
    const QDateTime decisionDue = atStart.state.enteredAt.addMSecs(
        stage.stabilization.ms() + plan->validation.rateWindow.ms() +
        plan->validation.scrapeInterval.ms() + 5'000);
    QVERIFY(waitForPhase(console, {Phase::Validating}, 30'000));
    const qint64 left = QDateTime::currentDateTimeUtc().msecsTo(decisionDue);
    QVERIFY(waitFor(
        console,
        [&] {
            return QDateTime::currentDateTimeUtc() >= decisionDue ||
                   console.snapshot().phase != Phase::Validating;
        },
        int(std::max<qint64>(left, 0)) + 30'000, u"the decision time"_s));

    const EnvironmentSnapshot s = console.snapshot();
    qInfo().noquote() << describe(s);
    QVERIFY2(s.phase == Phase::Validating, qPrintable(describe(s)));
    QVERIFY(!s.measuredShare.has_value());
    QVERIFY(!s.lastValidation.startsWith(u"passed"_s));
    QVERIFY(!seen.contains(Phase::Holding));
    QVERIFY(!seen.contains(Phase::Complete));
    bool prometheusDown = false;
    for (const auto &b : s.backends) {
        if (b.name == u"prometheus"_s) {
            prometheusDown = b.state == engine::BackendHealth::State::Down;
            qInfo().noquote() << "prometheus:" << b.problem;
        }
    }
    QVERIFY(prometheusDown);
    const QStringList actions = actionsOf(auditOf(*console.store));
    QVERIFY(!actions.contains(u"validation_passed"_s));
    QVERIFY(actions.contains(u"stabilization_over"_s));
}

QTEST_GUILESS_MAIN(TestEnginePrometheusUnknown)
#include "test_engine_prometheus_unknown.moc"
