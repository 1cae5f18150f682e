#pragma once

#include "models/time_series_buffer.h"

#include <QList>
#include <QPointF>

namespace cutover::models {

// What each pixel column keeps. FirstMinMaxLast (M4) draws exactly the pixels of the raw line;
// MinMax keeps the column's envelope with half the points, and the joins between columns may
// differ by a pixel. Qt Charts lays out and paints every point it is given (~1 µs each), so
// MinMax is what lets a dozen dense series fit in one frame.
enum class DecimationShape { FirstMinMaxLast, MinMax };

// What to reduce a series to: the plot's time range and its width in pixel columns.
struct DecimationRequest {
    qint64 fromMs = 0;
    qint64 toMs = 0;
    int columns = 1; // the plot area's width in device pixels
    // The duration of one column; 0: (toMs - fromMs) / columns. A panel that decimates a little
    // more than its window (so a sliding window need not re-decimate) fixes it to its pixel.
    qint64 columnMs = 0;
    // Two finite samples further apart than this are a gap even without a NaN between them
    // (Prometheus omits what it has no data for). 0: only NaN breaks the line.
    qint64 gapThresholdMs = 0;
    // Each segment becomes one line series in Qt Charts; flapping data could otherwise ask for
    // hundreds. Beyond this, the narrowest gaps are bridged.
    int maxSegments = 32;
    DecimationShape shape = DecimationShape::FirstMinMaxLast;
    double valueScale = 1.0;
    // Subtracted from every timestamp: the chart plots time relative to its right edge so its
    // X axis (and with it the layout of every series) stays put while time runs.
    qint64 xOriginMs = 0; // applied to every value (ratio → percent, seconds → ms, …)
};

// A run of points without a gap: x is the timestamp in ms (minus xOriginMs), y the scaled value.
using Segment = QList<QPointF>;

// Reduces points to at most four per pixel column (M4: the first, minimum, maximum and last of
// the column, in time order, duplicates dropped), which draws the same pixels as the raw line
// while bounding what Qt Charts has to lay out and paint to ~4 × width per series.
//
// Columns are aligned to absolute multiples of the column's duration, not to fromMs, so a window
// sliding forward keeps the same minimum and maximum per column (no shimmering).
//
// Gaps: a QLineSeries cannot draw a break, so the result is a list of segments, each drawn as its
// own line series in the same pen. A NaN (or a jump over gapThresholdMs) between two finite
// samples in different columns starts a new segment; inside one column a gap is narrower than a
// pixel and is not drawn.
class Decimator {
public:
    static QList<Segment> decimate(const TimeSeriesSlice &points, const DecimationRequest &request);

    // The duration of one column, at least 1 ms.
    static qint64 columnDurationMs(const DecimationRequest &request);
};

} // namespace cutover::models
