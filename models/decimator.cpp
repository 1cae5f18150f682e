#include "models/decimator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace cutover::models {

namespace {

qint64 floorDiv(qint64 value, qint64 divisor) {
    const qint64 quotient = value / divisor;
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

// The first/min/max/last of the finite points of one column, as indices into the slice.
struct Column {
    qint64 id = 0;
    qsizetype first = -1;
    qsizetype last = -1;
    qsizetype min = -1;
    qsizetype max = -1;

    bool isEmpty() const { return first < 0; }

    void add(qsizetype index, double value, const TimeSeriesSlice &points) {
        if (first < 0) {
            first = last = min = max = index;
            return;
        }
        last = index;
        if (value < points[min].value)
            min = index;
        if (value > points[max].value)
            max = index;
    }

    // Emits the column's picks in time order, duplicates dropped. Without first/last (min/max
    // only) a segment still starts and ends on its real first and last sample.
    void emitTo(Segment &segment, const TimeSeriesSlice &points, double scale, qint64 origin,
                bool withFirst, bool withLast) const {
        std::array<qsizetype, 4> picks{withFirst ? first : min, min, max, withLast ? last : max};
        std::sort(picks.begin(), picks.end());
        qsizetype previous = -1;
        for (qsizetype index : picks) {
            if (index == previous)
                continue;
            previous = index;
            const TimePoint &point = points[index];
            segment.append(QPointF(double(point.timestampMs - origin), point.value * scale));
        }
    }
};

// Joins segments across the narrowest gaps until at most maxSegments remain.
QList<Segment> limitSegments(QList<Segment> segments, const QList<qint64> &gapWidths,
                             int maxSegments) {
    maxSegments = std::max(maxSegments, 1);
    if (segments.size() <= maxSegments)
        return segments;
    // gapWidths[i] is the gap before segments[i + 1]. Keep the widest maxSegments - 1 gaps.
    QList<qsizetype> order(gapWidths.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](qsizetype a, qsizetype b) { return gapWidths[a] > gapWidths[b]; });
    QList<bool> keepGap(gapWidths.size(), false);
    for (qsizetype i = 0; i < maxSegments - 1; ++i)
        keepGap[order[i]] = true;

    QList<Segment> joined;
    joined.append(std::move(segments[0]));
    for (qsizetype i = 1; i < segments.size(); ++i) {
        if (keepGap[i - 1])
            joined.append(std::move(segments[i]));
        else
            joined.last().append(segments[i]);
    }
    return joined;
}

} // namespace

qint64 Decimator::columnDurationMs(const DecimationRequest &request) {
    if (request.columnMs > 0)
        return request.columnMs;
    const qint64 span = std::max<qint64>(request.toMs - request.fromMs, 1);
    const qint64 columns = std::max(request.columns, 1);
    return std::max<qint64>((span + columns - 1) / columns, 1);
}

QList<Segment> Decimator::decimate(const TimeSeriesSlice &points,
                                   const DecimationRequest &request) {
    QList<Segment> segments;
    QList<qint64> gapWidths;
    if (points.isEmpty())
        return segments;

    const qint64 columnMs = columnDurationMs(request);
    const double scale = request.valueScale;
    const bool fourPoints = request.shape == DecimationShape::FirstMinMaxLast;
    Segment current;
    current.reserve(std::min<qsizetype>(points.size(), qsizetype(request.columns + 2) * 4));
    Column column;
    qsizetype lastFinite = -1;
    bool sawNaN = false;

    // The column just emitted made `current` non-empty; the gap follows it.
    auto breakLine = [&](qint64 gapWidth) {
        segments.append(std::move(current));
        current = Segment();
        gapWidths.append(gapWidth);
    };

    for (qsizetype i = 0; i < points.size(); ++i) {
        const TimePoint &point = points[i];
        if (std::isnan(point.value)) {
            sawNaN = true;
            continue;
        }
        const qint64 columnId = floorDiv(point.timestampMs, columnMs);
        if (!column.isEmpty() && columnId != column.id) {
            const qint64 step = point.timestampMs - points[lastFinite].timestampMs;
            const bool jumped = request.gapThresholdMs > 0 && step > request.gapThresholdMs;
            const bool breaking = sawNaN || jumped;
            column.emitTo(current, points, scale, request.xOriginMs,
                          fourPoints || current.isEmpty(), fourPoints || breaking);
            column = Column();
            if (breaking)
                breakLine(step);
        }
        if (column.isEmpty())
            column.id = columnId;
        column.add(i, point.value, points);
        lastFinite = i;
        sawNaN = false;
    }
    if (!column.isEmpty())
        column.emitTo(current, points, scale, request.xOriginMs, fourPoints || current.isEmpty(),
                      true);
    if (!current.isEmpty())
        segments.append(std::move(current));
    return limitSegments(std::move(segments), gapWidths, request.maxSegments);
}

} // namespace cutover::models
