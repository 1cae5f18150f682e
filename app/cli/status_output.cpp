#include "app/cli/status_output.h"

#include "app/cutover/decision_text.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace cutover::cli {

QString shareText(std::optional<double> share) {
    return share ? QString::number(*share * 100.0, 'f', 1) + u'%' : u"unknown"_s;
}

QString healthName(engine::BackendHealth::State state) {
    switch (state) {
    case engine::BackendHealth::State::Ok:
        return u"ok"_s;
    case engine::BackendHealth::State::Degraded:
        return u"degraded"_s;
    case engine::BackendHealth::State::Down:
        return u"down"_s;
    case engine::BackendHealth::State::Unknown:
        return u"unknown"_s;
    }
    return QString();
}

QJsonObject snapshotJson(const engine::EnvironmentSnapshot &s,
                         const engine::Refusals &shiftRefusals) {
    QJsonArray gates;
    for (const engine::GateStatus &g : s.gates) {
        QJsonArray checks;
        for (const engine::CheckStatus &c : g.checks) {
            QJsonObject check{{u"id"_s, c.id},
                              {u"title"_s, c.title},
                              {u"state"_s, engine::checkStateName(c.state)},
                              {u"detail"_s, c.detail}};
            if (c.value)
                check.insert(u"value"_s, *c.value);
            checks.append(check);
        }
        QJsonArray signatures;
        for (const engine::SignatureStatus &sig : g.signatures) {
            QJsonObject signature{{u"role"_s, sig.role}, {u"signed"_s, sig.signOff.has_value()}};
            if (sig.signOff) {
                signature.insert(u"printed_name"_s, sig.signOff->printedName);
                signature.insert(u"meaning"_s, sig.signOff->meaning);
                signature.insert(u"at"_s, sig.signOff->at.toString(Qt::ISODateWithMs));
            }
            signatures.append(signature);
        }
        QJsonObject gate{{u"id"_s, g.id},
                         {u"title"_s, g.title},
                         {u"ready"_s, g.ready()},
                         {u"checks"_s, checks},
                         {u"signatures"_s, signatures}};
        if (g.score) {
            gate.insert(u"score"_s, QJsonObject{{u"score"_s, g.score->score},
                                                {u"classification"_s,
                                                 analysis::gateClassName(g.score->classification)},
                                                {u"reason"_s, g.score->reason}});
        }
        gates.append(gate);
    }
    QJsonArray backends;
    for (const engine::BackendHealth &b : s.backends) {
        backends.append(QJsonObject{{u"name"_s, b.name},
                                    {u"state"_s, healthName(b.state)},
                                    {u"problem"_s, b.problem},
                                    {u"last_good_at"_s, b.lastGoodAt.toString(Qt::ISODateWithMs)}});
    }
    QJsonObject object{{u"environment"_s, s.environment},
                       {u"phase"_s, engine::phaseName(s.phase)},
                       {u"stage_index"_s, s.stageIndex},
                       {u"percent"_s, s.currentPercent},
                       {u"next_percent"_s, s.nextPercent},
                       {u"target_share"_s, s.targetShare},
                       {u"lower_bound"_s, s.lowerBound},
                       {u"upper_bound"_s, s.upperBound},
                       {u"version"_s, double(s.state.version)},
                       {u"changed_by"_s, s.state.changedBy},
                       {u"changed_at"_s, s.state.changedAt.toString(Qt::ISODateWithMs)},
                       {u"hold_started_at"_s, s.state.holdStartedAt.toString(Qt::ISODateWithMs)},
                       {u"validation"_s, s.lastValidation},
                       {u"validation_failed"_s, s.validationFailed},
                       {u"gates"_s, gates},
                       {u"backends"_s, backends},
                       {u"firing_triggers"_s, QJsonArray::fromStringList(s.firingTriggers)},
                       {u"drift"_s, QJsonArray::fromStringList(s.driftAlarms)},
                       {u"shift_refusals"_s, QJsonArray::fromStringList(texts(shiftRefusals))},
                       {u"shift_refusal_codes"_s, engine::toJson(shiftRefusals)}};
    if (s.measuredShare)
        object.insert(u"measured_share"_s, *s.measuredShare);
    return object;
}

void printSnapshot(QTextStream &out, const engine::EnvironmentSnapshot &s,
                   const QStringList &shiftRefusals, bool withOperator) {
    if (s.rehearsal)
        out << "REHEARSAL (dry run on a copy of the store): ";
    out << s.environment << ": " << s.currentPercent << "% OTel, " << engine::phaseName(s.phase);
    if (s.stageIndex >= 0 && s.phase != engine::Phase::RolledBack)
        out << " (accept " << shareText(s.lowerBound) << ".." << shareText(s.upperBound) << ")";
    out << "; measured " << shareText(s.measuredShare) << '\n';
    if (!s.state.changedBy.isEmpty())
        out << "  last change: " << s.state.changedBy << " at "
            << s.state.changedAt.toString(Qt::ISODate) << " (version " << s.state.version << ")\n";
    if (!s.progressLabel.isEmpty()) {
        out << "  " << s.progressLabel;
        if (s.progressEnd.isValid())
            out << " until " << s.progressEnd.toString(Qt::ISODate);
        out << '\n';
    }
    if (!s.lastValidation.isEmpty())
        out << "  validation " << s.lastValidation << '\n';
    for (const engine::GateStatus &g : s.gates) {
        if (!s.gatesBeforeNextShift.contains(g.id))
            continue;
        int passing = 0;
        for (const auto &c : g.checks)
            passing += c.state == engine::CheckStatus::State::Pass ? 1 : 0;
        out << "  " << g.title << ": " << passing << '/' << g.checks.size() << " items, "
            << (g.isSigned() ? "signed" : "not signed") << '\n';
    }
    QStringList backends;
    for (const engine::BackendHealth &b : s.backends)
        backends.append(b.name + u' ' + healthName(b.state));
    out << "  backends: " << backends.join(u", "_s) << '\n';
    for (const QString &t : s.firingTriggers)
        out << "  TRIGGER FIRING: " << t << '\n';
    if (s.warRoom.active)
        out << "  WAR ROOM since " << s.warRoom.activatedAt.toString(Qt::ISODate) << ": "
            << s.warRoom.reason << " (acknowledge it in a window)\n";
    for (const QString &d : s.driftAlarms)
        out << "  DRIFT: " << d << '\n';
    if (s.nextPercent >= 0 && withOperator) {
        if (shiftRefusals.isEmpty())
            out << "  shift to " << s.nextPercent << "%: allowed\n";
        else
            out << "  shift to " << s.nextPercent << "%: refused:\n    - "
                << shiftRefusals.join(u"\n    - "_s) << '\n';
    }
}

void printDecision(QTextStream &out, const engine::DecisionStatus &decision) {
    const auto text =
        engine::describeDecision(decision, QDateTime::currentDateTimeUtc(), u"this command"_s);
    out << "decisions: " << text.text << '\n';
}

} // namespace cutover::cli
