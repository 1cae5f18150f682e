// The war room's item models under QAbstractItemModelTester: the gate checklist across a second's
// worth of updates (in place, selection-preserving) and across structure changes, the audit log
// and its filter, the rollback progress table, and each load balancer's weights beside the
// intended ones.

#include "app/config/plan_loader.h"
#include "app/cutover/gate_status.h"
#include "models/audit_log_model.h"
#include "models/gate_checklist_model.h"
#include "models/lb_weights_model.h"
#include "models/rollback_progress_model.h"

#include <QAbstractItemModelTester>
#include <QIcon>
#include <QPersistentModelIndex>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;
using models::GateChecklistModel;
using State = engine::CheckStatus::State;

namespace {

const QDateTime Now = QDateTime(QDate(2024, 5, 1), QTime(10, 0), Qt::UTC);

struct Fixture {
    config::Plan plan;
    QList<store::Tick> ticks;
    QList<store::SignOff> signOffs;

    QList<engine::GateStatus> gates() const {
        engine::GateInputs in;
        in.plan = &plan;
        in.ticks = ticks;
        in.signOffs = signOffs;
        in.now = Now;
        QList<engine::GateStatus> list;
        for (const auto &gate : plan.gates)
            list.append(engine::evaluateGate(gate, in));
        return list;
    }
    void tick(const QString &gate, const QString &check) {
        ticks.append(store::Tick{u"production"_s, gate, check, u"alice"_s, u"release_manager"_s,
                                 Now.addSecs(-60)});
    }
    void sign(const QString &gate, const QString &role) {
        store::SignOff s;
        s.environment = u"production"_s;
        s.gate = gate;
        s.role = role;
        s.operatorName = u"alice"_s;
        s.printedName = u"Alice Smith"_s;
        s.meaning = u"Approved"_s;
        s.comment = u"all green"_s;
        s.at = Now;
        signOffs.append(s);
    }
};

Fixture defaultPlan() {
    const auto result = config::loadPlanFile(u":/plans/default.yaml"_s);
    if (!result.ok())
        qFatal("default plan does not load");
    return Fixture{*result.plan, {}, {}};
}

store::AuditEntry entry(qint64 seq, const QString &actor, const QString &action, int minute) {
    store::AuditEntry e;
    e.seq = seq;
    e.at = Now.addSecs(minute * 60);
    e.actor = actor;
    e.role = u"release_manager"_s;
    e.action = action;
    e.environment = u"production"_s;
    e.subject = u"gate_1/no_complaints"_s;
    e.details = u"{\"n\":%1}"_s.arg(seq);
    e.hash = u"%1"_s.arg(seq, 64, 10, QLatin1Char('0'));
    return e;
}

} // namespace

class TestWarRoomModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void checklistShowsGatesItemsAndSignatures();
    void checklistUpdatesInPlace();
    void checklistFollowsStructureChanges();
    void checklistGateStates();
    void auditLogAppendsOnlyNewEntries();
    void auditFilterByActorActionAndTime();
    void rollbackProgressCountsResults();
    void lbWeightsShowEachReadBackBesideTheIntended();
};

