// The Mann-Whitney U test without an oracle process: values worked out by the textbook method
// (average ranks, R1 - n1(n1+1)/2, sigma with sum(t^3 - t)), the edge cases, and the symmetries
// the statistic must have. test_analysis_scipy holds it to SciPy on many more samples.

#include "app/analysis/mann_whitney.h"
#include "app/analysis/normal.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace cutover::analysis;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr double Inf = std::numeric_limits<double>::infinity();

QList<double> seeded(quint64 seed, int n, double shift, double step) {
    std::mt19937_64 engine(seed);
    QList<double> v;
    for (int i = 0; i < n; ++i) {
        const double u = double(engine() >> 11) * 0x1.0p-53;
        v.append(shift + std::round(u * 100 / step) * step);
    }
    return v;
}

} // namespace

class TestAnalysisMannWhitney : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void textbookValues_data();
    void textbookValues();
    void noResultWithoutData();
    void oneValueEachSide();
    void identicalAndConstantSamplesGiveOne();
    void symmetricInTheSamples();
    void invariantUnderMonotoneRescaling();
    void sortedVariantAgrees();
    void farTailKeepsPrecision();
    void normalQuantileInvertsSurvival();
};

void TestAnalysisMannWhitney::textbookValues_data() {
    QTest::addColumn<QList<double>>("x");
    QTest::addColumn<QList<double>>("y");
    QTest::addColumn<double>("u");
    QTest::addColumn<double>("p");
    // U and p from average ranks, computed by hand in Python (math.erfc), not by this code.
    QTest::newRow("separated") << QList<double>{1, 2, 3} << QList<double>{4, 5} << 0.0
                               << 0.14891467317876567;
    QTest::newRow("ties") << QList<double>{1, 2, 2, 3} << QList<double>{2, 3, 3, 4} << 3.0
                          << 0.17203370892182296;
    QTest::newRow("interleaved") << QList<double>{1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8}
                                 << QList<double>{0.5, 9.9, 10.1, 11.0, 12.0} << 8.0
                                 << 0.092292339034073259;
}

void TestAnalysisMannWhitney::textbookValues() {
    QFETCH(QList<double>, x);
    QFETCH(QList<double>, y);
    QFETCH(double, u);
    QFETCH(double, p);
    const auto r = mannWhitneyU(x, y);
    QVERIFY(r.has_value());
    QCOMPARE(r->u, u);
    QVERIFY2(std::abs(r->pValue - p) < 1e-15, qPrintable(QString::number(r->pValue, 'g', 17)));
    QCOMPARE(r->nX, x.size());
    QCOMPARE(r->nY, y.size());
}

void TestAnalysisMannWhitney::noResultWithoutData() {
    QVERIFY(!mannWhitneyU({}, {1.0}).has_value());
    QVERIFY(!mannWhitneyU({1.0}, {}).has_value());
    QVERIFY(!mannWhitneyU({}, {}).has_value());
    // A NaN has no rank: no result rather than a made-up one (compare() applies the NaN policy).
    QVERIFY(!mannWhitneyU({1.0, NaN}, {2.0}).has_value());
    QVERIFY(!mannWhitneyU({1.0}, {NaN}).has_value());
    const std::vector<double> withNan{1.0, NaN};
    const std::vector<double> plain{0.5, 2.0};
    QVERIFY(!mannWhitneyUSorted(withNan, plain).has_value());
    QVERIFY(!mannWhitneyUSorted(plain, withNan).has_value());
    // Infinities are values like any other.
    const auto inf = mannWhitneyU({Inf, 1.0}, {-Inf, 0.5});
    QVERIFY(inf.has_value());
    QCOMPARE(inf->u, 4.0);
}

void TestAnalysisMannWhitney::oneValueEachSide() {
    // n = 2 in all: sigma = 1/2, U = 1, z = (1 - 1/2 - 1/2) / (1/2) = 0, p = 1.
    const auto different = mannWhitneyU({1.0}, {2.0});
    QVERIFY(different.has_value());
    QCOMPARE(different->u, 0.0);
    QCOMPARE(different->pValue, 1.0);
    const auto equal = mannWhitneyU({2.0}, {2.0});
    QVERIFY(equal.has_value());
    QCOMPARE(equal->u, 0.5);
    QCOMPARE(equal->pValue, 1.0);
    const auto oneAgainstMany = mannWhitneyU({100.0}, seeded(1, 30, 0, 1));
    QVERIFY(oneAgainstMany.has_value());
    QCOMPARE(oneAgainstMany->u, 30.0);
    QVERIFY(oneAgainstMany->pValue > 0.05); // one value is never strong evidence
}

