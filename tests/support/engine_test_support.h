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
#include "tests/support/lab.h"

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

const QList<Person> &people();

// The operator who holds `role` (each role has one person in the tests).
QString personWithRole(const QString &role);

QString passphraseOf(const QString &name);

// The operators file for the test (minimum PBKDF2 cost, so the suite stays quick).
bool writeOperatorsFile(const QString &path);

// Puts the lab's state (LAB_...) and CUTOVER_OPERATORS into the process environment (the plan
// and any child process read them from there) and loads resources/plans/lab.yaml.
std::optional<cutover::config::Plan> loadLabPlan(const QHash<QString, QString> &state,
                                                 const QString &operatorsFile);

// The set-up every lab test starts from: the operators file written into `folder`
// (operators.json) and the lab plan loaded with it (loadLabPlan). Empty, with a warning, when
// either fails.
std::optional<cutover::config::Plan> labPlanWithOperators(const QHash<QString, QString> &state,
                                                          const QString &folder);

// One console: a store and an engine on it. open() puts a SqliteStore on `path`; adopt() takes
// any store (the PostgreSQL tests give it a PostgresStore).
struct Console {
    std::unique_ptr<cutover::store::Store> store;
    std::unique_ptr<CutoverEngine> engine;

    bool open(const cutover::config::Plan &plan, const QString &path,
              CutoverEngine::Options options = {});
    bool adopt(const cutover::config::Plan &plan, std::unique_ptr<cutover::store::Store> opened,
               CutoverEngine::Options options = {});
    // Lets the webhooks in flight (chat, incident, paging) reach the lab's sink first, bounded.
    void close();
    ~Console() { close(); }
    cutover::engine::Operator who(const QString &name) const {
        return engine->operatorNamed(name).value_or(cutover::engine::Operator{});
    }
    EnvironmentSnapshot snapshot() const { return engine->snapshot(kEnv); }
    QStringList shiftGuards(const QString &name = u"alice"_s) const {
        return engine->guards(Action::Shift, who(name), kEnv);
    }
};

QString describe(const EnvironmentSnapshot &s);

// Whether the snapshot shows `check` of `gate` ticked (passed).
bool isTicked(const EnvironmentSnapshot &s, const QString &gate, const QString &check);

// Whether the snapshot shows an active signature of `operatorName` on `gate`.
bool isSignedBy(const EnvironmentSnapshot &s, const QString &gate, const QString &operatorName);

// Waits (bounded) for `done`; on timeout prints the snapshot and `guards()`' answer.
bool waitFor(const Console &console, const std::function<bool()> &done, int timeoutMs,
             const QString &what, const std::function<QStringList()> &guards = {});

bool waitForPhase(const Console &console, const QList<Phase> &phases, int timeoutMs);

// Ticks every manual item of `gate` with the operator whose role it names.
bool tickGate(Console &console, const QString &gate);

// Signs `gate` with every role it needs, each once the engine allows it (its automatic checks
// must have held for their `for` first).
bool signGate(Console &console, const QString &gate, int timeoutMs = 60'000);

struct OperationOutcome {
    bool finished = false;
    bool ok = false;
    QString summary;
    QStringList refusals;
    QList<cutover::backends::LbApplyResult> results;
    qint64 elapsedMs = 0;
};

// Waits (bounded) for an operation's end. The operation deletes itself after finishing.
OperationOutcome awaitOperation(Operation *operation, int timeoutMs = 30'000);

// Waits (bounded) for several operations started in the same turn: each is watched from now on,
// so one that finishes (and deletes itself) while another is awaited is not missed. A null
// operation's outcome stays unfinished.
QList<OperationOutcome> awaitAll(const QList<QPointer<Operation>> &operations,
                                 int timeoutMs = 30'000);

// Waits until the engine allows alice to shift, then shifts to `percent` and waits for the
// operation.
OperationOutcome shiftTo(Console &console, int percent, int guardTimeoutMs = 90'000);

QList<cutover::store::AuditEntry> auditOf(cutover::store::Store &store);

QStringList actionsOf(const QList<cutover::store::AuditEntry> &entries);

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
    QMap<QString, QMap<QString, int>> weights(QObject *context);

    bool lbsHold(const QMap<QString, int> &expected, QObject *context);

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
    bool reset(QObject *context);

    bool allServersRunning(QObject *context);

    // Polls an instant query every 500 ms (bounded) until `accept` holds for its value.
    bool waitForQuery(const QString &promql, const std::function<bool(double)> &accept,
                      int timeoutMs, QObject *context, double *last = nullptr);

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
ProcessRun runConsole(const QStringList &arguments, const QByteArray &input = {},
                      int timeoutMs = 60'000);

} // namespace enginetest
