#include "app/analysis/hodges_lehmann.h"

#include "app/analysis/normal.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

namespace cutover::analysis {

namespace {

// The differences as a matrix: row r holds x[r] - y[j] for j from m - 1 down to 0 (y read
// backwards), so the values ascend along every row and down every column. Floating-point
// subtraction is monotone in each operand, so this holds for the computed doubles, not only for
// the reals: the selection returns exactly the double a sort of all differences puts there.
class DifferenceMatrix {
public:
    DifferenceMatrix(std::span<const double> x, std::span<const double> y)
        : x_(x)
        , y_(y) {}
    std::size_t rows() const { return x_.size(); }
    qint32 cols() const { return qint32(y_.size()); }
    double at(std::size_t row, qint32 col) const { return x_[row] - y_[y_.size() - 1 - col]; }

private:
    std::span<const double> x_;
    std::span<const double> y_;
};

// SplitMix64 with a fixed seed: random pivots, so that no ordering of the input makes the
// selection slow; a fixed seed, so that the time for a given input is reproducible. The result
// never depends on the pivots.
class SplitMix {
public:
    quint64 next() {
        quint64 z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    quint64 state_ = 0;
};

// Selection of the k-th smallest difference. Each row keeps the columns [lo, hi) that may still
// hold it: everything left of lo is known smaller, everything from hi on known larger. The
// pivot is always a candidate (a value inside the ranges), so a count against it never
// leaves a row's range, and every round drops at least the pivot itself: the loop ends even
// when all differences are equal.
class Selector {
public:
    Selector(const DifferenceMatrix &d, PairwiseScratch &s)
        : d_(d)
        , s_(s) {}

    double select(qint64 k) {
        s_.lo.assign(d_.rows(), 0);
        s_.hi.assign(d_.rows(), d_.cols());
        s_.less.resize(d_.rows());
        s_.atMost.resize(d_.rows());
        below_ = 0;
        active_ = qint64(d_.rows()) * d_.cols();
        // Below this many candidates, copying them out for nth_element costs less than more
        // rounds of counting (a round is a walk or two down the rows).
        const qint64 gatherLimit = 2 * (qint64(d_.rows()) + d_.cols()) + 64;
        while (active_ > gatherLimit) {
            const double pivot = pivotFor(k);
            const qint64 less = count(pivot, false, s_.less);
            if (k <= less) { // the answer is below the pivot
                keep(s_.lo, s_.less);
                continue;
            }
            const qint64 atMost = count(pivot, true, s_.atMost);
            if (k <= atMost) // the answer is a tie with the pivot
                return pivot;
            keep(s_.atMost, s_.hi); // the answer is above the pivot
            below_ = atMost;
        }
        return gather(k);
    }

private:
    // How many differences in each row are below p (or at most p), into counts, and their sum.
    // Going down the rows x grows, so each row's count is at most the row above's: one column
    // pointer moving left serves every row. p is a candidate, so each count lies in [lo, hi].
    qint64 count(double p, bool inclusive, std::vector<qint32> &counts) const {
        qint64 total = 0;
        qint32 col = d_.cols();
        for (std::size_t row = 0; row < d_.rows(); ++row) {
            col = std::clamp(col, s_.lo[row], s_.hi[row]);
            while (col > s_.lo[row] &&
                   (inclusive ? d_.at(row, col - 1) > p : d_.at(row, col - 1) >= p))
                --col;
            counts[row] = col;
            total += col;
        }
        return total;
    }

    // The candidates become the columns [lo, hi) of each row.
    void keep(const std::vector<qint32> &lo, const std::vector<qint32> &hi) {
        active_ = 0;
        for (std::size_t row = 0; row < d_.rows(); ++row) {
            s_.lo[row] = lo[row];
            s_.hi[row] = hi[row];
            active_ += hi[row] - lo[row];
        }
    }

    // A pivot whose rank among the candidates is likely close to k's: the matching quantile of
    // a few random candidates (as Floyd and Rivest do), so a round keeps a fraction of the
    // candidates around the answer rather than half of them on average.
    double pivotFor(qint64 k) {
        constexpr std::size_t SampleSize = 15;
        std::array<qint64, SampleSize> positions{};
        for (qint64 &p : positions)
            p = qint64(random_.next() % quint64(active_));
        std::sort(positions.begin(), positions.end());
        std::array<double, SampleSize> sample{};
        // One walk down the rows finds every sampled position (they are sorted).
        std::size_t row = 0;
        qint64 rowStart = 0; // position of the row's first candidate
        for (std::size_t i = 0; i < SampleSize; ++i) {
            while (rowStart + (s_.hi[row] - s_.lo[row]) <= positions[i]) {
                rowStart += s_.hi[row] - s_.lo[row];
                ++row;
            }
            sample[i] = d_.at(row, s_.lo[row] + qint32(positions[i] - rowStart));
        }
        std::sort(sample.begin(), sample.end());
        const double fraction = double(k - below_) / double(active_);
        return sample[std::min(SampleSize - 1, std::size_t(fraction * SampleSize))];
    }