void TestAnalysisMannWhitney::identicalAndConstantSamplesGiveOne() {
    const QList<double> sample = seeded(2, 200, 0, 0.5);
    const auto same = mannWhitneyU(sample, sample);
    QVERIFY(same.has_value());
    QCOMPARE(same->u, 200.0 * 200 / 2);
    QCOMPARE(same->pValue, 1.0);
    // Every value tied: zero variance, no evidence of anything.
    const auto constant = mannWhitneyU(QList<double>(50, 3.0), QList<double>(70, 3.0));
    QVERIFY(constant.has_value());
    QCOMPARE(constant->u, 50.0 * 70 / 2);
    QCOMPARE(constant->pValue, 1.0);
    // Two different constants: all ties within each side, none across; clearly different.
    const auto apart = mannWhitneyU(QList<double>(50, 3.0), QList<double>(70, 4.0));
    QVERIFY(apart.has_value());
    QCOMPARE(apart->u, 0.0);
    QVERIFY(apart->pValue < 1e-20);
}

void TestAnalysisMannWhitney::symmetricInTheSamples() {
    const QList<double> x = seeded(3, 123, 0.0, 0.25);
    const QList<double> y = seeded(4, 77, 5.0, 0.25);
    const auto xy = mannWhitneyU(x, y);
    const auto yx = mannWhitneyU(y, x);
    QVERIFY(xy && yx);
    QCOMPARE(xy->u + yx->u, 123.0 * 77);
    QCOMPARE(xy->pValue, yx->pValue);
}

void TestAnalysisMannWhitney::invariantUnderMonotoneRescaling() {
    // Ranks only: the same test on milliseconds or seconds, on an offset scale.
    const QList<double> x = seeded(5, 90, 0.0, 0.5);
    const QList<double> y = seeded(6, 110, 3.0, 0.5);
    QList<double> x2, y2;
    for (double v : x)
        x2.append(v * 1000 + 7);
    for (double v : y)
        y2.append(v * 1000 + 7);
    const auto a = mannWhitneyU(x, y);
    const auto b = mannWhitneyU(x2, y2);
    QVERIFY(a && b);
    QCOMPARE(a->u, b->u);
    QCOMPARE(a->pValue, b->pValue);
}

void TestAnalysisMannWhitney::sortedVariantAgrees() {
    QList<double> x = seeded(7, 301, 0.0, 1);
    QList<double> y = seeded(8, 299, 1.0, 1);
    const auto unsorted = mannWhitneyU(x, y);
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    const auto sorted = mannWhitneyUSorted(std::span<const double>(x.constData(), x.size()),
                                           std::span<const double>(y.constData(), y.size()));
    QVERIFY(unsorted && sorted);
    QCOMPARE(sorted->u, unsorted->u);
    QCOMPARE(sorted->pValue, unsorted->pValue);
}

void TestAnalysisMannWhitney::farTailKeepsPrecision() {
    // 1 - Phi(z) would round to 0 here; the p-value must stay a positive, usable number.
    QList<double> low, high;
    for (int i = 0; i < 300; ++i) {
        low.append(i);
        high.append(1000 + i);
    }
    const auto r = mannWhitneyU(low, high);
    QVERIFY(r.has_value());
    QVERIFY(r->pValue > 0);
    QVERIFY(r->pValue < 1e-90); // 2 * P(Z > 21.2) = 1.06e-99
    QCOMPARE(normalSurvival(10.0) > 7.6e-24 && normalSurvival(10.0) < 7.7e-24, true);
}

void TestAnalysisMannWhitney::normalQuantileInvertsSurvival() {
    for (double p : {1e-12, 1e-6, 0.001, 0.01, 0.02425, 0.2, 0.5, 0.8, 0.975, 0.99, 0.999999}) {
        const double z = normalQuantile(p);
        // Phi(z) = P(Z > -z), to a few units in the last place.
        QVERIFY2(std::abs(normalSurvival(-z) - p) <= 1e-14 * p, qPrintable(QString::number(p)));
    }
    QCOMPARE(normalQuantile(0.5), 0.0);
    QVERIFY(std::abs(normalQuantile(0.99) - 2.3263478740408408) < 1e-14);
    QVERIFY(std::abs(normalQuantile(0.975) - 1.959963984540054) < 1e-14);
    QVERIFY(std::isnan(normalQuantile(0)));
    QVERIFY(std::isnan(normalQuantile(1)));
    QVERIFY(std::isnan(normalQuantile(NaN)));
}

QTEST_GUILESS_MAIN(TestAnalysisMannWhitney)
#include "test_analysis_mann_whitney.moc"
