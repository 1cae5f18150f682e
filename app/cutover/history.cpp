#include "app/cutover/history.h"

#include "app/backends/prometheus_client.h"
#include "app/config/plan_loader.h"

#include <QSet>
#include <QTimeZone>

#include <cmath>
#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::engine {

QMap<qint64, double> gridValues(const net::Result<backends::QueryResult> &result) {
    QMap<qint64, double> values;
    if (!result.ok() || result.value().matrix.size() != 1)
        return values;
    for (const backends::PromPoint &p : result.value().matrix.constFirst().points)
        values.insert(qint64(std::llround(p.time * 1000.0)), p.value);
    return values;
}

void queryCompareSamples(backends::PrometheusClient &prometheus, const config::CompareSpec &spec,
                         const config::Environment &environment, const QDateTime &at,
                         QObject *context, std::function<void(const CompareSamples &)> done) {
    // The window on Prometheus' own step grid, so that both sides (and their denominators) are
    // sampled at the same instants.
    const qint64 stepMs = std::max<qint64>(spec.step.ms(), 1);
    const qint64 endMs = at.toMSecsSinceEpoch() / stepMs * stepMs;
    const qint64 startMs = endMs - spec.window.ms() / stepMs * stepMs;
    QStringList queries{spec.legacy, spec.otel};
    if (spec.per != config::CompareSpec::Per::None)
        queries << spec.legacyPer << spec.otelPer;
    struct Pending {
        QList<QMap<qint64, double>> series;
        QString error;
        int answers = 0;
    };
    auto pending = std::make_shared<Pending>();
    pending->series.resize(queries.size());
    const QDateTime start = QDateTime::fromMSecsSinceEpoch(startMs, QTimeZone::utc());
    const QDateTime end = QDateTime::fromMSecsSinceEpoch(endMs, QTimeZone::utc());
    for (qsizetype i = 0; i < queries.size(); ++i) {
        prometheus
            .queryRange(config::expandQuery(queries.at(i), environment), start, end,
                        std::chrono::milliseconds(stepMs))
            ->onFinished(context, [pending, i, startMs, endMs, stepMs, start, end, done,
                                   count = queries.size()](
                                      const net::Result<backends::QueryResult> &r) {
                pending->series[i] = gridValues(r);
                if (!r.ok() && pending->error.isEmpty())
                    pending->error = r.error().toString();
                else if (r.ok() && r.value().matrix.size() > 1 && pending->error.isEmpty())
                    pending->error = u"a query gave %1 series, expected one (aggregate it, e.g. "
                                     u"with sum or avg)"_s.arg(r.value().matrix.size());
                if (++pending->answers < count)
                    return;
                CompareSamples samples;
                samples.start = start;
                samples.end = end;
                samples.stepMs = stepMs;
                samples.error = pending->error;
                auto side = [&](int s) {
                    QList<double> values;
                    values.reserve((endMs - startMs) / stepMs + 1);
                    for (qint64 t = startMs; t <= endMs; t += stepMs) {
                        double v = pending->series.at(s).value(t, qQNaN());
                        if (count == 4) {
                            const double per = pending->series.at(s + 2).value(t, qQNaN());
                            v = per != 0 && !std::isnan(per) ? v / per : qQNaN();
                        }
                        values.append(v);
                    }
                    return values;
                };
                samples.legacy = side(0);
                samples.otel = side(1);
                done(samples);
            });
    }
}

CompareOutcome judgeCompare(const config::CompareSpec &spec, const CompareSamples &samples) {
    CompareOutcome outcome;
    outcome.result = analysis::compare(samples.legacy, samples.otel, compareOptions(spec));
    outcome.at = samples.end;
    outcome.samples = samples.legacy.isEmpty() && samples.otel.isEmpty()
                          ? nullptr
                          : std::make_shared<const CompareSeries>(CompareSeries{
                                samples.legacy, samples.otel, samples.start, samples.stepMs});
    return outcome;
}

HistoryEvaluation::HistoryEvaluation(const config::Plan &plan,
                                     const config::Environment &environment,
                                     backends::PrometheusClient &prometheus, QObject *parent)
    : QObject(parent)
    , m_plan(plan)
    , m_environment(environment)
    , m_prometheus(prometheus) {}

void HistoryEvaluation::start(const QStringList &gates, const QDateTime &at) {
    // The gates asked for, and those their GateRef checks name (transitively), in plan order.
    QSet<QString> wanted(gates.cbegin(), gates.cend());
    for (bool grew = true; grew;) {
        grew = false;
        for (const config::Gate &gate : m_plan.gates) {
            if (!wanted.contains(gate.id))
                continue;
            for (const config::Check &check : gate.checks) {
                for (const QString &ref : check.gates) {
                    if (!wanted.contains(ref)) {
                        wanted.insert(ref);
                        grew = true;
                    }
                }
            }
        }
    }
    m_gates.clear();
    for (const config::Gate &gate : m_plan.gates) {
        if (wanted.contains(gate.id))
            m_gates.append(gate.id);
    }

    const qint64 stepMs = std::max<qint64>(1000, m_plan.validation.evaluationInterval.ms());
    m_pending = 1; // until every query is issued
    for (const QString &gateId : std::as_const(m_gates)) {
        const config::Gate *gate = m_plan.gate(gateId);
        for (const config::Check &check : gate->checks) {
            const QString key = checkKey(gateId, check.id);
            if (check.kind == config::Check::Kind::Compare) {
                ++m_pending;
                queryCompareSamples(m_prometheus, check.compare, m_environment, at, this,
                                    [this, key, spec = check.compare](const CompareSamples &s) {
                                        m_compares.insert(key, judgeCompare(spec, s));
                                        if (!s.error.isEmpty())
                                            m_errors.insert(key, s.error);
                                        finishOne();
                                    });
                continue;
            }
            if (!check.isTracked())
                continue;
            // Long enough to know whether the condition held for its whole `for`, on the
            // evaluation grid ending at `at`.
            const qint64 toMs = at.toMSecsSinceEpoch() / stepMs * stepMs;
            const qint64 fromMs = toMs - (check.forDuration.ms() + 2 * stepMs +
                                          m_plan.validation.scrapeInterval.ms()) /
                                             stepMs * stepMs;
            ++m_pending;
            m_prometheus
                .queryRange(config::expandQuery(check.historyQuery(), m_environment),
                            QDateTime::fromMSecsSinceEpoch(fromMs, QTimeZone::utc()),
                            QDateTime::fromMSecsSinceEpoch(toMs, QTimeZone::utc()),
                            std::chrono::milliseconds(stepMs))
                ->onFinished(this, [this, key, check, fromMs, toMs,
                                    stepMs](const net::Result<backends::QueryResult> &r) {
                    ConditionTracker tracker(check.trackedCondition(), check.forDuration);
                    if (!r.ok())
                        m_errors.insert(key, r.error().toString());
                    const QMap<qint64, double> values = gridValues(r);
                    for (qint64 t = fromMs; t <= toMs; t += stepMs) {
                        const auto it = values.constFind(t);
                        tracker.update(it == values.cend() ? std::nullopt : std::optional(*it),
                                       QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc()));
                    }
                    m_trackers.insert(key, tracker);
                    finishOne();
                });
        }
    }
    finishOne();
}

void HistoryEvaluation::finishOne() {
    if (--m_pending == 0)
        Q_EMIT finished();
}

} // namespace cutover::engine
