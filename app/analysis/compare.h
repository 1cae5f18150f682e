#pragma once

// The verdict of one compare check: does OTel deliver what legacy delivers? Kayenta's method
// (DESIGN.md "Parity, judged by statistics"): a two-sided Mann-Whitney U test for significance
// and the mean ratio OTel/legacy for the size of the change. A change is High (Low) only when it
// is significant at the confidence level AND the mean ratio is beyond the allowance in the bad
// direction; a significant change within the allowance, or in the harmless direction, passes.
// Too little data is NoData, which never passes. The samples arrive normalised: the plan's
// `per: request | instance` is applied to the series before they get here.

#include "app/analysis/hodges_lehmann.h"
#include "app/analysis/verdict.h"

#include <QList>
#include <QString>

#include <limits>
#include <vector>

namespace cutover::analysis {

struct CompareOptions {
    double confidence = 0.98; // Kayenta's default; significant when p < 1 - confidence
    Direction direction = Direction::Either;
    // Effect size as the mean ratio OTel/legacy (see CompareResult::meanRatio): High needs a
    // ratio above allowedIncrease, Low one below allowedDecrease. 1.0 (Kayenta's default) means
    // any significant change in the bad direction counts.
    double allowedIncrease = 1.0;
    double allowedDecrease = 1.0;
    // Fewer real values (not NaN, not infinite) than this on either side: NoData. Below 5 a side
    // the two-sided test cannot reach p < 0.02 at all, so a pass on so little would mean nothing:
    // the default asks for 10.
    qsizetype minSamples = 10;
    NanPolicy nan = NanPolicy::Remove;
};

struct CompareResult {
    static constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

    Verdict verdict = Verdict::NoData;
    // Mann-Whitney U of the OTel sample against legacy (above nOtel * nLegacy / 2: OTel tends
    // higher), and the two-sided p-value. NaN when there was no test (NoData).
    double u = NaN;
    double pValue = NaN;
    // Hodges-Lehmann shift OTel - legacy (median of the pairwise differences otel_i - legacy_j)
    // and its confidence interval at `confidence`, in the metric's unit. NaN for NoData.
    double hlShift = NaN;
    double hlLow = NaN;
    double hlHigh = NaN;
    // mean(OTel) relative to mean(legacy): 1 + (mean(otel) - mean(legacy)) / |mean(legacy)|.
    // That is the plain ratio when the legacy mean is positive, and still reads "above 1 means
    // OTel is higher" when it is negative. Legacy mean 0: 1 when the OTel mean is 0 too, else
    // +inf or -inf (any change from nothing is beyond any allowance). Never NaN once tested.
    double meanRatio = NaN;
    double meanLegacy = NaN;
    double meanOtel = NaN;
    // Values the test used (after the NaN policy), and how many were NaN or infinite.
    qsizetype nLegacy = 0;
    qsizetype nOtel = 0;
    qsizetype missingLegacy = 0;
    qsizetype missingOtel = 0;
    // One sentence for people: "OTel is 12% higher than legacy (98% confidence, allowed 5%)."
    QString reason;
};

// Buffers a caller may keep across checks (one round allocates once); optional.
struct CompareScratch {
    std::vector<double> values; // both samples, cleaned and sorted
    PairwiseScratch pairwise;
};

// legacy and OTel as they came from the query, NaNs included. Infinities (a rate divided by a
// zero rate) are treated as NaN: like NaN they mean "no meaningful value here".
CompareResult compare(const QList<double> &legacy, const QList<double> &otel,
                      const CompareOptions &options);
CompareResult compare(const QList<double> &legacy, const QList<double> &otel,
                      const CompareOptions &options, CompareScratch &scratch);

} // namespace cutover::analysis
