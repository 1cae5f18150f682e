#include "app/analysis/gate_score.h"

#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::analysis {

namespace {

// A weighted mean of exact group scores can land a rounding error below a threshold it meets on
// paper (95.0 as 94.99999999999999); compare with this much slack.
constexpr double ThresholdSlack = 1e-9;

GroupScore &groupNamed(QList<GroupScore> &groups, const QString &name) {
    for (GroupScore &g : groups) {
        if (g.name == name)
            return g;
    }
    groups.append(GroupScore{});
    groups.last().name = name;
    return groups.last();
}

} // namespace

QString formatScore(double score) {
    QString text = QString::number(score, 'f', 1);
    if (text.endsWith(u".0"))
        text.chop(2);
    return text;
}

QString gateClassName(GateClass c) {
    switch (c) {
    case GateClass::Pass:
        return u"pass"_s;
    case GateClass::Marginal:
        return u"marginal"_s;
    case GateClass::Fail:
        break;
    }
    return u"fail"_s;
}

GateScore scoreGate(const QList<ScoredCheck> &checks, const ScoreThresholds &thresholds) {
    GateScore result;
    result.thresholds = thresholds;
    for (const ScoredCheck &check : checks) {
        if (check.critical && check.verdict != Verdict::Pass)
            result.criticalFailures.append(check.id);
        GroupScore &group = groupNamed(result.groups, check.group);
        if (!(check.weight > 0)) {
            ++group.reportOnly;
            continue;
        }
        group.weight += check.weight;
        switch (check.verdict) {
        case Verdict::Pass:
            ++group.pass;
            break;
        case Verdict::High:
            ++group.high;
            break;
        case Verdict::Low:
            ++group.low;
            break;
        case Verdict::NoData:
            ++group.noData;
            break;
        }
    }

    double weighted = 0;
    double totalWeight = 0;
    QStringList parts;
    for (GroupScore &group : result.groups) {
        const int counted = group.pass + group.high + group.low + group.noData;
        if (counted == 0)
            continue;
        group.score = 100.0 * group.pass / counted; // multiply first: 19 of 20 is exactly 95
        weighted += group.weight * group.score;
        totalWeight += group.weight;
        parts.append((group.name.isEmpty() ? u"checks"_s : group.name) + u' ' +
                     formatScore(group.score));
    }

    result.scored = totalWeight > 0;
    if (!result.criticalFailures.isEmpty()) {
        result.score = 0;
        result.classification = GateClass::Fail;
        result.reason = u"Score 0 (fail): critical %1 %2 did not pass."_s.arg(
            result.criticalFailures.size() == 1 ? u"check"_s : u"checks"_s,
            result.criticalFailures.join(u", "_s));
        return result;
    }
    if (!result.scored) {
        result.reason = u"No scored checks: nothing to judge the gate by."_s;
        return result;
    }
    result.score = weighted / totalWeight;
    if (result.score >= thresholds.pass - ThresholdSlack)
        result.classification = GateClass::Pass;
    else if (result.score >= thresholds.marginal - ThresholdSlack)
        result.classification = GateClass::Marginal;
    else
        result.classification = GateClass::Fail;

    QString verdict = gateClassName(result.classification);
    if (result.classification != GateClass::Pass)
        verdict += u": pass needs "_s + formatScore(thresholds.pass);
    result.reason =
        u"Score %1 (%2); %3."_s.arg(formatScore(result.score), verdict, parts.join(u", "_s));
    return result;
}

} // namespace cutover::analysis
