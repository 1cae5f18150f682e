#pragma once

#include <QString>

namespace cutover::config {

// A comparison of a sampled value against a threshold, e.g. "< 0.01" or ">= 0.99".
struct Condition {
    enum class Op { Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual };
    Op op = Op::Less;
    double threshold = 0;

    // NaN never satisfies a condition: missing data is unknown, never a pass.
    bool holds(double value) const;
    QString toString() const;
};

} // namespace cutover::config
