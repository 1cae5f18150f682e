// Hodges-Lehmann: the estimate and the interval's order statistics against a brute force (all
// n*m differences, sorted), the selection against the brute force at every rank on small
// samples and on heavy ties; the interval's ends where R's wilcox.test(conf.int = TRUE) puts its
// asymptotic roots (its statistic emulated here by ranking, at points between differences); and
// the interval's coverage of a known shift in a seeded simulation.

#include "app/analysis/hodges_lehmann.h"
#include "app/analysis/normal.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <numeric>
#include <random>
#include <vector>

using namespace Qt::StringLiterals;
using namespace cutover::analysis;

namespace {

class Generator {
public:
    explicit Generator(quint64 seed)
        : engine_(seed) {}
    double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }
    double normal() {
        const double u1 = 1 - uniform();
        const double u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }
    double exponential() { return -std::log(1 - uniform()); }

private:
    std::mt19937_64 engine_;
};

std::vector<double> sample(Generator &g, int n, double shift, double round = 0,
                           bool skewed = false) {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) {
        const double d = shift + (skewed ? g.exponential() : g.normal());
        v.push_back(round > 0 ? std::round(d / round) * round : d);
    }
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<double> allDifferences(const std::vector<double> &x, const std::vector<double> &y) {
    std::vector<double> d;
    d.reserve(x.size() * y.size());
    for (double a : x) {
        for (double b : y)
            d.push_back(a - b);
    }
    std::sort(d.begin(), d.end());
    return d;
}

double tieTerm(const std::vector<double> &sorted) {
    std::map<double, int> counts;
    for (double v : sorted)
        ++counts[v];
    double t = 0;
    for (const auto &[value, c] : counts)
        t += double(c) * c * c - c;
    return t;
}

// R's wdiff(d, zq) for two.sided with correct = TRUE (stats/R/wilcox.test.R), by ranking the
// combined sample (x - d, y) with average ranks: its sign change is the interval's end.
double rStatistic(const std::vector<double> &x, const std::vector<double> &y, double d, double zq) {
    std::vector<std::pair<double, int>> all;
    for (double v : x)
        all.emplace_back(v - d, 0);
    for (double v : y)
        all.emplace_back(v, 1);
    std::sort(all.begin(), all.end());
    double rankSumX = 0;
    double ties = 0;
    for (std::size_t i = 0; i < all.size();) {
        std::size_t j = i;
        while (j < all.size() && all[j].first == all[i].first)
            ++j;
        const double average = (double(i + 1) + double(j)) / 2;
        for (std::size_t k = i; k < j; ++k) {
            if (all[k].second == 0)
                rankSumX += average;
        }
        const double t = double(j - i);
        ties += t * t * t - t;
        i = j;
    }
    const double nx = double(x.size());
    const double ny = double(y.size());
    const double dz = rankSumX - nx * (nx + 1) / 2 - nx * ny / 2;
    const double correction = (dz > 0 ? 1 : dz < 0 ? -1 : 0) * 0.5;
    const double sigma =
        std::sqrt(nx * ny / 12 * ((nx + ny + 1) - ties / ((nx + ny) * (nx + ny - 1))));
    return (dz - correction) / sigma - zq;
}

} // namespace

class TestAnalysisHodgesLehmann : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void selectionMatchesSortAtEveryRank();
    void selectionOnLargeAndTiedSamples();
    void estimateAndIntervalMatchBruteForce_data();
    void estimateAndIntervalMatchBruteForce();
    void intervalEndsWhereRFindsItsRoots();
    void ranksFollowTheExactDistribution();
    void edgeCases();
    void coversTheTrueShift_data();
    void coversTheTrueShift();
};

void TestAnalysisHodgesLehmann::selectionMatchesSortAtEveryRank() {
    Generator g(11);
    PairwiseScratch scratch;
    // Small, and past the point where the selection counts instead of sorting at once; with and
    // without ties; n != m both ways.
    const std::vector<std::pair<int, int>> sizes{{1, 1}, {1, 9}, {9, 1}, {7, 5}, {60, 45}};
    for (const auto &[n, m] : sizes) {
        for (double round : {0.0, 0.5}) {
            const auto x = sample(g, n, 0.3, round);
            const auto y = sample(g, m, 0.0, round);
            const auto brute = allDifferences(x, y);
            for (qint64 k = 1; k <= qint64(brute.size()); ++k) {
                const double got = kthPairwiseDifference(x, y, k, scratch);
                if (got != brute[std::size_t(k - 1)])
                    QFAIL(qPrintable(u"%1x%2 round %3: rank %4 gave %5, sort %6"_s.arg(n)
                                         .arg(m)
                                         .arg(round)
                                         .arg(k)
                                         .arg(got)
                                         .arg(brute[std::size_t(k - 1)])));
            }
        }
    }
}

