// The verdict of one compare check: pass on identical distributions, high/low only when the
// change is significant AND beyond the allowance in the bad direction, nodata (never pass) for
// too little data, and the NaN policies.

#include "app/analysis/compare.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

using namespace Qt::StringLiterals;
using namespace cutover::analysis;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr double Inf = std::numeric_limits<double>::infinity();

class Generator {
public:
    explicit Generator(quint64 seed)
        : engine_(seed) {}
    double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }
    double normal(double mean, double sd) {
        const double u1 = 1 - uniform();
        const double u2 = uniform();
        return mean + sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }

private:
    std::mt19937_64 engine_;
};

// A p95 latency in ms as a 30-minute window at 5 s gives it: 360 points around `mean`.
QList<double> latency(Generator &g, double mean, double relativeSd = 0.05, int n = 360) {
    QList<double> v;
    for (int i = 0; i < n; ++i)
        v.append(g.normal(mean, mean * relativeSd));
    return v;
}

CompareOptions options(Direction direction = Direction::Increase, double allowedIncrease = 1.05,
                       double allowedDecrease = 0.95) {
    CompareOptions o;
    o.confidence = 0.98;
    o.direction = direction;
    o.allowedIncrease = allowedIncrease;
    o.allowedDecrease = allowedDecrease;
    o.minSamples = 50;
    return o;
}

} // namespace

class TestAnalysisCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void identicalDistributionsPass();
    void noFalseAlarmsInFiftyRounds();
    void fifteenPercentHigherIsHigh();
    void threePercentIsSignificantButAllowed();
    void significantMeansPBelowOneMinusConfidence();
    void lowerIsLowOnlyWhenDecreaseCounts();
    void directionDecreaseIgnoresIncrease();
    void noDataNeverPasses_data();
    void noDataNeverPasses();
    void nanReplaceCountsGapsAsZero();
    void infinitiesAreMissingValues();
    void zeroLegacyMean();
    void negativeMeansKeepTheirDirection();
    void invalidOptionsNeverPass();
    void scratchReuseGivesTheSameResult();
};

void TestAnalysisCompare::identicalDistributionsPass() {
    Generator g(1);
    const QList<double> legacy = latency(g, 120);
    const QList<double> otel = latency(g, 120);
    const CompareResult r = compare(legacy, otel, options(Direction::Either));
    QCOMPARE(r.verdict, Verdict::Pass);
    QVERIFY(r.pValue > 0.02);
    QVERIFY(std::abs(r.meanRatio - 1) < 0.01);
    QVERIFY(r.hlLow < 0 && r.hlHigh > 0); // the interval covers "no shift"
    QCOMPARE(r.nLegacy, 360);
    QCOMPARE(r.nOtel, 360);
    QVERIFY2(r.reason.startsWith(u"No significant difference at 98% confidence"_s),
             qPrintable(r.reason));

    // The very same samples: U at its centre, p = 1, ratio exactly 1.
    const CompareResult same = compare(legacy, legacy, options(Direction::Either));
    QCOMPARE(same.verdict, Verdict::Pass);
    QCOMPARE(same.pValue, 1.0);
    QCOMPARE(same.u, 360.0 * 360 / 2);
    QCOMPARE(same.meanRatio, 1.0);
    QCOMPARE(same.hlShift, 0.0);
}

void TestAnalysisCompare::noFalseAlarmsInFiftyRounds() {
    // The lab's acceptance: identical behaviour, 50 evaluations, no false high or low.
    Generator g(2);
    int alarms = 0;
    for (int i = 0; i < 50; ++i) {
        const CompareResult r =
            compare(latency(g, 250, 0.2), latency(g, 250, 0.2), options(Direction::Either));
        QVERIFY(r.verdict != Verdict::NoData);
        alarms += r.verdict != Verdict::Pass;
    }
    QCOMPARE(alarms, 0);
}