void TestWarRoomModels::checklistShowsGatesItemsAndSignatures() {
    GateChecklistModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Fixture f = defaultPlan();
    model.setGates(f.gates());

    // Pre-cutover, Gates 1-4, then the decommission approval, exit criteria and handoff.
    QCOMPARE(model.rowCount(), 8);
    QVERIFY(model.indexOfGate(u"handoff"_s).isValid());
    QCOMPARE(model.columnCount(), 3);
    const QModelIndex gate1 = model.indexOfGate(u"gate_1"_s);
    QVERIFY(gate1.isValid());
    QCOMPARE(gate1.data().toString(), u"Gate 1: 10% stable (24 hours)"_s);
    // 11 checks (the seed's 4, 7 of data parity) and one signature row; the parity score in the
    // summary.
    QCOMPARE(model.rowCount(gate1), 12);
    QCOMPARE(model.index(gate1.row(), GateChecklistModel::StateColumn).data().toString(),
             u"0/11 · score 0 (fail: pass needs 95) · awaiting release_manager"_s);

    const QModelIndex errorRate = model.indexOfCheck(u"gate_1"_s, u"error_rate"_s);
    QCOMPARE(errorRate.data(GateChecklistModel::StateRole).toInt(), int(State::Unknown));
    QCOMPARE(model.index(errorRate.row(), GateChecklistModel::StateColumn, gate1).data(),
             u"unknown"_s);
    QVERIFY(!errorRate.data(GateChecklistModel::TickableRole).toBool());
    QCOMPARE(errorRate.data(GateChecklistModel::CheckKindRole).toInt(),
             int(config::Check::Kind::Automatic));
    QVERIFY(errorRate.data(Qt::DecorationRole).canConvert<QIcon>());

    const QModelIndex complaints = model.indexOfCheck(u"gate_1"_s, u"no_complaints"_s);
    QCOMPARE(complaints.data(GateChecklistModel::GateIdRole).toString(), u"gate_1"_s);
    QCOMPARE(complaints.data(GateChecklistModel::CheckIdRole).toString(), u"no_complaints"_s);
    QVERIFY(complaints.data(GateChecklistModel::TickableRole).toBool());
    QCOMPARE(model.index(complaints.row(), GateChecklistModel::DetailColumn, gate1).data(),
             u"to be ticked by release_manager"_s);

    const QModelIndex signature = model.index(11, 0, gate1);
    QCOMPARE(model.kindOf(signature), GateChecklistModel::RowKind::Signature);
    QCOMPARE(signature.data(GateChecklistModel::SignatureRoleRole).toString(),
             u"release_manager"_s);
    QCOMPARE(model.index(11, GateChecklistModel::DetailColumn, gate1).data().toString(),
             u"awaiting release_manager"_s);
    QVERIFY(signature.data(GateChecklistModel::SignableRole).toBool());

    // Gate 4 has two signatures: release manager and executive.
    const QModelIndex gate4 = model.indexOfGate(u"gate_4"_s);
    QCOMPARE(model.rowCount(gate4), 6);
    QCOMPARE(model.index(5, 0, gate4).data(GateChecklistModel::SignatureRoleRole).toString(),
             u"executive"_s);
    QCOMPARE(model.parent(model.index(5, 2, gate4)), gate4);
}

void TestWarRoomModels::checklistUpdatesInPlace() {
    GateChecklistModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Fixture f = defaultPlan();
    model.setGates(f.gates());

    const QPersistentModelIndex complaints = model.indexOfCheck(u"gate_1"_s, u"no_complaints"_s);
    const QPersistentModelIndex runbooks = model.indexOfCheck(u"pre_cutover"_s, u"runbooks"_s);
    QVERIFY(runbooks.isValid());
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    // The same snapshot again (a second later, nothing moved): no signal at all.
    model.setGates(f.gates());
    QCOMPARE(changed.size(), 0);

    // One tick: that row and its gate row change, nothing is inserted or removed.
    f.tick(u"gate_1"_s, u"no_complaints"_s);
    model.setGates(f.gates());
    QCOMPARE(inserted.size(), 0);
    QCOMPARE(removed.size(), 0);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(changed.size(), 2);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>(), QModelIndex(complaints));
    QCOMPARE(changed.at(1).at(0).value<QModelIndex>(), model.indexOfGate(u"gate_1"_s));
    QVERIFY(complaints.isValid());
    QCOMPARE(complaints.data(GateChecklistModel::StateRole).toInt(), int(State::Pass));
    QVERIFY(!complaints.data(GateChecklistModel::TickableRole).toBool());
    QVERIFY(complaints.data(GateChecklistModel::UntickableRole).toBool());
    QCOMPARE(model.index(complaints.row(), GateChecklistModel::DetailColumn, complaints.parent())
                 .data()
                 .toString(),
             u"ticked by alice (release_manager) at 2024-05-01 09:59:00 UTC"_s);
    QCOMPARE(model.index(complaints.parent().row(), GateChecklistModel::StateColumn).data(),
             u"1/11 · score 0 (fail: pass needs 95) · awaiting release_manager"_s);

    // A signature: the signature row, and the SignableRole of the gate's other rows.
    changed.clear();
    f.sign(u"gate_1"_s, u"release_manager"_s);
    model.setGates(f.gates());
    QCOMPARE(inserted.size(), 0);
    QVERIFY(changed.size() >= 2);
    const QModelIndex gate1 = model.indexOfGate(u"gate_1"_s);
    QCOMPARE(model.index(gate1.row(), GateChecklistModel::StateColumn).data().toString(),
             u"1/11 · score 0 (fail: pass needs 95) · signed by Alice Smith"_s);
    QCOMPARE(model.index(11, GateChecklistModel::DetailColumn, gate1).data().toString(),
             u"Alice Smith, 2024-05-01 10:00:00 UTC, meaning “Approved”: “all green”"_s);
    QVERIFY(!complaints.data(GateChecklistModel::SignableRole).toBool());
    QCOMPARE(runbooks.data(GateChecklistModel::CheckIdRole).toString(), u"runbooks"_s);
}

