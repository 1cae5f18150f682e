#include "app/analysis/verdict.h"

using namespace Qt::StringLiterals;

namespace cutover::analysis {

QString verdictName(Verdict verdict) {
    switch (verdict) {
    case Verdict::Pass:
        return u"pass"_s;
    case Verdict::High:
        return u"high"_s;
    case Verdict::Low:
        return u"low"_s;
    case Verdict::NoData:
        break;
    }
    return u"nodata"_s;
}

QString directionName(Direction direction) {
    switch (direction) {
    case Direction::Increase:
        return u"increase"_s;
    case Direction::Decrease:
        return u"decrease"_s;
    case Direction::Either:
        break;
    }
    return u"either"_s;
}

QString nanPolicyName(NanPolicy policy) {
    return policy == NanPolicy::Replace ? u"replace"_s : u"remove"_s;
}

std::optional<Verdict> parseVerdict(QStringView text) {
    for (Verdict v : {Verdict::Pass, Verdict::High, Verdict::Low, Verdict::NoData}) {
        if (text == verdictName(v))
            return v;
    }
    return std::nullopt;
}

std::optional<Direction> parseDirection(QStringView text) {
    for (Direction d : {Direction::Increase, Direction::Decrease, Direction::Either}) {
        if (text == directionName(d))
            return d;
    }
    return std::nullopt;
}

std::optional<NanPolicy> parseNanPolicy(QStringView text) {
    for (NanPolicy p : {NanPolicy::Remove, NanPolicy::Replace}) {
        if (text == nanPolicyName(p))
            return p;
    }
    return std::nullopt;
}

} // namespace cutover::analysis
