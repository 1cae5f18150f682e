// The status report (the seed's "Weekly Status Report Template") and the executive sign-off
// record, from hand-built engine snapshots: every section of the template is there, what was not
// measured prints "unknown", blockers are the engine's refusals; the sign-off record is a real
// PDF whose text carries every signature's printed name and the audit chain's head hash.

#include "app/config/plan_loader.h"
#include "app/report/pdf_output.h"
#include "app/report/pdf_writer.h"
#include "app/report/status_report.h"
#include "app/store/sqlite_store.h"

#include <QCryptographicHash>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;

namespace {

const QDateTime kNow = QDateTime(QDate(2025, 4, 2), QTime(10, 0), Qt::UTC);

// The template block of the seed, line by line.
QStringList templateLines() {
    QFile file(QStringLiteral(CONSOLE_SOURCE_DIR "/tests/data/seed_phase3.txt"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QString text = QString::fromUtf8(file.readAll());
    const qsizetype at = text.indexOf(u"Weekly Status Report Template"_s);
    const qsizetype start = text.indexOf(u"```markdown"_s, at);
    const qsizetype end = text.indexOf(u"```"_s, start + 11);
    if (at < 0 || start < 0 || end < 0)
        return {};
    return text.mid(start + 11, end - start - 11).split(u'\n', Qt::SkipEmptyParts);
}

engine::CheckStatus check(const QString &gate, const QString &id, engine::CheckStatus::State state,
                          const QString &detail,
                          config::Check::Kind kind = config::Check::Kind::Automatic) {
    engine::CheckStatus c;
    c.gate = gate;
    c.id = id;
    c.title = u"Check "_s + id;
    c.kind = kind;
    c.state = state;
    c.detail = detail;
    return c;
}

store::SignOff signature(const QString &env, const QString &gate, const QString &role,
                         const QString &name, const QString &printed, const QString &meaning,
                         const QString &comment, int minutesAgo) {
    store::SignOff s;
    s.id = minutesAgo;
    s.environment = env;
    s.gate = gate;
    s.role = role;
    s.operatorName = name;
    s.printedName = printed;
    s.meaning = meaning;
    s.comment = comment;
    s.at = kNow.addSecs(-60 * minutesAgo);
    s.signatureHash = QString(64, u'a');
    // Signed records (the values only need to look like them here; test_verify_signoffs checks
    // real ones).
    s.keyFingerprint =
        u"ed25519:"_s +
        QString::fromLatin1(
            QCryptographicHash::hash(name.toUtf8(), QCryptographicHash::Sha256).toHex());
    s.signature = QString::fromLatin1(QByteArray(64, char('A' + minutesAgo % 26)).toBase64());
    s.auditHeadBefore = QString(64, u'b');
    s.planSha256 = QString(64, u'c');
    return s;
}

// staging complete at 100%; production holding at 10% with a failing check, an unsigned gate, a
// firing trigger and drift.
QList<engine::EnvironmentSnapshot> snapshots() {
    engine::EnvironmentSnapshot staging;
    staging.environment = u"staging"_s;
    staging.phase = engine::Phase::Complete;
    staging.stageIndex = 3;
    staging.currentPercent = 100;
    staging.nextPercent = -1;
    staging.measuredShare = 1.0;
    staging.state.enteredAt = kNow.addDays(-3);
    engine::GateStatus stagingGate;
    stagingGate.id = u"pre_cutover"_s;
    stagingGate.title = u"Pre-cutover checklist"_s;
    stagingGate.checks = {check(u"pre_cutover"_s, u"runbooks"_s, engine::CheckStatus::State::Pass,
                                u"ticked"_s, config::Check::Kind::Manual)};
    stagingGate.signatures = {
        {u"release_manager"_s,
         signature(u"staging"_s, u"pre_cutover"_s, u"release_manager"_s, u"alice"_s,
                   u"Alice Marchetti"_s, u"Approved"_s, u"runbooks reviewed"_s, 300)}};
    staging.gates = {stagingGate};

    engine::EnvironmentSnapshot production;
    production.environment = u"production"_s;
    production.phase = engine::Phase::Holding;
    production.stageIndex = 0;
    production.currentPercent = 10;
    production.nextPercent = 25;
    production.targetShare = 0.10;
    production.lowerBound = 0.08;
    production.upperBound = 0.12;
    production.measuredShare = 0.101;
    production.progressLabel = u"hold"_s;
    production.progressStart = kNow.addSecs(-4 * 3600);
    production.progressEnd = kNow.addSecs(20 * 3600);
    production.lastValidation = u"passed: 10.1% in 8%..12%"_s;
    production.firingTriggers = {u"Error rate spike"_s};
    production.driftAlarms = {u"lb-b: otel-collector-1 weight 0, intended 26"_s};
    engine::GateStatus gate1;
    gate1.id = u"gate_1"_s;
    gate1.title = u"Gate 1: 10% validation"_s;
    gate1.checks = {check(u"gate_1"_s, u"error_rate"_s, engine::CheckStatus::State::Fail,
                          u"0.04, needs < 0.01"_s),
                    check(u"gate_1"_s, u"latency"_s, engine::CheckStatus::State::Unknown,
                          u"no data (needs < 0.5)"_s)};
    gate1.signatures = {{u"release_manager"_s,
                         signature(u"production"_s, u"gate_1"_s, u"release_manager"_s, u"alice"_s,
                                   u"Alice Marchetti"_s, u"Reviewed"_s, QString(), 30)},
                        {u"sre_lead"_s, signature(u"production"_s, u"gate_1"_s, u"sre_lead"_s,
                                                  u"bob"_s, u"Bob Okonkwo-Lindqvist"_s,
                                                  u"Approved"_s, u"latency within budget"_s, 20)},
                        {u"executive"_s, std::nullopt}};
    production.gates = {gate1};
    production.gatesBeforeNextShift = {u"gate_1"_s};
    return {staging, production};
}

store::AuditEntry entry(qint64 seq, const QString &action, const QString &env, int minutesAgo) {
    store::AuditEntry e;
    e.seq = seq;
    e.at = kNow.addSecs(-60 * minutesAgo);
    e.actor = u"engine"_s;
    e.action = action;
    e.environment = env;
    e.details = u"{}"_s;
    return e;
}

} // namespace

class TestReport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void markdownHasEverySectionOfTheTemplate();
    void unmeasuredMetricsAreUnknown();
    void costSavingsComeFromTheDecommission();
    void blockersAreTheEngineRefusals();
    void issuesResolvedFromTheAuditLog();
    void nothingToReportSaysSo();
    void signOffRecordPdfCarriesNamesAndHeadHash();
    void statusReportPdf();

private:
    report::ReportInputs inputs() const;
    config::Plan m_plan;
};

void TestReport::initTestCase() {
    auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY2(loaded.ok(), qPrintable(loaded.errorText()));
    m_plan = *loaded.plan;
    report::installPdfRenderer();
}

report::ReportInputs TestReport::inputs() const {
    report::ReportInputs in;
    in.plan = &m_plan;
    in.snapshots = snapshots();
    in.now = kNow;
    in.shiftRefusals.insert(u"production"_s,
                            {u"hold at 10%: 20h left (until 2025-04-03 06:00:00 UTC)"_s,
                             u"Gate 1: 10% validation: not signed by executive"_s});
    in.audit = {entry(1, u"plan_loaded"_s, {}, 600),
                entry(2, u"validation_failed"_s, u"production"_s, 500),
                entry(3, u"rollback_completed"_s, u"production"_s, 499),
                entry(4, u"drift_detected"_s, u"production"_s, 10)};
    report::MetricReading success{u"production"_s, u"collection_success_rate"_s, {}, {}};
    success.values = {{u"legacy"_s, 0.998}, {u"otel"_s, 0.9991}};
    report::MetricReading latency{u"production"_s, u"metric_delivery_latency"_s, {}, {}};
    latency.error = u"prometheus: connection refused"_s;
    report::MetricReading errors{u"production"_s, u"error_rates_by_system"_s, {}, {}};
    errors.values = {{u"otel"_s, 0.25}, {u"legacy"_s, 0.0}};
    report::MetricReading stagingSuccess{u"staging"_s, u"collection_success_rate"_s, {}, {}};
    stagingSuccess.values = {{u"otel"_s, std::numeric_limits<double>::quiet_NaN()}};
    in.metrics = {success, latency, errors, stagingSuccess};
    return in;
}

void TestReport::markdownHasEverySectionOfTheTemplate() {
    const QStringList lines = templateLines();
    QVERIFY2(lines.size() > 10, "the seed's template was not found");
    const QString md = report::toMarkdown(report::buildStatusReport(inputs()));
    const QStringList mdLines = md.split(u'\n');
    int checked = 0;
    for (const QString &raw : lines) {
        const QString line = raw.trimmed();
        if (line.startsWith(u'#')) {
            // "# OTel Cutover Status - Week X": the heading with the week filled in.
            const QString heading = line.endsWith(u" X"_s) ? line.chopped(2) : line;
            QVERIFY2(std::any_of(mdLines.cbegin(), mdLines.cend(),
                                 [&](const QString &l) { return l.startsWith(heading); }),
                     qPrintable(u"missing heading '%1' in:\n%2"_s.arg(heading, md)));
            ++checked;
        } else if (line.startsWith(u"- "_s) && !line.startsWith(u"- ["_s)) {
            const QString label = line.section(u':', 0, 0);
            QVERIFY2(std::any_of(mdLines.cbegin(), mdLines.cend(),
                                 [&](const QString &l) { return l.startsWith(label); }),
                     qPrintable(u"missing '%1' in:\n%2"_s.arg(label, md)));
            ++checked;
        }
    }
    QCOMPARE(checked, 13);
    QVERIFY(md.contains(u"# OTel Cutover Status - Week 14, 2025"_s));
    QVERIFY(
        md.contains(u"production: 10% OTel / 90% Legacy (Holding; measured OTel share 10.1%)"_s));
    QVERIFY(md.contains(u"staging: 100% OTel / 0% Legacy"_s));
    QVERIFY(md.contains(u"- Systems migrated: 1 of 2"_s));
    QVERIFY(md.contains(u"- Cost savings realized: not measured by the console (the plan has no "
                        u"decommission)"_s));
    // Upcoming: the next shift when the hold ends, the gate still to pass, the exit criterion.
    QVERIFY2(md.contains(u"[2025-04-03 06:00 UTC]: Shift production to 25% (when the hold ends"_s),
             qPrintable(md));
    QVERIFY(md.contains(u"Validation gate \"Gate 1: 10% validation\" in production: 0 of 2 items "
                        u"pass; signatures awaited: executive"_s));
    QVERIFY(md.contains(u"[2025-04-29 10:00 UTC]: staging: exit criterion"_s));
    // Risks: the trigger, the failing check, the unknown check, the drift.
    QVERIFY(md.contains(u"Trigger firing in production: Error rate spike"_s));
    QVERIFY(md.contains(u"Check failing in production: \"Check error_rate\""_s));
    QVERIFY(md.contains(u"Check unknown in production: \"Check latency\""_s));
    QVERIFY(md.contains(u"Weight drift in production (lb-b: otel-collector-1 weight 0"_s));
}

void TestReport::costSavingsComeFromTheDecommission() {
    // Issue 12: the retired components' cost, against the baseline; never invented.
    report::ReportInputs in = inputs();
    in.snapshots[0].decommission = {true, 4, 6, true, u"USD"_s, 40000, 13050, 13050, 30, 40};
    const report::StatusReport r = report::buildStatusReport(in);
    QCOMPARE(r.costSavings,
             in.snapshots[0].environment +
                 u": 13050 USD/month (32.6% of the 40000 USD baseline; target 30-40%; 4 of 6 "
                 u"decommission steps done)"_s);
    QVERIFY(report::toMarkdown(r).contains(u"- Cost savings realized: "_s + r.costSavings));
}

void TestReport::unmeasuredMetricsAreUnknown() {
    const report::StatusReport r = report::buildStatusReport(inputs());
    QCOMPARE(r.keyMetrics.size(), 3);
    QCOMPARE(r.keyMetrics.at(0),
             u"Collection success rate: staging: unknown (no data); production: OTel 99.91%, "
             u"legacy 99.80%"_s);
    QCOMPARE(r.keyMetrics.at(1),
             u"Average latency: staging: unknown (not queried); production: unknown "
             u"(prometheus: connection refused)"_s);
    QCOMPARE(r.keyMetrics.at(2),
             u"Error rate (5xx responses): staging: unknown (not queried); production: OTel "
             u"0.250/s, legacy 0.000/s"_s);

    // Prometheus unreachable: every metric unknown, with why; never a number.
    report::ReportInputs in = inputs();
    in.metrics.clear();
    in.metricsProblem = u"Prometheus unreachable"_s;
    const QString md = report::toMarkdown(report::buildStatusReport(in));
    for (const QString &label :
         {u"Collection success rate"_s, u"Average latency"_s, u"Error rate"_s}) {
        const QRegularExpression line(u"^- %1[^\\n]*$"_s.arg(QRegularExpression::escape(label)),
                                      QRegularExpression::MultilineOption);
        const auto match = line.match(md);
        QVERIFY2(match.hasMatch(), qPrintable(label));
        QVERIFY2(match.captured().contains(u"unknown (Prometheus unreachable)"_s),
                 qPrintable(match.captured()));
        QVERIFY2(!match.captured().section(u"): "_s, 1).contains(QRegularExpression(u"\\d"_s)),
                 qPrintable(match.captured()));
    }
    // A plan without the panel says so.
    config::Plan plan = m_plan;
    plan.panelGroups.clear();
    in.plan = &plan;
    const auto r2 = report::buildStatusReport(in);
    QVERIFY(r2.keyMetrics.at(0).contains(u"unknown (the plan has no 'collection_success_rate' "
                                         u"panel)"_s));
}

void TestReport::blockersAreTheEngineRefusals() {
    const report::ReportInputs in = inputs();
    const report::StatusReport r = report::buildStatusReport(in);
    QCOMPARE(r.blockers.size(), 2);
    const QString md = report::toMarkdown(r);
    for (const QString &refusal : in.shiftRefusals.value(u"production"_s))
        QVERIFY2(md.contains(u"  - production (shift to 25%): "_s + refusal), qPrintable(md));
    // staging is complete: it has no next stage, so nothing blocks it.
    QVERIFY(!md.contains(u"staging (shift"_s));
}

void TestReport::issuesResolvedFromTheAuditLog() {
    const report::StatusReport r = report::buildStatusReport(inputs());
    QCOMPARE(r.issuesRaised, 2);
    QCOMPARE(r.issuesResolved, 1);
    QCOMPARE(r.issueLines.size(), 2);
    QVERIFY2(r.issueLines.at(0).contains(u"validation failed"_s) &&
                 r.issueLines.at(0).contains(u"resolved: verified rollback"_s),
             qPrintable(r.issueLines.at(0)));
    QVERIFY2(r.issueLines.at(1).endsWith(u" - open"_s), qPrintable(r.issueLines.at(1)));
    QVERIFY(report::toMarkdown(r).contains(u"- Issues resolved: 1 (of 2 raised; 1 open):"_s));
}

void TestReport::nothingToReportSaysSo() {
    report::ReportInputs in;
    in.plan = &m_plan;
    in.now = kNow;
    engine::EnvironmentSnapshot s;
    s.environment = u"staging"_s;
    s.nextPercent = 10;
    in.snapshots = {s};
    const QString md = report::toMarkdown(report::buildStatusReport(in));
    QVERIFY2(md.contains(u"- Blockers: None\n"_s), qPrintable(md));
    QVERIFY(md.contains(u"- Issues resolved: 0 (none raised)"_s));
    QVERIFY(md.contains(u"- Current traffic split: 0% OTel / 100% Legacy"_s));
    QVERIFY(md.contains(u"- None observed at report time"_s));
    QVERIFY(md.contains(u"- Systems migrated: 0 of 1"_s));
}

void TestReport::signOffRecordPdfCarriesNamesAndHeadHash() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // A real chain: its head hash is what the record must print.
    auto opened = store::SqliteStore::open({dir.filePath(u"store.sqlite"_s)});
    QVERIFY(opened.ok());
    auto &store = *opened.value();
    QVERIFY(store
                .appendAudit({u"alice"_s,
                              u"release_manager"_s,
                              u"gate_signed"_s,
                              u"production"_s,
                              u"gate_1"_s,
                              {}})
                .ok());
    QVERIFY(store
                .appendAudit(
                    {u"bob"_s, u"sre_lead"_s, u"gate_signed"_s, u"production"_s, u"gate_1"_s, {}})
                .ok());
    const auto verified = store.verifyAuditChain();
    QVERIFY(verified.ok());
    QVERIFY(verified.value().ok);
    QCOMPARE(verified.value().headHash.size(), 64);

