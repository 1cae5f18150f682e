#pragma once

// A gate's score from its compare checks' verdicts, after Kayenta's WeightedSumScorer and
// ThresholdScoreClassifier, with two deliberate differences (issue 14):
// - NoData counts against a group: its score is pass / (pass + high + low + nodata) * 100.
//   Kayenta leaves NoData out of the denominator and drops a group with nothing but NoData,
//   so missing data raises its score; here it never passes.
// - Weights come with the checks: a group weighs the sum of its checks' weights, and the gate
//   score is the weighted mean of the group scores (divided by the total weight, so it stays on
//   0..100 whatever the weights add up to). Kayenta weighs groups directly, in percent meant to
//   add up to 100, shares what is left equally among unweighted groups, and does not divide.
//   With every weight 1 and one group, both give the plain share of passing checks.
// As in Kayenta: any critical check that does not pass scores the gate 0; weight 0 is
// "report-only" (listed, not scored); score >= pass threshold: Pass, >= marginal: Marginal,
// else Fail.

#include "app/analysis/verdict.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace cutover::analysis {

struct ScoredCheck {
    QString id;
    QString group;     // empty: the gate's unnamed group
    double weight = 1; // 0 (or negative, or NaN): report-only
    bool critical = false;
    Verdict verdict = Verdict::NoData;
};

struct GroupScore {
    QString name;
    double weight = 0; // sum of its scored checks' weights
    int pass = 0;
    int high = 0;
    int low = 0;
    int noData = 0;
    int reportOnly = 0; // checks of weight 0, not in the counts above
    double score = 0;   // 0..100; 0 for a group of report-only checks (weight 0, not counted)
};

enum class GateClass { Pass, Marginal, Fail };
QString gateClassName(GateClass c); // "pass", "marginal", "fail"

struct ScoreThresholds {
    double pass = 95;
    double marginal = 75;
};

struct GateScore {
    double score = 0; // 0..100
    GateClass classification = GateClass::Fail;
    bool scored = false;          // false: no check with a weight; score 0, Fail
    QList<GroupScore> groups;     // in the order their first check appears
    QStringList criticalFailures; // ids of critical checks that did not pass
    QString reason;               // "Score 83 (marginal: pass needs 95); latency 100, ..."
    ScoreThresholds thresholds;   // what it was classified by
};

// "83.3", "95", "100": one decimal, none when it is whole.
QString formatScore(double score);

GateScore scoreGate(const QList<ScoredCheck> &checks, const ScoreThresholds &thresholds);

} // namespace cutover::analysis
