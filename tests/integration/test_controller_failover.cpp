// Controllers sharing one PostgreSQL store, on the lab, the real binary:
// - two controllers and two desks (engines as windows run them): exactly one leads; an OTel
//   collector fails; exactly one rollback_started, one trigger_fired, and one webhook per L4
//   target, whoever else is watching;
// - SIGKILL the leader: the standby leads within 5 s (measured from the kill); a trigger after
//   that is acted on exactly once;
// - SIGTERM while a rollback is still retrying an LB that is down: the controller stays until
//   the rollback has finished (recorded), then exits 0.

#include "tests/support/controller_test_support.h"
#include "tests/support/postgres_test_support.h"

#include <QTemporaryDir>

#include <csignal>

using namespace cutover;
using namespace enginetest;
using namespace controllertest;

class TestControllerFailover : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void oneDecisionWhateverIsOpen();
    void standbyTakesOverAfterSigkill();
    void sigtermFinishesTheRollbackInFlight();

private:
    // The shared plan on a fresh schema; the plan loaded in this process too.
    bool sharedPlan(const QString &schema, const QList<std::pair<QString, QString>> &changes = {});
    bool openDesk(Console &desk);
    bool shiftToTenPercent(Console &desk);
    QList<store::AuditEntry> auditSince(qint64 seq);
    qint64 headSeq(); // the shared audit log's last seq; -1 when unreadable

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    QString m_schema;
    QString m_planPath;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
    std::unique_ptr<WebhookSink> m_sink;
};

void TestControllerFailover::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    REQUIRE_POSTGRES();
    QVERIFY(m_dir.isValid());
    const auto labPlan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(labPlan);
    m_sink = std::make_unique<WebhookSink>(m_state);
}

void TestControllerFailover::init() {
    if (m_plan)
        QVERIFY(m_lab->reset(this));
}

void TestControllerFailover::cleanup() {
    if (m_lab) {
        (void)m_lab->run({u"start"_s, u"lb-b"_s}); // sigtermFinishesTheRollbackInFlight kills it
        QVERIFY(m_lab->reset(this));
    }
}

bool TestControllerFailover::sharedPlan(const QString &schema,
                                        const QList<std::pair<QString, QString>> &changes) {
    m_schema = schema;
    if (!pg::freshSchema(schema))
        return false;
    QString path = pg::writeSharedPlan(m_dir.path(), schema);
    if (path.isEmpty())
        return false;
    if (!changes.isEmpty()) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return false;
        QString text = QString::fromUtf8(file.readAll());
        file.close();
        for (const auto &[from, to] : changes) {
            if (!text.contains(from))
                return false;
            text.replace(from, to);
        }
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        file.write(text.toUtf8());
    }
    m_planPath = path;
    m_plan = loadPlanAt(path);
    if (!m_plan)
        return false;
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
    return m_lab->reset(this);
}

bool TestControllerFailover::openDesk(Console &desk) {
    auto opened = store::openStore(m_plan->store);
    if (!opened) {
        qWarning().noquote() << opened.error().toString();
        return false;
    }
    return desk.adopt(*m_plan, std::move(opened).value());
}