void TestWarRoomModels::checklistFollowsStructureChanges() {
    GateChecklistModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Fixture f = defaultPlan();
    // The seed's five cutover gates (the decommission's follow them in the plan).
    const QList<engine::GateStatus> full = f.gates().mid(0, 5);
    model.setGates(full);
    const QPersistentModelIndex latency = model.indexOfCheck(u"gate_1"_s, u"latency"_s);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    // A plan without the pre-cutover gate and without gate 2's manual items, gate 3 first.
    QList<engine::GateStatus> other = full;
    other.removeFirst();
    other[1].checks.removeLast();
    other[1].checks.removeLast();
    other.move(2, 0);
    model.setGates(other);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(model.rowCount(), 4);
    QStringList ids;
    for (int row = 0; row < model.rowCount(); ++row)
        ids.append(model.index(row, 0).data(GateChecklistModel::GateIdRole).toString());
    QCOMPARE(ids, (QStringList{u"gate_3"_s, u"gate_1"_s, u"gate_2"_s, u"gate_4"_s}));
    QCOMPARE(model.rowCount(model.indexOfGate(u"gate_2"_s)), 3);
    // The persistent index of an untouched item follows its gate to its new row.
    QVERIFY(latency.isValid());
    QCOMPARE(latency.data(GateChecklistModel::CheckIdRole).toString(), u"latency"_s);
    QCOMPARE(latency.parent(), model.indexOfGate(u"gate_1"_s));

    // A signature role added to gate 1, then everything back, then nothing.
    other[1].signatures.append(engine::SignatureStatus{u"executive"_s, std::nullopt});
    model.setGates(other);
    QCOMPARE(model.rowCount(model.indexOfGate(u"gate_1"_s)), 13);
    model.setGates(full);
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.rowCount(model.indexOfGate(u"gate_2"_s)), 5);
    QCOMPARE(model.gates().size(), 5);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!latency.isValid());
}

void TestWarRoomModels::checklistGateStates() {
    engine::GateStatus gate;
    gate.id = u"g"_s;
    gate.title = u"G"_s;
    engine::CheckStatus a;
    a.id = u"a"_s;
    a.state = State::Pass;
    engine::CheckStatus b = a;
    b.id = u"b"_s;
    b.kind = config::Check::Kind::Manual;
    b.state = State::Open;
    gate.checks = {a, b};
    QCOMPARE(GateChecklistModel::gateState(gate), State::Open);
    gate.checks[0].state = State::Unknown;
    QCOMPARE(GateChecklistModel::gateState(gate), State::Unknown);
    gate.checks[1].state = State::Fail;
    QCOMPARE(GateChecklistModel::gateState(gate), State::Fail);
    gate.checks[0].state = State::Pass;
    gate.checks[1].state = State::Pass;
    QCOMPARE(GateChecklistModel::gateState(gate), State::Pass);
    QCOMPARE(GateChecklistModel::gateSummary(gate), u"2/2"_s);
    QCOMPARE(GateChecklistModel::stateText(State::Open, config::Check::Kind::Manual), u"to tick"_s);
}