    double gather(qint64 k) {
        s_.candidates.clear();
        for (std::size_t row = 0; row < d_.rows(); ++row) {
            for (qint32 col = s_.lo[row]; col < s_.hi[row]; ++col)
                s_.candidates.push_back(d_.at(row, col));
        }
        const auto nth = s_.candidates.begin() + (k - below_ - 1);
        std::nth_element(s_.candidates.begin(), nth, s_.candidates.end());
        return *nth;
    }

    const DifferenceMatrix &d_;
    PairwiseScratch &s_;
    SplitMix random_;
    qint64 below_ = 0;  // differences known smaller than the answer: sum of lo
    qint64 active_ = 0; // candidates: sum of hi - lo
};

double tieTermWithin(std::span<const double> sorted) {
    double term = 0;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i + 1;
        while (j < sorted.size() && sorted[j] == sorted[i])
            ++j;
        const double t = double(j - i);
        term += t * t * t - t;
        i = j;
    }
    return term;
}

bool isSortedFinite(std::span<const double> v) {
    return std::is_sorted(v.begin(), v.end()) &&
           std::all_of(v.begin(), v.end(), [](double d) { return std::isfinite(d); });
}

} // namespace

std::pair<qint64, qint64> hodgesLehmannRanks(qsizetype n, qsizetype m, double tieTerm,
                                             double confidence) {
    const double dn = double(n);
    const double dm = double(m);
    const qint64 count = qint64(n) * qint64(m);
    const double z = normalQuantile((1 + confidence) / 2);
    const double total = dn + dm;
    const double variance =
        total > 1 ? dn * dm / 12 * ((total + 1) - tieTerm / (total * (total - 1))) : 0.0;
    const double sigma = variance > 0 ? std::sqrt(variance) : 0.0;
    const double lowRank = std::ceil(double(count) / 2 - 0.5 - z * sigma);
    const qint64 low = std::clamp(qint64(std::max(lowRank, 1.0)), qint64(1), count);
    return {low, count + 1 - low};
}

double kthPairwiseDifference(std::span<const double> x, std::span<const double> y, qint64 k,
                             PairwiseScratch &scratch) {
    Q_ASSERT(!x.empty() && !y.empty());
    Q_ASSERT(k >= 1 && k <= qint64(x.size()) * qint64(y.size()));
    // Row bounds are stored as qint32: a sample of 2^31 values is far beyond any window.
    Q_ASSERT(y.size() < std::size_t(std::numeric_limits<qint32>::max()));
    const DifferenceMatrix d(x, y);
    return Selector(d, scratch).select(k);
}

std::optional<HodgesLehmannResult> hodgesLehmannSorted(std::span<const double> x,
                                                       std::span<const double> y, double confidence,
                                                       PairwiseScratch &scratch) {
    if (x.empty() || y.empty() || !(confidence > 0 && confidence < 1))
        return std::nullopt;
    Q_ASSERT(isSortedFinite(x) && isSortedFinite(y));

    const qint64 count = qint64(x.size()) * qint64(y.size());
    const auto [lowRank, highRank] = hodgesLehmannRanks(
        qsizetype(x.size()), qsizetype(y.size()), tieTermWithin(x) + tieTermWithin(y), confidence);
    const auto kth = [&](qint64 k) {
        return kthPairwiseDifference(x, y, k, scratch);
    };

    HodgesLehmannResult result;
    result.confidence = confidence;
    result.lowRank = lowRank;
    result.highRank = highRank;
    // The median; of the middle two when the count is even, as a sort would give it.
    result.shift =
        count % 2 == 1 ? kth((count + 1) / 2) : std::midpoint(kth(count / 2), kth(count / 2 + 1));
    result.low = kth(lowRank);
    result.high = highRank == lowRank ? result.low : kth(highRank);
    return result;
}

std::optional<HodgesLehmannResult> hodgesLehmann(const QList<double> &x, const QList<double> &y,
                                                 double confidence) {
    if (x.isEmpty() || y.isEmpty())
        return std::nullopt;
    const auto finite = [](const QList<double> &s) {
        return std::all_of(s.cbegin(), s.cend(), [](double v) { return std::isfinite(v); });
    };
    if (!finite(x) || !finite(y))
        return std::nullopt; // inf - inf has no order
    std::vector<double> sorted;
    sorted.reserve(std::size_t(x.size() + y.size()));
    sorted.insert(sorted.end(), x.cbegin(), x.cend());
    sorted.insert(sorted.end(), y.cbegin(), y.cend());
    const auto middle = sorted.begin() + x.size();
    std::sort(sorted.begin(), middle);
    std::sort(middle, sorted.end());
    PairwiseScratch scratch;
    return hodgesLehmannSorted(
        std::span<const double>(sorted.data(), std::size_t(x.size())),
        std::span<const double>(sorted.data() + x.size(), std::size_t(y.size())), confidence,
        scratch);
}

} // namespace cutover::analysis
