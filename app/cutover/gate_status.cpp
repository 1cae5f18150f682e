#include "app/cutover/gate_status.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {

using State = CheckStatus::State;

State fromTracker(ConditionTracker::State state) {
    switch (state) {
    case ConditionTracker::State::True:
        return State::Pass;
    case ConditionTracker::State::Pending:
        return State::Pending;
    case ConditionTracker::State::False:
        return State::Fail;
    case ConditionTracker::State::Unknown:
        return State::Unknown;
    }
    return State::Unknown;
}

QString valueText(double value) {
    return QString::number(value, 'g', 4);
}

// What an alert_delivery sample means, in words.
QString deliveryText(const config::Check &check, double code) {
    switch (config::AlertDeliveryCode(int(code))) {
    case config::AlertDeliveryCode::Delivered:
        return u"%1 active%2, notifications delivered within %3"_s.arg(
            check.alertName, check.receiver.isEmpty() ? QString() : u" for "_s + check.receiver,
            check.deliveredWithin.toString());
    case config::AlertDeliveryCode::NotActive:
        return u"%1 is not active in Alertmanager"_s.arg(check.alertName);
    case config::AlertDeliveryCode::NotRouted:
        return u"%1 is active but not routed to %2"_s.arg(check.alertName, check.receiver);
    case config::AlertDeliveryCode::NotDelivered:
        return u"%1 is active, but Alertmanager delivered nothing within %2"_s.arg(
            check.alertName, check.deliveredWithin.toString());
    }
    return valueText(code);
}

CheckStatus automaticStatus(const config::Check &check, const QString &gate, const GateInputs &in) {
    CheckStatus status;
    const auto it = in.trackers ? in.trackers->constFind(checkKey(gate, check.id))
                                : QHash<QString, ConditionTracker>::const_iterator();
    if (!in.trackers || it == in.trackers->cend() || !it->lastSampleAt().isValid()) {
        status.state = State::Unknown;
        status.detail = u"no data yet (needs %1)"_s.arg(
            check.kind == config::Check::Kind::AlertDelivery ? u"delivered alerts"_s
                                                             : check.condition.toString());
        return status;
    }
    const ConditionTracker &tracker = *it;
    status.state = fromTracker(tracker.stateAt(in.now));
    status.value = tracker.lastValue();
    if (check.kind == config::Check::Kind::AlertDelivery) {
        QString text = status.value ? deliveryText(check, *status.value)
                                    : u"Alertmanager or Prometheus did not answer"_s;
        if (status.state == State::Pending)
            text += u", held %1 of %2"_s.arg(formatSpan(tracker.holdingSince().msecsTo(in.now)),
                                             check.forDuration.toString());
        status.detail = text;
        return status;
    }
    const QString wanted = check.condition.toString();
    switch (status.state) {
    case State::Unknown:
        status.detail = tracker.lastUsableAt().isValid()
                            ? u"no data since %1 (needs %2)"_s.arg(
                                  tracker.lastUsableAt().toString(Qt::ISODate), wanted)
                            : u"no data (needs %1)"_s.arg(wanted);
        break;
    case State::Fail:
        status.detail = u"%1, needs %2"_s.arg(valueText(*status.value), wanted);
        break;
    case State::Pending:
        status.detail = u"%1 (%2), held %3 of %4"_s.arg(
            valueText(*status.value), wanted, formatSpan(tracker.holdingSince().msecsTo(in.now)),
            check.forDuration.toString());
        break;
    default:
        status.detail = u"%1 (%2)"_s.arg(valueText(*status.value), wanted);
        if (!check.forDuration.isZero())
            status.detail += u" for "_s + check.forDuration.toString();
        break;
    }
    return status;
}

CheckStatus manualStatus(const config::Check &check, const QString &gate, const GateInputs &in) {
    CheckStatus status;
    const auto tick = std::find_if(in.ticks.cbegin(), in.ticks.cend(), [&](const store::Tick &t) {
        return t.gate == gate && t.check == check.id;
    });
    if (tick == in.ticks.cend()) {
        status.state = State::Open;
        status.detail = u"to be ticked by %1"_s.arg(check.role);
        return status;
    }
    status.state = State::Pass;
    status.tickedBy = tick->tickedBy;
    status.tickedRole = tick->role;
    status.tickedAt = tick->at;
    status.detail = u"ticked by %1 (%2) at %3"_s.arg(tick->tickedBy, tick->role,
                                                     tick->at.toString(Qt::ISODate));
    return status;
}

