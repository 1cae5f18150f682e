#include "ui/charts/unit_format.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::ui {

UnitFormat UnitFormat::forUnit(const QString &unit) {
    if (unit == u"ratio"_s)
        return {100.0, u"%"_s, u"%"_s, 1};
    if (unit == u"percent"_s)
        return {1.0, u"%"_s, u"%"_s, 1};
    if (unit == u"seconds"_s)
        return {1000.0, u" ms"_s, u"ms"_s, 1};
    if (unit == u"bytes"_s)
        return {1.0 / (1024.0 * 1024.0), u" MiB"_s, u"MiB"_s, 1};
    if (unit == u"per_second"_s)
        return {1.0, u"/s"_s, u"/s"_s, 2}; // a short title: it must fit a short plot
    return {1.0, QString(), QString(), 0};
}

QString UnitFormat::format(double scaledValue) const {
    if (!std::isfinite(scaledValue))
        return u"—"_s;
    // Small rates and counts would otherwise read "0": show enough digits to be non-zero.
    // Whole counts read as integers, but a z-score or a fractional count keeps two decimals.
    int digits = decimals;
    const double magnitude = std::abs(scaledValue);
    if (magnitude > 0 && magnitude < 1)
        digits = std::max(digits, 3);
    else if (digits == 0 && scaledValue != std::round(scaledValue))
        digits = 2;
    return QString::number(scaledValue, 'f', digits) + suffix;
}

} // namespace cutover::ui
