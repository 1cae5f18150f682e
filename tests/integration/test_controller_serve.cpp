// The controller (`cutover-console --serve`) on the lab, the real binary on a SQLite store:
// - with only a desk open, the controller leads and the desk defers; the desk's shift is
//   validated by the controller; L1 (shift) and L2 (drift) reach their targets; /metrics is
//   scraped by the lab's Prometheus (cutover_controller_leader == 1);
// - with no window at all, an OTel collector fails and the controller rolls back: the test reads
//   the weights back with its own Runtime API calls; one rollback, one incident, one page, one
//   war-room message (L4, severity 1, assign_to); legacy verified; the evidence archive on disk
//   matches the SHA-256 in the audit log and holds what the seed asks;
// - a second controller on the same SQLite store refuses and names the first; SIGTERM exits 0;
// - back-fill: a breach while no controller ran restarts the hold at the breach.

#include "app/store/evidence_archive.h"
#include "tests/support/controller_test_support.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <csignal>

using namespace cutover;
using namespace enginetest;
using namespace controllertest;

class TestControllerServe : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void controllerDecidesAndRollsBackAlone();
    void backfillRestartsTheHoldAtTheBreach();

private:
    QStringList serveArguments(const QString &plan, const QString &store) const {
        return {u"--plan"_s, plan, u"--store"_s, store};
    }
    bool passPreCutoverAndShift(Console &desk);

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    QString m_labPlanPath = QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml");
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
    std::unique_ptr<WebhookSink> m_sink;
};

void TestControllerServe::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    QVERIFY2(m_state.contains(u"LAB_CONTROLLER_LISTEN"_s), "the lab reserves no controller port");
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
    m_sink = std::make_unique<WebhookSink>(m_state);
}

void TestControllerServe::init() {
    QVERIFY(m_lab->reset(this));
}

void TestControllerServe::cleanup() {
    QVERIFY(m_lab->reset(this));
}

bool TestControllerServe::passPreCutoverAndShift(Console &desk) {
    if (!tickGate(desk, desk.engine->plan().preCutoverGate) ||
        !signGate(desk, desk.engine->plan().preCutoverGate))
        return false;
    const OperationOutcome shifted = shiftTo(desk, 10);
    if (!shifted.ok)
        qWarning().noquote() << "shift:" << shifted.summary << shifted.refusals.join(u"; "_s);
    return shifted.ok;
}

