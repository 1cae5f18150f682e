#pragma once

// The Hodges-Lehmann estimate of the shift between two samples (the median of all n*m pairwise
// differences x_i - y_j) and its distribution-free confidence interval by Moses' method: the C-th
// smallest and the C-th largest difference, C the Mann-Whitney critical value (here from the
// normal approximation, see hodgesLehmannRanks). Those are the ranks at which R's
// wilcox.test(conf.int = TRUE), which Kayenta ports, finds its asymptotic interval.
//
// None of it materialises the n*m differences: with both samples sorted, the differences form
// a matrix sorted along its rows and columns, and an order statistic of it is selected by
// counting against pivots (one O(n + m) walk per count) until few candidates are left, which are
// then selected among directly: the scheme of Monahan's Algorithm 616 (ACM TOMS, 1984) for the
// one-sample estimate, with pivots drawn from a small sample as Floyd and Rivest do. Expected
// O((n + m) log(n m)) time and O(n) memory, instead of O(n m) for the obvious way (129,600
// differences, ~1 MB, for 360 samples a side).

#include <QList>

#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace cutover::analysis {

struct HodgesLehmannResult {
    double shift = 0; // median of x_i - y_j (mean of the middle two when n*m is even)
    double low = 0;   // confidence interval of the shift: the lowRank-th smallest difference...
    double high = 0;  // ...and the highRank-th (= n*m + 1 - lowRank)
    double confidence = 0;
    qint64 lowRank = 0; // 1-based ranks among the n*m differences
    qint64 highRank = 0;
};

// Buffers the selection reuses, so that a round of checks allocates once (optional).
struct PairwiseScratch {
    std::vector<qint32> lo, hi, less, atMost; // per row of the differences: column bounds
    std::vector<double> candidates;
};

// The 1-based ranks of the interval's ends: lowRank = ceil(N/2 - 1/2 - z * sigma) clamped to
// [1, N], highRank = N + 1 - lowRank, with N = n*m, z the (1 + confidence)/2 normal quantile and
// sigma the standard deviation of U under no shift, corrected for the ties within each sample
// (the ties R's rank sees at a shift that falls between two differences). The -1/2 is the
// continuity correction. Without ties this is the normal approximation of R's exact interval
// (qwilcox); with ties it is the step at which R's asymptotic root lies. tieTerm: sum of t^3 - t
// over the tie groups within x and within y (0 without ties).
// Precondition: n, m >= 1 and 0 < confidence < 1.
std::pair<qint64, qint64> hodgesLehmannRanks(qsizetype n, qsizetype m, double tieTerm,
                                             double confidence);

// Empty sample, a non-finite value, or confidence outside (0, 1): no result.
std::optional<HodgesLehmannResult> hodgesLehmann(const QList<double> &x, const QList<double> &y,
                                                 double confidence);

// The same on finite samples sorted ascending (precondition, checked only by Q_ASSERT).
std::optional<HodgesLehmannResult> hodgesLehmannSorted(std::span<const double> x,
                                                       std::span<const double> y, double confidence,
                                                       PairwiseScratch &scratch);

// The k-th smallest (1-based, 1 <= k <= n*m) of the differences x_i - y_j, x and y finite and
// sorted ascending. Exact: the same double a full sort of the differences would give.
double kthPairwiseDifference(std::span<const double> x, std::span<const double> y, qint64 k,
                             PairwiseScratch &scratch);

} // namespace cutover::analysis
