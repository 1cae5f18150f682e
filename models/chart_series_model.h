#pragma once

#include "models/time_series_buffer.h"

#include <QList>
#include <QObject>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace cutover::config {
struct Stage;
}

namespace cutover::models {

// A vertical marker on a chart, e.g. a stage change ("→ 25%") or a rollback.
struct StageMarker {
    qint64 timestampMs = 0;
    QString label;
};

// The target and its tolerance band from fromMs until the next step (a step function: the target
// changes with each stage). Values are in the panel's raw unit (a ratio for the traffic split).
struct TargetBandStep {
    qint64 fromMs = 0;
    double target = 0;
    double lower = 0;
    double upper = 0;
};

// The data of one chart panel: a bounded buffer per series (keyed by the series' label set, e.g.
// `system="otel"`), the stage markers and the target band. The engine's monitor feeds it; the
// chart panel reads it. `changed()` is coalesced: any number of appends in one pass of the event
// loop give one signal.
class ChartSeriesModel : public QObject {
    Q_OBJECT
public:
    using Clock = std::function<qint64()>; // ms since the epoch

    explicit ChartSeriesModel(QObject *parent = nullptr,
                              qsizetype capacityPerSeries = TimeSeriesBuffer::DefaultCapacity);
    ~ChartSeriesModel() override;

    // Samples: x is the timestamp in ms since the epoch, y the value (NaN: no data). Samples
    // older than a series' newest are dropped (see TimeSeriesBuffer::append).
    void appendSamples(const QString &seriesKey, const QList<QPointF> &samples);
    // History from before the live samples (Prometheus query_range at start), in time order;
    // points at or after the series' oldest sample are ignored (TimeSeriesBuffer::mergeOlder).
    void prependHistory(const QString &seriesKey, const QList<QPointF> &history);
    void appendSample(const QString &seriesKey, qint64 timestampMs, double value);
    void removeSeries(const QString &seriesKey);
    void clear();

    // Annotations.
    void addMarker(qint64 timestampMs, const QString &label);
    // A stage change: the marker "→ 25%" and, from then on, the stage's target band.
    void addStageChange(qint64 timestampMs, const config::Stage &stage);
    void addTargetBandStep(const TargetBandStep &step);
    void clearAnnotations();
    const QList<StageMarker> &markers() const { return m_markers; }
    const QList<TargetBandStep> &targetBand() const { return m_band; }

    // Reading.
    QStringList seriesKeys() const { return m_order; } // in the order first seen
    bool hasSeries(const QString &seriesKey) const;
    const TimeSeriesBuffer *buffer(const QString &seriesKey) const;
    // Bumped on each change of the series; the panel redraws only series whose revision moved.
    quint64 revision(const QString &seriesKey) const;
    quint64 annotationRevision() const { return m_annotationRevision; }
    quint64 structureRevision() const { return m_structureRevision; }
    qsizetype capacityPerSeries() const { return m_capacity; }

    // Staleness: a series is stale when its last finite sample is older than staleAfter (or it
    // never had one for that long). The time comes from an injectable clock (tests).
    std::optional<qint64> lastGoodSampleMs(const QString &seriesKey) const;
    bool isStale(const QString &seriesKey) const;
    void setStaleAfter(std::chrono::milliseconds staleAfter);
    std::chrono::milliseconds staleAfter() const { return m_staleAfter; }
    void setClock(Clock clock);
    qint64 now() const;
    // Re-evaluates staleness against the clock (also done every second by a timer); schedules
    // changed() when a series became stale or fresh.
    void checkStaleness();

Q_SIGNALS:
    void changed();

private:
    struct Series;
    Series &seriesFor(const QString &seriesKey);
    const Series *find(const QString &seriesKey) const;
    bool computeStale(const Series &series) const;
    void scheduleChanged();

    qsizetype m_capacity;
    std::map<QString, std::unique_ptr<Series>> m_series;
    QStringList m_order;
    QList<StageMarker> m_markers;
    QList<TargetBandStep> m_band;
    quint64 m_annotationRevision = 0;
    quint64 m_structureRevision = 0;
    std::chrono::milliseconds m_staleAfter{30'000};
    Clock m_clock;
    QTimer m_notify;     // zero-interval single shot: the coalescing of changed()
    QTimer m_staleTimer; // notices series that stop receiving data
};

} // namespace cutover::models
