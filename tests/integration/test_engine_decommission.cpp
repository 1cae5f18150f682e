// The decommission on the real lab (issue 12): legacy servers drained, in maintenance and
// deleted from both HAProxy LBs (checked with the test's own `show servers state`), the wait
// that survives a restart, approvals by two people, the typed confirmation, removal refused
// with HAProxy's numbers, the point of no return refusing Rollback, a failing command retried
// after a fix, the cost, and the audit chain. Runs on `decommission_backend`, a copy of the
// lab's backend that carries no traffic, so the other tests keep their servers; the LBs are
// reloaded at the end, which brings the deleted servers back.

#include "app/backends/haproxy_runtime_client.h"
#include "app/cutover/phase.h"
#include "app/decommission/decommission_ledger.h"
#include "app/store/evidence_archive.h"
#include "tests/support/engine_test_support.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace enginetest;
using namespace cutover;
using decommission::StepState;
using engine::RefusalCode;

namespace {

const QString kBackend = u"decommission_backend"_s;
const QStringList kLegacy = {u"legacy-collector-1"_s, u"legacy-collector-2"_s};

QByteArray readFile(const QString &path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// lab.yaml with the decommission approval gate, the fixture's decommission section, and every
// LB pointed at decommission_backend.
QByteArray decommissionPlanText() {
    QByteArray text = readFile(QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"));
    text.replace("\ngates:\n",
                 "\ngates:\n  decommission_approval:\n    title: \"Decommission plan approval\"\n"
                 "    checks:\n      - { id: dependencies_mapped, title: \"Dependency mapping "
                 "done\", manual: true, role: release_manager }\n    sign_off: [executive]\n");
    text.replace("backend: telemetry_backend", "backend: decommission_backend");
    text += '\n' +
            readFile(QStringLiteral(CONSOLE_SOURCE_DIR "/tests/data/plans/lab_decommission.yaml"));
    return text;
}

// The test's own look at HAProxy: server -> srv_admin_state on `lb`'s decommission_backend
// (a deleted server is absent).
std::optional<QHash<QString, int>> adminStates(const config::LoadBalancer &lb, QObject *context) {
    backends::HaproxyRuntimeClient client(lb);
    std::optional<QHash<QString, int>> out;
    bool finished = false;
    client.showServersState(kBackend)->onFinished(
        context, [&](const net::Result<QList<backends::ServerStateRow>> &rows) {
            finished = true;
            if (!rows.ok())
                return;
            QHash<QString, int> states;
            for (const auto &row : rows.value())
                states.insert(row.server, row.adminState);
            out = states;
        });
    if (!QTest::qWaitFor([&] { return finished; }, 5000))
        qWarning() << "show servers state: no answer from" << lb.name;
    return out;
}

bool runtimeCommand(const config::LoadBalancer &lb, const QString &command, QObject *context) {
    backends::HaproxyRuntimeClient client(lb);
    bool finished = false;
    bool ok = false;
    client.execute({command})->onFinished(context, [&](const net::Result<QList<QStringList>> &r) {
        finished = true;
        ok = r.ok();
    });
    return QTest::qWaitFor([&] { return finished; }, 5000) && ok;
}

using Request = engine::CutoverEngine::DecommissionRequest;

struct Answer {
    bool finished = false;
    engine::ActionOutcome outcome;
};

// Runs a step and waits (bounded) for its answer.
engine::ActionOutcome run(Console &console, const QString &step, const QString &who,
                          Request request = {}, int timeoutMs = 30'000) {
    auto answer = std::make_shared<Answer>();
    console.engine->runDecommissionStep(kEnv, step, console.who(who), request,
                                        [answer](const engine::ActionOutcome &o) {
                                            answer->finished = true;
                                            answer->outcome = o;
                                        });
    if (!QTest::qWaitFor([&] { return answer->finished; }, timeoutMs))
        answer->outcome.error = u"no answer within %1 ms"_s.arg(timeoutMs);
    return answer->outcome;
}

decommission::StepProgress stepOf(const Console &console, const QString &step) {
    const decommission::EnvironmentProgress progress = console.engine->decommissionProgress(kEnv);
    return *progress.step(step);
}

StepState stateOf(const Console &console, const QString &step) {
    return stepOf(console, step).state;
}

// The PDF's text, whitespace collapsed; a null string when pdftotext is not installed.
QString pdfText(const QString &path) {
    const QString pdftotext = QStandardPaths::findExecutable(u"pdftotext"_s);
    if (pdftotext.isEmpty())
        return {};
    QProcess process;
    process.start(pdftotext, {path, u"-"_s});
    if (!process.waitForFinished(30'000))
        return u"(pdftotext did not finish)"_s;
    // NFKC: the PDF's ligatures ("ﬀ", "ﬁ") read as their letters.
    return QString::fromUtf8(process.readAllStandardOutput())
        .normalized(QString::NormalizationForm_KC)
        .simplified();
}

Request evidence(const QString &text) {
    Request r;
    r.evidence = text;
    return r;
}

Request permanent(const QString &why) {
    Request r;
    r.permanenceEvidence = why;
    return r;
}

Request confirmed(const QString &text) {
    Request r;
    r.confirmation = text;
    return r;
}

bool has(const engine::ActionOutcome &o, RefusalCode code) {
    return engine::hasCode(o.refused, code);
}

} // namespace

class TestEngineDecommission : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();
    void rollbackBeforePointOfNoReturnRestoresReady();
    void wholeDecommission();
    void prometheusSnapshotIsTaken();
    void promqlValidations();
    void httpBackupWritesEachAnswer();
    void stepStartedOnAnotherDeskIsRefused();
    void validationMustHoldThroughTheWait();
    void permanenceHoldsOnceTheConfigSaysSo();
    void removalWithLiveConnectionsIsRefusedWithTheNumbers();
    void exportMetricsInChunks();

private:
    // A store whose environment has completed the cutover (100% held past its hold), the 100%
    // weights on both LBs, and a console on it.
    // The console on a store where the cutover is complete; `plan` (default: the test's) must
    // outlive it.
    bool openCompleted(Console &console, const QString &name, const config::Plan *plan = nullptr);
    bool approveGate(Console &console);
    QMap<QString, QHash<QString, int>> statesOnEveryLb();

    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    QHash<QString, QString> m_state;
    QString m_script;
    QString m_planFile;
};

void TestEngineDecommission::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    m_script = m_dir.filePath(u"release_storage.sh"_s);
    qputenv("CUTOVER_TEST_STEP_SCRIPT", m_script.toUtf8());
    QVERIFY(labPlanWithOperators(m_state, m_dir.path())); // the environment and operators file
    // A file, so that the command line reads the same plan.
    m_planFile = m_dir.filePath(u"plan.yaml"_s);
    {
        QFile file(m_planFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(decommissionPlanText());
    }
    auto loaded = config::loadPlanFile(m_planFile);
    QVERIFY2(loaded.ok(), qPrintable(loaded.errorText()));
    m_plan = loaded.plan;
    QVERIFY(m_plan->decommission.isSet());
    m_plan->drift.interval = config::Duration::seconds(1); // every monitor round reads back
}

void TestEngineDecommission::init() {
    // Every server back in decommission_backend (a reload re-reads the config) and ready.
    for (const config::LoadBalancer &lb : m_plan->loadBalancers) {
        auto states = adminStates(lb, this);
        QVERIFY2(states, qPrintable(lb.name));
        if (!states->contains(kLegacy.first()))
            QVERIFY(lab::run({u"reload"_s, lb.name}, m_state));
        for (const QString &server : m_plan->pools.legacy + m_plan->pools.otel)
            QVERIFY(
                runtimeCommand(lb, u"set server %1/%2 state ready"_s.arg(kBackend, server), this));
    }
}

void TestEngineDecommission::cleanupTestCase() {
    if (!m_plan)
        return;
    for (const config::LoadBalancer &lb : m_plan->loadBalancers)
        lab::run({u"reload"_s, lb.name}, m_state);
}

QMap<QString, QHash<QString, int>> TestEngineDecommission::statesOnEveryLb() {
    QMap<QString, QHash<QString, int>> all;
    for (const config::LoadBalancer &lb : m_plan->loadBalancers)
        all.insert(lb.name, adminStates(lb, this).value_or(QHash<QString, int>{}));
    return all;
}

bool TestEngineDecommission::openCompleted(Console &console, const QString &name,
                                           const config::Plan *plan) {
    if (!plan)
        plan = &*m_plan;
    const QString path = m_dir.filePath(name);
    const auto weights = backends::weightsFor(1.0, plan->pools.legacy, plan->pools.otel);
    {
        store::SqliteStore::Options options;
        options.path = path;
        auto opened = store::SqliteStore::open(options);
        if (!opened)
            return false;
        QJsonObject w;
        for (auto it = weights.weights.cbegin(); it != weights.weights.cend(); ++it)
            w.insert(it.key(), it.value());
        store::StageState complete;
        complete.environment = kEnv;
        complete.stageIndex = int(plan->stages.size()) - 1;
        complete.phase = engine::phaseName(engine::Phase::Complete);
        complete.intendedWeights = QJsonObject{{u"weights"_s, w}};
        complete.enteredAt = QDateTime::currentDateTimeUtc().addSecs(-120);
        complete.holdStartedAt = QDateTime::currentDateTimeUtc().addSecs(-90); // 30 s hold
        if (!opened.value()->updateStageState(0, complete))
            return false;
    }
    // The 100% weights on decommission_backend, as the cutover left them.
    backends::LbFleet fleet(*plan, *plan->environment(kEnv));
    bool applied = false;
    fleet.apply(weights.weights, backends::ApplyOptions{})
        ->onFinished(this, [&](const net::Result<backends::FleetApplyResult> &r) {
            applied = r.ok() && r.value().allVerified();
        });
    if (!QTest::qWaitFor([&] { return applied; }, 10'000))
        return false;
    return console.open(*plan, path);
}

bool TestEngineDecommission::approveGate(Console &console) {
    return tickGate(console, u"decommission_approval"_s) &&
           signGate(console, u"decommission_approval"_s);
}

void TestEngineDecommission::rollbackBeforePointOfNoReturnRestoresReady() {
    Console console;
    QVERIFY(openCompleted(console, u"rollback.sqlite"_s));
    QVERIFY(approveGate(console));
    QVERIFY(run(console, u"plan_reviewed"_s, u"alice"_s, evidence(u"reviewed with the team"_s)).ok);
    QVERIFY(console.engine
                ->approveDecommissionStep(kEnv, u"drain"_s, u"release_manager"_s,
                                          console.who(u"alice"_s), passphraseOf(u"alice"_s))
                .ok);
    const auto drained =
        run(console, u"drain"_s, u"alice"_s, permanent(u"lab LBs keep a server-state-file"_s));
    QVERIFY2(drained.ok, qPrintable(drained.message()));
    for (const auto &[lb, states] : statesOnEveryLb().asKeyValueRange()) {
        for (const QString &server : kLegacy)
            QVERIFY2(states.value(server) & 0x08, qPrintable(lb + u": "_s + server));
    }
    QCOMPARE(console.engine->decommissionProgress(kEnv).pointOfNoReturn.has_value(), false);

    // Before the point of no return Rollback works, and sets the drained servers back to ready.
    const auto rolledBack = awaitOperation(console.engine->rollback(kEnv, console.who(u"bob"_s)));
    QVERIFY2(rolledBack.ok, qPrintable(rolledBack.summary));
    QTRY_VERIFY_WITH_TIMEOUT(!console.engine->decommissionProgress(kEnv).started(), 10'000);
    for (const auto &[lb, states] : statesOnEveryLb().asKeyValueRange()) {
        for (const QString &server : kLegacy)
            QVERIFY2((states.value(server, -1) & 0x09) == 0, qPrintable(lb + u": "_s + server));
    }
    QVERIFY(actionsOf(auditOf(*console.store)).contains(decommission::audit::kReset));
}

void TestEngineDecommission::stepStartedOnAnotherDeskIsRefused() {
    // Another desk recorded the start of the review a moment ago, with no outcome yet: this desk
    // must not run it a second time (a command step would run twice), and says whose it is.
    Console console;
    QVERIFY(openCompleted(console, u"elsewhere.sqlite"_s));
    QVERIFY(approveGate(console));
    QVERIFY(console.store
                ->appendAudit({u"bob"_s,
                               u"release_manager"_s,
                               decommission::audit::kStarted,
                               kEnv,
                               u"plan_reviewed"_s,
                               {{u"title"_s, u"Decommission plan reviewed"_s}}})
                .ok());
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(console, u"plan_reviewed"_s), StepState::Running, 10'000);
    const auto refused = run(console, u"plan_reviewed"_s, u"alice"_s, evidence(u"reviewed"_s));
    QVERIFY2(has(refused, RefusalCode::StepRunningElsewhere), qPrintable(refused.message()));
    QVERIFY2(refused.message().contains(u"by bob (on another desk or process)"_s),
             qPrintable(refused.message()));
    QCOMPARE(actionsOf(auditOf(*console.store)).count(decommission::audit::kStarted), 1);
}

void TestEngineDecommission::validationMustHoldThroughTheWait() {
    // "wait: 30s" means the validation holds for 30 s: while the step waits it is checked again
    // and again, and the moment it lapses the step fails with why (not 30 s later).
    const QString flag = m_dir.filePath(u"still-holds"_s);
    {
        QFile file(flag);
        QVERIFY(file.open(QIODevice::WriteOnly));
    }
    config::Plan plan = *m_plan;
    config::DecommissionStep step;
    step.id = u"quiet"_s;
    step.title = u"Legacy stays quiet"_s;
    step.action = config::DecommissionStep::Action::Manual;
    step.validation.kind = config::StepValidation::Kind::Command;
    step.validation.argv = {QStandardPaths::findExecutable(u"test"_s), u"-e"_s, flag};
    step.validation.timeout = config::Duration::seconds(10);
    step.wait = config::Duration::seconds(30);
    plan.decommission.steps = {step};
    Console console;
    QVERIFY(openCompleted(console, u"wait.sqlite"_s, &plan));
    QVERIFY(approveGate(console));
    const auto started = run(console, u"quiet"_s, u"alice"_s);
    QVERIFY2(started.ok, qPrintable(started.message()));
    QCOMPARE(stateOf(console, u"quiet"_s), StepState::Waiting);

    QVERIFY(QFile::remove(flag)); // the condition lapses with ~28 s of the wait left
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(console, u"quiet"_s), StepState::Failed, 15'000);
    const QString error = stepOf(console, u"quiet"_s).error;
    QVERIFY2(error.contains(u"stopped holding during the wait"_s) && error.contains(u"left"_s),
             qPrintable(error));
}

void TestEngineDecommission::permanenceHoldsOnceTheConfigSaysSo() {
    // The lab's configuration gives the legacy servers their pre-cutover weights: the check
    // refuses with the lines haproxy.cfg needs. Written into the configuration and reloaded
    // (what an operator does), the same check passes.
    decommission::StepContext ctx;
    for (const QString &lb : m_plan->environment(kEnv)->loadBalancers)
        ctx.loadBalancers.append(*m_plan->loadBalancer(lb));
    ctx.intendedWeights =
        backends::weightsFor(1.0, m_plan->pools.legacy, m_plan->pools.otel).weights;
    auto check = [&] {
        std::optional<decommission::StepResult> result;
        decommission::checkPermanence(this, ctx,
                                      [&](const decommission::StepResult &r) { result = r; });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10'000))
            return decommission::StepResult{false, u"no answer"_s, {}};
        return *result;
    };
    const auto before = check();
    QVERIFY(!before.ok);
    QVERIFY2(before.error.contains(u"set in haproxy.cfg"_s) &&
                 before.error.contains(u"server legacy-collector-1 … weight 0"_s),
             qPrintable(before.error));

    QHash<QString, QByteArray> original;
    auto restore = qScopeGuard([&] {
        for (auto it = original.cbegin(); it != original.cend(); ++it) {
            QFile file(it.key());
            if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
                file.write(it.value());
        }
        for (const config::LoadBalancer &lb : ctx.loadBalancers)
            lab::run({u"reload"_s, lb.name}, m_state);
    });
    static const QRegularExpression serverLine(u"(\\n    server (\\S+) \\S+) weight \\d+"_s);
    for (const config::LoadBalancer &lb : ctx.loadBalancers) {
        const QString path =
            m_state.value(u"LAB_%1_CONFIG"_s.arg(lb.name.toUpper().replace(u'-', u'_')));
        QFile file(path);
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(path));
        const QString text = QString::fromUtf8(file.readAll());
        file.close();
        original.insert(path, text.toUtf8());
        // Only the decommission backend's section: up to the next section.
        const qsizetype start = text.indexOf(u"\nbackend "_s + kBackend + u'\n');
        QVERIFY(start >= 0);
        qsizetype end = text.indexOf(u"\nbackend "_s, start + 1);
        if (end < 0)
            end = text.size();
        QString section = text.mid(start, end - start);
        int rewritten = 0;
        for (const QRegularExpressionMatch &m :
             serverLine.globalMatch(text.mid(start, end - start))) {
            section.replace(
                m.captured(0),
                u"%1 weight %2"_s.arg(m.captured(1)).arg(ctx.intendedWeights.value(m.captured(2))));
            ++rewritten;
        }
        QCOMPARE(rewritten, int(ctx.intendedWeights.size()));
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write((text.left(start) + section + text.mid(end)).toUtf8());
        file.close();
        QVERIFY(lab::run({u"reload"_s, lb.name}, m_state));
    }
    const auto after = check();
    QVERIFY2(after.ok, qPrintable(after.error));
}

void TestEngineDecommission::removalWithLiveConnectionsIsRefusedWithTheNumbers() {
    // On the lab's live backend, legacy-collector-1 made slow (2 s a request) holds sessions:
    // the removal's precheck refuses with HAProxy's own numbers, per LB.
    config::DecommissionStep step;
    step.action = config::DecommissionStep::Action::RemoveFromLb;
    step.targets = {u"legacy-collector-1"_s};
    decommission::StepContext ctx;
    for (const QString &lb : m_plan->environment(kEnv)->loadBalancers) {
        config::LoadBalancer live = *m_plan->loadBalancer(lb);
        live.backend = u"telemetry_backend"_s;
        ctx.loadBalancers.append(live);
    }
    QVERIFY(lab::run({u"collector"_s, u"legacy-collector-1"_s, u"slow"_s, u"2000"_s}, m_state));
    auto healthy = qScopeGuard([&] {
        lab::run({u"collector"_s, u"legacy-collector-1"_s, u"healthy"_s}, m_state);
    });
    QString refused;
    QElapsedTimer waited;
    waited.start();
    // Bounded: sessions build up within a second or two of traffic.
    while (!refused.contains(u" sessions"_s) && waited.elapsed() < 20'000) {
        std::optional<decommission::StepResult> result;
        decommission::checkRemovable(this, step, ctx,
                                     [&](const decommission::StepResult &r) { result = r; });
        QVERIFY(QTest::qWaitFor([&] { return result.has_value(); }, 10'000));
        QVERIFY(!result->ok);
        refused = result->error;
    }
    QVERIFY2(refused.contains(u"legacy-collector-1 is UP, not in maintenance"_s),
             qPrintable(refused));
    QVERIFY2(QRegularExpression(u"has [1-9][0-9]* sessions"_s).match(refused).hasMatch(),
             qPrintable(refused));
}

void TestEngineDecommission::wholeDecommission() {
    auto console = std::make_unique<Console>();
    QVERIFY(openCompleted(*console, u"whole.sqlite"_s));

    // The entry guard: the approval gate first; a note is the first step's evidence.
    auto refused = run(*console, u"plan_reviewed"_s, u"alice"_s);
    QVERIFY(has(refused, RefusalCode::DecommissionNotApproved));
    QVERIFY(has(refused, RefusalCode::StepEvidenceMissing));
    QVERIFY(approveGate(*console));
    QVERIFY(run(*console, u"plan_reviewed"_s, u"alice"_s, evidence(u"reviewed"_s)).ok);
    QCOMPARE(stateOf(*console, u"plan_reviewed"_s), StepState::Done);

    // Drain: approval, then the permanence check with HAProxy's configured weights.
    QVERIFY(has(run(*console, u"drain"_s, u"alice"_s), RefusalCode::StepApprovalsMissing));
    QVERIFY(console->engine
                ->approveDecommissionStep(kEnv, u"drain"_s, u"release_manager"_s,
                                          console->who(u"alice"_s), passphraseOf(u"alice"_s))
                .ok);
    refused = run(*console, u"drain"_s, u"alice"_s);
    QVERIFY2(has(refused, RefusalCode::WeightsNotPermanent), qPrintable(refused.message()));
    QVERIFY2(refused.message().contains(u"server legacy-collector-1 … weight 0"_s),
             qPrintable(refused.message()));
    QVERIFY(run(*console, u"drain"_s, u"alice"_s, permanent(u"server-state-file kept"_s)).ok);
    QCOMPARE(stateOf(*console, u"drain"_s), StepState::Waiting);
    const QDateTime waitUntil = stepOf(*console, u"drain"_s).waitUntil;
    QVERIFY(waitUntil > QDateTime::currentDateTimeUtc());

    // A restart in the middle of the wait: the same end, from the audit log.
    console.reset();
    console = std::make_unique<Console>();
    QVERIFY(console->open(*m_plan, m_dir.filePath(u"whole.sqlite"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(stepOf(*console, u"drain"_s).waitUntil, waitUntil, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*console, u"drain"_s), StepState::Done, 15'000);
    for (const auto &[lb, states] : statesOnEveryLb().asKeyValueRange()) {
        for (const QString &server : kLegacy)
            QVERIFY2(states.value(server) & 0x08, qPrintable(lb + u" drain: "_s + server));
    }

    // The permanence evidence was said once (drain): not asked again.
    QVERIFY(run(*console, u"maintenance"_s, u"alice"_s).ok);
    QCOMPARE(stateOf(*console, u"maintenance"_s), StepState::Done);

    // Removal: two people, the typed confirmation, and HAProxy's numbers.
    QVERIFY(console->engine
                ->approveDecommissionStep(kEnv, u"remove"_s, u"release_manager"_s,
                                          console->who(u"alice"_s), passphraseOf(u"alice"_s))
                .ok);
    QVERIFY(has(run(*console, u"remove"_s, u"alice"_s), RefusalCode::StepApprovalsMissing));
    QVERIFY(console->engine
                ->approveDecommissionStep(kEnv, u"remove"_s, u"executive"_s,
                                          console->who(u"erin"_s), passphraseOf(u"erin"_s))
                .ok);
    const QString confirmation = console->engine->decommissionConfirmation(kEnv, u"remove"_s);
    QCOMPARE(confirmation, u"REMOVE legacy-collector-1 legacy-collector-2 FROM lb-a lb-b"_s);
    QVERIFY(has(run(*console, u"remove"_s, u"alice"_s, confirmed(u"REMOVE"_s)),
                RefusalCode::StepConfirmationMismatch));
    // Someone put a server back in rotation on lb-b: refused with what HAProxy says of it.
    const config::LoadBalancer &lbB = *m_plan->loadBalancer(u"lb-b"_s);
    QVERIFY(
        runtimeCommand(lbB, u"set server %1/legacy-collector-1 state ready"_s.arg(kBackend), this));
    refused = run(*console, u"remove"_s, u"alice"_s, confirmed(confirmation));
    QVERIFY2(has(refused, RefusalCode::ServersStillServing), qPrintable(refused.message()));
    QVERIFY2(refused.message().contains(u"lb-b: legacy-collector-1 is "_s) &&
                 refused.message().contains(u"not in maintenance"_s),
             qPrintable(refused.message()));
    QVERIFY(!console->engine->decommissionProgress(kEnv).pointOfNoReturn);
    QCOMPARE(statesOnEveryLb().value(u"lb-a"_s).contains(kLegacy.first()), true);
    QVERIFY(
        runtimeCommand(lbB, u"set server %1/legacy-collector-1 state maint"_s.arg(kBackend), this));

    const auto removed = run(*console, u"remove"_s, u"alice"_s, confirmed(confirmation));
    QVERIFY2(removed.ok, qPrintable(removed.message()));
    QCOMPARE(stateOf(*console, u"remove"_s), StepState::Done);
    for (const auto &[lb, states] : statesOnEveryLb().asKeyValueRange()) {
        QVERIFY2(!states.isEmpty(), qPrintable(lb));
        for (const QString &server : kLegacy)
            QVERIFY2(!states.contains(server), qPrintable(lb + u" still has "_s + server));
        QVERIFY(states.contains(u"otel-collector-1"_s));
    }
    // HAProxy no longer knows the removed servers: the read-back leaves them out, so both LBs
    // stay healthy and nothing drifts (asking for their weight fails: "No such server").
    QSignalSpy rounds(console->engine.get(), &CutoverEngine::monitorRoundFinished);
    QVERIFY(QTest::qWaitFor([&] { return rounds.size() >= 2; }, 60'000));
    for (const auto &backend : console->snapshot().backends)
        QVERIFY2(backend.state != engine::BackendHealth::State::Down,
                 qPrintable(backend.name + u": "_s + backend.problem));
    QVERIFY2(console->snapshot().driftAlarms.isEmpty(),
             qPrintable(console->snapshot().driftAlarms.join(u"; "_s)));

    // Past the point of no return, Rollback is refused with exactly that reason.
    const auto point = console->engine->decommissionProgress(kEnv).pointOfNoReturn;
    QVERIFY(point);
    QCOMPARE(point->by, u"alice"_s);
    const QStringList why =
        console->engine->guards(engine::Action::Rollback, console->who(u"bob"_s), kEnv);
    QCOMPARE(why.size(), 1);
    QVERIFY2(why.first().contains(u"point of no return"_s), qPrintable(why.first()));
    const auto rollback = awaitOperation(console->engine->rollback(kEnv, console->who(u"bob"_s)));
    QVERIFY(rollback.finished && !rollback.ok);
    QVERIFY(rollback.refusals.join(u' ').contains(u"point of no return"_s));

    // The command line says the same, and reports only what the store holds.
    const QString store = m_dir.filePath(u"whole.sqlite"_s);
    const ProcessRun cliRollback = runConsole({u"--plan"_s, m_planFile, u"--store"_s, store,
                                               u"--rollback"_s, kEnv, u"--operator"_s, u"bob"_s},
                                              passphraseOf(u"bob"_s).toUtf8() + '\n');
    QCOMPARE(cliRollback.exitCode, 3);
    QVERIFY2(cliRollback.err.contains(u"past the decommission's point of no return"_s),
             qPrintable(cliRollback.err));
    const ProcessRun cliStatus =
        runConsole({u"--plan"_s, m_planFile, u"--store"_s, store, u"--status"_s});
    QCOMPARE(cliStatus.exitCode, 0);
    QVERIFY2(cliStatus.out.contains(u"decommission: 4/6 steps done"_s) &&
                 cliStatus.out.contains(u"point of no return passed: Remove from load balancers"_s),
             qPrintable(cliStatus.out));

    // A failing command stops the sequence; after the fix it runs again.
    {
        QFile script(m_script);
        QVERIFY(script.open(QIODevice::WriteOnly | QIODevice::Truncate));
        script.write("echo 'volume vol-1 is attached' >&2\nexit 3\n");
    }
    const auto failed = run(*console, u"release_storage"_s, u"alice"_s);
    QVERIFY(!failed.ok);
    QVERIFY2(failed.error.contains(u"exited with 3"_s), qPrintable(failed.error));
    QCOMPARE(stateOf(*console, u"release_storage"_s), StepState::Failed);
    QVERIFY(has(
        run(*console, u"remove_dns"_s, u"alice"_s, evidence(u"https://dns.example/change/42"_s)),
        RefusalCode::StepBlocked));
    {
        QFile script(m_script);
        QVERIFY(script.open(QIODevice::WriteOnly | QIODevice::Truncate));
        script.write("echo detached\nexit 0\n");
    }
    // The retry from the command line.
    const ProcessRun cliRetry =
        runConsole({u"--plan"_s, m_planFile, u"--store"_s, store, u"--decommission"_s, kEnv,
                    u"--step"_s, u"release_storage"_s, u"--operator"_s, u"alice"_s},
                   passphraseOf(u"alice"_s).toUtf8() + '\n');
    QVERIFY2(cliRetry.exitCode == 0, qPrintable(cliRetry.out + cliRetry.err));
    QVERIFY2(cliRetry.out.contains(u"release_storage in lab: done"_s), qPrintable(cliRetry.out));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*console, u"release_storage"_s), StepState::Done, 10'000);
    QVERIFY(has(run(*console, u"remove_dns"_s, u"alice"_s, evidence(u"not a url"_s)),
                RefusalCode::StepEvidenceMissing));
    QVERIFY(run(*console, u"remove_dns"_s, u"alice"_s, evidence(u"https://dns.example/change/42"_s))
                .ok);
    QVERIFY(console->engine->decommissionProgress(kEnv).complete());

    // The saving: every retired component, against the baseline and the 30-40% target.
    const auto cost = console->engine->decommissionCost(kEnv);
    QCOMPARE(cost.retiredPerMonth, 13050.0);
    QVERIFY(qAbs(cost.realizedPercent() - 32.625) < 1e-9);
    QVERIFY(cost.targetMet());

    const auto entries = auditOf(*console->store);
    const QStringList actions = actionsOf(entries);
    QCOMPARE(actions.count(decommission::audit::kDone), 6);
    QCOMPARE(actions.count(decommission::audit::kFailed), 1);
    QVERIFY(actions.contains(u"decommission_step_refused"_s));
    const auto chain = console->store->verifyAuditChain();
    QVERIFY(chain && chain.value().ok);

    // The completion report from the command line: the steps with their evidence and output
    // hashes, the saving, and the chain's head hash.
    QString outputHash;
    const decommission::EnvironmentProgress finished = console->engine->decommissionProgress(kEnv);
    const QJsonObject output = finished.step(u"release_storage"_s)->output;
    QVERIFY(output.value(u"stdout"_s).toString().startsWith(u"detached"_s)); // the retry's
    outputHash = output.value(u"stdout_sha256"_s).toString();
    QCOMPARE(outputHash.size(), 64);
    const QString pdf = m_dir.filePath(u"completion.pdf"_s);
    const ProcessRun report = runConsole(
        {u"--plan"_s, m_planFile, u"--store"_s, store, u"--completion-report"_s, u"--out"_s, pdf});
    QVERIFY2(report.exitCode == 0, qPrintable(report.out + report.err));
    if (qEnvironmentVariableIsSet("REPORT_KEEP_PDF"))
        QFile::copy(pdf, qEnvironmentVariable("REPORT_KEEP_PDF") + u"/lab-completion.pdf"_s);
    const QString text = pdfText(pdf);
    if (text.isNull())
        QSKIP("pdftotext (poppler-utils) is not installed");
    for (const QString &expected : {outputHash, u"https://dns.example/change/42"_s,
                                    u"Remove from load balancers"_s, u"13050 USD"_s, u"32.6%"_s})
        QVERIFY2(text.contains(expected), qPrintable(expected + u"\n"_s + text));
    // The head hash printed is an entry of the log (the report's own engine may have added
    // entries after `chain` was read).
    const auto head = QRegularExpression(u"Head hash: ([0-9a-f]{64})"_s).match(text).captured(1);
    QCOMPARE(head.size(), 64);
    const auto after = auditOf(*console->store);
    QVERIFY2(std::any_of(after.cbegin(), after.cend(),
                         [&](const store::AuditEntry &e) { return e.hash == head; }),
             qPrintable(head));
}

void TestEngineDecommission::prometheusSnapshotIsTaken() {
    // Week 9's TSDB snapshot on the lab's Prometheus (started with --web.enable-admin-api).
    config::DecommissionStep step;
    step.action = config::DecommissionStep::Action::PrometheusSnapshot;
    step.endpointUrl = m_plan->prometheus.url;
    std::optional<decommission::StepResult> result;
    decommission::runAction(this, step, {}, [&](const decommission::StepResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 60'000);
    QVERIFY2(result->ok, qPrintable(result->error));
    const QString name = result->details.value(u"snapshot"_s).toString();
    QVERIFY(!name.isEmpty());
    // The lab's folder holds its state file.
    QDir snapshots(QFileInfo(qEnvironmentVariable("CUTOVER_LAB_STATE")).absolutePath() +
                   u"/prometheus/data/snapshots"_s);
    QVERIFY2(snapshots.exists(name), qPrintable(snapshots.filePath(name)));
    QDir(snapshots.filePath(name)).removeRecursively();
}

void TestEngineDecommission::promqlValidations() {
    decommission::StepContext ctx;
    ctx.prometheus = m_plan->prometheus;
    ctx.environment = *m_plan->environment(kEnv);
    auto validate = [&](config::StepValidation v) {
        config::DecommissionStep step;
        step.action = config::DecommissionStep::Action::Manual;
        step.validation = v;
        std::optional<decommission::StepResult> result;
        decommission::runValidation(this, step, ctx,
                                    [&](const decommission::StepResult &r) { result = r; });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 20'000))
            return decommission::StepResult{false, u"no answer"_s, {}};
        return *result;
    };
    using K = config::StepValidation::Kind;
    config::StepValidation zero;
    zero.kind = K::ZeroTraffic;
    zero.window = config::Duration::seconds(30);
    // decommission_backend carries no traffic; the lab's own backend does.
    zero.query = u"sum(rate(haproxy_server_http_responses_total{proxy=\"decommission_backend\","
                 u"{{selector}}}[5s])) or vector(0)"_s;
    auto r = validate(zero);
    QVERIFY2(r.ok, qPrintable(r.error));
    zero.query = u"sum(rate(haproxy_server_http_responses_total{proxy=\"telemetry_backend\","
                 u"{{selector}}}[5s]))"_s;
    r = validate(zero);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.startsWith(u"traffic is not zero"_s), qPrintable(r.error));
    zero.query = u"sum(no_such_metric_anywhere)"_s;
    r = validate(zero);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.startsWith(u"no data"_s), qPrintable(r.error));

    config::StepValidation held;
    held.kind = K::Query;
    held.query = u"count(up{job=~\".+\"})"_s;
    held.condition = {config::Condition::Op::Greater, 0};
    held.forDuration = config::Duration::seconds(3);
    r = validate(held);
    QVERIFY2(r.ok, qPrintable(r.error));
    held.condition = {config::Condition::Op::Greater, 100000};
    r = validate(held);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(u"does not hold"_s), qPrintable(r.error));
}

void TestEngineDecommission::httpBackupWritesEachAnswer() {
    // The seed's "backup dashboards", against the lab's Prometheus as the HTTP API.
    config::DecommissionStep step;
    step.action = config::DecommissionStep::Action::HttpBackup;
    step.endpointUrl = m_plan->prometheus.url;
    step.urls = {u"api/v1/status/buildinfo"_s, u"api/v1/label/job/values"_s};
    step.output = m_dir.filePath(u"backup"_s);
    QStringList progress; // "done/total unit", as reported
    decommission::StepContext ctx;
    ctx.progress = [&](qint64 done, qint64 total, const QString &unit) {
        progress.append(u"%1/%2 %3"_s.arg(done).arg(total).arg(unit));
    };
    auto run = [&] {
        std::optional<decommission::StepResult> result;
        decommission::runAction(this, step, ctx,
                                [&](const decommission::StepResult &r) { result = r; });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 30'000))
            return decommission::StepResult{false, u"no answer"_s, {}};
        return *result;
    };
    auto result = run();
    QVERIFY2(result.ok, qPrintable(result.error));
    const QJsonObject hashes = result.details.value(u"sha256"_s).toObject();
    QCOMPARE(hashes.size(), 2);
    for (auto it = hashes.begin(); it != hashes.end(); ++it) {
        const QByteArray body = readFile(QDir(step.output).filePath(it.key()));
        QVERIFY2(body.contains("\"status\":\"success\""), qPrintable(it.key()));
        QCOMPARE(it.value().toString(),
                 QString::fromLatin1(
                     QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex()));
    }
    QVERIFY(hashes.contains(u"01-api_v1_status_buildinfo.json"_s));
    QCOMPARE(progress,
             (QStringList{u"0/2 URLs fetched"_s, u"1/2 URLs fetched"_s, u"2/2 URLs fetched"_s}));

    // Each item of a list answer is fetched too (as Grafana's search, then each dashboard):
    // every label Prometheus lists, then its values.
    step.urls = {u"api/v1/labels"_s};
    step.eachItems = u"/data"_s;
    step.eachUrl = u"api/v1/label/{}/values"_s;
    progress.clear();
    result = run();
    QVERIFY2(result.ok, qPrintable(result.error));
    const QJsonObject followed = result.details.value(u"sha256"_s).toObject();
    const QJsonArray labels =
        QJsonDocument::fromJson(readFile(QDir(step.output).filePath(u"01-api_v1_labels.json"_s)))
            .object()
            .value(u"data"_s)
            .toArray();
    QVERIFY(labels.contains(u"job"_s));
    QCOMPARE(followed.size(), 1 + labels.size());
    bool jobValues = false;
    for (auto it = followed.begin(); it != followed.end(); ++it) {
        const QByteArray body = readFile(QDir(step.output).filePath(it.key()));
        QVERIFY2(body.contains("\"status\":\"success\""), qPrintable(it.key()));
        jobValues = jobValues || it.key().endsWith(u"api_v1_label_job_values.json"_s);
    }
    QVERIFY(jobValues);
    QCOMPARE(progress.last(), u"%1/%1 URLs fetched"_s.arg(1 + labels.size()));
    // An item without the field the URL needs fails the step, naming it.
    step.eachUrl = u"api/v1/label/{name}/values"_s;
    result = run();
    QVERIFY(!result.ok);
    QVERIFY2(result.error.contains(u"api/v1/labels: item 1 has no 'name'"_s),
             qPrintable(result.error));
    step.eachUrl.clear();

    step.urls = {u"api/v1/no_such_endpoint"_s};
    result = run();
    QVERIFY(!result.ok);
    QVERIFY2(result.error.contains(u"api/v1/no_such_endpoint answered HTTP 404"_s),
             qPrintable(result.error));
}

void TestEngineDecommission::exportMetricsInChunks() {
    // 20 h at 5 s is 14,400 points a series: more than Prometheus' 11,000, so two requests.
    config::DecommissionStep step;
    step.action = config::DecommissionStep::Action::ExportMetrics;
    step.endpointUrl = m_plan->prometheus.url;
    step.queries = {
        {u"up"_s, u"up{{{selector}}}"_s},
        {u"responses"_s, u"sum(rate(haproxy_server_http_responses_total{{{selector}}}[5s]))"_s}};
    step.range = config::Duration::hours(20);
    step.step = config::Duration::seconds(5);
    step.output = m_dir.filePath(u"export/legacy_metrics_final.tar.gz"_s);
    decommission::StepContext ctx;
    ctx.environment = *m_plan->environment(kEnv);
    QList<qint64> exported;
    ctx.progress = [&](qint64 done, qint64 total, const QString &unit) {
        QCOMPARE(total, 2);
        QCOMPARE(unit, u"queries exported"_s);
        exported.append(done);
    };
    std::optional<decommission::StepResult> result;
    decommission::runAction(this, step, ctx,
                            [&](const decommission::StepResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 60'000);
    QVERIFY2(result->ok, qPrintable(result->error));
    const QJsonObject queries = result->details.value(u"queries"_s).toObject();
    QCOMPARE(queries.value(u"up"_s).toObject().value(u"requests"_s).toInt(), 2);
    QCOMPARE(exported, (QList<qint64>{0, 1, 2}));
    QVERIFY(queries.value(u"up"_s).toObject().value(u"points"_s).toDouble() > 0);
    QCOMPARE(
        result->details.value(u"sha256"_s).toString(),
        QString::fromLatin1(
            QCryptographicHash::hash(readFile(step.output), QCryptographicHash::Sha256).toHex()));
    const auto files = store::readEvidenceArchive(step.output);
    QVERIFY(files);
    QCOMPARE(files.value().size(), 2);
    QJsonObject up;
    for (const auto &file : files.value()) {
        if (file.name == u"up.json"_s)
            up = QJsonDocument::fromJson(file.data).object();
    }
    QCOMPARE(up.value(u"query"_s).toString(), u"up{env=\"lab\"}"_s);
    QVERIFY(!up.value(u"series"_s).toArray().isEmpty());
}

QTEST_MAIN(TestEngineDecommission)
#include "test_engine_decommission.moc"
