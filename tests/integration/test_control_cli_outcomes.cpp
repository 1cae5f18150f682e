// Headless commands say only what is true — the real binary on the lab, a SQLite store:
// - `--shift --wait` whose validation fails returns only once the rollback is verified: exit 1,
//   one line per load balancer with what it read back, and the load balancers hold legacy
//   100 / OTel 0 when the command has returned;
// - `--dry-run` rehearses on a copy of the store: the live store's state, records and audit
//   chain are identical before and after a dry-run shift, rollback and status, and no weight
//   moved;
// - `--status` that resumes an interrupted rollback says so on stdout and reports it verified.

#include "app/store/rehearsal_store.h"
#include "tests/support/controller_test_support.h"

#include <QJsonDocument>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;
using namespace controllertest;

namespace {

// Everything a store holds that a rehearsal must not change, as text.
QString contentOf(const QString &path, const QStringList &environments) {
    store::SqliteStore::Options options;
    options.path = path;
    options.createIfMissing = false;
    auto opened = store::SqliteStore::open(options);
    if (!opened)
        return u"(cannot open: %1)"_s.arg(opened.error().toString());
    store::Store &s = *opened.value();
    QStringList lines;
    for (const auto &state : s.stageStates().value())
        lines.append(u"state %1 %2 %3 v%4 %5"_s.arg(state.environment)
                         .arg(state.stageIndex)
                         .arg(state.phase)
                         .arg(state.version)
                         .arg(QString::fromUtf8(
                             QJsonDocument(state.intendedWeights).toJson(QJsonDocument::Compact))));
    for (const QString &env : environments) {
        for (const auto &t : s.ticks(env).value())
            lines.append(u"tick %1 %2/%3 %4"_s.arg(env, t.gate, t.check, t.tickedBy));
        for (const auto &o : s.signOffs(env).value())
            lines.append(u"signoff %1 %2 %3 %4"_s.arg(env, o.gate, o.role, o.signatureHash));
    }
    for (const auto &e : s.auditEntries(0).value())
        lines.append(u"audit %1 %2 %3 %4"_s.arg(e.seq).arg(e.action, e.prevHash, e.hash));
    const auto verified = s.verifyAuditChain();
    lines.append(verified ? u"chain "_s + verified.value().toString() : u"chain error"_s);
    return lines.join(u'\n');
}

} // namespace

class TestControlCliOutcomes : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void shiftWaitReturnsOnlyWhenTheRollbackIsVerified();
    void dryRunNeverTouchesTheLiveStore();
    void statusSaysItResumesARollback();

private:
    bool passPreCutover(const config::Plan &plan, const QString &storePath) {
        Console console;
        return console.open(plan, storePath) && tickGate(console, plan.preCutoverGate) &&
               signGate(console, plan.preCutoverGate);
    }
    static void show(const char *what, const ProcessRun &run) {
        qInfo().noquote() << what << "exit" << run.exitCode << "\n--- stdout\n"
                          << run.out.trimmed() << "\n--- stderr\n"
                          << run.err.trimmed();
    }

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
    const QString m_labPlan = QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml");
};

void TestControlCliOutcomes::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
}

void TestControlCliOutcomes::init() {
    QVERIFY(m_lab->reset(this));
}

void TestControlCliOutcomes::cleanup() {
    QVERIFY(m_lab->reset(this));
}

void TestControlCliOutcomes::shiftWaitReturnsOnlyWhenTheRollbackIsVerified() {
    // A split query that reads 2.5 times the real share: 10% measures 25%, outside 8–12%, as
    // on a leastconn load balancer where weights do not hold.
    const QString planPath = writePlanVariant(
        m_dir.path(), {{u"  split_query: >-\n    sum("_s, u"  split_query: >-\n    2.5 * sum("_s}});
    QVERIFY(!planPath.isEmpty());
    const auto plan = loadPlanAt(planPath);
    QVERIFY(plan);
    const QString storePath = m_dir.filePath(u"wait.sqlite"_s);
    QVERIFY(passPreCutover(*plan, storePath));
    const WebhookSink sink(m_state);
    const qint64 sinkStart = sink.lastSeq();

    const ProcessRun run =
        runConsole({u"--plan"_s, planPath, u"--store"_s, storePath, u"--shift"_s, u"lab"_s,
                    u"--to"_s, u"10"_s, u"--operator"_s, u"alice"_s, u"--wait"_s},
                   "passphrase-alice\n", 120'000);
    // Read back at once: whatever the command said must already be true.
    const bool heldRollback = m_lab->lbsHold(m_lab->rollbackWeights().weights, this);
    show("--shift --wait (validation fails)", run);
    QVERIFY(!run.timedOut && !run.crashed);
    QCOMPARE(run.exitCode, 1);
    QVERIFY(heldRollback);
    QVERIFY2(run.err.contains(u"validation failed at 10%: measured"_s), qPrintable(run.err));
    for (const QString &lb : {u"lb-a"_s, u"lb-b"_s})
        QVERIFY2(run.out.contains(lb + u": verified: "_s), qPrintable(run.out));
    QVERIFY2(
        run.out.contains(u"rolled back: legacy 100 / OTel 0 verified on 2/2 load balancer(s)"_s),
        qPrintable(run.out));
    QVERIFY(!run.err.contains(u"NOT VERIFIED"_s));

    store::SqliteStore::Options options;
    options.path = storePath;
    auto reader = store::SqliteStore::open(options);
    QVERIFY(reader);
    const auto entries = auditOf(*reader.value());
    QCOMPARE(entriesOf(entries, u"validation_failed"_s).size(), 1);
    QCOMPARE(entriesOf(entries, u"rollback_completed"_s).size(), 1);

    // The command decided (no controller, no window): L3 for the failed validation (all hands,
    // executive briefing, incident), L4 for the automatic rollback that followed.
    for (const QString &path : {u"/all-hands"_s, u"/executive-briefing"_s, u"/incident"_s}) {
        const auto failed = sink.of(sinkStart, path, u"validation_failed"_s);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.constFirst().body.value(u"level"_s).toString(), u"L3"_s);
    }
    QVERIFY(sink.of(sinkStart, u"/page"_s, u"validation_failed"_s).isEmpty());
    QCOMPARE(sink.of(sinkStart, u"/war-room"_s, u"rollback"_s).size(), 1);
}