void TestControllerServe::controllerDecidesAndRollsBackAlone() {
    const QString storePath = m_dir.filePath(u"serve.sqlite"_s);
    // A store that cannot be opened, a plan that does not load: a clear message and exit 2.
    const ProcessRun noStore =
        runConsole({u"--serve"_s, u"--plan"_s, m_labPlanPath, u"--store"_s,
                    m_dir.filePath(u"operators.json/store.sqlite"_s) /* under a file */});
    QCOMPARE(noStore.exitCode, 2);
    QVERIFY2(noStore.err.contains(u"the store cannot be opened"_s), qPrintable(noStore.err));
    const ProcessRun noPlan = runConsole(
        {u"--serve"_s, u"--plan"_s, m_dir.filePath(u"missing.yaml"_s), u"--store"_s, storePath});
    QCOMPARE(noPlan.exitCode, 2);
    QVERIFY2(noPlan.err.contains(u"missing.yaml"_s), qPrintable(noPlan.err));
    const qint64 sinkStart = m_sink->lastSeq();
    ControllerProcess controller(u"a"_s);
    QVERIFY(controller.start(serveArguments(m_labPlanPath, storePath),
                             m_state.value(u"LAB_CONTROLLER_LISTEN"_s)));
    auto report = qScopeGuard([&] { controller.printLog(); });
    const qint64 ledAfter = controller.waitLeading(15'000);
    QVERIFY2(ledAfter >= 0, "the controller never led");
    qInfo() << "controller leads" << ledAfter << "ms after start (polled)";

    // A second controller on the same SQLite file refuses and names the first.
    const ProcessRun second =
        runConsole(serveArguments(m_labPlanPath, storePath)
                   << u"--serve"_s << u"--listen"_s << m_state.value(u"LAB_CONTROLLER_LISTEN_2"_s));
    QCOMPARE(second.exitCode, 2);
    QVERIFY2(second.err.contains(u"another controller runs on this store"_s) &&
                 second.err.contains(QString::number(controller.pid())),
             qPrintable(second.err));

    {
        // A desk (an engine as the window runs it) defers to the controller.
        Console desk;
        QVERIFY(desk.open(*m_plan, storePath));
        QTRY_VERIFY_WITH_TIMEOUT(desk.engine->decisionStatus().holder &&
                                     desk.engine->decisionStatus().holderFresh,
                                 5'000);
        QCOMPARE(desk.engine->decisionStatus().holder->kind, store::LeaseHolderKind::Controller);
        QVERIFY(!desk.engine->decides());
        QVERIFY(passPreCutoverAndShift(desk));
        // Stabilization and validation are the controller's decisions.
        QVERIFY(waitForPhase(desk, {Phase::Holding, Phase::RolledBack}, 60'000));
        QCOMPARE(desk.snapshot().phase, Phase::Holding);
        const auto entries = auditOf(*desk.store);
        const auto passed = entriesOf(entries, u"validation_passed"_s);
        QCOMPARE(passed.size(), 1);
        QCOMPARE(passed.constFirst().actor, u"controller"_s);
        QVERIFY(entriesOf(entries, u"controller_leading"_s).size() == 1);

        // /metrics says so, and the lab's Prometheus scrapes it.
        const QByteArray metrics = controller.metrics();
        QCOMPARE(metricValue(metrics, u"cutover_controller_leader"_s), 1.0);
        QCOMPARE(metricValue(metrics, u"cutover_stage_percent"_s, u"{environment=\"lab\"}"_s),
                 10.0);
        QCOMPARE(
            metricValue(metrics, u"cutover_phase"_s, u"{environment=\"lab\",phase=\"Holding\"}"_s),
            1.0);
        QVERIFY(metricValue(metrics, u"cutover_last_evaluation_timestamp_seconds"_s) >
                QDateTime::currentSecsSinceEpoch() - 10);
        QVERIFY2(m_lab->waitForQuery(
                     u"max(cutover_controller_leader{job=\"cutover_controller\"})"_s,
                     [](double v) { return v == 1; }, 20'000, this),
                 "the lab's Prometheus never scraped cutover_controller_leader == 1");

        // L1: the shift and the sign-off reached chat (its own events) and email (L1).
        for (const QString &path : {u"/chat"_s, u"/email"_s}) {
            const auto shifts = m_sink->of(sinkStart, path, u"shift"_s);
            QCOMPARE(shifts.size(), 1);
            QCOMPARE(shifts.constFirst().body.value(u"level"_s).toString(), u"L1"_s);
            QCOMPARE(m_sink->of(sinkStart, path, u"sign_off"_s).size(), 1);
        }
        QVERIFY(m_sink->of(sinkStart, u"/page"_s, u"shift"_s).isEmpty());

        // L2: someone types a weight at the runtime API; the controller sees the drift and
        // pages (L2: paging, management) once.
        QVERIFY(m_lab->run({u"runtime"_s, u"lb-a"_s,
                            u"set server telemetry_backend/otel-collector-1 weight 7"_s}));
        QTRY_VERIFY_WITH_TIMEOUT(!m_sink->of(sinkStart, u"/management"_s, u"drift"_s).isEmpty(),
                                 15'000);
        QCOMPARE(m_sink->of(sinkStart, u"/page"_s, u"drift"_s).size(), 1);
        QCOMPARE(m_sink->of(sinkStart, u"/page"_s, u"drift"_s).constFirst().body.value(u"level"_s),
                 QJsonValue(u"L2"_s));
        QVERIFY(m_sink->of(sinkStart, u"/email"_s, u"drift"_s).isEmpty());
        const auto restored =
            lab::await(m_lab->fleet().apply(m_lab->weightsFor(10).weights,
                                            backends::ApplyOptions::forRollback(m_plan->rollback)),
                       this);
        QVERIFY(restored.ok() && restored.value().allVerified());
        desk.close();
    }

    // Nobody but the controller: an OTel collector answers 5xx, the `auto` trigger fires.
    const qint64 beforeRollback = m_sink->lastSeq();
    QVERIFY(m_lab->setCollector(u"otel-collector-1"_s, u"5xx"_s));
    QElapsedTimer clock;
    clock.start();
    QVERIFY2(QTest::qWaitFor([&] { return m_lab->lbsHold(m_lab->rollbackWeights().weights, this); },
                             30'000),
             "the controller did not roll back");
    qInfo() << "load balancers read back on legacy" << clock.elapsed() << "ms after the failure";

    store::SqliteStore::Options readOptions;
    readOptions.path = storePath;
    auto reader = store::SqliteStore::open(readOptions);
    QVERIFY(reader);
    // The seed's steps 2 and 4 follow the weights: wait for both (bounded).
    QTRY_VERIFY_WITH_TIMEOUT(
        !entriesOf(auditOf(*reader.value()), u"evidence_preserved"_s).isEmpty() &&
            !entriesOf(auditOf(*reader.value()), u"legacy_verified"_s).isEmpty(),
        20'000);
    const auto entries = auditOf(*reader.value());
    const auto started = entriesOf(entries, u"rollback_started"_s);
    QCOMPARE(started.size(), 1);
    QCOMPARE(started.constFirst().actor, u"controller"_s);
    QCOMPARE(started.constFirst().detailsObject().value(u"cause"_s).toString(),
             u"trigger:collection_failure"_s);
    QCOMPARE(entriesOf(entries, u"trigger_fired"_s).size(), 1);
    QCOMPARE(entriesOf(entries, u"rollback_completed"_s).size(), 1);
    QCOMPARE(entriesOf(entries, u"war_room_activated"_s).size(), 1);
    QVERIFY(entriesOf(entries, u"legacy_unverified"_s).isEmpty());

    // Step 4: the archive on disk is the one the audit log names.
    const QJsonObject evidence =
        entriesOf(entries, u"evidence_preserved"_s).constFirst().detailsObject();
    const QString archivePath = evidence.value(u"file"_s).toString();
    QFile archive(archivePath);
    QVERIFY2(archive.open(QIODevice::ReadOnly), qPrintable(archivePath));
    QCOMPARE(QString::fromLatin1(
                 QCryptographicHash::hash(archive.readAll(), QCryptographicHash::Sha256).toHex()),
             evidence.value(u"sha256"_s).toString());
    const auto files = store::readEvidenceArchive(archivePath);
    QVERIFY(files);
    QStringList names;
    for (const auto &f : files.value())
        names.append(f.name);
    for (const QString &expected :
         {u"manifest.json"_s, u"audit.json"_s, u"rollback.json"_s, u"load_balancers.json"_s,
          u"series/split.json"_s, u"series/trigger-collection_failure.json"_s, u"plan.sha256"_s})
        QVERIFY2(names.contains(expected), qPrintable(names.join(u", "_s)));
    for (const auto &f : files.value()) {
        if (f.name == u"plan.sha256"_s)
            QVERIFY(f.data.startsWith(m_plan->sha256Hex));
        if (f.name == u"series/trigger-collection_failure.json"_s)
            QVERIFY2(f.data.contains("\"points\""), f.data.left(300).constData());
    }

    // ... and shipped with the plan's upload command (an argv list; here a copy into the lab's
    // "bucket").
    QTRY_VERIFY_WITH_TIMEOUT(!entriesOf(auditOf(*reader.value()), u"evidence_uploaded"_s).isEmpty(),
                             15'000);
    const QJsonObject uploaded =
        entriesOf(auditOf(*reader.value()), u"evidence_uploaded"_s).constFirst().detailsObject();
    QCOMPARE(uploaded.value(u"exit_code"_s).toInt(-1), 0);
    QFile shipped(m_state.value(u"LAB_DIR"_s) + u"/incident-bucket/latest-rollback.tar.gz"_s);
    QVERIFY(shipped.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromLatin1(
                 QCryptographicHash::hash(shipped.readAll(), QCryptographicHash::Sha256).toHex()),
             evidence.value(u"sha256"_s).toString());

    // Step 3 and L4: one incident, one page, one war-room message, each once.
    for (const QString &path : {u"/incident"_s, u"/page"_s, u"/war-room"_s}) {
        const auto rollbacks = m_sink->of(beforeRollback, path, u"rollback"_s);
        QCOMPARE(rollbacks.size(), 1);
        const QJsonObject body = rollbacks.constFirst().body;
        QCOMPARE(body.value(u"level"_s).toString(), u"L4"_s);
        QCOMPARE(body.value(u"severity"_s).toInt(), 1);
        QCOMPARE(body.value(u"title"_s).toString(), u"OTel Cutover Rollback Executed"_s);
        QCOMPARE(body.value(u"assign_to"_s).toString(), u"platform-team"_s);
    }
    QVERIFY(m_sink->of(beforeRollback, u"/email"_s, u"rollback"_s).isEmpty());
    QCOMPARE(controller.metric(u"cutover_rollbacks_total"_s,
                               u"{environment=\"lab\",reason=\"trigger:collection_failure\"}"_s),
             1.0);
    QCOMPARE(controller.metric(u"cutover_war_room_active"_s), 1.0);

    QCOMPARE(controller.terminate(), 0);
    QVERIFY2(controller.log().contains(u"stopped cleanly"_s), qPrintable(controller.log()));
    report.dismiss();
}

void TestControllerServe::backfillRestartsTheHoldAtTheBreach() {
    // The lab plan with a hold long enough to break something inside it.
    const QString planPath =
        writePlanVariant(m_dir.path(), {{u"hold: 10s # seed: 24 h"_s, u"hold: 600s"_s}});
    QVERIFY(!planPath.isEmpty());
    const auto plan = loadPlanAt(planPath);
    QVERIFY(plan);
    const QString storePath = m_dir.filePath(u"backfill.sqlite"_s);
    const QString listen = m_state.value(u"LAB_CONTROLLER_LISTEN"_s);

    QDateTime holdStarted;
    {
        ControllerProcess first(u"first"_s);
        QVERIFY(first.start(serveArguments(planPath, storePath), listen));
        QVERIFY(first.waitLeading(15'000) >= 0);
        Console desk;
        QVERIFY(desk.open(*plan, storePath));
        QVERIFY(passPreCutoverAndShift(desk));
        QVERIFY(waitForPhase(desk, {Phase::Holding, Phase::RolledBack}, 60'000));
        QCOMPARE(desk.snapshot().phase, Phase::Holding);
        holdStarted = desk.snapshot().state.holdStartedAt;
        QVERIFY(holdStarted.isValid());
        // The controller records how far it watched (every 5 s): wait until that covers the hold.
        auto lease = desk.store->createLeaseBackend();
        QVERIFY(lease && lease->open());
        QTRY_VERIFY_WITH_TIMEOUT(lease->read().value().mark.evaluatedAt > holdStarted, 15'000);
        desk.close();
        QCOMPARE(first.terminate(), 0);
    }

    // Nobody watches. An OTel collector fails for a few seconds, then recovers.
    const QDateTime breachFrom = QDateTime::currentDateTimeUtc();
    QVERIFY(m_lab->setCollector(u"otel-collector-1"_s, u"5xx"_s));
    const QString errorRate =
        config::expandQuery(plan->gate(u"gate_1"_s)->checks.at(0).query, *plan->environment(kEnv));
    QVERIFY2(m_lab->waitForQuery(
                 errorRate, [](double v) { return v > 0.001; }, 20'000, this),
             "the error-rate check never breached");
    const QString success =
        config::expandQuery(plan->rollback.triggers.at(0).query, *plan->environment(kEnv));
    // The trigger's condition held longer than its `for` (3 s) while nobody watched.
    QVERIFY2(m_lab->waitForQuery(
                 u"max_over_time((%1)[5s:1s])"_s.arg(success), [](double v) { return v < 0.99; },
                 30'000, this),
             "the collection-failure condition never held for 5 s");
    QVERIFY(m_lab->setCollector(u"otel-collector-1"_s, u"healthy"_s));
    // Recovered for a few seconds before anybody looks: the breach is history, not the present.
    QVERIFY2(m_lab->waitForQuery(
                 u"max_over_time((%1)[4s:1s])"_s.arg(errorRate),
                 [](double v) { return v <= 0.001; }, 40'000, this),
             "the error-rate check never recovered");
    QVERIFY(m_lab->waitForQuery(
        success, [](double v) { return v >= 0.99; }, 30'000, this));
    const QDateTime restarted = QDateTime::currentDateTimeUtc();

    ControllerProcess second(u"second"_s);
    QVERIFY(second.start(serveArguments(planPath, storePath), listen));
    auto report = qScopeGuard([&] { second.printLog(); });
    QVERIFY(second.waitLeading(15'000) >= 0);
    store::SqliteStore::Options readOptions;
    readOptions.path = storePath;
    auto reader = store::SqliteStore::open(readOptions);
    QVERIFY(reader);
    QTRY_VERIFY_WITH_TIMEOUT(!entriesOf(auditOf(*reader.value()), u"hold_restarted"_s).isEmpty(),
                             15'000);
    const auto entries = auditOf(*reader.value());
    // One restart per check that breached unwatched, checks in plan order: the hold restarts
    // at the latest breach's end, which is what the state keeps.
    const auto restartedEntries = entriesOf(entries, u"hold_restarted"_s);
    QDateTime restartAt;
    for (const auto &entry : restartedEntries) {
        const QJsonObject details = entry.detailsObject();
        qInfo().noquote() << "hold_restarted:"
                          << QJsonDocument(details).toJson(QJsonDocument::Compact);
        QVERIFY(details.value(u"backfilled"_s).toBool());
        QCOMPARE(details.value(u"reason"_s).toString(), u"breach"_s);
        const QDateTime at = QDateTime::fromString(details.value(u"hold_restarted_at"_s).toString(),
                                                   Qt::ISODateWithMs);
        QVERIFY2(at > breachFrom && at <= restarted,
                 qPrintable(u"restart at %1, breach from %2, controller started at %3"_s.arg(
                     at.toString(Qt::ISODateWithMs), breachFrom.toString(Qt::ISODateWithMs),
                     restarted.toString(Qt::ISODateWithMs))));
        restartAt = std::max(restartAt, at);
    }
    auto state = reader.value()->stageState(kEnv);
    QVERIFY(state && state.value());
    QCOMPARE(state.value()->holdStartedAt, restartAt);
    QVERIFY(state.value()->holdStartedAt > holdStarted);
    // The trigger episode that began and ended unwatched is reported, not acted on now.
    QVERIFY2(!entriesOf(entries, u"trigger_fired_unwatched"_s).isEmpty(),
             qPrintable(actionsOf(entries).join(u", "_s)));
    QVERIFY(entriesOf(entries, u"rollback_started"_s).isEmpty());
    QVERIFY(m_lab->lbsHold(m_lab->weightsFor(10).weights, this));
    QCOMPARE(second.terminate(), 0);
    report.dismiss();
}

QTEST_GUILESS_MAIN(TestControllerServe)
#include "test_controller_serve.moc"
