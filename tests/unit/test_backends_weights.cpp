// weightsFor: integer weights whose realized share is the closest possible, exact for the
// seed's stages with 2 legacy + 3 OTel servers; rollback weights; drift comparison.

#include "app/backends/weight_plan.h"

#include <QTest>

#include <cmath>

using namespace Qt::StringLiterals;
using namespace cutover::backends;

namespace {
const QStringList kLegacy = {u"legacy-collector-1"_s, u"legacy-collector-2"_s};
const QStringList kOtel = {u"otel-collector-1"_s, u"otel-collector-2"_s, u"otel-collector-3"_s};

int sumOf(const WeightPlan &plan, const QStringList &servers) {
    int sum = 0;
    for (const QString &s : servers)
        sum += plan.weights.value(s);
    return sum;
}
} // namespace

class TestBackendsWeights : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exactForSeedStages_data();
    void exactForSeedStages();
    void closestForAwkwardTargets();
    void everyWeightInRange();
    void degeneratePools();
    void rollbackIsLegacyOnly();
    void driftListsEveryDifference();
};

void TestBackendsWeights::exactForSeedStages_data() {
    QTest::addColumn<double>("target");
    QTest::addColumn<int>("legacyWeight");
    QTest::addColumn<int>("otelWeight");
    // The table an operator will see: each pool's servers equal, largest weight near 100.
    QTest::newRow("0%") << 0.0 << 100 << 0;
    QTest::newRow("10%") << 0.10 << 108 << 8;
    QTest::newRow("25%") << 0.25 << 99 << 22;
    QTest::newRow("50%") << 0.50 << 99 << 66;
    QTest::newRow("100%") << 1.0 << 0 << 100;
}

void TestBackendsWeights::exactForSeedStages() {
    QFETCH(double, target);
    QFETCH(int, legacyWeight);
    QFETCH(int, otelWeight);
    const WeightPlan plan = weightsFor(target, kLegacy, kOtel);
    QCOMPARE(plan.realizedShare, target); // exact, not approximately
    QCOMPARE(plan.requestedShare, target);
    QCOMPARE(plan.weights.size(), 5);
    for (const QString &s : kLegacy)
        QCOMPARE(plan.weights.value(s), legacyWeight);
    for (const QString &s : kOtel)
        QCOMPARE(plan.weights.value(s), otelWeight);
    const int otel = sumOf(plan, kOtel);
    const int total = otel + sumOf(plan, kLegacy);
    QCOMPARE(double(otel) / total, target);
}

void TestBackendsWeights::closestForAwkwardTargets() {
    for (double target : {0.01, 0.0333, 0.3333, 0.6667, 0.77, 0.999, 0.001}) {
        const WeightPlan plan = weightsFor(target, kLegacy, kOtel);
        QVERIFY2(std::abs(plan.realizedShare - target) < 0.0015,
                 qPrintable(u"%1 -> %2"_s.arg(target).arg(plan.realizedShare)));
        // No assignment in range does better (brute force over pool totals).
        double best = 1;
        for (int l = 0; l <= 512; ++l) {
            for (int o = 0; o <= 768; ++o) {
                if (l + o > 0)
                    best = std::min(best, std::abs(double(o) / (l + o) - target));
            }
        }
        QVERIFY2(std::abs(plan.realizedShare - target) <= best + 1e-12,
                 qPrintable(u"%1: %2 vs best %3"_s.arg(target).arg(plan.realizedShare).arg(best)));
    }
}

void TestBackendsWeights::everyWeightInRange() {
    for (int percent = 0; percent <= 100; ++percent) {
        const WeightPlan plan = weightsFor(percent / 100.0, kLegacy, kOtel);
        int minimum = 256;
        int maximum = 0;
        for (const QString &s : kOtel) {
            minimum = std::min(minimum, plan.weights.value(s));
            maximum = std::max(maximum, plan.weights.value(s));
        }
        QVERIFY(maximum - minimum <= 1); // a pool stays evenly loaded
        for (int w : plan.weights)
            QVERIFY(w >= 0 && w <= 256);
        QVERIFY(sumOf(plan, kLegacy) + sumOf(plan, kOtel) > 0);
    }
}

void TestBackendsWeights::degeneratePools() {
    const WeightPlan onlyOtel = weightsFor(0.3, {}, kOtel);
    QCOMPARE(onlyOtel.realizedShare, 1.0);
    const WeightPlan onlyLegacy = weightsFor(0.3, kLegacy, {});
    QCOMPARE(onlyLegacy.realizedShare, 0.0);
    const WeightPlan clamped = weightsFor(1.7, kLegacy, kOtel);
    QCOMPARE(clamped.realizedShare, 1.0);
    QVERIFY(weightsFor(0.5, {}, {}).weights.isEmpty());
}

void TestBackendsWeights::rollbackIsLegacyOnly() {
    const WeightPlan plan = rollbackWeights(kLegacy, kOtel);
    QCOMPARE(plan.weights.value(u"legacy-collector-1"_s), 100);
    QCOMPARE(plan.weights.value(u"otel-collector-3"_s), 0);
    QCOMPARE(plan.realizedShare, 0.0);
    const WeightPlan custom = rollbackWeights(kLegacy, kOtel, 50, 0);
    QCOMPARE(custom.weights.value(u"legacy-collector-2"_s), 50);
    QVERIFY(std::isnan(realizedShare({{u"a"_s, 0}}, {u"a"_s})));
}

void TestBackendsWeights::driftListsEveryDifference() {
    const QMap<QString, int> intended{{u"a"_s, 10}, {u"b"_s, 20}, {u"c"_s, 0}};
    QVERIFY(compareWeights(intended, intended).isEmpty());
    const auto drifts = compareWeights(intended, {{u"a"_s, 10}, {u"b"_s, 1}});
    QCOMPARE(drifts.size(), 2);
    QCOMPARE(drifts.at(0).server, u"b"_s);
    QCOMPARE(drifts.at(0).actual, 1);
    QCOMPARE(drifts.at(1).server, u"c"_s);
    QCOMPARE(drifts.at(1).actual, -1);
}

QTEST_GUILESS_MAIN(TestBackendsWeights)
#include "test_backends_weights.moc"