bool TestControllerFailover::shiftToTenPercent(Console &desk) {
    if (!tickGate(desk, m_plan->preCutoverGate) || !signGate(desk, m_plan->preCutoverGate))
        return false;
    const OperationOutcome shifted = shiftTo(desk, 10);
    if (!shifted.ok)
        return false;
    return waitForPhase(desk, {Phase::Holding, Phase::RolledBack}, 60'000) &&
           desk.snapshot().phase == Phase::Holding;
}

qint64 TestControllerFailover::headSeq() {
    auto opened = store::openExistingStore(m_plan->store);
    if (!opened)
        return -1;
    auto head = opened.value()->lastChangeId();
    return head ? head.value() : -1;
}

QList<store::AuditEntry> TestControllerFailover::auditSince(qint64 seq) {
    auto opened = store::openExistingStore(m_plan->store);
    if (!opened)
        return {};
    auto entries = opened.value()->auditEntries(seq);
    return entries ? entries.value() : QList<store::AuditEntry>();
}

void TestControllerFailover::oneDecisionWhateverIsOpen() {
    QVERIFY(sharedPlan(u"controller_one_decision"_s));
    ControllerProcess a(u"a"_s);
    ControllerProcess b(u"b"_s);
    QVERIFY(a.start({u"--plan"_s, m_planPath}, m_state.value(u"LAB_CONTROLLER_LISTEN"_s)));
    QVERIFY(b.start({u"--plan"_s, m_planPath}, m_state.value(u"LAB_CONTROLLER_LISTEN_2"_s)));
    auto report = qScopeGuard([&] {
        a.printLog();
        b.printLog();
    });
    QTRY_VERIFY_WITH_TIMEOUT(a.leading() != b.leading(), 15'000);

    Console desk1;
    Console desk2;
    QVERIFY(openDesk(desk1));
    QVERIFY(openDesk(desk2));
    QVERIFY(shiftToTenPercent(desk1));
    QTRY_COMPARE_WITH_TIMEOUT(desk2.snapshot().phase, Phase::Holding, 5'000);
    QVERIFY(!desk1.engine->decides() && !desk2.engine->decides());

    const qint64 sinkStart = m_sink->lastSeq();
    const qint64 head = headSeq();
    QVERIFY(head > 0);
    QVERIFY(m_lab->setCollector(u"otel-collector-1"_s, u"5xx"_s));
    QVERIFY2(QTest::qWaitFor([&] { return m_lab->lbsHold(m_lab->rollbackWeights().weights, this); },
                             30'000),
             "nobody rolled back");
    QVERIFY(waitForPhase(desk1, {Phase::RolledBack}, 15'000));
    // Whatever was in flight reaches the store and the sink (bounded).
    QTRY_VERIFY_WITH_TIMEOUT(!entriesOf(auditSince(head), u"evidence_preserved"_s).isEmpty(),
                             20'000);
    QTRY_VERIFY_WITH_TIMEOUT(m_sink->of(sinkStart, u"/war-room"_s, u"rollback"_s).size() >= 1,
                             10'000);
    const auto entries = auditSince(head);
    qInfo().noquote() << "after the failure:" << actionsOf(entries).join(u", "_s);
    QCOMPARE(entriesOf(entries, u"rollback_started"_s).size(), 1);
    QCOMPARE(entriesOf(entries, u"trigger_fired"_s).size(), 1);
    QCOMPARE(entriesOf(entries, u"rollback_completed"_s).size(), 1);
    QCOMPARE(entriesOf(entries, u"war_room_activated"_s).size(), 1);
    QCOMPARE(entriesOf(entries, u"rollback_started"_s).constFirst().actor, u"controller"_s);
    for (const QString &path : {u"/incident"_s, u"/page"_s, u"/war-room"_s})
        QCOMPARE(m_sink->of(sinkStart, path, u"rollback"_s).size(), 1);
    QVERIFY(m_sink->of(sinkStart, u"/chat"_s, u"rollback"_s).isEmpty());
    desk1.close();
    desk2.close();
    QCOMPARE(a.terminate(), 0);
    QCOMPARE(b.terminate(), 0);
    report.dismiss();
}

void TestControllerFailover::standbyTakesOverAfterSigkill() {
    QVERIFY(sharedPlan(u"controller_failover"_s));
    ControllerProcess a(u"a"_s);
    ControllerProcess b(u"b"_s);
    QVERIFY(a.start({u"--plan"_s, m_planPath}, m_state.value(u"LAB_CONTROLLER_LISTEN"_s)));
    QVERIFY(a.waitLeading(15'000) >= 0);
    QVERIFY(b.start({u"--plan"_s, m_planPath}, m_state.value(u"LAB_CONTROLLER_LISTEN_2"_s)));
    auto report = qScopeGuard([&] {
        a.printLog();
        b.printLog();
    });
    QTRY_VERIFY_WITH_TIMEOUT(b.answers(), 10'000);
    QVERIFY(!b.leading());
    {
        Console desk;
        QVERIFY(openDesk(desk));
        QVERIFY(shiftToTenPercent(desk));
        desk.close();
    }

    const qint64 head = headSeq();
    QVERIFY(head > 0);

    // The leader dies without a word: its lease expires, the standby takes it.
    const qint64 leaderPid = a.pid();
    QElapsedTimer sinceKill;
    sinceKill.start();
    a.kill();
    const qint64 tookOver = b.waitLeading(10'000);
    QVERIFY2(tookOver >= 0, "the standby never led");
    const qint64 killToLead = sinceKill.elapsed();
    qInfo() << "standby leads" << killToLead << "ms after SIGKILL of the leader (lease"
            << m_plan->controller.lease.ms() << "ms)";
    QVERIFY2(killToLead < 5'000, qPrintable(QString::number(killToLead)));

    // A trigger afterwards is acted on once, by the new leader.
    QVERIFY(m_lab->setCollector(u"otel-collector-1"_s, u"5xx"_s));
    QVERIFY(QTest::qWaitFor([&] { return m_lab->lbsHold(m_lab->rollbackWeights().weights, this); },
                            30'000));
    QTRY_VERIFY_WITH_TIMEOUT(!entriesOf(auditSince(head), u"rollback_completed"_s).isEmpty(),
                             10'000);
    const auto entries = auditSince(head);
    QCOMPARE(entriesOf(entries, u"rollback_started"_s).size(), 1);
    const auto leading = entriesOf(entries, u"controller_leading"_s);
    QCOMPARE(leading.size(), 1);
    QVERIFY(leading.constFirst()
                .detailsObject()
                .value(u"previous"_s)
                .toString()
                .contains(QString::number(leaderPid)));
    QCOMPARE(b.terminate(), 0);
    report.dismiss();
}

void TestControllerFailover::sigtermFinishesTheRollbackInFlight() {
    // Rollback retries spread over 15 s, so that an LB that is down keeps it in flight.
    QVERIFY(
        sharedPlan(u"controller_sigterm"_s, {{u"max_attempts: 5"_s, u"max_attempts: 40"_s},
                                             {u"retry_backoff: 100ms"_s, u"retry_backoff: 250ms"_s},
                                             {u"deadline: 5s"_s, u"deadline: 15s"_s}}));
    ControllerProcess controller(u"only"_s);
    QVERIFY(controller.start({u"--plan"_s, m_planPath}, m_state.value(u"LAB_CONTROLLER_LISTEN"_s)));
    auto report = qScopeGuard([&] { controller.printLog(); });
    QVERIFY(controller.waitLeading(15'000) >= 0);
    {
        Console desk;
        QVERIFY(openDesk(desk));
        QVERIFY(shiftToTenPercent(desk));
        desk.close();
    }
    const qint64 head = headSeq();
    QVERIFY(head > 0);

    QVERIFY(m_lab->run({u"kill"_s, u"lb-b"_s}));
    QVERIFY(m_lab->setCollector(u"otel-collector-1"_s, u"5xx"_s));
    QTRY_VERIFY_WITH_TIMEOUT(!entriesOf(auditSince(head), u"rollback_started"_s).isEmpty(), 30'000);
    QVERIFY(entriesOf(auditSince(head), u"rollback_completed"_s).isEmpty());

    // SIGTERM now: lb-b is still refused, the rollback retries.
    ::kill(pid_t(controller.pid()), SIGTERM);
    QTRY_VERIFY_WITH_TIMEOUT(
        controller.log().contains(u"received: stopping after work in flight"_s), 5'000);
    // lb-b stays down for another second: the controller must keep the rollback going, not exit.
    QVERIFY2(!QTest::qWaitFor([&controller] { return !controller.running(); }, 1'000),
             "the controller exited with a rollback in flight");
    QVERIFY(m_lab->run({u"start"_s, u"lb-b"_s}));
    const int code = controller.waitForExit(20'000);
    QCOMPARE(code, 0);
    const auto entries = auditSince(head);
    const auto completed = entriesOf(entries, u"rollback_completed"_s);
    QCOMPARE(completed.size(), 1);
    QVERIFY(completed.constFirst().detailsObject().value(u"verified"_s).toBool());
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    QVERIFY2(controller.log().contains(u"stopped cleanly"_s), qPrintable(controller.log()));
    report.dismiss();
}

QTEST_GUILESS_MAIN(TestControllerFailover)
#include "test_controller_failover.moc"
