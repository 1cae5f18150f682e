// The cutover completion report (the seed's deliverables "cutover completion report" and "cost
// analysis"), from a real audit chain in SQLite and hand-built snapshots of the default plan:
// stages with their dates, rollbacks and incidents, gates with signatures, decommission steps
// with their evidence hashes, the cost analysis, the exit criteria and handoff gates, and the
// chain's head hash; written as a real PDF and read back with pdftotext.

#include "app/config/plan_loader.h"
#include "app/decommission/decommission_ledger.h"
#include "app/report/completion_report.h"
#include "app/report/pdf_output.h"
#include "app/report/pdf_writer.h"
#include "app/store/sqlite_store.h"

#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;

namespace {

const QString kArchiveHash = u"3f"_s + QString(62, u'7');
const QString kEvidenceHash = u"9c"_s + QString(62, u'1');
const QString kStdoutHash = u"1d88b750adfb820c6ba40a360702ab79c200ade27cb4fb565ae8d1cd16f0acf3"_s;

engine::GateStatus signedGate(const QString &id, const QString &title, const QString &printed) {
    engine::GateStatus gate;
    gate.id = id;
    gate.title = title;
    engine::CheckStatus check;
    check.gate = id;
    check.id = u"item"_s;
    check.title = u"Item of "_s + title;
    check.kind = config::Check::Kind::Manual;
    check.state = engine::CheckStatus::State::Pass;
    check.tickedBy = u"alice"_s;
    check.tickedRole = u"release_manager"_s;
    check.tickedAt = QDateTime(QDate(2026, 3, 1), QTime(9, 0), Qt::UTC);
    gate.checks.append(check);
    store::SignOff s;
    s.environment = u"production"_s;
    s.gate = id;
    s.role = u"executive"_s;
    s.operatorName = u"carol"_s;
    s.printedName = printed;
    s.meaning = u"Approved"_s;
    s.at = QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC);
    s.signatureHash = QString(64, u'e');
    gate.signatures.append({u"executive"_s, s, false});
    return gate;
}

} // namespace

class TestCompletionReport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void everySectionFromTheLog();
    void pdfCarriesHashesAndHeadHash();
    void brokenChainSaysSo();

private:
    report::CompletionReportInputs inputs();

    QTemporaryDir m_dir;
    config::Plan m_plan;
    std::unique_ptr<store::Store> m_store;
};

void TestCompletionReport::initTestCase() {
    QVERIFY(m_dir.isValid());
    auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY2(loaded.ok(), qPrintable(loaded.errorText()));
    m_plan = *loaded.plan;
    report::installPdfRenderer();

    auto opened = store::SqliteStore::open({m_dir.filePath(u"store.sqlite"_s)});
    QVERIFY(opened.ok());
    m_store = std::move(opened.value());
    namespace dlog = decommission::audit;
    const QString env = u"production"_s;
    const QList<store::AuditEvent> events{
        {u"alice"_s, u"release_manager"_s, u"shift_applied"_s, env, {}, {{u"percent"_s, 10}}},
        {u"console"_s,
         u"automatic"_s,
         u"validation_passed"_s,
         env,
         {},
         {{u"percent"_s, 10},
          {u"measured_share"_s, 0.101},
          {u"lower"_s, 0.08},
          {u"upper"_s, 0.12}}},
        {u"alice"_s, u"release_manager"_s, u"shift_applied"_s, env, {}, {{u"percent"_s, 25}}},
        {u"console"_s,
         u"automatic"_s,
         u"trigger_fired"_s,
         env,
         {},
         {{u"title"_s, u"OTel error rate above 1%"_s}}},
        {u"console"_s,
         u"automatic"_s,
         u"rollback_started"_s,
         env,
         {},
         {{u"cause"_s, u"trigger"_s}, {u"reason"_s, u"OTel error rate above 1%"_s}}},
        {u"console"_s, u"automatic"_s, u"rollback_completed"_s, env, {}, {}},
        {u"alice"_s, u"release_manager"_s, u"shift_applied"_s, env, {}, {{u"percent"_s, 10}}},
        {u"alice"_s, u"release_manager"_s, u"shift_applied"_s, env, {}, {{u"percent"_s, 100}}},
        {u"dave"_s,
         u"release_manager"_s,
         dlog::kStarted,
         env,
         u"archive_configs"_s,
         {{u"title"_s, u"Archive configuration"_s}}},
        {u"console"_s,
         u"automatic"_s,
         dlog::kDone,
         env,
         u"archive_configs"_s,
         {{u"action"_s, QJsonObject{{u"archive"_s, u"/srv/legacy_configs.tar.gz"_s},
                                    {u"sha256"_s, kArchiveHash},
                                    {u"stdout"_s, u"archived 3 files\n"_s},
                                    {u"stdout_sha256"_s, kStdoutHash}}}}},
        {u"dave"_s,
         u"release_manager"_s,
         dlog::kStarted,
         env,
         u"dependency_mapping"_s,
         {{u"evidence"_s, QJsonObject{{u"kind"_s, u"file"_s},
                                      {u"file"_s, u"/srv/dependencies.pdf"_s},
                                      {u"sha256"_s, kEvidenceHash}}}}},
        {u"console"_s, u"automatic"_s, dlog::kDone, env, u"dependency_mapping"_s, {}},
        {u"erin"_s, u"release_manager"_s, dlog::kApproved, env, u"remove_from_lb"_s, {}},
    };
    for (const store::AuditEvent &event : events)
        QVERIFY(m_store->appendAudit(event).ok());
}

