#pragma once

// Shared helpers for the engine's integration tests on the real lab (issue 4, item 8): the lab
// plan loaded with the lab's state in the process environment, a temporary operators file
// (alice: release_manager, bob: on_call, erin: executive), a console = a real SqliteStore + a
// CutoverEngine on the real clock, and bounded waits that print the engine's guards when they
// time out. Every wait here is bounded; nothing sleeps to synchronise.

#include "app/backends/lb_fleet.h"
#include "app/backends/prometheus_client.h"
#include "app/backends/weight_plan.h"
#include "app/config/plan.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/operators_file.h"
#include "app/store/passphrase.h"
#include "app/store/sqlite_store.h"
#include "app/store/store.h"
#include "lab.h"

#include <QDebug>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

namespace enginetest {

using namespace Qt::StringLiterals;
using cutover::engine::Action;
using cutover::engine::CutoverEngine;
using cutover::engine::EnvironmentSnapshot;
using cutover::engine::Operation;
using cutover::engine::Phase;

inline const QString kEnv = u"lab"_s;

struct Person {
    QString name;
    QString displayName;
    QString role;
    QString passphrase;
};

inline const QList<Person> &people() {
    static const QList<Person> list{
        {u"alice"_s, u"Alice Example"_s, u"release_manager"_s, u"passphrase-alice"_s},
        {u"bob"_s, u"Bob Example"_s, u"on_call"_s, u"passphrase-bob"_s},
        {u"erin"_s, u"Erin Example"_s, u"executive"_s, u"passphrase-erin"_s},
    };
    return list;
}

// The operator who holds `role` (each role has one person in the tests).
inline QString personWithRole(const QString &role) {
    for (const Person &p : people()) {
        if (p.role == role)
            return p.name;
    }
    return QString();
}

inline QString passphraseOf(const QString &name) {
    for (const Person &p : people()) {
        if (p.name == name)
            return p.passphrase;
    }
    return QString();
}

// The operators file for the test (minimum PBKDF2 cost, so the suite stays quick).
inline bool writeOperatorsFile(const QString &path) {
    cutover::store::OperatorsFile file;
    for (const Person &p : people()) {
        cutover::store::Operator op;
        op.name = p.name;
        op.displayName = p.displayName;
        op.roles = {p.role};
        op.passphrase =
            cutover::store::hashPassphrase(p.passphrase, cutover::store::kMinPassphraseIterations);
        file.upsert(op);
    }
    const auto error = cutover::store::saveOperatorsFile(path, file);
    if (error)
        qWarning().noquote() << "operators file:" << *error;
    return !error;
}

// Puts the lab's state (LAB_...) and CUTOVER_OPERATORS into the process environment (the plan
// and any child process read them from there) and loads resources/plans/lab.yaml.
inline std::optional<cutover::config::Plan> loadLabPlan(const QHash<QString, QString> &state,
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

// One console: a store and an engine on it. open() puts a SqliteStore on `path`; adopt() takes
// any store (the PostgreSQL tests give it a PostgresStore).
struct Console {
    std::unique_ptr<cutover::store::Store> store;
    std::unique_ptr<CutoverEngine> engine;

    bool open(const cutover::config::Plan &plan, const QString &path,
              CutoverEngine::Options options = {}) {
        cutover::store::SqliteStore::Options storeOptions;
        storeOptions.path = path;
        auto opened = cutover::store::SqliteStore::open(storeOptions);
        if (!opened) {
            qWarning().noquote() << "store:" << opened.error().toString();
            return false;
        }
        return adopt(plan, std::move(opened).value(), options);
    }
    bool adopt(const cutover::config::Plan &plan, std::unique_ptr<cutover::store::Store> opened,
               CutoverEngine::Options options = {}) {
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
    // Lets the webhooks in flight (chat, incident, paging) reach the lab's sink first, bounded.
    void close() {
        if (engine && engine->pendingNotifications() > 0) {
            QSignalSpy idle(engine.get(), &CutoverEngine::notificationsIdle);
            (void)idle.wait(5'000);
        }
        engine.reset();
        store.reset();
    }
    ~Console() { close(); }
    cutover::engine::Operator who(const QString &name) const {
        return engine->operatorNamed(name).value_or(cutover::engine::Operator{});
    }
    EnvironmentSnapshot snapshot() const { return engine->snapshot(kEnv); }
    QStringList shiftGuards(const QString &name = u"alice"_s) const {
        return engine->guards(Action::Shift, who(name), kEnv);
    }
};

inline QString describe(const EnvironmentSnapshot &s) {
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

// Whether the snapshot shows `check` of `gate` ticked (passed).
inline bool isTicked(const EnvironmentSnapshot &s, const QString &gate, const QString &check) {
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

// Whether the snapshot shows an active signature of `operatorName` on `gate`.
inline bool isSignedBy(const EnvironmentSnapshot &s, const QString &gate,
                       const QString &operatorName) {
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

// Waits (bounded) for `done`; on timeout prints the snapshot and `guards()`' answer.
inline bool waitFor(const Console &console, const std::function<bool()> &done, int timeoutMs,
                    const QString &what, const std::function<QStringList()> &guards = {}) {
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

inline bool waitForPhase(const Console &console, const QList<Phase> &phases, int timeoutMs) {
    QStringList names;
    for (Phase p : phases)
        names.append(cutover::engine::phaseName(p));
    return waitFor(
        console, [&] { return phases.contains(console.snapshot().phase); }, timeoutMs,
        u"phase "_s + names.join(u'|'));
}

// Ticks every manual item of `gate` with the operator whose role it names.
inline bool tickGate(Console &console, const QString &gate) {
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

// Signs `gate` with every role it needs, each once the engine allows it (its automatic checks
// must have held for their `for` first).
inline bool signGate(Console &console, const QString &gate, int timeoutMs = 60'000) {
    const cutover::config::Gate *g = console.engine->plan().gate(gate);
    if (!g)
        return false;
    for (const QString &role : g->signOff) {
        const QString name = personWithRole(role);
        const auto who = console.who(name);
        const cutover::engine::GuardTarget target{gate, {}, role};
        if (!waitFor(
                console,
                [&] { return console.engine->guards(Action::Sign, who, kEnv, target).isEmpty(); },
                timeoutMs, u"sign-off of %1 as %2 allowed"_s.arg(gate, role),
                [&] { return console.engine->guards(Action::Sign, who, kEnv, target); }))
            return false;
        const auto outcome = console.engine->signOff(kEnv, gate, role, who, passphraseOf(name),
                                                     u"Approved"_s, u"integration test"_s);
        if (!outcome.ok) {
            qWarning().noquote() << "sign" << gate << "as" << role
                                 << "refused:" << outcome.message();
            return false;
        }
    }
    return true;
}

struct OperationOutcome {
    bool finished = false;
    bool ok = false;
    QString summary;
    QStringList refusals;
    QList<cutover::backends::LbApplyResult> results;
    qint64 elapsedMs = 0;
};

// Waits (bounded) for an operation's end. The operation deletes itself after finishing.
inline OperationOutcome awaitOperation(Operation *operation, int timeoutMs = 30'000) {
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

// Waits (bounded) for several operations started in the same turn: each is watched from now on,
// so one that finishes (and deletes itself) while another is awaited is not missed. A null
// operation's outcome stays unfinished.
inline QList<OperationOutcome> awaitAll(const QList<QPointer<Operation>> &operations,
                                        int timeoutMs = 30'000) {
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

// Waits until the engine allows alice to shift, then shifts to `percent` and waits for the
// operation.
inline OperationOutcome shiftTo(Console &console, int percent, int guardTimeoutMs = 90'000) {
    if (!waitFor(
            console, [&] { return console.shiftGuards().isEmpty(); }, guardTimeoutMs,
            u"shift to %1% allowed"_s.arg(percent), [&] { return console.shiftGuards(); }))
        return {};
    return awaitOperation(
        console.engine->shift(kEnv, console.who(u"alice"_s), passphraseOf(u"alice"_s), percent));
}

inline QList<cutover::store::AuditEntry> auditOf(cutover::store::Store &store) {
    auto entries = store.auditEntries(0);
    return entries ? entries.value() : QList<cutover::store::AuditEntry>();
}

inline QStringList actionsOf(const QList<cutover::store::AuditEntry> &entries) {
    QStringList actions;
    for (const auto &e : entries)
        actions.append(e.action);
    return actions;
}

// --- the lab itself ----------------------------------------------------------------------------

class LabControl {
public:
    LabControl(const QHash<QString, QString> &state, const cutover::config::Plan &plan)
        : m_state(state)
        , m_plan(plan)
        , m_fleet(plan, *plan.environment(kEnv)) {}

    cutover::backends::LbFleet &fleet() { return m_fleet; }

    bool run(const QStringList &arguments) { return lab::run(arguments, m_state); }

    bool setCollector(const QString &name, const QString &mode) {
        return run({u"collector"_s, name, mode});
    }

    // Weights of every server on every LB (an LB that does not answer has an empty map).
    QMap<QString, QMap<QString, int>> weights(QObject *context) {
        QMap<QString, QMap<QString, int>> byLb;
        const auto read =
            lab::await(m_fleet.readWeights(m_plan.pools.legacy + m_plan.pools.otel), context);
        if (!read.ok())
            return byLb;
        for (const auto &lb : read.value())
            byLb.insert(lb.lb, lb.error ? QMap<QString, int>() : lb.weights);
        return byLb;
    }

    bool lbsHold(const QMap<QString, int> &expected, QObject *context) {
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

    cutover::backends::WeightPlan rollbackWeights() const {
        return cutover::backends::rollbackWeights(m_plan.pools.legacy, m_plan.pools.otel);
    }
    cutover::backends::WeightPlan weightsFor(int percent) const {
        return cutover::backends::weightsFor(percent / 100.0, m_plan.pools.legacy,
                                             m_plan.pools.otel);
    }

    // Both LBs running, every collector healthy and in rotation (HAProxy's health check says
    // running), legacy 100 / OTel 0 everywhere, and no OTel connection errors left in
    // Prometheus' 5 s windows, and no OTel 5xx in its 10 s windows (the plan's data_loss and
    // collection_failure triggers, and Gate 1's error rate, would otherwise fire at the next
    // shift).
    bool reset(QObject *context) {
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

    bool allServersRunning(QObject *context) {
        for (const QString &lb : m_plan.environment(kEnv)->loadBalancers) {
            auto *client = m_fleet.client(lb);
            const auto rows = lab::await(
                client->showServersState(m_fleet.loadBalancer(lb)->backend), context, 5'000);
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

    // Polls an instant query every 500 ms (bounded) until `accept` holds for its value.
    bool waitForQuery(const QString &promql, const std::function<bool(double)> &accept,
                      int timeoutMs, QObject *context, double *last = nullptr) {
        cutover::backends::PrometheusClient prometheus(m_plan.prometheus);
        double value = std::nan("");
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutMs) {
            const auto r = lab::await(prometheus.query(promql), context, 5'000);
            if (r.ok()) {
                value = r.value().singleValue();
                if (!std::isnan(value) && accept(value)) {
                    if (last)
                        *last = value;
                    return true;
                }
            }
            QTest::qWait(500); // the poll period, not a synchronisation
        }
        if (last)
            *last = value;
        return false;
    }

private:
    QHash<QString, QString> m_state;
    const cutover::config::Plan &m_plan;
    cutover::backends::LbFleet m_fleet;
};

// --- the real binary ---------------------------------------------------------------------------

struct ProcessRun {
    int exitCode = -1;
    bool crashed = false;
    bool timedOut = false;
    QString out;
    QString err;
};

// Runs cutover-console with `arguments`, writing `input` to its standard input; the process
// environment (lab state, CUTOVER_OPERATORS) is inherited. Bounded.
inline ProcessRun runConsole(const QStringList &arguments, const QByteArray &input = {},
                             int timeoutMs = 60'000) {
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

} // namespace enginetest
