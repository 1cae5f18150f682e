#include "app/analysis/mann_whitney.h"

#include "app/analysis/normal.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cutover::analysis {

std::optional<MannWhitneyResult> mannWhitneyUSorted(std::span<const double> x,
                                                    std::span<const double> y) {
    if (x.empty() || y.empty())
        return std::nullopt;
    const std::size_t n1 = x.size();
    const std::size_t n2 = y.size();

    // Walk both sorted samples together one tie group at a time (all values equal to v: cx from
    // x, cy from y). The ranks are never materialised: each x in the group beats the yBelow
    // values of y already passed and ties with the cy in the group, so it adds yBelow + cy/2 to
    // U. Counting twice U keeps it an exact integer (SciPy's rank sum is exact at these sizes
    // too, so U agrees to the bit).
    qint64 twiceU = 0;
    double tieTerm = 0; // sum over tie groups of t^3 - t, as SciPy's _tie_term
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n1 || j < n2) {
        const double v = (j == n2 || (i < n1 && x[i] <= y[j])) ? x[i] : y[j];
        std::size_t cx = 0;
        std::size_t cy = 0;
        while (i < n1 && x[i] == v) {
            ++i;
            ++cx;
        }
        while (j < n2 && y[j] == v) {
            ++j;
            ++cy;
        }
        if (cx + cy == 0)
            return std::nullopt; // NaN: equal to nothing, it would stall the walk
        twiceU += qint64(cx) * qint64(2 * (j - cy) + cy);
        const double t = double(cx + cy);
        tieTerm += t * t * t - t;
    }

    MannWhitneyResult result;
    result.nX = qsizetype(n1);
    result.nY = qsizetype(n2);
    result.u = double(twiceU) / 2;

    // Same expression, same order of operations as scipy.stats._mannwhitneyu._get_mwu_z.
    const double dn1 = double(n1);
    const double dn2 = double(n2);
    const double n = dn1 + dn2;
    const double mu = dn1 * dn2 / 2;
    const double variance = dn1 * dn2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)));
    const double u = std::max(result.u, dn1 * dn2 - result.u);
    if (!(variance > 0)) {
        // Every value tied: U = mu, the corrected numerator is -1/2 and SciPy's z is -inf, so
        // p = 1. Also guards a variance that rounding made a hair negative.
        result.pValue = 1;
        return result;
    }
    const double z = (u - mu - 0.5) / std::sqrt(variance);
    result.pValue = std::clamp(2 * normalSurvival(z), 0.0, 1.0);
    return result;
}

std::optional<MannWhitneyResult> mannWhitneyU(const QList<double> &x, const QList<double> &y) {
    if (x.isEmpty() || y.isEmpty())
        return std::nullopt;
    const auto hasNan = [](const QList<double> &s) {
        return std::any_of(s.cbegin(), s.cend(), [](double v) { return std::isnan(v); });
    };
    if (hasNan(x) || hasNan(y))
        return std::nullopt;
    // One buffer for both sorted copies: the inputs stay untouched (implicitly shared lists).
    std::vector<double> sorted;
    sorted.reserve(std::size_t(x.size() + y.size()));
    sorted.insert(sorted.end(), x.cbegin(), x.cend());
    sorted.insert(sorted.end(), y.cbegin(), y.cend());
    const auto middle = sorted.begin() + x.size();
    std::sort(sorted.begin(), middle);
    std::sort(middle, sorted.end());
    return mannWhitneyUSorted(
        std::span<const double>(sorted.data(), std::size_t(x.size())),
        std::span<const double>(sorted.data() + x.size(), std::size_t(y.size())));
}

} // namespace cutover::analysis