    report::SignOffRecordInputs in;
    in.plan = &m_plan;
    in.snapshots = snapshots();
    in.audit = verified.value();
    in.now = kNow;
    const QString path = dir.filePath(u"signoff.pdf"_s);
    QString error;
    QVERIFY2(
        report::writePdfFile(report::signOffRecordHtml(in), u"Sign-off record"_s, path, &error),
        qPrintable(error));
    if (qEnvironmentVariableIsSet("REPORT_KEEP_PDF"))
        QFile::copy(path, qEnvironmentVariable("REPORT_KEEP_PDF") + u"/signoff.pdf"_s);
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
    // Reading order, whitespace collapsed: a cell that wraps still reads as its words.
    const QString text = QString::fromUtf8(process.readAllStandardOutput()).simplified();
    for (const auto &snapshot : in.snapshots) {
        for (const auto &gate : snapshot.gates) {
            QVERIFY2(text.contains(gate.title), qPrintable(gate.title));
            for (const auto &sig : gate.signatures) {
                if (!sig.signOff)
                    continue;
                QVERIFY2(text.contains(sig.signOff->printedName),
                         qPrintable(sig.signOff->printedName + u"\n"_s + text));
                QVERIFY2(text.contains(sig.signOff->meaning), qPrintable(sig.signOff->meaning));
                if (!sig.signOff->comment.isEmpty())
                    QVERIFY2(text.contains(sig.signOff->comment), qPrintable(sig.signOff->comment));
                // The signature and the key it verifies with, whole.
                QVERIFY2(text.contains(sig.signOff->keyFingerprint),
                         qPrintable(sig.signOff->keyFingerprint + u"\n"_s + text));
                QVERIFY(text.contains(sig.signOff->signature.left(44)));
                QVERIFY(text.contains(sig.signOff->signature.mid(44)));
            }
        }
    }
    QVERIFY2(text.contains(verified.value().headHash), qPrintable(text));
    QVERIFY(text.contains(u"awaiting signature"_s, Qt::CaseInsensitive));
    QVERIFY(text.contains(u"2025-04-02 09:40 UTC"_s)); // Bob's signature time
}

void TestReport::statusReportPdf() {
    QTemporaryDir dir;
    const QString path = dir.filePath(u"report.pdf"_s);
    QString error;
    const auto r = report::buildStatusReport(inputs());
    QVERIFY2(report::writePdfFile(report::toHtml(r), r.title, path, &error), qPrintable(error));
    QFile pdf(path);
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.read(5) == "%PDF-");
    // An unwritable place fails loudly and leaves nothing behind.
    QVERIFY(!report::writePdfFile(report::toHtml(r), r.title, u"/nonexistent/dir/r.pdf"_s, &error));
    QVERIFY(!error.isEmpty());
    if (qEnvironmentVariableIsSet("REPORT_KEEP_PDF"))
        QFile::copy(path, qEnvironmentVariable("REPORT_KEEP_PDF") + u"/report.pdf"_s);
}

QTEST_MAIN(TestReport)
#include "test_report.moc"
