#pragma once

// The two-sided Mann-Whitney U test (Wilcoxon rank-sum) with the normal approximation, the tie
// correction and the continuity correction: what
//   scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic",
//                            use_continuity=True)
// computes, to the last bits (the unit tests hold it to SciPy).

#include <QList>

#include <optional>
#include <span>

namespace cutover::analysis {

struct MannWhitneyResult {
    // U of the first sample: #{x_i > y_j} + 0.5 * #{x_i == y_j}, between 0 and nX * nY. Above
    // nX * nY / 2, x tends to be the larger.
    double u = 0;
    // Two-sided: 2 * P(Z > (max(U, nX*nY - U) - nX*nY/2 - 1/2) / sigma), clipped to [0, 1];
    // sigma carries the tie correction. 1 when every value is tied (sigma = 0): no evidence.
    double pValue = 1;
    qsizetype nX = 0;
    qsizetype nY = 0;
};

// Empty sample on either side, or a NaN anywhere: no result (a NaN has no rank; the caller
// decides what a missing point means, see NanPolicy). Infinities rank like any value.
// Copies and sorts each sample once: O(n log n).
std::optional<MannWhitneyResult> mannWhitneyU(const QList<double> &x, const QList<double> &y);

// The same on samples sorted ascending (the compare check sorts once for this test and for
// Hodges-Lehmann): one merge, O(nX + nY), no allocation.
std::optional<MannWhitneyResult> mannWhitneyUSorted(std::span<const double> x,
                                                    std::span<const double> y);

} // namespace cutover::analysis
