#pragma once

// Shared by the engine's implementation files (cutover_engine.cpp, engine_actions.cpp,
// engine_monitor.cpp): the per-environment runtime state and the layout of the stored
// intended weights. Not part of the engine's interface.

#include "app/backends/prometheus_types.h"
#include "app/backends/weight_plan.h"
#include "app/cutover/cutover_engine.h"
#include "app/net/result.h"
#include "app/store/sign_in.h"
#include "app/store/store.h"
#include "app/store/store_runner.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSet>

#include <cmath>
#include <optional>

Q_DECLARE_LOGGING_CATEGORY(lcEngine)

namespace cutover::engine {

using namespace Qt::StringLiterals;

// The engine's layout of StageState::intendedWeights (the store keeps it opaque):
// {"weights": {server: weight}, "validation_failed": bool, "validation": text}.
// The engine's layout of StageState::intendedWeights (the store keeps it opaque).
inline const auto kWeightsKey = u"weights"_s;
inline const auto kValidationFailedKey = u"validation_failed"_s;
inline const auto kValidationKey = u"validation"_s;
// While shifting: the stage the shift left (a shift that cannot be verified returns there).
inline const auto kFromStageKey = u"from_stage"_s;

// What a refusal's audit entry carries: the text people read and the codes tools read.
inline QJsonObject refusalDetails(const Refusals &refused, QJsonObject details = {}) {
    QJsonArray codes;
    for (const Refusal &r : refused)
        codes.append(Refusal::codeName(r.code));
    details.insert(u"reasons"_s, QJsonArray::fromStringList(texts(refused)));
    details.insert(u"codes"_s, codes);
    return details;
}

inline QMap<QString, int> weightsOf(const store::StageState &state) {
    QMap<QString, int> weights;
    const QJsonObject object = state.intendedWeights.value(kWeightsKey).toObject();
    for (auto it = object.begin(); it != object.end(); ++it)
        weights.insert(it.key(), it.value().toInt());
    return weights;
}

inline QJsonObject weightsJson(const QMap<QString, int> &weights) {
    QJsonObject object;
    for (auto it = weights.cbegin(); it != weights.cend(); ++it)
        object.insert(it.key(), it.value());
    return object;
}

inline QJsonObject intended(const QMap<QString, int> &weights, bool validationFailed = false,
                            const QString &validation = QString()) {
    QJsonObject object{{kWeightsKey, weightsJson(weights)}};
    if (validationFailed)
        object.insert(kValidationFailedKey, true);
    if (!validation.isEmpty())
        object.insert(kValidationKey, validation);
    return object;
}

inline QJsonObject lbResultJson(const backends::LbApplyResult &r) {
    QJsonObject object{{u"lb"_s, r.lb},
                       {u"sent"_s, r.sent},
                       {u"verified"_s, r.verified},
                       {u"elapsed_ms"_s, double(r.elapsedMs)},
                       {u"attempts"_s, r.attempts}};
    if (r.error)
        object.insert(u"error"_s, r.error->toString());
    return object;
}

inline QJsonArray lbResultsJson(const QList<backends::LbApplyResult> &results) {
    QJsonArray array;
    for (const auto &r : results)
        array.append(lbResultJson(r));
    return array;
}

inline QString percentText(double share) {
    if (std::isnan(share))
        return u"unknown"_s;
    return QString::number(share * 100.0, 'f', 1) + u'%';
}

inline Phase phaseOf(const store::StageState &state) {
    return phaseFromName(state.phase).value_or(Phase::Holding);
}

inline bool hasOtelTraffic(const store::StageState &state) {
    const Phase phase = phaseOf(state);
    return state.stageIndex >= 0 && phase != Phase::RolledBack && phase != Phase::RollingBack;
}

struct CutoverEngine::EnvironmentRuntime {
    const config::Environment *env = nullptr;
    store::StageState state;
    // A state the store could not take (unreachable): written when it is back.
    std::optional<store::StageState> pendingState;
    // False until the store has answered for this environment (a console started while a shared
    // store was unreachable), or a rollback put the load balancers in a known state.
    bool stateKnown = false;
    QSet<QString> pendingGateResets;   // gates a rollback could not reset while the store was down
    bool pendingWriteInFlight = false; // writePendingStates() is at it
    // State writes posted and not answered yet: automatic decisions wait for them rather than
    // decide twice on a state about to change.
    int stateWritesInFlight = 0;
    backends::LbFleet *fleet = nullptr;
    QHash<QString, ConditionTracker> checks;   // by checkKey(gate, check)
    QHash<QString, CompareOutcome> compares;   // by checkKey(gate, check)
    QHash<QString, QDateTime> compareAsked;    // when each compare check was last queried
    QHash<QString, ConditionTracker> triggers; // by trigger id
    QHash<QString, ConditionTracker::State> lastCheckStates;
    // Checks of the running hold whose data went missing: since when (a stretch nobody could
    // judge does not count towards the hold).
    QHash<QString, QDateTime> unknownSince;
    QSet<QString> firedTriggers; // firing now (every engine shows them)
    QSet<QString> actedTriggers; // this engine decided on their current episode
    // The rollback in flight: why, since when, and whether an automatic decision made it.
    QString rollbackReason;
    QDateTime rollbackStartedAt;
    bool rollbackAutomatic = false;
    std::optional<config::EscalationLevel> rollbackLevel;
    QList<store::Tick> ticks;
    QList<store::SignOff> signOffs;
    std::optional<double> measured;
    QDateTime measuredAt;
    QDateTime validationUnknownAlarmAt;
    QHash<QString, BackendHealth> lbHealth;
    QMap<QString, QMap<QString, int>> observed; // lb -> server -> weight
    QStringList driftAlarms;
    QStringList rollbackProblems;
    QPointer<Operation> operation;
    QDateTime lastDriftAt;
    int pendingQueries = 0;

    Phase phase() const { return phaseOf(state); }
    bool validationFailed() const {
        return state.intendedWeights.value(kValidationFailedKey).toBool();
    }
};

// The engine's sign-in guard, made on first use with the store a job runs against: the store of a
// threaded runner exists only on its thread (and only once it has opened).
struct SignInDesk {
    store::OperatorsFile operators;
    store::Clock clock;
    QString operatorsPath; // where an upgraded entry is written
    std::unique_ptr<store::SignInGuard> guard;

    store::SignInGuard &on(store::Store &store) {
        if (!guard) {
            guard = std::make_unique<store::SignInGuard>(store, operators, clock);
            guard->setOperatorsFilePath(operatorsPath);
        }
        return *guard;
    }
};

// Everything reload() reads, in one store job. Per environment: its row (nullopt: never
// written), its ticks and its sign-offs; a read that failed leaves its error instead.
struct CutoverEngine::StoreReading {
    struct Environment {
        QString name;
        std::optional<store::StoreError> error;
        std::optional<store::StageState> state;
        std::optional<QList<store::Tick>> ticks;
        std::optional<QList<store::SignOff>> signOffs;
    };
    QList<Environment> environments;
    quint64 generation = 0;
};

// A range query's one series as time (ms since the epoch) -> value; empty when the query failed
// or gave no series or several (unknown, like an instant query's singleValue()).

} // namespace cutover::engine
