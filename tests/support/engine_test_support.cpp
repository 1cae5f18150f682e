#include "tests/support/engine_test_support.h"

#include <QDebug>
#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace enginetest {

const QList<Person> &people() {
    static const QList<Person> list{
        {u"alice"_s, u"Alice Example"_s, u"release_manager"_s, u"passphrase-alice"_s},
        {u"bob"_s, u"Bob Example"_s, u"on_call"_s, u"passphrase-bob"_s},
        {u"erin"_s, u"Erin Example"_s, u"executive"_s, u"passphrase-erin"_s},
    };
    return list;
}

QString personWithRole(const QString &role) {
    for (const Person &p : people()) {
        if (p.role == role)
            return p.name;
    }
    return QString();
}

QString passphraseOf(const QString &name) {
    for (const Person &p : people()) {
        if (p.name == name)
            return p.passphrase;
    }
    return QString();
}

bool writeOperatorsFile(const QString &path) {
    cutover::store::OperatorsFile file;
    for (const Person &p : people()) {
        cutover::store::Operator op;
        op.name = p.name;
        op.displayName = p.displayName;
        op.roles = {p.role};
        cutover::store::setPassphrase(op, p.passphrase, cutover::store::kCheapestArgon2Cost);
        file.upsert(op);
    }
    const auto error = cutover::store::saveOperatorsFile(path, file);
    if (error)
        qWarning().noquote() << "operators file:" << *error;
    return !error;
}