void TestAnalysisCompare::fifteenPercentHigherIsHigh() {
    Generator g(3);
    const CompareResult r = compare(latency(g, 100), latency(g, 115), options());
    QCOMPARE(r.verdict, Verdict::High);
    QVERIFY(r.pValue < 1e-10);
    QVERIFY(r.u > 360.0 * 360 / 2);
    QVERIFY(std::abs(r.meanRatio - 1.15) < 0.01);
    QVERIFY(std::abs(r.hlShift - 15) < 1.0);
    QVERIFY(r.hlLow > 0 && r.hlLow < r.hlShift && r.hlShift < r.hlHigh);
    QCOMPARE(r.reason, u"OTel is 15% higher than legacy (98% confidence, allowed 5%)."_s);
}

void TestAnalysisCompare::threePercentIsSignificantButAllowed() {
    Generator g(4);
    const CompareResult r = compare(latency(g, 100, 0.02), latency(g, 103, 0.02), options());
    QVERIFY2(r.pValue < 0.02, "the change must be significant for this test to mean anything");
    QVERIFY(r.meanRatio > 1.02 && r.meanRatio < 1.04);
    QCOMPARE(r.verdict, Verdict::Pass);
    QVERIFY2(r.reason.endsWith(u"higher than legacy (98% confidence), within the allowed 5%."_s),
             qPrintable(r.reason));
    // The same data with no allowance (Kayenta's default 1.0): now it counts.
    const CompareResult strict =
        compare(latency(g, 100, 0.02), latency(g, 103, 0.02), options(Direction::Increase, 1.0));
    QCOMPARE(strict.verdict, Verdict::High);
}

void TestAnalysisCompare::significantMeansPBelowOneMinusConfidence() {
    // The same change either side of the line: High when p is just below 1 - confidence, Pass
    // just above it.
    Generator g(13);
    const QList<double> legacy = latency(g, 100, 0.05, 60);
    const QList<double> otel = latency(g, 102, 0.05, 60);
    const CompareResult probe = compare(legacy, otel, options(Direction::Increase, 1.0));
    QVERIFY2(probe.pValue > 1e-6 && probe.pValue < 0.5, qPrintable(QString::number(probe.pValue)));
    QVERIFY(probe.meanRatio > 1.0);
    CompareOptions o = options(Direction::Increase, 1.0);
    o.confidence = 1 - probe.pValue * 1.01;
    QCOMPARE(compare(legacy, otel, o).verdict, Verdict::High);
    o.confidence = 1 - probe.pValue * 0.99;
    const CompareResult notSignificant = compare(legacy, otel, o);
    QCOMPARE(notSignificant.verdict, Verdict::Pass);
    QCOMPARE(notSignificant.pValue, probe.pValue); // the confidence moves only the line
}

void TestAnalysisCompare::lowerIsLowOnlyWhenDecreaseCounts() {
    Generator g(5);
    const QList<double> legacy = latency(g, 100);
    const QList<double> otel = latency(g, 85);
    const CompareResult either = compare(legacy, otel, options(Direction::Either));
    QCOMPARE(either.verdict, Verdict::Low);
    QVERIFY(either.hlHigh < 0);
    QCOMPARE(either.reason, u"OTel is 15% lower than legacy (98% confidence, allowed 5%)."_s);
    const CompareResult decrease = compare(legacy, otel, options(Direction::Decrease));
    QCOMPARE(decrease.verdict, Verdict::Low);
    // A faster OTel is no regression when only an increase is bad.
    const CompareResult increase = compare(legacy, otel, options(Direction::Increase));
    QCOMPARE(increase.verdict, Verdict::Pass);
    QCOMPARE(increase.reason,
             u"OTel is 15% lower than legacy (98% confidence); only an increase fails this "
             "check."_s);
    // Either also catches the increase.
    const CompareResult up = compare(legacy, latency(g, 112), options(Direction::Either));
    QCOMPARE(up.verdict, Verdict::High);
}

void TestAnalysisCompare::directionDecreaseIgnoresIncrease() {
    // Completeness (exported / accepted): only a drop is bad.
    Generator g(6);
    const CompareResult r =
        compare(latency(g, 1.0, 0.01), latency(g, 1.2, 0.01), options(Direction::Decrease));
    QCOMPARE(r.verdict, Verdict::Pass);
    QVERIFY(r.pValue < 1e-10);
    QVERIFY2(r.reason.contains(u"only a decrease fails this check"_s), qPrintable(r.reason));
}