report::CompletionReportInputs TestCompletionReport::inputs() {
    report::CompletionReportInputs in;
    in.plan = &m_plan;
    in.now = QDateTime(QDate(2026, 4, 1), QTime(10, 0), Qt::UTC);
    auto entries = m_store->auditEntries();
    auto verified = m_store->verifyAuditChain();
    if (!entries || !verified)
        return in;
    in.audit = entries.value();
    in.verification = verified.value();
    engine::EnvironmentSnapshot s;
    s.environment = u"production"_s;
    s.phase = engine::Phase::Complete;
    s.currentPercent = 100;
    s.decommission.planned = true;
    s.gates = {signedGate(u"gate_1"_s, u"Gate 1: 10% ready"_s, u"Carol Signer"_s),
               signedGate(u"exit_criteria"_s, u"Exit criteria"_s, u"Carol Exit"_s),
               signedGate(u"handoff"_s, u"Handoff to operations"_s, u"Carol Handoff"_s)};
    in.snapshots = {s};
    return in;
}

void TestCompletionReport::everySectionFromTheLog() {
    const report::CompletionReportInputs in = inputs();
    QVERIFY(in.verification.ok);
    const QString html = report::completionReportHtml(in);

    // Stages with dates: 10% reached twice (after the rollback), 25% once, 50% never.
    const store::AuditEntry &firstShift = in.audit.at(0);
    QVERIFY2(html.contains(u"<td>10%</td><td>"_s), qPrintable(html));
    QVERIFY(html.contains(u"by alice (audit #7); reached 2 times"_s));
    QVERIFY(html.contains(u"measured 10.1% OTel (accepted 8.0-12.0%) (audit #2)"_s));
    QVERIFY(html.contains(u"<td>50%</td><td>not reached</td>"_s));
    QVERIFY(firstShift.at.isValid());
    // Rollbacks and incidents: the trigger's rollback, resolved.
    QVERIFY(html.contains(u"<b>Rollbacks:</b> 1"_s));
    QVERIFY(html.contains(u"rollback started by console (trigger): OTel error rate above 1%"_s));
    QVERIFY(html.contains(u"rollback verified on every load balancer"_s));
    QVERIFY(html.contains(u"<b>Incidents:</b> 1 raised, 1 resolved"_s));
    // Gates with signatures, and the exit criteria and handoff in their own sections.
    QVERIFY(html.contains(u"Carol Signer"_s));
    const qsizetype exitAt = html.indexOf(u"<h3>Exit criteria</h3>"_s);
    const qsizetype handoffAt = html.indexOf(u"<h3>Handoff checklist</h3>"_s);
    QVERIFY(exitAt > 0 && handoffAt > exitAt);
    QVERIFY(html.indexOf(u"Carol Exit"_s) > exitAt);
    QVERIFY(html.indexOf(u"Carol Handoff"_s) > handoffAt);
    QCOMPARE(html.count(u"Carol Exit"_s), 1); // not also under "Gates and signatures"
    // Decommission: the archive's hash from the action, the evidence file's hash from the start.
    QVERIFY(html.contains(u"sha256: "_s + kArchiveHash));
    QVERIFY(html.contains(u"file: /srv/dependencies.pdf"_s));
    QVERIFY(html.contains(u"sha256: "_s + kEvidenceHash));
    QVERIFY(html.contains(u"erin (release_manager,"_s)); // an approval of a step not run yet
    QVERIFY(html.contains(u"Point of no return not passed"_s));
    // Cost: nothing retired yet; the plan's inventory says what is planned.
    QVERIFY(html.contains(u"Before: <b>100000 USD</b> per month"_s));
    QVERIFY(html.contains(u"Saving realized: <b>0 USD</b> per month, <b>0.0%</b>"_s));
    QVERIFY(html.contains(u"planned when every step is done: 34600 USD, 34.6%"_s));
    QVERIFY(html.contains(u"Target: 30-40%"_s));
    // The head hash, twice (top and the last page).
    QCOMPARE(html.count(in.verification.headHash), 2);
}