std::optional<cutover::config::Plan> loadLabPlan(const QHash<QString, QString> &state,
                                                 const QString &operatorsFile) {
    for (auto it = state.cbegin(); it != state.cend(); ++it)
        qputenv(it.key().toUtf8().constData(), it.value().toUtf8());
    qputenv("CUTOVER_OPERATORS", operatorsFile.toUtf8());
    auto result = cutover::config::loadPlanFile(
        QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"));
    if (!result.ok())
        qWarning().noquote() << result.errorText();
    return result.plan;
}

QString describe(const EnvironmentSnapshot &s) {
    QStringList backends;
    for (const auto &b : s.backends)
        backends.append(u"%1=%2%3"_s.arg(b.name)
                            .arg(int(b.state))
                            .arg(b.problem.isEmpty() ? QString() : u" (" + b.problem + u')'));
    return u"phase %1, stage %2 (%3%), measured %4, validation '%5', backends [%6], triggers "
           u"[%7], drift [%8], rollback problems [%9]"_s.arg(cutover::engine::phaseName(s.phase))
               .arg(s.stageIndex)
               .arg(s.currentPercent)
               .arg(s.measuredShare ? QString::number(*s.measuredShare, 'f', 4) : u"unknown"_s)
               .arg(s.lastValidation, backends.join(u", "_s), s.firingTriggers.join(u"; "_s),
                    s.driftAlarms.join(u"; "_s), s.rollbackProblems.join(u"; "_s));
}

bool isTicked(const EnvironmentSnapshot &s, const QString &gate, const QString &check) {
    for (const auto &g : s.gates) {
        if (g.id != gate)
            continue;
        for (const auto &c : g.checks) {
            if (c.id == check)
                return c.state == cutover::engine::CheckStatus::State::Pass;
        }
    }
    return false;
}

bool isSignedBy(const EnvironmentSnapshot &s, const QString &gate, const QString &operatorName) {
    for (const auto &g : s.gates) {
        if (g.id != gate)
            continue;
        for (const auto &sig : g.signatures) {
            if (sig.signOff && sig.signOff->operatorName == operatorName)
                return true;
        }
    }
    return false;
}

bool waitFor(const Console &console, const std::function<bool()> &done, int timeoutMs,
             const QString &what, const std::function<QStringList()> &guards) {
    if (QTest::qWaitFor(done, timeoutMs))
        return true;
    qWarning().noquote() << "timed out after" << timeoutMs << "ms waiting for" << what;
    qWarning().noquote() << "  " << describe(console.snapshot());
    if (guards) {
        for (const QString &g : guards())
            qWarning().noquote() << "   guard:" << g;
    }
    return false;
}

bool waitForPhase(const Console &console, const QList<Phase> &phases, int timeoutMs) {
    QStringList names;
    for (Phase p : phases)
        names.append(cutover::engine::phaseName(p));
    return waitFor(
        console, [&] { return phases.contains(console.snapshot().phase); }, timeoutMs,
        u"phase "_s + names.join(u'|'));
}

bool tickGate(Console &console, const QString &gate) {
    const cutover::config::Gate *g = console.engine->plan().gate(gate);
    if (!g)
        return false;
    for (const cutover::config::Check &check : g->checks) {
        if (check.kind != cutover::config::Check::Kind::Manual)
            continue;
        const QString name = personWithRole(check.role);
        const auto outcome = console.engine->tick(kEnv, gate, check.id, console.who(name));
        if (!outcome.ok) {
            qWarning().noquote() << "tick" << gate << check.id << "by" << name
                                 << "refused:" << outcome.message();
            return false;
        }
    }
    return true;
}

bool signGate(Console &console, const QString &gate, int timeoutMs) {
    const cutover::config::Gate *g = console.engine->plan().gate(gate);
    if (!g)
        return false;
    for (const QString &role : g->signOff) {
        const QString name = personWithRole(role);
        const auto who = console.who(name);
        const cutover::engine::GuardTarget target{gate, {}, role};
        QElapsedTimer clock;
        clock.start();
        // A live check may flip back between the guards allowing it and the signature being
        // taken (a monitor round in between): a refusal by the guards waits again, within the
        // same deadline (at most 5 tries: guards that allow what signOff refuses are a bug to see);
        // any other failure ends it.
        for (int attempt = 1;; ++attempt) {
            const int left = int(std::max<qint64>(timeoutMs - clock.elapsed(), 0));
            if (!waitFor(
                    console,
                    [&] {
                        return console.engine->guards(Action::Sign, who, kEnv, target).isEmpty();
                    },
                    left, u"sign-off of %1 as %2 allowed"_s.arg(gate, role),
                    [&] { return console.engine->guards(Action::Sign, who, kEnv, target); }))
                return false;
            const auto outcome = console.engine->signOff(kEnv, gate, role, who, passphraseOf(name),
                                                         u"Approved"_s, u"integration test"_s);
            if (outcome.ok)
                break;
            qWarning().noquote() << "sign" << gate << "as" << role
                                 << "refused:" << outcome.message();
            if (outcome.refusals.isEmpty() || clock.elapsed() >= timeoutMs || attempt == 5)
                return false;
        }
    }
    return true;
}

OperationOutcome awaitOperation(Operation *operation, int timeoutMs) {
    OperationOutcome outcome;
    if (!operation)
        return outcome;
    QElapsedTimer clock;
    clock.start();
    QPointer<Operation> guard(operation);
    auto capture = [&outcome, operation] {
        outcome.finished = true;
        outcome.ok = operation->succeeded();
        outcome.summary = operation->summary();
        outcome.refusals = operation->refusals();
        outcome.results = operation->results();
    };
    if (operation->isFinished()) {
        capture();
        return outcome;
    }
    QObject context;
    QObject::connect(operation, &Operation::finished, &context,
                     [&, capture](bool, const QString &) {
                         capture();
                         outcome.elapsedMs = clock.elapsed();
                     });
    (void)QTest::qWaitFor([&outcome] { return outcome.finished; }, timeoutMs);
    return outcome;
}

QList<OperationOutcome> awaitAll(const QList<QPointer<Operation>> &operations, int timeoutMs) {
    QList<OperationOutcome> outcomes(operations.size());
    QObject context;
    for (qsizetype i = 0; i < operations.size(); ++i) {
        Operation *op = operations.at(i).data();
        if (!op)
            continue;
        auto capture = [&outcomes, i, op] {
            outcomes[i] = {true, op->succeeded(), op->summary(), op->refusals(), op->results(), 0};
        };
        if (op->isFinished())
            capture();
        else
            QObject::connect(op, &Operation::finished, &context,
                             [capture](bool, const QString &) { capture(); });
    }
    (void)QTest::qWaitFor(
        [&] {
            return std::all_of(outcomes.cbegin(), outcomes.cend(),
                               [](const OperationOutcome &o) { return o.finished; });
        },
        timeoutMs);
    return outcomes;
}

OperationOutcome shiftTo(Console &console, int percent, int guardTimeoutMs) {
    QElapsedTimer clock;
    clock.start();
    // As in signGate(): a live check may flip back between the guards allowing the shift and
    // the shift itself; a refusal by the guards waits again within the deadline (5 tries).
    for (int attempt = 1;; ++attempt) {
        const int left = int(std::max<qint64>(guardTimeoutMs - clock.elapsed(), 0));
        if (!waitFor(
                console, [&] { return console.shiftGuards().isEmpty(); }, left,
                u"shift to %1% allowed"_s.arg(percent), [&] { return console.shiftGuards(); }))
            return {};
        OperationOutcome outcome = awaitOperation(console.engine->shift(
            kEnv, console.who(u"alice"_s), passphraseOf(u"alice"_s), percent));
        if (outcome.ok)
            return outcome;
        qWarning().noquote() << "shift to" << percent << "% failed:" << outcome.summary
                             << outcome.refusals.join(u"; "_s);
        if (outcome.refusals.isEmpty() || clock.elapsed() >= guardTimeoutMs || attempt == 5)
            return outcome;
    }
}

QList<cutover::store::AuditEntry> auditOf(cutover::store::Store &store) {
    auto entries = store.auditEntries(0);
    return entries ? entries.value() : QList<cutover::store::AuditEntry>();
}

QStringList actionsOf(const QList<cutover::store::AuditEntry> &entries) {
    QStringList actions;
    for (const auto &e : entries)
        actions.append(e.action);
    return actions;
}

ProcessRun runConsole(const QStringList &arguments, const QByteArray &input, int timeoutMs) {
    ProcessRun run;
    QProcess process;
    process.setProgram(QStringLiteral(CONSOLE_BINARY));
    process.setArguments(arguments);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start();
    if (!process.waitForStarted(10'000)) {
        run.crashed = true;
        return run;
    }
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    if (!finished.wait(timeoutMs)) {
        run.timedOut = true;
        process.kill();
        process.waitForFinished(5'000);
    }
    run.exitCode = process.exitCode();
    run.crashed = process.exitStatus() != QProcess::NormalExit;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

bool Console::open(const cutover::config::Plan &plan, const QString &path,
                   CutoverEngine::Options options) {
    cutover::store::SqliteStore::Options storeOptions;
    storeOptions.path = path;
    auto opened = cutover::store::SqliteStore::open(storeOptions);
    if (!opened) {
        qWarning().noquote() << "store:" << opened.error().toString();
        return false;
    }
    return adopt(plan, std::move(opened).value(), options);
}

bool Console::adopt(const cutover::config::Plan &plan,
                    std::unique_ptr<cutover::store::Store> opened, CutoverEngine::Options options) {
    store = std::move(opened);
    auto loaded = cutover::store::loadOperatorsFile(plan.operators.file, &plan);
    if (!loaded.ok()) {
        qWarning().noquote() << "operators:" << loaded.errorText();
        return false;
    }
    engine = std::make_unique<CutoverEngine>(plan, *store, loaded.file, options);
    engine->start();
    return true;
}

void Console::close() {
    if (engine && engine->pendingNotifications() > 0) {
        QSignalSpy idle(engine.get(), &CutoverEngine::notificationsIdle);
        (void)idle.wait(5'000);
    }
    engine.reset();
    store.reset();
}

QMap<QString, QMap<QString, int>> LabControl::weights(QObject *context) {
    QMap<QString, QMap<QString, int>> byLb;
    const auto read =
        lab::await(m_fleet.readWeights(m_plan.pools.legacy + m_plan.pools.otel), context);
    if (!read.ok())
        return byLb;
    for (const auto &lb : read.value())
        byLb.insert(lb.lb, lb.error ? QMap<QString, int>() : lb.weights);
    return byLb;
}

bool LabControl::lbsHold(const QMap<QString, int> &expected, QObject *context) {
    const auto byLb = weights(context);
    bool all = byLb.size() == m_plan.environment(kEnv)->loadBalancers.size();
    for (auto it = byLb.cbegin(); it != byLb.cend(); ++it) {
        if (it.value() != expected) {
            qInfo() << it.key() << "holds" << it.value() << "expected" << expected;
            all = false;
        }
    }
    return all;
}

bool LabControl::reset(QObject *context) {
    bool ok = true;
    for (const QString &collector : m_plan.pools.legacy + m_plan.pools.otel)
        ok = setCollector(collector, u"healthy"_s) && ok;
    auto apply = [&] {
        return lab::await(
            m_fleet.apply(rollbackWeights().weights,
                          cutover::backends::ApplyOptions::forRollback(m_plan.rollback)),
            context, 20'000);
    };
    auto applied = apply();
    if (!applied.ok() || !applied.value().allVerified()) {
        // An LB a previous test killed: start it again (a running one makes `start` fail,
        // which is fine).
        for (const QString &lb : m_plan.environment(kEnv)->loadBalancers)
            (void)run({u"start"_s, lb});
        applied = apply();
    }
    if (!applied.ok() || !applied.value().allVerified()) {
        qWarning() << "lab reset: rollback weights not verified";
        return false;
    }
    const bool inRotation = QTest::qWaitFor([&] { return allServersRunning(context); }, 30'000);
    if (!inRotation)
        qWarning() << "lab reset: not every server is back in rotation";
    const bool quiet = waitForQuery(
        u"(sum(rate(haproxy_server_connection_errors_total{proxy=\"telemetry_backend\","
        u"server=~\"otel-.*\",env=\"lab\"}[5s])) + "
        u"sum(rate(haproxy_server_response_errors_total{proxy=\"telemetry_backend\","
        u"server=~\"otel-.*\",env=\"lab\"}[5s])) + "
        u"sum(rate(haproxy_server_http_responses_total{proxy=\"telemetry_backend\","
        u"server=~\"otel-.*\",code=\"5xx\",env=\"lab\"}[10s]))) or vector(0)"_s,
        [](double v) { return v == 0; }, 30'000, context);
    if (!quiet)
        qWarning() << "lab reset: OTel connection errors still in Prometheus' window";
    return ok && inRotation && quiet;
}

bool LabControl::allServersRunning(QObject *context) {
    for (const QString &lb : m_plan.environment(kEnv)->loadBalancers) {
        auto *client = m_fleet.client(lb);
        const auto rows =
            lab::await(client->showServersState(m_fleet.loadBalancer(lb)->backend), context, 5'000);
        if (!rows.ok())
            return false;
        int running = 0;
        for (const auto &row : rows.value())
            running += row.operationalState == 2 ? 1 : 0;
        if (running < m_plan.pools.legacy.size() + m_plan.pools.otel.size())
            return false;
    }
    return true;
}

bool LabControl::waitForQuery(const QString &promql, const std::function<bool(double)> &accept,
                              int timeoutMs, QObject *context, double *last) {
    cutover::backends::PrometheusClient prometheus(m_plan.prometheus);
    double value = std::nan("");
    QElapsedTimer clock;
    clock.start();
    // Asked again at each tick (Prometheus' windows move with its scrapes, not with our calls);
    // a query slower than the period is waited for, never overlapped.
    QTimer pace;
    pace.start(500);
    QSignalSpy tick(&pace, &QTimer::timeout);
    while (clock.elapsed() < timeoutMs) {
        tick.clear();
        const auto r = lab::await(prometheus.query(promql), context, 5'000);
        if (r.ok()) {
            value = r.value().singleValue();
            if (!std::isnan(value) && accept(value)) {
                if (last)
                    *last = value;
                return true;
            }
        }
        if (tick.isEmpty() && !tick.wait(1'000))
            break; // the timer stopped firing: the event loop is wedged, say so
    }
    if (last)
        *last = value;
    return false;
}

std::optional<cutover::config::Plan> labPlanWithOperators(const QHash<QString, QString> &state,
                                                          const QString &folder) {
    const QString operators = QDir(folder).filePath(u"operators.json"_s);
    if (!writeOperatorsFile(operators))
        return std::nullopt;
    return loadLabPlan(state, operators);
}

} // namespace enginetest
