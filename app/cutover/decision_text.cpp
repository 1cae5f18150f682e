#include "app/cutover/decision_text.h"

#include "app/cutover/gate_status.h"

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {
QString ago(const QDateTime &then, const QDateTime &now) {
    if (!then.isValid())
        return u"never"_s;
    return formatSpan(std::max<qint64>(0, then.msecsTo(now))) + u" ago"_s;
}
} // namespace

DecisionText describeDecision(const DecisionStatus &s, const QDateTime &now, const QString &desk) {
    DecisionText t;
    const QDateTime leaseNow = s.observedAt.isValid() ? s.observedAt : now;
    if (!s.coordinated) {
        t.text = u"%1 decides alone (the store cannot coordinate)"_s.arg(desk);
        return t;
    }
    if (s.holder && s.holderFresh && s.holder->kind == store::LeaseHolderKind::Controller &&
        !s.thisEngine) {
        t.text = u"controller %1 · leading %2 · evaluated %3"_s.arg(
            s.holder->host,
            formatSpan(std::max<qint64>(0, s.holder->leadingSince.msecsTo(leaseNow))),
            ago(s.holder->lastEvaluationAt, leaseNow));
        t.tooltip = u"%1 takes the automatic decisions (validation, holds, triggers and automatic "
                    u"rollback, drift); %2 shows them and runs what its operator does."_s.arg(
                        s.holder->describe(), desk);
        return t;
    }
    if (s.thisEngine && s.holder && s.holder->kind == store::LeaseHolderKind::Controller) {
        t.text = u"controller %1 · leading %2 · evaluated %3"_s.arg(
            s.holder->host,
            formatSpan(std::max<qint64>(0, s.holder->leadingSince.msecsTo(leaseNow))),
            ago(s.holder->lastEvaluationAt, leaseNow));
        return t;
    }
    if (!s.problem.isEmpty() && !s.thisEngine) {
        t.tone = DecisionText::Tone::Alarm;
        t.text = s.rollbackOnly
                     ? u"Store unreachable: nobody visible decides; %1 rolls back on automatic "
                       u"triggers"_s.arg(desk)
                     : u"Store unreachable: who decides is unknown"_s;
        t.tooltip = s.problem;
        return t;
    }
    t.tone = DecisionText::Tone::Warning;
    if (s.thisEngine || s.backfilling) {
        t.text = u"No controller: automatic rollback runs only while %1 is open"_s.arg(desk);
        t.tooltip = u"No `cutover-console --serve` controller runs on this store, so %1 takes the "
                    u"automatic decisions. Close it and nobody does."_s.arg(desk);
        return t;
    }
    if (s.holder && s.holderFresh) {
        t.text = u"No controller: automatic decisions by the %1"_s.arg(s.holder->describe());
        t.tooltip = u"No `cutover-console --serve` controller runs on this store; the first "
                    u"console that opened decides while it is open."_s;
        return t;
    }
    if (s.holder && s.holder->kind == store::LeaseHolderKind::Controller) {
        t.tone = DecisionText::Tone::Alarm;
        t.text = u"Controller %1 silent for %2: waiting for a standby to take over"_s.arg(
            s.holder->host, ago(s.holder->expiresAt, leaseNow));
        return t;
    }
    t.text = u"No controller: waiting to decide"_s;
    return t;
}

} // namespace cutover::engine