void TestAnalysisCompare::noDataNeverPasses_data() {
    QTest::addColumn<QList<double>>("legacy");
    QTest::addColumn<QList<double>>("otel");
    QTest::addColumn<int>("nan"); // NanPolicy
    QTest::addColumn<QString>("reason");
    Generator g(7);
    const QList<double> full = latency(g, 100);
    const QList<double> allNan(360, NaN);
    QTest::newRow("empty otel") << full << QList<double>{} << int(NanPolicy::Remove)
                                << u"No data: OTel returned no samples."_s;
    QTest::newRow("both empty") << QList<double>{} << QList<double>{} << int(NanPolicy::Remove)
                                << u"No data: legacy returned no samples and OTel returned no "
                                   "samples."_s;
    QTest::newRow("too few legacy") << latency(g, 100, 0.05, 30) << full << int(NanPolicy::Remove)
                                    << u"Not enough data: legacy has 30 samples, 50 needed."_s;
    QTest::newRow("all NaN, remove")
        << full << allNan << int(NanPolicy::Remove) << u"No data: every OTel sample is NaN."_s;
    // Replacing NaN with 0 must not turn a side of nothing into a constant that can pass.
    QTest::newRow("all NaN, replace") << allNan << allNan << int(NanPolicy::Replace)
                                      << u"No data: every legacy sample is NaN and every OTel "
                                         "sample is NaN."_s;
    QList<double> fewReal(360, NaN);
    for (int i = 0; i < 40; ++i)
        fewReal[i * 9] = 100;
    QTest::newRow("40 real of 360, replace")
        << full << fewReal << int(NanPolicy::Replace)
        << u"Not enough data: OTel has 40 samples, 50 needed."_s;
}

void TestAnalysisCompare::noDataNeverPasses() {
    QFETCH(QList<double>, legacy);
    QFETCH(QList<double>, otel);
    QFETCH(int, nan);
    QFETCH(QString, reason);
    CompareOptions o = options(Direction::Either);
    o.nan = NanPolicy(nan);
    const CompareResult r = compare(legacy, otel, o);
    QCOMPARE(r.verdict, Verdict::NoData);
    QCOMPARE(r.reason, reason);
    QVERIFY(std::isnan(r.pValue));
    QVERIFY(std::isnan(r.u));
    QVERIFY(std::isnan(r.meanRatio));
}

void TestAnalysisCompare::nanReplaceCountsGapsAsZero() {
    // OTel drops a fifth of its points (NaN: the series has gaps). Removing the NaNs judges the
    // points that arrived (they match); replacing them with 0 judges what was delivered, and
    // that is 20% less.
    Generator g(8);
    const QList<double> legacy = latency(g, 500, 0.03);
    QList<double> otel = latency(g, 500, 0.03);
    for (int i = 0; i < otel.size(); i += 5)
        otel[i] = NaN;
    CompareOptions o = options(Direction::Decrease);

    o.nan = NanPolicy::Remove;
    const CompareResult removed = compare(legacy, otel, o);
    QCOMPARE(removed.verdict, Verdict::Pass);
    QCOMPARE(removed.nOtel, 288);
    QCOMPARE(removed.missingOtel, 72);
    QCOMPARE(removed.missingLegacy, 0);

    o.nan = NanPolicy::Replace;
    const CompareResult replaced = compare(legacy, otel, o);
    QCOMPARE(replaced.verdict, Verdict::Low);
    QCOMPARE(replaced.nOtel, 360);
    QCOMPARE(replaced.missingOtel, 72);
    QVERIFY(std::abs(replaced.meanRatio - 0.8) < 0.01);
    QVERIFY2(replaced.reason.startsWith(u"OTel is 20% lower than legacy"_s),
             qPrintable(replaced.reason));
}

void TestAnalysisCompare::infinitiesAreMissingValues() {
    Generator g(9);
    QList<double> legacy = latency(g, 100);
    QList<double> otel = latency(g, 100);
    legacy[3] = Inf;
    otel[7] = -Inf;
    otel[8] = NaN;
    const CompareResult r = compare(legacy, otel, options(Direction::Either));
    QCOMPARE(r.verdict, Verdict::Pass);
    QCOMPARE(r.missingLegacy, 1);
    QCOMPARE(r.missingOtel, 2);
    QVERIFY(std::isfinite(r.meanRatio) && std::isfinite(r.hlShift));
}