void TestCompletionReport::pdfCarriesHashesAndHeadHash() {
    const report::CompletionReportInputs in = inputs();
    const QString path = m_dir.filePath(u"completion.pdf"_s);
    QString error;
    QVERIFY2(report::writePdfFile(report::completionReportHtml(in), u"Completion report"_s, path,
                                  &error),
             qPrintable(error));
    if (qEnvironmentVariableIsSet("REPORT_KEEP_PDF"))
        QFile::copy(path, qEnvironmentVariable("REPORT_KEEP_PDF") + u"/completion.pdf"_s);
    QFile pdf(path);
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.read(5) == "%PDF-");
    const QString pdftotext = QStandardPaths::findExecutable(u"pdftotext"_s);
    if (pdftotext.isEmpty())
        QSKIP("pdftotext (poppler-utils) is not installed");
    QProcess process;
    process.start(pdftotext, {path, u"-"_s});
    QVERIFY(process.waitForFinished(30'000));
    QCOMPARE(process.exitCode(), 0);
    // NFKC: the PDF's ligatures ("ﬀ", "ﬁ") read as their letters.
    const QString text = QString::fromUtf8(process.readAllStandardOutput())
                             .normalized(QString::NormalizationForm_KC)
                             .simplified();
    for (const QString &expected :
         {in.verification.headHash, kArchiveHash, kEvidenceHash, kStdoutHash, u"Cost analysis"_s,
          u"Exit criteria"_s, u"Handoff checklist"_s, u"Week 9: Preparation"_s,
          u"Legacy collectors (instances)"_s, u"Carol Handoff"_s})
        QVERIFY2(text.contains(expected), qPrintable(expected + u"\n"_s + text));
}

void TestCompletionReport::brokenChainSaysSo() {
    report::CompletionReportInputs in = inputs();
    in.verification = {};
    in.verification.brokenSeq = 3;
    in.verification.problem = u"hash mismatch"_s;
    const QString html = report::completionReportHtml(in);
    QVERIFY(html.contains(u"AUDIT&nbsp;CHAIN&nbsp;BROKEN"_s));
    QVERIFY(html.contains(u"hash mismatch"_s));
    QVERIFY(!html.contains(u"Audit chain verified"_s));
}

QTEST_MAIN(TestCompletionReport)
#include "test_completion_report.moc"
