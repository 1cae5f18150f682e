#include "app/analysis/compare.h"

#include "app/analysis/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace Qt::StringLiterals;

namespace cutover::analysis {

namespace {

constexpr double Infinity = std::numeric_limits<double>::infinity();

// "12%", "3.4%", "0.5%": whole percents from 10 up, one decimal below; the sign is the caller's.
QString percentText(double percent) {
    const double magnitude = std::abs(percent);
    if (magnitude >= 10)
        return QString::number(qRound64(magnitude)) + u'%';
    if (magnitude < 0.05)
        return u"less than 0.1%"_s;
    QString text = QString::number(magnitude, 'f', 1);
    if (text.endsWith(u".0"))
        text.chop(2);
    return text + u'%';
}

QString confidenceText(double confidence) {
    return QString::number(confidence * 100, 'g', 6) + u'%';
}

QString numberText(double value) {
    return QString::number(value, 'g', 4);
}

// 1 + (o - l) / |l|: the ratio o/l for a positive legacy mean, and a ratio that still reads
// "above 1 is higher" for a negative one. A zero legacy mean has no ratio; any OTel mean but 0
// is then an unbounded change (+-inf compares beyond every finite allowance, and never NaN).
double meanRatioOf(double legacyMean, double otelMean) {
    if (legacyMean == 0)
        return otelMean == 0 ? 1.0 : (otelMean > 0 ? Infinity : -Infinity);
    return 1 + (otelMean - legacyMean) / std::abs(legacyMean);
}

// "OTel is 12% higher than legacy"
QString changeText(const CompareResult &r) {
    if (std::isinf(r.meanRatio)) {
        return u"OTel averages %1 where legacy averages 0"_s.arg(numberText(r.meanOtel));
    }
    const double percent = (r.meanRatio - 1) * 100;
    if (percent == 0)
        return u"OTel is level with legacy"_s;
    return u"OTel is %1 %2 than legacy"_s.arg(percentText(percent),
                                              percent > 0 ? u"higher"_s : u"lower"_s);
}

QString allowedText(double ratio, bool increase) {
    return u"allowed "_s + percentText((increase ? ratio - 1 : 1 - ratio) * 100);
}

// Why a side cannot be judged, or empty.
QString sideProblem(const QString &name, qsizetype real, qsizetype missing, qsizetype needed) {
    if (real == 0 && missing == 0)
        return u"%1 returned no samples"_s.arg(name);
    if (real == 0)
        return u"every %1 sample is NaN"_s.arg(name);
    if (real < needed)
        return u"%1 has %2 samples, %3 needed"_s.arg(name).arg(real).arg(needed);
    return {};
}

QString invalidOptions(const CompareOptions &options) {
    if (!(options.confidence > 0 && options.confidence < 1))
        return u"Cannot judge: the confidence must be between 0 and 1, not %1."_s.arg(
            numberText(options.confidence));
    if (std::isnan(options.allowedIncrease) || std::isnan(options.allowedDecrease))
        return u"Cannot judge: the allowed increase and decrease must be numbers."_s;
    if (options.minSamples < 0)
        return u"Cannot judge: the minimum number of samples cannot be negative."_s;
    return {};
}

// Copies the values the test will use to the end of `out`: real values as they are, NaN and
// infinities dropped or replaced with 0 by the policy. Returns the number of real values.
qsizetype appendCleaned(const QList<double> &in, NanPolicy policy, std::vector<double> &out,
                        qsizetype &missing) {
    qsizetype real = 0;
    missing = 0;
    for (double v : in) {
        if (std::isfinite(v)) {
            out.push_back(v);
            ++real;
        } else {
            ++missing;
            if (policy == NanPolicy::Replace)
                out.push_back(0.0);
        }
    }
    return real;
}

double meanOf(std::span<const double> values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

} // namespace

CompareResult compare(const QList<double> &legacy, const QList<double> &otel,
                      const CompareOptions &options) {
    CompareScratch scratch;
    return compare(legacy, otel, options, scratch);
}

CompareResult compare(const QList<double> &legacy, const QList<double> &otel,
                      const CompareOptions &options, CompareScratch &scratch) {
    CompareResult r;
    if (const QString problem = invalidOptions(options); !problem.isEmpty()) {
        r.reason = problem;
        return r;
    }

    // One buffer for both samples, each sorted in place once: the rank test merges them and the
    // Hodges-Lehmann selection walks them, neither needs another copy.
    auto &values = scratch.values;
    values.clear();
    values.reserve(std::size_t(legacy.size() + otel.size()));
    const qsizetype realLegacy = appendCleaned(legacy, options.nan, values, r.missingLegacy);
    r.nLegacy = qsizetype(values.size());
    const qsizetype realOtel = appendCleaned(otel, options.nan, values, r.missingOtel);
    r.nOtel = qsizetype(values.size()) - r.nLegacy;

    // Judged on real values: with `replace`, a side of nothing but NaN would otherwise become a
    // constant 0 and could pass. minSamples 0 still needs one value to compare.
    const qsizetype needed = std::max<qsizetype>(options.minSamples, 1);
    const QString legacyProblem = sideProblem(u"legacy"_s, realLegacy, r.missingLegacy, needed);
    const QString otelProblem = sideProblem(u"OTel"_s, realOtel, r.missingOtel, needed);
    if (!legacyProblem.isEmpty() || !otelProblem.isEmpty()) {
        const bool none = realLegacy == 0 || realOtel == 0;
        QString details = legacyProblem;
        if (!otelProblem.isEmpty())
            details += (details.isEmpty() ? QString() : u" and "_s) + otelProblem;
        r.reason = (none ? u"No data: "_s : u"Not enough data: "_s) + details + u'.';
        return r;
    }

    const std::span<double> legacySpan(values.data(), std::size_t(r.nLegacy));
    const std::span<double> otelSpan(values.data() + r.nLegacy, std::size_t(r.nOtel));
    std::sort(legacySpan.begin(), legacySpan.end());
    std::sort(otelSpan.begin(), otelSpan.end());

    r.meanLegacy = meanOf(legacySpan);
    r.meanOtel = meanOf(otelSpan);
    if (!std::isfinite(r.meanLegacy) || !std::isfinite(r.meanOtel)) {
        r.reason = u"Cannot judge: the values are too large to average."_s;
        return r;
    }
    r.meanRatio = meanRatioOf(r.meanLegacy, r.meanOtel);

    // OTel first: U and the shift read "OTel relative to legacy".
    const auto test = mannWhitneyUSorted(otelSpan, legacySpan);
    const auto shift =
        hodgesLehmannSorted(otelSpan, legacySpan, options.confidence, scratch.pairwise);
    if (!test || !shift) { // not reachable with finite, non-empty samples; never a pass anyway
        r.reason = u"Cannot judge: the samples could not be ranked."_s;
        return r;
    }
    r.u = test->u;
    r.pValue = test->pValue;
    r.hlShift = shift->shift;
    r.hlLow = shift->low;
    r.hlHigh = shift->high;

    const bool significant = r.pValue < 1 - options.confidence;
    const double half = double(r.nOtel) * double(r.nLegacy) / 2;
    const bool higher = r.u > half;
    const bool lower = r.u < half;
    const bool increaseCounts = options.direction != Direction::Decrease;
    const bool decreaseCounts = options.direction != Direction::Increase;
    const QString confidence = confidenceText(options.confidence);

    if (!significant) {
        r.verdict = Verdict::Pass;
        r.reason = u"No significant difference at %1 confidence (p = %2): %3 on average."_s.arg(
            confidence, QString::number(r.pValue, 'g', 2), changeText(r));
        return r;
    }
    const bool increasing = higher && increaseCounts;
    const bool decreasing = lower && decreaseCounts;
    if (increasing && r.meanRatio > options.allowedIncrease) {
        r.verdict = Verdict::High;
        r.reason = u"%1 (%2 confidence, %3)."_s.arg(changeText(r), confidence,
                                                    allowedText(options.allowedIncrease, true));
        return r;
    }
    if (decreasing && r.meanRatio < options.allowedDecrease) {
        r.verdict = Verdict::Low;
        r.reason = u"%1 (%2 confidence, %3)."_s.arg(changeText(r), confidence,
                                                    allowedText(options.allowedDecrease, false));
        return r;
    }

    r.verdict = Verdict::Pass;
    const QString ranks = higher ? u"higher"_s : u"lower"_s;
    // Do the ranks and the means agree on the direction? (They can differ on skewed data.)
    const bool meansAgree = higher ? r.meanRatio >= 1 : r.meanRatio <= 1;
    if (increasing || decreasing) {
        const QString allowed =
            allowedText(increasing ? options.allowedIncrease : options.allowedDecrease, increasing);
        if (meansAgree)
            r.reason =
                u"%1 (%2 confidence), within the %3."_s.arg(changeText(r), confidence, allowed);
        else
            r.reason = u"OTel ranks %1 than legacy (%2 confidence) but on average %3, within "
                       "the %4."_s.arg(ranks, confidence, changeText(r), allowed);
        return r;
    }
    const QString onlyWhat =
        options.direction == Direction::Increase ? u"an increase"_s : u"a decrease"_s;
    if (meansAgree)
        r.reason = u"%1 (%2 confidence); only %3 fails this check."_s.arg(changeText(r), confidence,
                                                                          onlyWhat);
    else
        r.reason = u"OTel ranks %1 than legacy (%2 confidence); only %3 fails this check."_s.arg(
            ranks, confidence, onlyWhat);
    return r;
}

} // namespace cutover::analysis
