// A gate's Kayenta-style score: per group pass / (pass + high + low + nodata) * 100, groups
// weighted by the sum of their checks' weights, a critical check not passing scores 0, and the
// pass / marginal / fail thresholds.

#include "app/analysis/gate_score.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover::analysis;

namespace {

ScoredCheck check(const QString &id, const QString &group, Verdict verdict, double weight = 1,
                  bool critical = false) {
    return ScoredCheck{id, group, weight, critical, verdict};
}

} // namespace

class TestAnalysisGateScore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void mixedVerdictsInOneGroup();
    void groupsWeighTheSumOfTheirChecks();
    void noDataCountsAgainst();
    void criticalFailureScoresZero();
    void criticalPassDoesNothing();
    void thresholds_data();
    void thresholds();
    void reportOnlyChecks();
    void nothingToScore();
};

void TestAnalysisGateScore::mixedVerdictsInOneGroup() {
    const GateScore s =
        scoreGate({check(u"a"_s, {}, Verdict::Pass), check(u"b"_s, {}, Verdict::Pass),
                   check(u"c"_s, {}, Verdict::High), check(u"d"_s, {}, Verdict::Pass)},
                  {});
    QVERIFY(s.scored);
    QCOMPARE(s.score, 75.0);
    QCOMPARE(s.classification, GateClass::Marginal);
    QCOMPARE(s.groups.size(), 1);
    QCOMPARE(s.groups[0].pass, 3);
    QCOMPARE(s.groups[0].high, 1);
    QCOMPARE(s.groups[0].weight, 4.0);
    QCOMPARE(s.reason, u"Score 75 (marginal: pass needs 95); checks 75."_s);
}

void TestAnalysisGateScore::groupsWeighTheSumOfTheirChecks() {
    // latency: 1 of 2 pass (50), weight 3 + 1 = 4; data: 3 of 3 pass (100), weight 2 * 3 = 6;
    // cardinality: 0 of 1 (0), weight 2. Score = (4*50 + 6*100 + 2*0) / 12 = 66.67.
    const QList<ScoredCheck> checks{
        check(u"p95"_s, u"latency"_s, Verdict::Pass, 3),
        check(u"p99"_s, u"latency"_s, Verdict::High, 1),
        check(u"refused"_s, u"data"_s, Verdict::Pass, 2),
        check(u"series"_s, u"cardinality"_s, Verdict::Low, 2),
        check(u"failed"_s, u"data"_s, Verdict::Pass, 2),
        check(u"completeness"_s, u"data"_s, Verdict::Pass, 2),
    };
    const GateScore s = scoreGate(checks, {});
    QCOMPARE(s.groups.size(), 3);
    QCOMPARE(s.groups[0].name, u"latency"_s); // order of first appearance
    QCOMPARE(s.groups[1].name, u"data"_s);
    QCOMPARE(s.groups[2].name, u"cardinality"_s);
    QCOMPARE(s.groups[0].score, 50.0);
    QCOMPARE(s.groups[0].weight, 4.0);
    QCOMPARE(s.groups[1].score, 100.0);
    QCOMPARE(s.groups[1].weight, 6.0);
    QCOMPARE(s.groups[2].score, 0.0);
    QCOMPARE(s.groups[2].low, 1);
    QVERIFY(qFuzzyCompare(s.score, 800.0 / 12));
    QCOMPARE(s.classification, GateClass::Fail);
    QCOMPARE(s.reason, u"Score 66.7 (fail: pass needs 95); latency 50, data 100, cardinality 0."_s);
}

void TestAnalysisGateScore::noDataCountsAgainst() {
    // Kayenta would score this group 100 (NoData out of the denominator); here it is 50.
    const GateScore s = scoreGate(
        {check(u"a"_s, u"g"_s, Verdict::Pass), check(u"b"_s, u"g"_s, Verdict::NoData)}, {});
    QCOMPARE(s.groups[0].noData, 1);
    QCOMPARE(s.score, 50.0);
    QCOMPARE(s.classification, GateClass::Fail);
    // A group of nothing but NoData is 0 and still weighs in (Kayenta drops it).
    const GateScore allMissing = scoreGate(
        {check(u"a"_s, u"g"_s, Verdict::Pass), check(u"b"_s, u"h"_s, Verdict::NoData)}, {});
    QCOMPARE(allMissing.score, 50.0);
}

