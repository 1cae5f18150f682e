// The scripted cutover of `scripts/demo` without a display, and the `e2e` test: the war-room
// window on the real lab while the procedure runs — pre-cutover checklist ticked and signed,
// shift to 10%, validation passed, Gate 1 signed, shift to 25%, a fault injected into the OTel
// collectors, the emergency trigger fires, the automatic rollback verified on both load
// balancers. A screenshot at each step and the status report go into DEMO_OUTPUT (default:
// <build>/demo-output); the last line printed lists them. Each step must behave as expected.

#include "tests/support/engine_test_support.h"
#include "ui/charts/chart_panel.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/war_room/theme.h"
#include "ui/war_room/war_room_window.h"

#include <QApplication>
#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace enginetest;

class TestScriptedCutover : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void step1_preCutoverChecklistSigned();
    void step2_shiftTo10Validated();
    void step3_gate1Signed();
    void step4_shiftTo25Validated();
    void step5_faultTriggersAutomaticRollback();
    void step6_statusReport();

private:
    void screenshot(const QString &name, const QString &caption);
    void writeWithTheCommandLine(const QStringList &arguments, const QString &file);

    QHash<QString, QString> m_state;
    std::optional<config::Plan> m_plan;
    QTemporaryDir m_dir;
    Console m_console;
    std::unique_ptr<LabControl> m_lab;
    std::unique_ptr<ui::WarRoomWindow> m_window;
    QString m_out;
    QStringList m_files;
};

