#include "models/chart_series_model.h"

#include "app/config/plan.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::models {

struct ChartSeriesModel::Series {
    explicit Series(qsizetype capacity, qint64 created)
        : buffer(capacity)
        , firstSeenMs(created) {}
    TimeSeriesBuffer buffer;
    quint64 revision = 0;
    std::optional<qint64> lastGoodMs;
    qint64 firstSeenMs;
    bool stale = false;
};

ChartSeriesModel::ChartSeriesModel(QObject *parent, qsizetype capacityPerSeries)
    : QObject(parent)
    , m_capacity(capacityPerSeries) {
    m_notify.setSingleShot(true);
    m_notify.setInterval(0);
    connect(&m_notify, &QTimer::timeout, this, &ChartSeriesModel::changed);
    m_staleTimer.setInterval(1000);
    connect(&m_staleTimer, &QTimer::timeout, this, &ChartSeriesModel::checkStaleness);
}

ChartSeriesModel::~ChartSeriesModel() = default;

ChartSeriesModel::Series &ChartSeriesModel::seriesFor(const QString &seriesKey) {
    auto it = m_series.find(seriesKey);
    if (it == m_series.end()) {
        it = m_series.emplace(seriesKey, std::make_unique<Series>(m_capacity, now())).first;
        m_order.append(seriesKey);
        ++m_structureRevision;
        if (!m_staleTimer.isActive())
            m_staleTimer.start();
    }
    return *it->second;
}

const ChartSeriesModel::Series *ChartSeriesModel::find(const QString &seriesKey) const {
    const auto it = m_series.find(seriesKey);
    return it == m_series.end() ? nullptr : it->second.get();
}

void ChartSeriesModel::appendSamples(const QString &seriesKey, const QList<QPointF> &samples) {
    Series &series = seriesFor(seriesKey);
    bool appended = false;
    for (const QPointF &sample : samples) {
        const auto timestamp = qint64(sample.x());
        if (!series.buffer.append(timestamp, sample.y()))
            continue;
        appended = true;
        if (std::isfinite(sample.y()) && (!series.lastGoodMs || timestamp >= *series.lastGoodMs))
            series.lastGoodMs = timestamp;
    }
    if (appended || series.revision == 0) {
        ++series.revision;
        series.stale = computeStale(series);
        scheduleChanged();
    }
}

void ChartSeriesModel::prependHistory(const QString &seriesKey, const QList<QPointF> &history) {
    std::vector<TimePoint> points;
    points.reserve(std::size_t(history.size()));
    for (const QPointF &p : history)
        points.push_back({qint64(p.x()), p.y()});
    Series &series = seriesFor(seriesKey);
    if (series.buffer.mergeOlder(points) == 0 && series.revision > 0)
        return;
    if (!series.lastGoodMs) {
        for (auto it = points.crbegin(); it != points.crend(); ++it) {
            if (std::isfinite(it->value)) {
                series.lastGoodMs = it->timestampMs;
                break;
            }
        }
    }
    ++series.revision;
    series.stale = computeStale(series);
    scheduleChanged();
}

void ChartSeriesModel::appendSample(const QString &seriesKey, qint64 timestampMs, double value) {
    appendSamples(seriesKey, {QPointF(double(timestampMs), value)});
}

void ChartSeriesModel::removeSeries(const QString &seriesKey) {
    if (m_series.erase(seriesKey) == 0)
        return;
    m_order.removeOne(seriesKey);
    ++m_structureRevision;
    scheduleChanged();
}

void ChartSeriesModel::clear() {
    m_series.clear();
    m_order.clear();
    ++m_structureRevision;
    clearAnnotations();
    m_staleTimer.stop();
    scheduleChanged();
}

void ChartSeriesModel::addMarker(qint64 timestampMs, const QString &label) {
    m_markers.append({timestampMs, label});
    ++m_annotationRevision;
    scheduleChanged();
}

void ChartSeriesModel::addStageChange(qint64 timestampMs, const config::Stage &stage) {
    addMarker(timestampMs, u"→ %1%"_s.arg(stage.percent));
    addTargetBandStep({timestampMs, stage.percent / 100.0, stage.lowerBound(), stage.upperBound()});
}

void ChartSeriesModel::addTargetBandStep(const TargetBandStep &step) {
    // Kept sorted by time so the panel can draw the steps left to right.
    auto at = std::upper_bound(
        m_band.begin(), m_band.end(), step.fromMs,
        [](qint64 fromMs, const TargetBandStep &existing) { return fromMs < existing.fromMs; });
    m_band.insert(at, step);
    ++m_annotationRevision;
    scheduleChanged();
}

void ChartSeriesModel::clearAnnotations() {
    m_markers.clear();
    m_band.clear();
    ++m_annotationRevision;
    scheduleChanged();
}

bool ChartSeriesModel::hasSeries(const QString &seriesKey) const {
    return find(seriesKey) != nullptr;
}

const TimeSeriesBuffer *ChartSeriesModel::buffer(const QString &seriesKey) const {
    const Series *series = find(seriesKey);
    return series ? &series->buffer : nullptr;
}

quint64 ChartSeriesModel::revision(const QString &seriesKey) const {
    const Series *series = find(seriesKey);
    return series ? series->revision : 0;
}

std::optional<qint64> ChartSeriesModel::lastGoodSampleMs(const QString &seriesKey) const {
    const Series *series = find(seriesKey);
    return series ? series->lastGoodMs : std::nullopt;
}

bool ChartSeriesModel::isStale(const QString &seriesKey) const {
    const Series *series = find(seriesKey);
    return series && series->stale;
}

void ChartSeriesModel::setStaleAfter(std::chrono::milliseconds staleAfter) {
    m_staleAfter = staleAfter;
    checkStaleness();
}

void ChartSeriesModel::setClock(Clock clock) {
    m_clock = std::move(clock);
    checkStaleness();
}

qint64 ChartSeriesModel::now() const {
    return m_clock ? m_clock() : QDateTime::currentMSecsSinceEpoch();
}

bool ChartSeriesModel::computeStale(const Series &series) const {
    const qint64 since = series.lastGoodMs.value_or(series.firstSeenMs);
    return now() - since > m_staleAfter.count();
}

void ChartSeriesModel::checkStaleness() {
    bool flipped = false;
    for (auto &[key, series] : m_series) {
        const bool stale = computeStale(*series);
        if (stale != series->stale) {
            series->stale = stale;
            ++series->revision; // the panel redraws it in the stale pen
            flipped = true;
        }
    }
    if (flipped)
        scheduleChanged();
}

void ChartSeriesModel::scheduleChanged() {
    if (!m_notify.isActive())
        m_notify.start();
}

} // namespace cutover::models
