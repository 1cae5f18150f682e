#include "app/cutover/condition_tracker.h"

#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::engine {

ConditionTracker::ConditionTracker(config::Condition condition, config::Duration forDuration)
    : m_condition(condition)
    , m_for(forDuration) {}

void ConditionTracker::update(std::optional<double> value, const QDateTime &at) {
    m_lastSampleAt = at;
    m_lastValue = value;
    if (!value || std::isnan(*value)) {
        // Unknown breaks the `for` run: it must start again once data is back.
        m_holdingSince = QDateTime();
        m_state = State::Unknown;
        return;
    }
    m_lastUsableAt = at;
    if (m_condition.holds(*value)) {
        if (!m_holdingSince.isValid())
            m_holdingSince = at;
        m_state = stateAt(at);
        return;
    }
    // Every failing sample is a breach: a hold measures time *without* one.
    m_lastBreachAt = at;
    m_holdingSince = QDateTime();
    m_state = State::False;
}

ConditionTracker::State ConditionTracker::stateAt(const QDateTime &now) const {
    if (!m_holdingSince.isValid())
        return m_state == State::False ? State::False : State::Unknown;
    return m_holdingSince.msecsTo(now) >= m_for.ms() ? State::True : State::Pending;
}

QString conditionStateName(ConditionTracker::State state) {
    switch (state) {
    case ConditionTracker::State::Unknown:
        return u"unknown"_s;
    case ConditionTracker::State::False:
        return u"false"_s;
    case ConditionTracker::State::Pending:
        return u"pending"_s;
    case ConditionTracker::State::True:
        return u"true"_s;
    }
    return QString();
}

} // namespace cutover::engine