void TestScriptedCutover::initTestCase() {
    QCoreApplication::setOrganizationName(u"cutover-console-demo"_s);
    QCoreApplication::setApplicationName(u"scripted-cutover"_s);
    m_state = lab::loadState();
    if (m_state.isEmpty())
        QSKIP("no lab state (CUTOVER_LAB_STATE): run through ctest or scripts/demo");
    const QString operators = m_dir.filePath(u"operators.json"_s);
    QVERIFY(writeOperatorsFile(operators));
    m_plan = loadLabPlan(m_state, operators);
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
    QVERIFY2(m_lab->reset(this), "the lab could not be put back on legacy");

    m_out = qEnvironmentVariable("DEMO_OUTPUT", QStringLiteral(CONSOLE_BUILD_DIR "/demo-output"));
    QDir(m_out).removeRecursively();
    QVERIFY(QDir().mkpath(m_out));

    QVERIFY(m_console.open(*m_plan, m_dir.filePath(u"store.sqlite"_s)));
    ui::applyTheme(ui::Theme::Dark); // what the console looks like by default
    m_window = std::make_unique<ui::WarRoomWindow>(*m_console.engine);
    m_window->resize(1600, 1000);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->setOperator(m_console.engine->operatorNamed(u"alice"_s));
    QVERIFY(waitFor(
        m_console,
        [this] {
            for (const auto &b : m_console.snapshot().backends) {
                if (b.state != engine::BackendHealth::State::Ok)
                    return false;
            }
            return true;
        },
        30'000, u"every backend answering"_s));
    screenshot(u"00-start"_s, u"the war room on the lab, everything on legacy"_s);
}

void TestScriptedCutover::cleanupTestCase() {
    if (m_lab)
        (void)m_lab->reset(this);
    m_window.reset();
    m_console.close();
    if (!m_files.isEmpty())
        std::printf("demo output (%d files) in %s:\n  %s\n", int(m_files.size()), qPrintable(m_out),
                    qPrintable(m_files.join(u"\n  "_s)));
}

void TestScriptedCutover::screenshot(const QString &name, const QString &caption) {
    m_window->refresh();
    // The charts coalesce refreshes to one a frame: wait until every visible one has drawn.
    const auto panels = m_window->findChildren<ui::ChartPanel *>();
    QTRY_VERIFY_WITH_TIMEOUT(
        std::none_of(panels.cbegin(), panels.cend(),
                     [](const ui::ChartPanel *p) { return p->isVisible() && p->refreshPending(); }),
        5000);
    const QString path = m_out + u'/' + name + u".png"_s;
    QVERIFY2(m_window->grab().save(path), qPrintable(path));
    m_files.append(path);
    qInfo("%s: %s", qPrintable(path), qPrintable(caption));
}

void TestScriptedCutover::step1_preCutoverChecklistSigned() {
    QVERIFY(tickGate(m_console, u"pre_cutover"_s));
    QVERIFY(signGate(m_console, u"pre_cutover"_s));
    QVERIFY(waitFor(
        m_console, [this] { return m_console.shiftGuards().isEmpty(); }, 30'000,
        u"shift to 10% allowed"_s, [this] { return m_console.shiftGuards(); }));
    screenshot(u"01-pre-cutover-signed"_s, u"checklist ticked and signed: Shift allowed"_s);
}

void TestScriptedCutover::step2_shiftTo10Validated() {
    const auto outcome = shiftTo(m_console, 10);
    QVERIFY2(outcome.ok, qPrintable(outcome.summary + outcome.refusals.join(u"; "_s)));
    screenshot(u"02-shifted-10-stabilizing"_s, u"10% applied and verified on both LBs"_s);
    QVERIFY(waitForPhase(m_console, {engine::Phase::Holding}, 90'000));
    const auto s = m_console.snapshot();
    QVERIFY2(s.lastValidation.startsWith(u"passed"_s), qPrintable(s.lastValidation));
    screenshot(u"03-validated-10"_s, s.lastValidation);
}

void TestScriptedCutover::step3_gate1Signed() {
    QVERIFY(tickGate(m_console, u"gate_1"_s));
    QVERIFY(signGate(m_console, u"gate_1"_s, 90'000));
    screenshot(u"04-gate1-signed"_s, u"Gate 1 items passing, ticked and signed"_s);
}

void TestScriptedCutover::step4_shiftTo25Validated() {
    const auto outcome = shiftTo(m_console, 25);
    QVERIFY2(outcome.ok, qPrintable(outcome.summary + outcome.refusals.join(u"; "_s)));
    QVERIFY(waitForPhase(m_console, {engine::Phase::Holding}, 90'000));
    QCOMPARE(m_console.snapshot().currentPercent, 25);
    screenshot(u"05-validated-25"_s, m_console.snapshot().lastValidation);
    // The executives' record while the gates stand signed (a rollback voids them).
    writeWithTheCommandLine({u"--signoff-record"_s}, m_out + u"/signoff-record.pdf"_s);
}

void TestScriptedCutover::step5_faultTriggersAutomaticRollback() {
    // The OTel collectors start answering 503: collection fails, the trigger must fire and
    // roll back by itself.
    for (int i = 1; i <= 3; ++i)
        QVERIFY(m_lab->setCollector(u"otel-collector-%1"_s.arg(i), u"5xx"_s));
    QVERIFY(waitFor(
        m_console,
        [this] {
            return !m_console.snapshot().firingTriggers.isEmpty() ||
                   m_console.snapshot().phase != engine::Phase::Holding;
        },
        60'000, u"the trigger fires"_s));
    screenshot(u"06-trigger-fired"_s, u"collection failure: the trigger fires"_s);
    QVERIFY(waitForPhase(m_console, {engine::Phase::RolledBack}, 60'000));
    const auto actions = actionsOf(auditOf(*m_console.store));
    QVERIFY(actions.contains(u"trigger_fired"_s));
    QVERIFY(actions.contains(u"rollback_completed"_s));
    // Verified by reading both LBs back: legacy 100 / OTel 0.
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    for (int i = 1; i <= 3; ++i)
        QVERIFY(m_lab->setCollector(u"otel-collector-%1"_s.arg(i), u"healthy"_s));
    screenshot(u"07-rolled-back"_s, u"automatic rollback verified on lb-a and lb-b"_s);
}

void TestScriptedCutover::writeWithTheCommandLine(const QStringList &arguments,
                                                  const QString &file) {
    // Written by the real command line from the same store, as a stakeholder would get it.
    const ProcessRun run = runConsole(
        arguments + QStringList{u"--plan"_s,
                                QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"),
                                u"--store"_s, m_dir.filePath(u"store.sqlite"_s), u"--out"_s, file});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QFile written(file);
    QVERIFY(written.open(QIODevice::ReadOnly));
    const QByteArray bytes = written.readAll();
    if (file.endsWith(u".pdf"_s))
        QVERIFY(bytes.startsWith("%PDF"));
    else
        QVERIFY2(bytes.contains("Current traffic split") && bytes.contains("rollback"),
                 bytes.constData());
    m_files.append(file);
}

void TestScriptedCutover::step6_statusReport() {
    // The seed's weekly status report, after the incident.
    writeWithTheCommandLine({u"--report"_s, u"--format"_s, u"md"_s},
                            m_out + u"/status-report.md"_s);
    writeWithTheCommandLine({u"--report"_s, u"--format"_s, u"pdf"_s},
                            m_out + u"/status-report.pdf"_s);
}

QTEST_MAIN(TestScriptedCutover)
#include "test_scripted_cutover.moc"