void TestAnalysisHodgesLehmann::selectionOnLargeAndTiedSamples() {
    Generator g(12);
    PairwiseScratch scratch;
    struct Shape {
        int n, m;
        double round;
    };
    // 360 a side (a compare check), heavy ties (three values: the rounds of counting must not
    // stall on a wall of equal differences), constant samples (every difference equal).
    for (const Shape &s : {Shape{360, 360, 0.0}, Shape{300, 420, 0.01}, Shape{400, 400, 1.0}}) {
        const auto x = sample(g, s.n, 0.2, s.round);
        const auto y = sample(g, s.m, 0.0, s.round);
        const auto brute = allDifferences(x, y);
        const qint64 count = qint64(brute.size());
        std::vector<qint64> ranks{1, 2, count / 2, count / 2 + 1, count - 1, count};
        for (int i = 0; i < 60; ++i)
            ranks.push_back(1 + qint64(g.uniform() * double(count)));
        for (qint64 k : ranks)
            QCOMPARE(kthPairwiseDifference(x, y, k, scratch), brute[std::size_t(k - 1)]);
    }
    const std::vector<double> constantX(500, 2.5);
    const std::vector<double> constantY(450, 1.0);
    for (qint64 k : {qint64(1), qint64(112'500), qint64(225'000)})
        QCOMPARE(kthPairwiseDifference(constantX, constantY, k, scratch), 1.5);
    std::vector<double> threeValues;
    for (int i = 0; i < 500; ++i)
        threeValues.push_back(double(i % 3));
    std::sort(threeValues.begin(), threeValues.end());
    const auto brute = allDifferences(threeValues, threeValues);
    for (qint64 k = 1; k <= qint64(brute.size()); k += 997)
        QCOMPARE(kthPairwiseDifference(threeValues, threeValues, k, scratch),
                 brute[std::size_t(k - 1)]);
}

void TestAnalysisHodgesLehmann::estimateAndIntervalMatchBruteForce_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("m");
    QTest::addColumn<double>("round");
    QTest::addColumn<double>("confidence");
    QTest::newRow("360x360 98%") << 360 << 360 << 0.0 << 0.98;
    QTest::newRow("360x359 98% (odd count)") << 360 << 359 << 0.0 << 0.98;
    QTest::newRow("50x80 95% ties") << 50 << 80 << 0.25 << 0.95;
    QTest::newRow("5x5 98% (whole range)") << 5 << 5 << 0.0 << 0.98;
    QTest::newRow("1x1") << 1 << 1 << 0.0 << 0.9;
    QTest::newRow("1x40") << 1 << 40 << 0.0 << 0.9;
    QTest::newRow("5000x1000 98% ties") << 5000 << 1000 << 0.01 << 0.98;
}

void TestAnalysisHodgesLehmann::estimateAndIntervalMatchBruteForce() {
    QFETCH(int, n);
    QFETCH(int, m);
    QFETCH(double, round);
    QFETCH(double, confidence);
    Generator g(quint64(n) * 1000 + quint64(m));
    const auto x = sample(g, n, 1.0, round);
    const auto y = sample(g, m, 0.0, round);
    const auto brute = allDifferences(x, y);
    const std::size_t count = brute.size();
    const double median =
        count % 2 == 1 ? brute[count / 2] : std::midpoint(brute[count / 2 - 1], brute[count / 2]);

    // The ranks, from the formula in the header written out again here.
    const double z = normalQuantile((1 + confidence) / 2);
    const double total = n + m;
    const double sigma = std::sqrt(
        double(n) * m / 12 * ((total + 1) - (tieTerm(x) + tieTerm(y)) / (total * (total - 1))));
    const qint64 lowRank = std::clamp(qint64(std::ceil(double(count) / 2 - 0.5 - z * sigma)),
                                      qint64(1), qint64(count));

    PairwiseScratch scratch;
    const auto r = hodgesLehmannSorted(x, y, confidence, scratch);
    QVERIFY(r.has_value());
    QCOMPARE(r->shift, median);
    QCOMPARE(r->lowRank, lowRank);
    QCOMPARE(r->highRank, qint64(count) + 1 - lowRank);
    QCOMPARE(r->low, brute[std::size_t(r->lowRank - 1)]);
    QCOMPARE(r->high, brute[std::size_t(r->highRank - 1)]);
    QVERIFY(r->low <= r->shift && r->shift <= r->high);
    QCOMPARE(r->confidence, confidence);

    // The QList entry point sorts for itself and agrees.
    QList<double> xs(x.rbegin(), x.rend());
    QList<double> ys(y.begin(), y.end());
    std::reverse(ys.begin(), ys.end());
    const auto viaList = hodgesLehmann(xs, ys, confidence);
    QVERIFY(viaList.has_value());
    QCOMPARE(viaList->shift, r->shift);
    QCOMPARE(viaList->low, r->low);
    QCOMPARE(viaList->high, r->high);
}