CheckStatus compareStatus(const config::Check &check, const QString &gate, const GateInputs &in);
std::optional<analysis::GateScore>
scoreOf(const config::Gate &gate, const QList<CheckStatus> &statuses, const GateInputs &in);

CheckStatus gateRefStatus(const config::Check &check, const GateInputs &in) {
    CheckStatus status;
    int failing = 0;
    int unknown = 0;
    int pending = 0;
    int total = 0;
    for (const QString &gateId : check.gates) {
        const config::Gate *ref = in.plan ? in.plan->gate(gateId) : nullptr;
        if (!ref)
            continue;
        // The referenced gate's compare checks count as one criterion: its score, which must
        // not fail (marginal was acknowledged when that gate was signed).
        QList<CheckStatus> compares;
        for (const config::Check &c : ref->checks)
            compares.append(c.kind == config::Check::Kind::Compare ? compareStatus(c, gateId, in)
                                                                   : CheckStatus{});
        if (const auto score = scoreOf(*ref, compares, in)) {
            ++total;
            failing += score->classification == analysis::GateClass::Fail ? 1 : 0;
        }
        for (const config::Check &c : ref->checks) {
            if (!c.isTracked())
                continue;
            ++total;
            switch (automaticStatus(c, gateId, in).state) {
            case State::Fail:
                ++failing;
                break;
            case State::Unknown:
                ++unknown;
                break;
            case State::Pending:
                ++pending;
                break;
            default:
                break;
            }
        }
    }
    if (failing > 0)
        status.state = State::Fail;
    else if (unknown > 0)
        status.state = State::Unknown;
    else if (pending > 0)
        status.state = State::Pending;
    else
        status.state = State::Pass;
    status.detail = u"%1 of %2 automatic checks and scores of %3 passing"_s
                        .arg(total - failing - unknown - pending)
                        .arg(total)
                        .arg(check.gates.join(u", "_s));
    return status;
}

CheckStatus compareStatus(const config::Check &check, const QString &gate, const GateInputs &in) {
    CheckStatus status;
    const CompareOutcome *outcome = nullptr;
    if (in.compares) {
        const auto it = in.compares->constFind(checkKey(gate, check.id));
        if (it != in.compares->cend())
            outcome = &*it;
    }
    if (!outcome) {
        status.state = CheckStatus::State::Unknown;
        status.detail =
            u"not compared yet (legacy vs OTel over %1)"_s.arg(check.compare.window.toString());
        return status;
    }
    // A judgement goes stale after three steps without a new one (Prometheus gone, say).
    const qint64 ageMs = outcome->at.msecsTo(in.now);
    if (ageMs > 3 * std::max<qint64>(check.compare.step.ms(), 1000)) {
        status.state = CheckStatus::State::Unknown;
        status.detail =
            u"no comparison for %1 (last: %2)"_s.arg(formatSpan(ageMs), outcome->result.reason);
        return status;
    }
    const analysis::CompareResult &r = outcome->result;
    switch (r.verdict) {
    case analysis::Verdict::Pass:
        status.state = CheckStatus::State::Pass;
        break;
    case analysis::Verdict::High:
    case analysis::Verdict::Low:
        status.state = CheckStatus::State::Fail;
        break;
    case analysis::Verdict::NoData:
        status.state = CheckStatus::State::Unknown;
        break;
    }
    if (r.verdict == analysis::Verdict::NoData) {
        status.detail = u"%1: %2"_s.arg(analysis::verdictName(r.verdict), r.reason);
    } else {
        status.value = r.meanRatio;
        status.detail = u"%1: %2 (U %3, p %4, shift %5 [%6, %7], ratio %8, n %9/%10)"_s
                            .arg(analysis::verdictName(r.verdict), r.reason)
                            .arg(r.u, 0, 'g', 6)
                            .arg(r.pValue, 0, 'g', 3)
                            .arg(r.hlShift, 0, 'g', 4)
                            .arg(r.hlLow, 0, 'g', 4)
                            .arg(r.hlHigh, 0, 'g', 4)
                            .arg(r.meanRatio, 0, 'f', 3)
                            .arg(r.nLegacy)
                            .arg(r.nOtel);
    }
    return status;
}

