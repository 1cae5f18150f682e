#pragma once

#include "app/config/plan.h"

#include <QDateTime>

#include <optional>

namespace cutover::engine {

// Follows one PromQL condition over time and applies its `for` duration, like a Prometheus
// alerting rule: a check passes (a trigger fires) only once the condition has held without a
// break for `for`. No data, NaN or a failed query is Unknown, and Unknown never counts towards
// `for`: a monitoring outage can neither pass a gate nor fire a rollback.
class ConditionTracker {
public:
    enum class State {
        Unknown, // no usable sample yet, or the last one was missing/NaN/an error
        False,   // the condition does not hold
        Pending, // holds, but not yet for `for`
        True,    // has held for at least `for`
    };

    ConditionTracker() = default;
    ConditionTracker(config::Condition condition, config::Duration forDuration);

    // One evaluation at `at`: a value, or nullopt when there was no usable answer.
    void update(std::optional<double> value, const QDateTime &at);
    // Re-evaluates `for` at `now` without a new sample (time passing alone can complete it).
    State stateAt(const QDateTime &now) const;
    State state() const { return m_state; }

    std::optional<double> lastValue() const { return m_lastValue; }
    QDateTime lastSampleAt() const { return m_lastSampleAt; }
    QDateTime lastUsableAt() const { return m_lastUsableAt; }
    QDateTime holdingSince() const { return m_holdingSince; } // invalid unless Pending/True
    // The last sample at which the condition did not hold (a breach), or invalid.
    QDateTime lastBreachAt() const { return m_lastBreachAt; }
    const config::Condition &condition() const { return m_condition; }

private:
    config::Condition m_condition;
    config::Duration m_for;
    State m_state = State::Unknown;
    std::optional<double> m_lastValue;
    QDateTime m_lastSampleAt;
    QDateTime m_lastUsableAt;
    QDateTime m_holdingSince;
    QDateTime m_lastBreachAt;
};

QString conditionStateName(ConditionTracker::State state);

} // namespace cutover::engine
