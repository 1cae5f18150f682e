// The plan's decommission section (issue 12): what is read, what is refused with file:line:col,
// and the ledger that folds the audit log into each step's state, the point of no return and
// the cost.

#include "app/config/plan_loader.h"
#include "app/decommission/decommission_ledger.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace cutover::config;
using namespace cutover::decommission;

namespace {

QByteArray fixture() {
    QFile file(QStringLiteral(CONSOLE_SOURCE_DIR "/tests/data/plans/decommission.yaml"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read decommission.yaml");
    return file.readAll();
}

// The first step as Grafana's dashboard backup: lines 47-51.
QByteArray withBackupStep(QByteArray plan) {
    plan.replace("      action: archive_files\n      paths: [configs/]\n"
                 "      output: archive/legacy_configs.tar.gz\n",
                 "      action: http_backup\n"
                 "      endpoint: { url: \"http://127.0.0.1:3000\" }\n"
                 "      urls: [\"/api/search?type=dash-db\"]\n"
                 "      each: { url: \"/api/dashboards/uid/{uid}\" }\n"
                 "      output: dashboards\n");
    return plan;
}

QByteArray replaceLine(QByteArray plan, int line, const QByteArray &text) {
    QList<QByteArray> lines = plan.split('\n');
    lines[line - 1] = text;
    return lines.join('\n');
}

PlanLoadOptions options() {
    PlanLoadOptions o;
    o.environment = [](const QString &name) -> std::optional<QString> {
        if (name == u"TF_TOKEN")
            return u"tf-s3cr3t"_s;
        return std::nullopt;
    };
    return o;
}

store::AuditEntry entry(qint64 seq, const QString &action, const QString &step,
                        const QString &actor, const QString &role = {},
                        const QJsonObject &details = {}) {
    store::AuditEntry e;
    e.seq = seq;
    e.at = QDateTime(QDate(2026, 12, 1), QTime(10, 0), QTimeZone::utc()).addSecs(seq * 60);
    e.actor = actor;
    e.role = role;
    e.action = action;
    e.environment = u"production"_s;
    e.subject = step;
    e.details = QString::fromUtf8(QJsonDocument(details).toJson(QJsonDocument::Compact));
    return e;
}

} // namespace

class TestDecommissionPlan : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyKeyIsRead();
    void planWithoutDecommissionHasNone();
    void backupFollowsEachItem();
    void located_data();
    void located();
    void ledgerFollowsTheAuditLog();
    void irreversibleStepNeedsTwoPeople();
    void pointOfNoReturnIsTheFirstIrreversibleStart();
    void failureNeedsNewApprovalsAndResetStartsOver();
    void costCountsOnlyDoneSteps();
    void twoStartsOfOneStepRunOnce();
};

void TestDecommissionPlan::everyKeyIsRead() {
    const auto result =
        loadPlanBytes(fixture(), u"/plans/decommission.yaml"_s, u"/plans"_s, options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const DecommissionConfig &d = result.plan->decommission;
    QVERIFY(d.isSet());
    QCOMPARE(d.currency, u"EUR"_s);
    QCOMPARE(d.baselineCostPerMonth, 10000.0);
    QCOMPARE(d.approvalGate, u"decommission_approval"_s);
    QCOMPARE(d.components.size(), 2);
    QCOMPARE(d.components.at(0).kind, DecommissionComponent::Kind::Collector);
    QCOMPARE(d.components.at(0).servers, (QStringList{u"legacy-1"_s, u"legacy-2"_s}));
    QCOMPARE(d.steps.size(), 4);
    const DecommissionStep &archive = d.steps.at(0);
    QCOMPARE(archive.action, DecommissionStep::Action::ArchiveFiles);
    QCOMPARE(archive.paths, QStringList{u"/plans/configs"_s});
    QCOMPARE(archive.output, u"/plans/archive/legacy_configs.tar.gz"_s);
    const DecommissionStep &drain = d.steps.at(1);
    QCOMPARE(drain.phase, DecommissionStep::Phase::CollectorShutdown);
    QCOMPARE(drain.targets, (QStringList{u"legacy-1"_s, u"legacy-2"_s})); // the legacy pool
    QCOMPARE(drain.validation.kind, StepValidation::Kind::NoActiveConnections);
    QCOMPARE(drain.wait, Duration::hours(24));
    QVERIFY(!drain.isIrreversible());
    const DecommissionStep &remove = d.steps.at(2);
    QVERIFY(remove.isIrreversible()); // remove_from_lb whatever the plan says
    QCOMPARE(remove.retires, QStringList{u"collectors"_s});
    const DecommissionStep &terminate = d.steps.at(3);
    QCOMPARE(terminate.argv, (QStringList{u"terraform"_s, u"destroy"_s, u"<workspace>"_s}));
    QVERIFY(!terminate.isConfigured());
    QVERIFY(remove.isConfigured());
    QCOMPARE(terminate.environment.size(), 1);
    QCOMPARE(terminate.timeout, Duration::minutes(30));
    QCOMPARE(terminate.validation.kind, StepValidation::Kind::Command);
    QCOMPARE(terminate.evidence, DecommissionStep::Evidence::Note);
}

void TestDecommissionPlan::backupFollowsEachItem() {
    const auto result = loadPlanBytes(withBackupStep(fixture()), u"/plans/decommission.yaml"_s,
                                      u"/plans"_s, options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    const DecommissionStep &backup = result.plan->decommission.steps.at(0);
    QCOMPARE(backup.action, DecommissionStep::Action::HttpBackup);
    QCOMPARE(backup.urls, QStringList{u"/api/search?type=dash-db"_s});
    QCOMPARE(backup.eachItems, QString());
    QCOMPARE(backup.eachUrl, u"/api/dashboards/uid/{uid}"_s);
    QCOMPARE(backup.output, u"/plans/dashboards"_s);
}

void TestDecommissionPlan::planWithoutDecommissionHasNone() {
    QByteArray plan = fixture();
    plan.truncate(plan.indexOf("decommission:\n"));
    const auto result = loadPlanBytes(plan, u"p.yaml"_s, QString(), options());
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QVERIFY(!result.plan->decommission.isSet());
}

void TestDecommissionPlan::located_data() {
    QTest::addColumn<QByteArray>("plan");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");
    const QByteArray p = fixture();
    auto row = [&](const char *name, int line, const QByteArray &text, int errorLine, int column,
                   const char *path, const char *expected) {
        QTest::newRow(name) << replaceLine(p, line, text) << errorLine << column
                            << QString::fromUtf8(path) << QString::fromUtf8(expected);
    };
    row("unknown key", 36, "  currencyy: EUR", 36, 3, "decommission.currencyy", "unknown key");
    row("baseline zero", 37, "  baseline_cost_per_month: 0", 37, 28,
        "decommission.baseline_cost_per_month", "above zero");
    row("band upside down", 38, "  target_reduction: { min: 50, max: 40 }", 38, 21,
        "decommission.target_reduction", "min <= max");
    row("unknown approval gate", 39, "  approval_gate: decom_approval", 39, 18,
        "decommission.approval_gate", "unknown gate 'decom_approval'");
    row("unknown handoff gate", 36, "  handoff_gate: handover", 36, 17, "decommission.handoff_gate",
        "unknown gate 'handover'");
    row("component kind", 42,
        "    - { id: storage, title: \"S\", kind: disk, cost_per_month: 1000 }", 42, 40,
        "decommission.components[1].kind", "expected collector, storage");
    row("component server not legacy", 42,
        "    - { id: storage, title: \"S\", kind: storage, cost_per_month: 1, servers: [otel-1] }",
        42, 78, "decommission.components[1].servers[0]", "unknown legacy server 'otel-1'");
    row("components above baseline", 37, "  baseline_cost_per_month: 3000", 36, 3,
        "decommission.components", "more than baseline_cost_per_month");
    row("unknown action", 47, "      action: archive", 47, 15, "decommission.steps[0].action",
        "expected drain, maintenance");
    row("key of another action", 48, "      targets: [legacy-1]", 48, 16,
        "decommission.steps[0].targets", "does not apply to a archive_files step");
    const QByteArray backup = withBackupStep(p);
    auto backupRow = [&](const char *name, int line, const QByteArray &text, int errorLine,
                         int column, const char *path, const char *expected) {
        QTest::newRow(name) << replaceLine(backup, line, text) << errorLine << column
                            << QString::fromUtf8(path) << QString::fromUtf8(expected);
    };
    backupRow("each without placeholder", 50, "      each: { url: /api/dashboards }", 50, 20,
              "decommission.steps[0].each.url", "expected a path with a {field} placeholder");
    backupRow("each items not a pointer", 50, "      each: { items: data, url: \"/x/{id}\" }", 50,
              22, "decommission.steps[0].each.items", "expected a JSON pointer such as /data");
    backupRow("each without url", 50, "      each: { items: /data }", 50, 13,
              "decommission.steps[0].each.url", "missing required key 'url'");
    row("archive not tar.gz", 49, "      output: archive/legacy.zip", 49, 15,
        "decommission.steps[0].output", "ending in .tar.gz");
    row("validation needs parameters", 54, "      validation: zero_traffic", 54, 19,
        "decommission.steps[1].validation", "needs parameters");
    row("validation query without condition", 54,
        "      validation: { kind: query, query: \"sum(x)\" }", 54, 19,
        "decommission.steps[1].validation.condition", "missing required key 'condition'");
    row("validation key of another kind", 54,
        "      validation: { kind: no_active_connections, query: \"sum(x)\" }", 54, 57,
        "decommission.steps[1].validation.query", "does not apply to a no_active_connections");
    row("target not a pool server", 61, "      targets: [legacy-1, legacy-9]", 61, 27,
        "decommission.steps[2].targets[1]", "unknown server 'legacy-9'");
    row("irreversible without approvals", 62, "      evidence: none", 57, 7,
        "decommission.steps[2]", "needs approvals");
    row("approval role cannot sign", 62, "      approvals: [release_manager, auditor]", 62, 36,
        "decommission.steps[2].approvals[1]", "unknown role 'auditor'");
    row("retires unknown component", 63, "      retires: [collector]", 63, 17,
        "decommission.steps[2].retires[0]",
        "unknown component 'collector'; did you mean 'collectors'");
    row("phase goes back", 66, "      phase: preparation", 64, 7, "decommission.steps[3]",
        "steps run in the order of their phases");
    row("shell string", 68, "      command: \"terraform destroy\"", 68, 16,
        "decommission.steps[3].command", "never a shell string");
    row("literal secret", 69, "      env: { TF_TOKEN: \"${NOT_SET}\" }", 69, 24,
        "decommission.steps[3].env.TF_TOKEN", "NOT_SET");
    row("duplicate step", 64, "    - id: drain", 64, 11, "decommission.steps[3].id",
        "duplicate step id 'drain'");
}

void TestDecommissionPlan::located() {
    QFETCH(QByteArray, plan);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, path);
    QFETCH(QString, expected);
    const auto result = loadPlanBytes(plan, u"broken.yaml"_s, QString(), options());
    QVERIFY2(!result.ok(), "a malformed plan loaded");
    const QString prefix = u"broken.yaml:%1:%2: %3: "_s.arg(line).arg(column).arg(path);
    bool found = false;
    for (const auto &error : result.errors)
        found = found || (error.toString().startsWith(prefix) && error.message.contains(expected));
    QVERIFY2(found,
             qPrintable(u"expected '%1…%2'; got:\n%3"_s.arg(prefix, expected, result.errorText())));
    QVERIFY(!result.errorText().contains(u"tf-s3cr3t"_s));
}

namespace {
DecommissionConfig loaded() {
    auto result = loadPlanBytes(fixture(), u"d.yaml"_s, QString(), options());
    if (!result.ok())
        qFatal("fixture does not load");
    return result.plan->decommission;
}
} // namespace

void TestDecommissionPlan::ledgerFollowsTheAuditLog() {
    const DecommissionConfig config = loaded();
    DecommissionLedger ledger(&config);
    EnvironmentProgress p = ledger.progress(u"production"_s);
    QCOMPARE(p.steps.size(), 4);
    QCOMPARE(p.steps.at(0).state, StepState::Ready); // no approvals asked
    QCOMPARE(p.steps.at(1).state, StepState::Blocked);
    QVERIFY(!p.started());

    // The operator's evidence comes with the start (its hash as the store recorded it); what
    // the action produced comes with the outcome.
    ledger.apply(entry(1, audit::kStarted, u"archive_configs"_s, u"alice"_s, {},
                       {{u"evidence"_s, QJsonObject{{u"sha256"_s, u"ab12"_s}}}}));
    QCOMPARE(ledger.progress(u"production"_s).steps.at(0).state, StepState::Running);
    ledger.apply(entry(2, audit::kDone, u"archive_configs"_s, u"engine"_s, {},
                       {{u"action"_s, QJsonObject{{u"sha256"_s, u"cd34"_s}}}}));
    p = ledger.progress(u"production"_s);
    QCOMPARE(p.steps.at(0).state, StepState::Done);
    QCOMPARE(p.steps.at(0).evidence.value(u"sha256"_s).toString(), u"ab12"_s);
    QCOMPARE(p.steps.at(0).output.value(u"sha256"_s).toString(), u"cd34"_s);
    QCOMPARE(p.steps.at(1).state, StepState::AwaitingApproval);
    QCOMPARE(p.steps.at(1).missingRoles(), QStringList{u"release_manager"_s});

    ledger.apply(entry(3, audit::kApproved, u"drain"_s, u"alice"_s, u"release_manager"_s));
    QCOMPARE(ledger.progress(u"production"_s).steps.at(1).state, StepState::Ready);
    ledger.apply(entry(4, audit::kStarted, u"drain"_s, u"alice"_s));
    ledger.apply(entry(5, audit::kValidated, u"drain"_s, u"engine"_s));
    p = ledger.progress(u"production"_s);
    QCOMPARE(p.steps.at(1).state, StepState::Waiting);
    // The wait's end comes from the entry's time: a restart reads the same.
    QCOMPARE(p.steps.at(1).waitUntil, entry(5, {}, {}, {}).at.addSecs(24 * 3600));
    QCOMPARE(p.serversOutOfService(), (QStringList{u"legacy-1"_s, u"legacy-2"_s}));
    // Another environment is untouched.
    QCOMPARE(ledger.progress(u"staging"_s).steps.at(1).state, StepState::Blocked);
    // Entries of other kinds and unknown steps are ignored.
    ledger.apply(entry(6, u"shift_applied"_s, u"drain"_s, u"alice"_s));
    ledger.apply(entry(7, audit::kDone, u"no_such_step"_s, u"alice"_s));
    QCOMPARE(ledger.progress(u"production"_s).doneCount(), 1);
}

void TestDecommissionPlan::irreversibleStepNeedsTwoPeople() {
    DecommissionConfig config = loaded();
    config.steps[2].approvals = {u"release_manager"_s}; // one role listed: still two people
    DecommissionLedger ledger(&config);
    for (const char *step : {"archive_configs", "drain"}) {
        ledger.apply(entry(1, audit::kStarted, QString::fromLatin1(step), u"alice"_s));
        ledger.apply(entry(2, audit::kDone, QString::fromLatin1(step), u"engine"_s));
    }
    ledger.apply(entry(3, audit::kApproved, u"remove"_s, u"alice"_s, u"release_manager"_s));
    StepProgress s = ledger.progress(u"production"_s).steps.at(2);
    QVERIFY(s.missingRoles().isEmpty());
    QVERIFY(s.needsSecondPerson());
    QCOMPARE(s.state, StepState::AwaitingApproval);
    ledger.apply(entry(4, audit::kApproved, u"remove"_s, u"alice"_s, u"release_manager"_s));
    QVERIFY(ledger.progress(u"production"_s).steps.at(2).needsSecondPerson());
    ledger.apply(entry(5, audit::kApproved, u"remove"_s, u"bob"_s, u"release_manager"_s));
    QCOMPARE(ledger.progress(u"production"_s).steps.at(2).state, StepState::Ready);

    // Two roles listed: one person cannot cover both.
    const DecommissionConfig full = loaded();
    DecommissionLedger both(&full);
    both.apply(entry(1, audit::kApproved, u"remove"_s, u"carol"_s, u"release_manager"_s));
    both.apply(entry(2, audit::kApproved, u"remove"_s, u"carol"_s, u"executive"_s));
    s = both.progress(u"production"_s).steps.at(2);
    QCOMPARE(s.missingRoles(), QStringList{u"executive"_s});
}

void TestDecommissionPlan::pointOfNoReturnIsTheFirstIrreversibleStart() {
    const DecommissionConfig config = loaded();
    DecommissionLedger ledger(&config);
    ledger.apply(entry(1, audit::kStarted, u"drain"_s, u"alice"_s));
    QVERIFY(!ledger.progress(u"production"_s).pointOfNoReturn);
    ledger.apply(entry(2, audit::kStarted, u"remove"_s, u"bob"_s));
    // Started is enough: a removal cut off half-way has removed servers from some LBs.
    ledger.apply(entry(3, audit::kFailed, u"remove"_s, u"engine"_s, {},
                       {{u"error"_s, u"lb-b: not in maintenance"_s}}));
    const auto p = ledger.progress(u"production"_s);
    QVERIFY(p.pointOfNoReturn);
    QCOMPARE(p.pointOfNoReturn->stepId, u"remove"_s);
    QCOMPARE(p.pointOfNoReturn->by, u"bob"_s);
    QCOMPARE(p.pointOfNoReturn->at, entry(2, {}, {}, {}).at);
    QCOMPARE(p.pointOfNoReturn->servers, (QStringList{u"legacy-1"_s, u"legacy-2"_s}));
    // A reset cannot undo it either (a rollback is refused before one could be written), but
    // the ledger only reads: a reset entry starts over.
}

void TestDecommissionPlan::failureNeedsNewApprovalsAndResetStartsOver() {
    const DecommissionConfig config = loaded();
    DecommissionLedger ledger(&config);
    ledger.apply(entry(1, audit::kStarted, u"archive_configs"_s, u"alice"_s));
    ledger.apply(entry(2, audit::kDone, u"archive_configs"_s, u"engine"_s));
    ledger.apply(entry(3, audit::kApproved, u"drain"_s, u"alice"_s, u"release_manager"_s));
    ledger.apply(entry(4, audit::kStarted, u"drain"_s, u"alice"_s));
    ledger.apply(entry(5, audit::kFailed, u"drain"_s, u"engine"_s, {},
                       {{u"error"_s, u"lb-a: 3 sessions on legacy-1"_s}}));
    StepProgress s = ledger.progress(u"production"_s).steps.at(1);
    QCOMPARE(s.state, StepState::Failed);
    QCOMPARE(s.error, u"lb-a: 3 sessions on legacy-1"_s);
    QVERIFY(!s.approved());
    ledger.apply(entry(6, audit::kReset, {}, u"engine"_s));
    const auto p = ledger.progress(u"production"_s);
    QCOMPARE(p.doneCount(), 0);
    QVERIFY(!p.started());
    QCOMPARE(p.steps.at(1).state, StepState::Blocked);
}

void TestDecommissionPlan::twoStartsOfOneStepRunOnce() {
    // Two desks recorded a start of the archive a minute apart: the first in the log runs it
    // (its evidence stands), the second yields. A start older than the step may run (a crash)
    // is replaced by the next one.
    const DecommissionConfig config = loaded();
    const DecommissionStep &archive = config.steps.at(0);
    QCOMPARE(archive.maxRunTime(), Duration::minutes(67)); // 1 h + 2 min check + 5 min margin
    DecommissionLedger ledger(&config);
    ledger.apply(entry(1, audit::kStarted, archive.id, u"alice"_s, {},
                       {{u"evidence"_s, QJsonObject{{u"note"_s, u"from alice"_s}}}}));
    ledger.apply(entry(2, audit::kStarted, archive.id, u"bob"_s, {},
                       {{u"evidence"_s, QJsonObject{{u"note"_s, u"from bob"_s}}}}));
    StepProgress s = ledger.progress(u"production"_s).steps.at(0);
    QCOMPARE(s.state, StepState::Running);
    QCOMPARE(s.startedSeq, 1);
    QCOMPARE(s.startedBy, u"alice"_s);
    QCOMPARE(s.evidence.value(u"note"_s).toString(), u"from alice"_s);
    ledger.apply(entry(3, audit::kYielded, archive.id, u"engine"_s, {}, {{u"start_seq"_s, 2}}));
    s = ledger.progress(u"production"_s).steps.at(0);
    QCOMPARE(s.startedSeq, 1);
    QCOMPARE(s.state, StepState::Running);

    ledger.apply(entry(100, audit::kStarted, archive.id, u"bob"_s)); // 99 min later
    s = ledger.progress(u"production"_s).steps.at(0);
    QCOMPARE(s.startedSeq, 100);
    QCOMPARE(s.startedBy, u"bob"_s);
}

void TestDecommissionPlan::costCountsOnlyDoneSteps() {
    const DecommissionConfig config = loaded();
    DecommissionLedger ledger(&config);
    CostSummary c = ledger.cost(u"production"_s);
    QCOMPARE(c.currency, u"EUR"_s);
    QCOMPARE(c.retiredPerMonth, 0.0);
    QCOMPARE(c.plannedPerMonth, 3500.0);
    QCOMPARE(c.plannedPercent(), 35.0);
    QVERIFY(!c.targetMet());
    ledger.apply(entry(1, audit::kStarted, u"remove"_s, u"bob"_s));
    QCOMPARE(ledger.cost(u"production"_s).retiredPerMonth, 0.0); // started is not done
    ledger.apply(entry(2, audit::kDone, u"remove"_s, u"engine"_s));
    c = ledger.cost(u"production"_s);
    QCOMPARE(c.retiredPerMonth, 2500.0);
    QCOMPARE(c.realizedPercent(), 25.0);
    QVERIFY(!c.targetMet());
    ledger.apply(entry(3, audit::kDone, u"terminate"_s, u"engine"_s));
    c = ledger.cost(u"production"_s);
    QCOMPARE(c.realizedPercent(), 35.0);
    QVERIFY(c.targetMet());
    QCOMPARE(c.retired, (QStringList{u"collectors"_s, u"storage"_s}));
}

QTEST_GUILESS_MAIN(TestDecommissionPlan)
#include "test_decommission_plan.moc"