// The gate's score from its compare checks' verdicts; nullopt for a gate without any.
std::optional<analysis::GateScore>
scoreOf(const config::Gate &gate, const QList<CheckStatus> &statuses, const GateInputs &in) {
    QList<analysis::ScoredCheck> scored;
    for (qsizetype i = 0; i < gate.checks.size(); ++i) {
        const config::Check &check = gate.checks.at(i);
        if (check.kind != config::Check::Kind::Compare)
            continue;
        analysis::ScoredCheck s;
        s.id = check.id;
        s.group = check.group.isEmpty() ? check.id : check.group;
        s.weight = check.weight;
        s.critical = check.critical;
        // A stale or missing judgement is NoData, whatever the last verdict said.
        const State state = statuses.at(i).state;
        s.verdict = analysis::Verdict::NoData;
        if (state == State::Pass) {
            s.verdict = analysis::Verdict::Pass;
        } else if (state == State::Fail && in.compares) {
            const auto it = in.compares->constFind(checkKey(gate.id, check.id));
            if (it != in.compares->cend())
                s.verdict = it->result.verdict;
        }
        scored.append(s);
    }
    if (scored.isEmpty())
        return std::nullopt;
    const config::ScoreThresholds thresholds =
        in.plan ? in.plan->scoreThresholds(gate) : gate.score.value_or(config::ScoreThresholds{});
    return analysis::scoreGate(scored, scoreThresholds(thresholds));
}

CheckStatus stabilityStatus(const config::Check &check, const GateInputs &in) {
    CheckStatus status;
    if (!in.holdStartedAt.isValid()) {
        status.state = State::Pending;
        status.detail =
            u"starts when the stage is validated (needs %1)"_s.arg(check.stableFor.toString());
        return status;
    }
    const qint64 stable = in.holdStartedAt.msecsTo(in.now);
    if (stable >= check.stableFor.ms()) {
        status.state = State::Pass;
        status.detail =
            u"stable for %1 (needs %2)"_s.arg(formatSpan(stable), check.stableFor.toString());
    } else {
        status.state = State::Pending;
        status.detail =
            u"stable for %1 of %2; %3 left"_s.arg(formatSpan(stable), check.stableFor.toString(),
                                                  formatSpan(check.stableFor.ms() - stable));
    }
    return status;
}

} // namespace

QString checkStateName(CheckStatus::State state) {
    switch (state) {
    case State::Pass:
        return u"pass"_s;
    case State::Fail:
        return u"fail"_s;
    case State::Pending:
        return u"pending"_s;
    case State::Unknown:
        return u"unknown"_s;
    case State::Open:
        return u"open"_s;
    }
    return QString();
}

bool GateStatus::checksPass() const {
    return checkBlockers().isEmpty();
}

bool GateStatus::isSigned() const {
    return std::all_of(signatures.cbegin(), signatures.cend(),
                       [](const SignatureStatus &s) { return s.signOff.has_value(); });
}

bool GateStatus::ready() const {
    if (!checksPass() || !isSigned())
        return false;
    return !isMarginal() ||
           std::all_of(signatures.cbegin(), signatures.cend(),
                       [](const SignatureStatus &s) { return s.acknowledgedMarginal; });
}

QStringList GateStatus::checkBlockers() const {
    return texts(checkBlockerRefusals());
}

Refusals GateStatus::checkBlockerRefusals() const {
    Refusals reasons;
    for (const CheckStatus &c : checks) {
        // Compare checks count through the score below.
        if (c.state == State::Pass || (score && c.kind == config::Check::Kind::Compare))
            continue;
        if (c.state == State::Open)
            reasons.append({RefusalCode::CheckNotTicked,
                            {{u"gate"_s, title}, {u"check"_s, c.title}, {u"detail"_s, c.detail}}});
        else
            reasons.append({RefusalCode::CheckNotPassing,
                            {{u"gate"_s, title},
                             {u"check"_s, c.title},
                             {u"state"_s, checkStateName(c.state)},
                             {u"detail"_s, c.detail}}});
    }
    if (score && score->classification == analysis::GateClass::Fail)
        reasons.append(
            {RefusalCode::GateScoreFailed, {{u"gate"_s, title}, {u"reason"_s, score->reason}}});
    return reasons;
}

QStringList GateStatus::blockers() const {
    return texts(blockerRefusals());
}

