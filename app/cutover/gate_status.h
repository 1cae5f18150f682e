#pragma once

#include "app/analysis/compare.h"
#include "app/analysis/gate_score.h"
#include "app/config/plan.h"
#include "app/cutover/condition_tracker.h"
#include "app/cutover/refusal.h"
#include "app/store/records.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace cutover::engine {

// The live state of one checklist item.
struct CheckStatus {
    enum class State {
        Pass,    // automatic: held for `for`; manual: ticked; stability: long enough
        Fail,    // automatic condition does not hold
        Pending, // holds but not yet for `for`; stability still counting
        Unknown, // no data, NaN, query error: never a pass
        Open,    // manual item not ticked yet
    };
    QString gate;
    QString id;
    QString title;
    config::Check::Kind kind = config::Check::Kind::Automatic;
    State state = State::Unknown;
    std::optional<double> value; // automatic: the last sample
    QString detail;              // what a person needs to know, e.g. "0.4% (< 1%) held 3m of 10m"
    QString tickedBy;            // manual, when ticked
    QString tickedRole;
    QDateTime tickedAt;
};

QString checkStateName(CheckStatus::State state);

struct SignatureStatus {
    QString role;
    std::optional<store::SignOff> signOff; // empty: not signed yet
    bool acknowledgedMarginal = false;     // its comment acknowledges a marginal score
};

struct GateStatus {
    QString id;
    QString title;
    QList<CheckStatus> checks;
    QList<SignatureStatus> signatures;
    // Set when the gate has compare checks: their verdicts scored the Kayenta way. The score,
    // not each compare check, decides: pass lets them through, marginal asks every signer to
    // acknowledge it, fail blocks the gate (a critical check that does not pass scores 0).
    std::optional<analysis::GateScore> score;

    bool checksPass() const;
    bool isSigned() const;
    bool isMarginal() const {
        return score && score->classification == analysis::GateClass::Marginal;
    }
    // Signed, and by signers who acknowledged the score when it is marginal.
    bool ready() const;
    // Why the gate is not ready, one line per problem, e.g.
    // "Gate 1: 'No customer complaints' not ticked (release_manager)".
    QStringList blockers() const;
    Refusals blockerRefusals() const;
    // What blocks *signing* among the checks: the non-compare checks that do not pass, and a
    // failing score. Empty when only signatures are missing.
    QStringList checkBlockers() const;
    Refusals checkBlockerRefusals() const;
};

// The sentence a sign-off comment starts with when its signer acknowledged a marginal score:
// "Acknowledged marginal score 83.3 (pass needs 95)." It is part of the signed record.
QString marginalAcknowledgement(const analysis::GateScore &score);
bool acknowledgesMarginal(const store::SignOff &signOff);

// The plan's thresholds in the statistics' terms.
analysis::ScoreThresholds scoreThresholds(const config::ScoreThresholds &thresholds);

// Key of an automatic check's tracker: "gate_id/check_id".
inline QString checkKey(const QString &gate, const QString &check) {
    return gate + u'/' + check;
}

// Everything a gate's status is computed from. Pure data: the engine fills it.
// The last judgement of a compare check: the statistics, and when its window ended.
// The samples a judgement was made on, for the "why" view: legacy[i] and otel[i] at
// start + i·stepMs (NaN where missing).
struct CompareSeries {
    QList<double> legacy;
    QList<double> otel;
    QDateTime start;
    qint64 stepMs = 0;
};

struct CompareOutcome {
    analysis::CompareResult result;
    QDateTime at;
    std::shared_ptr<const CompareSeries> samples; // shared: snapshots copy outcomes often
};

// The plan's compare options in the statistics' terms.
analysis::CompareOptions compareOptions(const config::CompareSpec &spec);

struct GateInputs {
    const config::Plan *plan = nullptr;
    const QHash<QString, ConditionTracker> *trackers = nullptr; // by checkKey()
    QList<store::Tick> ticks;
    QList<store::SignOff> signOffs;
    QDateTime holdStartedAt; // invalid when the stage has not been validated yet
    QDateTime now;
    const QHash<QString, CompareOutcome> *compares = nullptr; // by checkKey()
};

GateStatus evaluateGate(const config::Gate &gate, const GateInputs &inputs);

// "1d 2h", "5m 3s", "40s": compact, for countdowns and details.
QString formatSpan(qint64 ms);

} // namespace cutover::engine