void TestAnalysisHodgesLehmann::intervalEndsWhereRFindsItsRoots() {
    // R finds each end as a root of a step function of the shift d; the step is at one of the
    // differences. Check that the statistic changes sign across our end: positive just below,
    // at most 0 just above (midway to the neighbouring distinct differences).
    Generator g(13);
    PairwiseScratch scratch;
    struct Shape {
        int n, m;
        double round;
        double confidence;
    };
    for (const Shape &s : {Shape{40, 40, 0.0, 0.98}, Shape{30, 55, 0.0, 0.95},
                           Shape{60, 45, 0.5, 0.98}, Shape{25, 35, 0.1, 0.9}}) {
        const auto x = sample(g, s.n, 0.4, s.round, s.n == 30);
        const auto y = sample(g, s.m, 0.0, s.round, s.n == 30);
        const auto brute = allDifferences(x, y);
        const auto r = hodgesLehmannSorted(x, y, s.confidence, scratch);
        QVERIFY(r.has_value());
        QVERIFY(r->lowRank > 1); // not clamped: R would return its search bound there
        const double zq = normalQuantile((1 + s.confidence) / 2);
        const auto check = [&](double end, double quantile) {
            const auto at = std::lower_bound(brute.begin(), brute.end(), end);
            const auto after = std::upper_bound(brute.begin(), brute.end(), end);
            QVERIFY(at != brute.begin() && after != brute.end());
            const double below = std::midpoint(*(at - 1), end);
            const double above = std::midpoint(end, *after);
            QVERIFY2(rStatistic(x, y, below, quantile) > 0,
                     qPrintable(u"%1x%2: no sign change at %3"_s.arg(s.n).arg(s.m).arg(end)));
            QVERIFY2(rStatistic(x, y, above, quantile) <= 0,
                     qPrintable(u"%1x%2: no sign change at %3"_s.arg(s.n).arg(s.m).arg(end)));
        };
        check(r->low, zq);   // R: l <- root(zq = qnorm(alpha/2, lower.tail = FALSE))
        check(r->high, -zq); // R: u <- root(zq = qnorm(alpha/2))
    }
}

void TestAnalysisHodgesLehmann::ranksFollowTheExactDistribution() {
    // Without ties, Moses' C is qwilcox(alpha/2, n, m): the smallest c with P(U <= c) >= alpha/2
    // (the exact interval, as R gives it for small samples). Its normal approximation may be off
    // by one rank, never more, at these sizes. The exact distribution: the number of
    // arrangements with U = u, f(n, m, u) = f(n - 1, m, u - m) + f(n, m - 1, u), in doubles.
    for (const auto &[n, m] :
         std::vector<std::pair<int, int>>{{8, 8}, {10, 15}, {20, 20}, {30, 12}}) {
        std::vector<std::vector<std::vector<double>>> f(
            std::size_t(n + 1), std::vector<std::vector<double>>(std::size_t(m + 1)));
        for (int i = 0; i <= n; ++i) {
            for (int j = 0; j <= m; ++j) {
                auto &cell = f[std::size_t(i)][std::size_t(j)];
                cell.assign(std::size_t(i * j + 1), 0.0);
                if (i == 0 || j == 0) {
                    cell[0] = 1;
                    continue;
                }
                const auto &left = f[std::size_t(i - 1)][std::size_t(j)];
                const auto &up = f[std::size_t(i)][std::size_t(j - 1)];
                for (int u = 0; u <= i * j; ++u) {
                    const double a =
                        u - j >= 0 && u - j < int(left.size()) ? left[std::size_t(u - j)] : 0;
                    const double b = u < int(up.size()) ? up[std::size_t(u)] : 0;
                    cell[std::size_t(u)] = a + b;
                }
            }
        }
        const auto &counts = f[std::size_t(n)][std::size_t(m)];
        const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
        for (double confidence : {0.9, 0.95, 0.98}) {
            double cumulative = 0;
            qint64 exact = 0;
            while (cumulative / total < (1 - confidence) / 2)
                cumulative += counts[std::size_t(exact++)];
            exact = std::max<qint64>(exact - 1, 1); // qwilcox is 0-based; R uses at least 1
            const auto [low, high] = hodgesLehmannRanks(n, m, 0, confidence);
            QVERIFY2(std::abs(low - exact) <= 1,
                     qPrintable(u"%1x%2 at %3: rank %4, exact %5"_s.arg(n)
                                    .arg(m)
                                    .arg(confidence)
                                    .arg(low)
                                    .arg(exact)));
            QCOMPARE(high, qint64(n) * m + 1 - low);
        }
    }
}

