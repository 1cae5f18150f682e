#pragma once

#include <QString>

namespace cutover::ui {

// How a panel's unit is shown: values are multiplied by `scale` before they reach the chart, and
// the axis and read-out carry `suffix`. A ratio reads best as a percentage, seconds of latency as
// milliseconds, bytes as MiB.
struct UnitFormat {
    double scale = 1.0;
    QString suffix;    // after a value: "%", " ms", " MiB", "/s", ""
    QString axisTitle; // the Y axis title
    int decimals = 1;

    // The plan's unit names: ratio, percent, seconds, bytes, count, per_second; anything else is
    // shown as a plain number.
    static UnitFormat forUnit(const QString &unit);

    // A scaled value with its suffix, or "—" for NaN.
    QString format(double scaledValue) const;
};

} // namespace cutover::ui