void TestWarRoomModels::auditLogAppendsOnlyNewEntries() {
    models::AuditLogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QCOMPARE(model.appendEntries({entry(1, u"engine"_s, u"plan_loaded"_s, 0),
                                  entry(2, u"alice"_s, u"signed_in"_s, 1)}),
             2);
    // An overlapping catch-up adds only what is new.
    QCOMPARE(model.appendEntries({entry(2, u"alice"_s, u"signed_in"_s, 1),
                                  entry(3, u"alice"_s, u"check_ticked"_s, 2)}),
             1);
    QCOMPARE(model.appendEntries({entry(3, u"alice"_s, u"check_ticked"_s, 2)}), 0);
    QCOMPARE(inserted.size(), 2);
    QCOMPARE(inserted.at(1).at(1).toInt(), 2);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.lastSeq(), 3);
    QCOMPARE(model.headHash(), entry(3, {}, {}, 0).hash);
    QCOMPARE(model.index(0, models::AuditLogModel::TimeColumn).data().toString(),
             u"2024-05-01 10:00:00.000 UTC"_s);
    QCOMPARE(model.index(2, models::AuditLogModel::ActionColumn).data().toString(),
             u"check_ticked"_s);
    QCOMPARE(model.index(2, models::AuditLogModel::DetailsColumn).data().toString(),
             u"{\"n\":3}"_s);
    QCOMPARE(model.actors(), (QStringList{u"alice"_s, u"engine"_s}));
    QCOMPARE(model.actions(), (QStringList{u"check_ticked"_s, u"plan_loaded"_s, u"signed_in"_s}));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestWarRoomModels::auditFilterByActorActionAndTime() {
    models::AuditLogModel source;
    models::AuditFilterModel filter;
    filter.setSourceModel(&source);
    QAbstractItemModelTester tester(&filter,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester sourceTester(&source,
                                          QAbstractItemModelTester::FailureReportingMode::QtTest);
    source.appendEntries(
        {entry(1, u"engine"_s, u"plan_loaded"_s, 0), entry(2, u"alice"_s, u"signed_in"_s, 1),
         entry(3, u"alice"_s, u"check_ticked"_s, 2), entry(4, u"bob"_s, u"signed_in"_s, 3)});
    QCOMPARE(filter.rowCount(), 4);
    filter.setActor(u"Alice"_s);
    QCOMPARE(filter.rowCount(), 2);
    filter.setAction(u"check_ticked"_s);
    QCOMPARE(filter.rowCount(), 1);
    QCOMPARE(filter.index(0, 0).data(models::AuditLogModel::SeqRole).toLongLong(), 3);
    filter.clearFilters();
    filter.setTimeRange(Now.addSecs(60), Now.addSecs(120));
    QCOMPARE(filter.rowCount(), 2);
    filter.setTimeRange(Now.addSecs(150), QDateTime());
    QCOMPARE(filter.rowCount(), 1);
    // New entries go through the filter as they arrive.
    source.appendEntries({entry(5, u"bob"_s, u"rollback_started"_s, 4)});
    QCOMPARE(filter.rowCount(), 2);
    filter.clearFilters();
    filter.sort(models::AuditLogModel::SeqColumn, Qt::DescendingOrder);
    QCOMPARE(filter.index(0, 0).data(models::AuditLogModel::SeqRole).toLongLong(), 5);
    source.appendEntries({entry(6, u"carol"_s, u"signed_in"_s, 5)});
    QCOMPARE(filter.index(0, 0).data(models::AuditLogModel::SeqRole).toLongLong(), 6);
}

void TestWarRoomModels::rollbackProgressCountsResults() {
    models::RollbackProgressModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.start({u"lb-a"_s, u"lb-b"_s});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.finishedCount(), 0);
    QCOMPARE(model.index(1, models::RollbackProgressModel::SentColumn).data().toString(),
             u"waiting…"_s);

    backends::LbApplyResult a;
    a.lb = u"lb-a"_s;
    a.sent = a.verified = true;
    a.elapsedMs = 2;
    a.attempts = 1;
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.addResult(a);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(model.verifiedCount(), 1);
    QVERIFY(!model.allFinished());

    backends::LbApplyResult b;
    b.lb = u"lb-b"_s;
    b.elapsedMs = 2000;
    b.attempts = 5;
    net::Error error;
    error.backend = u"lb-b"_s;
    error.message = u"connect: connection refused"_s;
    b.error = error;
    model.addResult(b);
    QVERIFY(model.allFinished());
    QCOMPARE(model.failedLbs(), QStringList{u"lb-b"_s});
    QCOMPARE(model.failureTexts(), QStringList{u"lb-b: connect: connection refused"_s});
    QCOMPARE(model.maxElapsedMs(), 2000);
    QCOMPARE(model.index(1, models::RollbackProgressModel::VerifiedColumn).data().toString(),
             u"NO"_s);
    QCOMPARE(model.index(1, models::RollbackProgressModel::AttemptsColumn).data().toInt(), 5);

    // A load balancer nobody announced still gets its row.
    backends::LbApplyResult c = a;
    c.lb = u"lb-c"_s;
    model.addResult(c);
    QCOMPARE(model.rowCount(), 3);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestWarRoomModels::lbWeightsShowEachReadBackBesideTheIntended() {
    using models::LbWeightsModel;
    LbWeightsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setPools({u"old-1"_s, u"old-2"_s}, {u"new-1"_s});
    model.setLoadBalancers({u"edge-a"_s, u"edge-b"_s});
    QCOMPARE(model.rowCount(), 3); // intended, edge-a, edge-b
    QCOMPARE(model.columnCount(), 3);
    QCOMPARE(model.headerData(1, Qt::Vertical).toString(), u"edge-a"_s);
    QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), u"new-1"_s);
    QVERIFY(model.headerData(2, Qt::Horizontal, Qt::ToolTipRole).toString().contains(u"OTel"_s));
    // Nothing known yet: dashes, no difference claimed.
    QCOMPARE(model.index(LbWeightsModel::IntendedRow, 0).data().toString(), u"—"_s);
    QVERIFY(model.differingLoadBalancers().isEmpty());

    const QMap<QString, int> intended{{u"old-1"_s, 90}, {u"old-2"_s, 90}, {u"new-1"_s, 20}};
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setWeights(intended, {{u"edge-a"_s, intended}});
    QCOMPARE(reset.size(), 0);   // numbers move in place
    QCOMPARE(changed.size(), 2); // the intended row and edge-a's; edge-b still unread
    QCOMPARE(model.index(LbWeightsModel::IntendedRow, 2).data().toString(), u"20"_s);
    QCOMPARE(model.index(1, 2).data(LbWeightsModel::WeightRole).toInt(), 20);
    QCOMPARE(model.index(2, 2).data().toString(), u"—"_s);
    QVERIFY(!model.index(2, 2).data(LbWeightsModel::WeightRole).isValid());
    QVERIFY(model.differingLoadBalancers().isEmpty());

    // edge-b was reloaded: its config weights came back. Only its row changes.
    QMap<QString, int> reloaded = intended;
    reloaded[u"new-1"_s] = 0;
    changed.clear();
    model.setWeights(intended, {{u"edge-a"_s, intended}, {u"edge-b"_s, reloaded}});
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).toModelIndex().row(), 2);
    QCOMPARE(model.differingLoadBalancers(), QStringList{u"edge-b"_s});
    QVERIFY(model.index(2, 2).data(LbWeightsModel::DiffersRole).toBool());
    QVERIFY(!model.index(2, 0).data(LbWeightsModel::DiffersRole).toBool());
    QVERIFY(model.index(2, 2).data(Qt::ToolTipRole).toString().contains(u"intends 20"_s));
    // The same again: nothing to redraw.
    changed.clear();
    model.setWeights(intended, {{u"edge-a"_s, intended}, {u"edge-b"_s, reloaded}});
    QCOMPARE(changed.size(), 0);
    // Other load balancers (another environment): a reset, the read-backs forgotten.
    model.setLoadBalancers({u"edge-c"_s});
    QCOMPARE(reset.size(), 1);
    QCOMPARE(model.rowCount(), 2);
    QVERIFY(model.differingLoadBalancers().isEmpty());
}

QTEST_MAIN(TestWarRoomModels)
#include "test_war_room_models.moc"