void TestAnalysisGateScore::criticalFailureScoresZero() {
    const QList<ScoredCheck> checks{
        check(u"a"_s, u"g"_s, Verdict::Pass, 10),
        check(u"b"_s, u"g"_s, Verdict::Pass, 10),
        check(u"latency_parity"_s, u"h"_s, Verdict::High, 1, true),
    };
    const GateScore s = scoreGate(checks, {});
    QCOMPARE(s.score, 0.0);
    QCOMPARE(s.classification, GateClass::Fail);
    QCOMPARE(s.criticalFailures, QStringList{u"latency_parity"_s});
    QCOMPARE(s.reason, u"Score 0 (fail): critical check latency_parity did not pass."_s);
    QCOMPARE(s.groups.size(), 2); // the groups are still there to show
    QCOMPARE(s.groups[0].score, 100.0);
    // NoData is not a pass either.
    const GateScore missing =
        scoreGate({check(u"a"_s, {}, Verdict::Pass), check(u"c"_s, {}, Verdict::NoData, 1, true),
                   check(u"d"_s, {}, Verdict::Low, 0, true)},
                  {});
    QCOMPARE(missing.score, 0.0);
    QCOMPARE(missing.criticalFailures, (QStringList{u"c"_s, u"d"_s}));
    QCOMPARE(missing.reason, u"Score 0 (fail): critical checks c, d did not pass."_s);
}

void TestAnalysisGateScore::criticalPassDoesNothing() {
    const GateScore s = scoreGate(
        {check(u"a"_s, {}, Verdict::Pass, 1, true), check(u"b"_s, {}, Verdict::Pass)}, {});
    QCOMPARE(s.score, 100.0);
    QCOMPARE(s.classification, GateClass::Pass);
    QVERIFY(s.criticalFailures.isEmpty());
}

void TestAnalysisGateScore::thresholds_data() {
    QTest::addColumn<int>("passing");
    QTest::addColumn<int>("total");
    QTest::addColumn<int>("expected"); // GateClass
    QTest::newRow("100") << 20 << 20 << int(GateClass::Pass);
    QTest::newRow("exactly 95") << 19 << 20 << int(GateClass::Pass);
    QTest::newRow("94.7") << 18 << 19 << int(GateClass::Marginal);
    QTest::newRow("exactly 75") << 3 << 4 << int(GateClass::Marginal);
    QTest::newRow("74.1") << 20 << 27 << int(GateClass::Fail);
    QTest::newRow("0") << 0 << 3 << int(GateClass::Fail);
}

void TestAnalysisGateScore::thresholds() {
    QFETCH(int, passing);
    QFETCH(int, total);
    QFETCH(int, expected);
    // Spread over two groups of different weights whose mean is the same share, so that the
    // weighted mean has a chance to round below the threshold.
    QList<ScoredCheck> checks;
    for (int i = 0; i < total; ++i)
        checks.append(
            check(QString::number(i), u"g"_s, i < passing ? Verdict::Pass : Verdict::High, 0.1));
    for (int i = 0; i < total; ++i)
        checks.append(
            check(QString::number(i), u"h"_s, i < passing ? Verdict::Pass : Verdict::Low, 0.7));
    const GateScore s = scoreGate(checks, ScoreThresholds{95, 75});
    QCOMPARE(int(s.classification), expected);
    QVERIFY(qFuzzyCompare(1 + s.score, 1 + 100.0 * passing / total));
    // Other thresholds move the lines.
    QCOMPARE(scoreGate(checks, ScoreThresholds{50, 10}).classification,
             passing * 2 >= total
                 ? GateClass::Pass
                 : (passing * 10 >= total ? GateClass::Marginal : GateClass::Fail));
}

void TestAnalysisGateScore::reportOnlyChecks() {
    // Weight 0: listed under its group, not scored (Kayenta's report-only).
    const GateScore s =
        scoreGate({check(u"a"_s, u"g"_s, Verdict::Pass), check(u"b"_s, u"g"_s, Verdict::High, 0),
                   check(u"c"_s, u"info"_s, Verdict::NoData, 0)},
                  {});
    QCOMPARE(s.score, 100.0);
    QCOMPARE(s.classification, GateClass::Pass);
    QCOMPARE(s.groups.size(), 2);
    QCOMPARE(s.groups[0].reportOnly, 1);
    QCOMPARE(s.groups[1].reportOnly, 1);
    QCOMPARE(s.groups[1].weight, 0.0);
    QCOMPARE(s.reason, u"Score 100 (pass); g 100."_s);
}

void TestAnalysisGateScore::nothingToScore() {
    const GateScore empty = scoreGate({}, {});
    QVERIFY(!empty.scored);
    QCOMPARE(empty.score, 0.0);
    QCOMPARE(empty.classification, GateClass::Fail);
    QCOMPARE(empty.reason, u"No scored checks: nothing to judge the gate by."_s);
    const GateScore onlyReports = scoreGate({check(u"a"_s, {}, Verdict::Pass, 0)}, {});
    QVERIFY(!onlyReports.scored);
    QCOMPARE(onlyReports.classification, GateClass::Fail);
}

QTEST_GUILESS_MAIN(TestAnalysisGateScore)
#include "test_analysis_gate_score.moc"