void TestAnalysisHodgesLehmann::edgeCases() {
    QVERIFY(!hodgesLehmann({}, {1.0}, 0.95).has_value());
    QVERIFY(!hodgesLehmann({1.0}, {}, 0.95).has_value());
    QVERIFY(!hodgesLehmann({1.0}, {2.0}, 0.0).has_value());
    QVERIFY(!hodgesLehmann({1.0}, {2.0}, 1.0).has_value());
    QVERIFY(!hodgesLehmann({std::numeric_limits<double>::quiet_NaN()}, {2.0}, 0.9).has_value());
    QVERIFY(!hodgesLehmann({std::numeric_limits<double>::infinity()}, {2.0}, 0.9).has_value());
    const auto one = hodgesLehmann({5.0}, {2.0}, 0.98);
    QVERIFY(one.has_value());
    QCOMPARE(one->shift, 3.0);
    QCOMPARE(one->low, 3.0);
    QCOMPARE(one->high, 3.0);
    // Both constant: every difference is the same, so is the interval.
    const auto constant = hodgesLehmann(QList<double>(30, 4.0), QList<double>(20, 1.5), 0.98);
    QVERIFY(constant.has_value());
    QCOMPARE(constant->shift, 2.5);
    QCOMPARE(constant->low, 2.5);
    QCOMPARE(constant->high, 2.5);
    // Identical samples: no shift, an interval around 0.
    QList<double> same;
    for (int i = 0; i < 100; ++i)
        same.append(std::sin(i) * 10);
    const auto identical = hodgesLehmann(same, same, 0.98);
    QVERIFY(identical.has_value());
    QCOMPARE(identical->shift, 0.0);
    QVERIFY(identical->low < 0 && identical->high > 0);
    QCOMPARE(identical->low, -identical->high);
}

void TestAnalysisHodgesLehmann::coversTheTrueShift_data() {
    QTest::addColumn<double>("confidence");
    QTest::addColumn<bool>("skewed");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("m");
    QTest::addColumn<double>("atLeast");
    QTest::addColumn<double>("atMost");
    // 200 trials: the number covered is Binomial(200, c). For c = 0.90 its standard deviation is
    // sqrt(0.9 * 0.1 / 200) = 0.021, so [0.84, 0.96] is +-2.8 sd: an interval built for 80% or
    // for 99% lands outside. For c = 0.98 (sd 0.0099) only a floor of 3 sd means something.
    QTest::newRow("90% normal 40x40") << 0.90 << false << 40 << 40 << 0.84 << 0.96;
    QTest::newRow("90% exponential 30x60") << 0.90 << true << 30 << 60 << 0.84 << 0.96;
    QTest::newRow("98% normal 40x40") << 0.98 << false << 40 << 40 << 0.95 << 1.0;
}

void TestAnalysisHodgesLehmann::coversTheTrueShift() {
    QFETCH(double, confidence);
    QFETCH(bool, skewed);
    QFETCH(int, n);
    QFETCH(int, m);
    QFETCH(double, atLeast);
    QFETCH(double, atMost);
    Generator g(20240615 + quint64(n) + (skewed ? 7 : 0) + quint64(confidence * 100));
    PairwiseScratch scratch;
    constexpr int Trials = 200;
    constexpr double Shift = 0.5;
    int covered = 0;
    double estimateSum = 0;
    for (int trial = 0; trial < Trials; ++trial) {
        const auto otel = sample(g, n, Shift, 0, skewed);
        const auto legacy = sample(g, m, 0.0, 0, skewed);
        const auto r = hodgesLehmannSorted(otel, legacy, confidence, scratch);
        QVERIFY(r.has_value());
        if (r->low <= Shift && Shift <= r->high)
            ++covered;
        estimateSum += r->shift;
    }
    const double coverage = double(covered) / Trials;
    qInfo("confidence %.2f, %s %dx%d: covered %d of %d (%.3f), mean estimate %.3f (true %.1f)",
          confidence, skewed ? "exponential" : "normal", n, m, covered, Trials, coverage,
          estimateSum / Trials, Shift);
    QVERIFY2(coverage >= atLeast && coverage <= atMost, qPrintable(QString::number(coverage)));
    QVERIFY(std::abs(estimateSum / Trials - Shift) < 0.05); // the estimate is unbiased here
}

QTEST_GUILESS_MAIN(TestAnalysisHodgesLehmann)
#include "test_analysis_hodges_lehmann.moc"
