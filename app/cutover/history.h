#pragma once

// Checks judged from Prometheus' history rather than from live samples: a compare check's two
// samples over its window, and a tracked check replayed over its `for`. The engine's monitor
// uses the first every step; `--evaluate` (app/cli/evaluate) uses both to judge gates now or at
// a past time.

#include "app/config/plan.h"
#include "app/cutover/condition_tracker.h"
#include "app/cutover/gate_status.h"
#include "app/net/result.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>

namespace cutover::backends {
class PrometheusClient;
struct QueryResult;
} // namespace cutover::backends

namespace cutover::engine {

// A range query's values on its grid (start + k·step), by time in ms; missing points are absent.
// Several series (or none) give an empty map: unknown, like an instant query's singleValue().
QMap<qint64, double> gridValues(const net::Result<backends::QueryResult> &result);

// A compare check's samples: both sides on one step grid ending at the step at or before `at`,
// NaN where a side (or, with `per`, its denominator) has no point or the denominator is zero.
struct CompareSamples {
    QList<double> legacy;
    QList<double> otel;
    QDateTime start; // the first sample's time
    QDateTime end;   // the last sample's time: when the judgement was made
    qint64 stepMs = 0;
    QString error; // the first query that failed, if any (its samples are then NaN)
};

// Queries both sides (and their denominators) of `spec` for the window ending at `at` and calls
// `done` once every answer is in (on `context`'s thread). Each query has the client's deadline.
void queryCompareSamples(backends::PrometheusClient &prometheus, const config::CompareSpec &spec,
                         const config::Environment &environment, const QDateTime &at,
                         QObject *context, std::function<void(const CompareSamples &)> done);

// The statistics on a compare check's samples, kept with them (the "why" view draws them).
CompareOutcome judgeCompare(const config::CompareSpec &spec, const CompareSamples &samples);

// Judges the gates of a plan at one moment from Prometheus' history: each tracked check replayed
// over its `for` (at the plan's evaluation interval), each compare check over its window.
// Manual items, stability and signatures come from the store: the caller adds them to the
// GateInputs this fills.
class HistoryEvaluation : public QObject {
    Q_OBJECT
public:
    HistoryEvaluation(const config::Plan &plan, const config::Environment &environment,
                      backends::PrometheusClient &prometheus, QObject *parent = nullptr);

    // Starts the queries for `gates` (ids; GateRef checks pull in the gates they name) at `at`.
    // finished() follows once every answer is in.
    void start(const QStringList &gates, const QDateTime &at);

    const QHash<QString, ConditionTracker> &trackers() const { return m_trackers; }
    const QHash<QString, CompareOutcome> &compares() const { return m_compares; }
    // Why a check has no answer, by checkKey(): Prometheus' error.
    const QHash<QString, QString> &errors() const { return m_errors; }
    // The gates judged, with what start() was asked and what GateRef checks added, in plan order.
    QStringList gates() const { return m_gates; }

Q_SIGNALS:
    void finished();

private:
    void finishOne();

    const config::Plan &m_plan;
    const config::Environment &m_environment;
    backends::PrometheusClient &m_prometheus;
    QHash<QString, ConditionTracker> m_trackers;
    QHash<QString, CompareOutcome> m_compares;
    QHash<QString, QString> m_errors;
    QStringList m_gates;
    int m_pending = 0;
};

} // namespace cutover::engine