void TestControlCliOutcomes::dryRunNeverTouchesTheLiveStore() {
    const QString storePath = m_dir.filePath(u"live.sqlite"_s);
    QVERIFY(passPreCutover(*m_plan, storePath));
    const QStringList environments{u"lab"_s};
    const QString before = contentOf(storePath, environments);
    QVERIFY2(before.contains(u"signoff lab pre_cutover"_s), qPrintable(before));
    const auto weightsBefore = m_lab->weights(this);

    const QStringList base{u"--plan"_s, m_labPlan, u"--store"_s, storePath, u"--dry-run"_s};
    const ProcessRun shift = runConsole(
        base + QStringList{u"--shift"_s, u"lab"_s, u"--to"_s, u"10"_s, u"--operator"_s, u"alice"_s},
        "passphrase-alice\n");
    show("--dry-run --shift", shift);
    QCOMPARE(shift.exitCode, 0);
    QVERIFY2(shift.out.startsWith(u"REHEARSAL on "_s), qPrintable(shift.out));
    const ProcessRun rollback =
        runConsole(base + QStringList{u"--rollback"_s, u"lab"_s, u"--operator"_s, u"bob"_s},
                   "passphrase-bob\n");
    show("--dry-run --rollback", rollback);
    QCOMPARE(rollback.exitCode, 0);
    QVERIFY2(rollback.out.contains(u"continuing the rehearsal"_s), qPrintable(rollback.out));
    const ProcessRun status = runConsole(base + QStringList{u"--status"_s});
    show("--dry-run --status", status);
    QCOMPARE(status.exitCode, 0);
    QVERIFY(status.out.contains(u"REHEARSAL (dry run on a copy of the store): lab"_s));

    // The live store: byte for byte the same records and chain.
    QCOMPARE(contentOf(storePath, environments), before);
    QCOMPARE(m_lab->weights(this), weightsBefore);
    // The rehearsal holds what was rehearsed.
    const QString rehearsal = QDir(m_dir.path()).filePath(u"rehearsal.sqlite"_s);
    const QString rehearsed = contentOf(rehearsal, environments);
    for (const QString &action : {u"rehearsal_started"_s, u"check_ticked"_s, u"gate_signed"_s,
                                  u"shift_dry_run"_s, u"rollback_dry_run"_s})
        QVERIFY2(rehearsed.contains(u' ' + action + u' '), qPrintable(rehearsed));
}

void TestControlCliOutcomes::statusSaysItResumesARollback() {
    const QString storePath = m_dir.filePath(u"resume.sqlite"_s);
    {
        // A rollback that a process began and never finished: the store says RollingBack, the
        // load balancers still hold 10%.
        store::SqliteStore::Options options;
        options.path = storePath;
        auto opened = store::SqliteStore::open(options);
        QVERIFY(opened);
        store::StageState state;
        state.environment = u"lab"_s;
        state.stageIndex = 0;
        state.phase = u"RollingBack"_s;
        QJsonObject weights;
        const QMap<QString, int> rollbackWeights = m_lab->rollbackWeights().weights;
        for (auto it = rollbackWeights.cbegin(); it != rollbackWeights.cend(); ++it)
            weights.insert(it.key(), it.value());
        state.intendedWeights = {{u"weights"_s, weights}};
        state.enteredAt = QDateTime::currentDateTimeUtc();
        state.changedBy = u"alice"_s;
        QVERIFY(opened.value()->updateStageState(0, state, {u"rollback_started"_s, {}, {}}));
    }
    const auto applied =
        lab::await(m_lab->fleet().apply(m_lab->weightsFor(10).weights,
                                        backends::ApplyOptions::forRollback(m_plan->rollback)),
                   this);
    QVERIFY(applied.ok() && applied.value().allVerified());

    const ProcessRun run =
        runConsole({u"--plan"_s, m_labPlan, u"--store"_s, storePath, u"--status"_s});
    const bool rolledBack = m_lab->lbsHold(m_lab->rollbackWeights().weights, this);
    show("--status over an interrupted rollback", run);
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.out.contains(u"resuming an interrupted rollback of lab"_s), qPrintable(run.out));
    QVERIFY2(run.out.contains(u"lab: 0% OTel, RolledBack"_s), qPrintable(run.out));
    QVERIFY2(run.out.contains(u"decisions: No controller"_s), qPrintable(run.out));
    QVERIFY(rolledBack);
}

QTEST_GUILESS_MAIN(TestControlCliOutcomes)
#include "test_control_cli_outcomes.moc"