Refusals GateStatus::blockerRefusals() const {
    Refusals reasons = checkBlockerRefusals();
    for (const SignatureStatus &s : signatures) {
        if (!s.signOff) {
            reasons.append({RefusalCode::GateNotSigned, {{u"gate"_s, title}, {u"role"_s, s.role}}});
        } else if (isMarginal() && !s.acknowledgedMarginal) {
            reasons.append({RefusalCode::SignedBeforeMarginal,
                            {{u"gate"_s, title},
                             {u"reason"_s, score->reason},
                             {u"by"_s, s.signOff->printedName},
                             {u"role"_s, s.role}}});
        }
    }
    return reasons;
}

namespace {
const QString kAcknowledged = u"Acknowledged marginal score "_s;
}

QString marginalAcknowledgement(const analysis::GateScore &score) {
    return kAcknowledged +
           u"%1 (pass needs %2)."_s.arg(analysis::formatScore(score.score),
                                        analysis::formatScore(score.thresholds.pass));
}

bool acknowledgesMarginal(const store::SignOff &signOff) {
    return signOff.comment.startsWith(kAcknowledged);
}

analysis::ScoreThresholds scoreThresholds(const config::ScoreThresholds &thresholds) {
    return {thresholds.pass, thresholds.marginal};
}

analysis::CompareOptions compareOptions(const config::CompareSpec &spec) {
    analysis::CompareOptions options;
    options.confidence = spec.confidence;
    options.direction = spec.direction == config::CompareSpec::Direction::Increase
                            ? analysis::Direction::Increase
                            : (spec.direction == config::CompareSpec::Direction::Decrease
                                   ? analysis::Direction::Decrease
                                   : analysis::Direction::Either);
    options.allowedIncrease = spec.allowedIncrease;
    options.allowedDecrease = spec.allowedDecrease;
    options.minSamples = spec.minSamples;
    options.nan = spec.nan == config::CompareSpec::Nan::Replace ? analysis::NanPolicy::Replace
                                                                : analysis::NanPolicy::Remove;
    return options;
}

GateStatus evaluateGate(const config::Gate &gate, const GateInputs &inputs) {
    GateStatus result;
    result.id = gate.id;
    result.title = gate.title;
    for (const config::Check &check : gate.checks) {
        CheckStatus status;
        switch (check.kind) {
        case config::Check::Kind::Automatic:
        case config::Check::Kind::AlertDelivery:
            status = automaticStatus(check, gate.id, inputs);
            break;
        case config::Check::Kind::Compare:
            status = compareStatus(check, gate.id, inputs);
            break;
        case config::Check::Kind::Manual:
            status = manualStatus(check, gate.id, inputs);
            break;
        case config::Check::Kind::GateRef:
            status = gateRefStatus(check, inputs);
            break;
        case config::Check::Kind::Stability:
            status = stabilityStatus(check, inputs);
            break;
        }
        status.gate = gate.id;
        status.id = check.id;
        status.title = check.title;
        status.kind = check.kind;
        result.checks.append(status);
    }
    result.score = scoreOf(gate, result.checks, inputs);
    for (const QString &role : gate.signOff) {
        SignatureStatus signature;
        signature.role = role;
        for (const store::SignOff &s : inputs.signOffs) {
            if (s.gate == gate.id && s.role == role) {
                signature.signOff = s;
                signature.acknowledgedMarginal = acknowledgesMarginal(s);
            }
        }
        result.signatures.append(signature);
    }
    return result;
}

QString formatSpan(qint64 ms) {
    if (ms < 0)
        ms = 0;
    const qint64 seconds = ms / 1000;
    const qint64 days = seconds / 86400;
    qint64 hours = (seconds % 86400) / 3600;
    const qint64 minutes = (seconds % 3600) / 60;
    const qint64 secs = seconds % 60;
    // Days only from a week up, as Duration prints them: "a 48 h hold" reads "47h 59m left".
    if (days >= 7)
        return hours ? u"%1d %2h"_s.arg(days).arg(hours) : u"%1d"_s.arg(days);
    hours += days * 24;
    if (hours > 0)
        return minutes ? u"%1h %2m"_s.arg(hours).arg(minutes) : u"%1h"_s.arg(hours);
    if (minutes > 0)
        return secs ? u"%1m %2s"_s.arg(minutes).arg(secs) : u"%1m"_s.arg(minutes);
    return u"%1s"_s.arg(secs);
}

} // namespace cutover::engine