void TestAnalysisCompare::zeroLegacyMean() {
    // Error counts: legacy had none. Both none: equal, pass.
    CompareOptions o = options(Direction::Increase);
    o.minSamples = 10;
    const CompareResult none = compare(QList<double>(60, 0.0), QList<double>(60, 0.0), o);
    QCOMPARE(none.verdict, Verdict::Pass);
    QCOMPARE(none.meanRatio, 1.0);
    QCOMPARE(none.pValue, 1.0);

    // OTel has errors where legacy has none: an unbounded increase, no NaN, no division by 0.
    QList<double> some(60, 0.0);
    for (int i = 0; i < 60; i += 2)
        some[i] = 3;
    const CompareResult errors = compare(QList<double>(60, 0.0), some, o);
    QCOMPARE(errors.verdict, Verdict::High);
    QCOMPARE(errors.meanRatio, Inf);
    QCOMPARE(errors.reason,
             u"OTel averages 1.5 where legacy averages 0 (98% confidence, allowed 5%)."_s);

    // A legacy mean of 0 from values around it: the ratio stays a number of the right sign.
    QList<double> centred;
    for (int i = 0; i < 60; ++i)
        centred.append(i % 2 == 0 ? -1.0 : 1.0);
    QList<double> lower;
    for (int i = 0; i < 60; ++i)
        lower.append(i % 2 == 0 ? -3.0 : -1.0);
    o.direction = Direction::Either;
    const CompareResult below = compare(centred, lower, o);
    QCOMPARE(below.meanRatio, -Inf);
    QCOMPARE(below.verdict, Verdict::Low);
}

void TestAnalysisCompare::negativeMeansKeepTheirDirection() {
    // A metric that is negative (a clock offset): OTel at -115 against legacy at -100 is lower,
    // so the ratio reads below 1, not 1.15.
    Generator g(10);
    const CompareResult r = compare(latency(g, -100), latency(g, -115), options(Direction::Either));
    QVERIFY(std::abs(r.meanRatio - 0.85) < 0.01);
    QCOMPARE(r.verdict, Verdict::Low);
}

void TestAnalysisCompare::invalidOptionsNeverPass() {
    Generator g(11);
    const QList<double> legacy = latency(g, 100);
    const QList<double> otel = latency(g, 100);
    CompareOptions o = options();
    o.confidence = 1.0;
    QCOMPARE(compare(legacy, otel, o).verdict, Verdict::NoData);
    o = options();
    o.allowedIncrease = NaN;
    QCOMPARE(compare(legacy, otel, o).verdict, Verdict::NoData);
    o = options();
    o.minSamples = -1;
    QCOMPARE(compare(legacy, otel, o).verdict, Verdict::NoData);
    // Huge values whose mean overflows: no verdict rather than a NaN ratio.
    const CompareResult huge =
        compare(QList<double>(60, 1e308), QList<double>(60, 1e308), options());
    QCOMPARE(huge.verdict, Verdict::NoData);
}

void TestAnalysisCompare::scratchReuseGivesTheSameResult() {
    Generator g(12);
    CompareScratch scratch;
    for (int i = 0; i < 5; ++i) {
        const QList<double> legacy = latency(g, 100, 0.1, 100 + 50 * i);
        const QList<double> otel = latency(g, 104, 0.1, 400 - 50 * i);
        const CompareResult fresh = compare(legacy, otel, options(Direction::Either));
        const CompareResult reused = compare(legacy, otel, options(Direction::Either), scratch);
        QCOMPARE(reused.verdict, fresh.verdict);
        QCOMPARE(reused.u, fresh.u);
        QCOMPARE(reused.pValue, fresh.pValue);
        QCOMPARE(reused.hlShift, fresh.hlShift);
        QCOMPARE(reused.hlLow, fresh.hlLow);
        QCOMPARE(reused.hlHigh, fresh.hlHigh);
        QCOMPARE(reused.reason, fresh.reason);
    }
}

QTEST_GUILESS_MAIN(TestAnalysisCompare)
#include "test_analysis_compare.moc"
