#include "app/controller/controller_metrics.h"

#include <QSet>

using namespace Qt::StringLiterals;

namespace cutover::controller {

QString escapeLabelValue(const QString &value) {
    QString escaped;
    escaped.reserve(value.size());
    for (const QChar c : value) {
        if (c == u'\\')
            escaped += u"\\\\"_s;
        else if (c == u'"')
            escaped += u"\\\""_s;
        else if (c == u'\n')
            escaped += u"\\n"_s;
        else
            escaped += c;
    }
    return escaped;
}

namespace {

class Writer {
public:
    void family(const char *name, const char *type, const char *help) {
        m_out += "# HELP "_ba + name + ' ' + help + "\n# TYPE "_ba + name + ' ' + type + '\n';
    }
    void sample(const char *name, const QList<std::pair<QString, QString>> &labels, double value) {
        m_out += name;
        if (!labels.isEmpty()) {
            m_out += '{';
            bool first = true;
            for (const auto &[key, v] : labels) {
                if (!first)
                    m_out += ',';
                first = false;
                m_out += key.toUtf8() + "=\"" + escapeLabelValue(v).toUtf8() + '"';
            }
            m_out += '}';
        }
        m_out += ' ' + QByteArray::number(value, 'g', 15) + '\n';
    }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
};

const QList<engine::Phase> &allPhases() {
    static const QList<engine::Phase> phases{engine::Phase::Holding,     engine::Phase::Shifting,
                                             engine::Phase::Stabilizing, engine::Phase::Validating,
                                             engine::Phase::RollingBack, engine::Phase::RolledBack,
                                             engine::Phase::Complete};
    return phases;
}

} // namespace

QByteArray renderMetrics(const MetricsInput &in) {
    Writer w;
    w.family("cutover_controller_leader", "gauge",
             "1 while this controller takes the automatic decisions (holds the decision lease).");
    w.sample("cutover_controller_leader", {}, in.leader ? 1 : 0);
    w.family("cutover_last_evaluation_timestamp_seconds", "gauge",
             "When this process last finished evaluating checks and triggers (0: never).");
    w.sample("cutover_last_evaluation_timestamp_seconds", {},
             in.lastEvaluationAt.isValid() ? in.lastEvaluationAt.toMSecsSinceEpoch() / 1000.0
                                           : 0.0);
    w.family("cutover_controller_start_time_seconds", "gauge",
             "When this controller process started.");
    w.sample("cutover_controller_start_time_seconds", {},
             in.startedAt.toMSecsSinceEpoch() / 1000.0);

    w.family("cutover_stage_percent", "gauge",
             "The OTel share the environment's stage targets, in percent (0 before the first "
             "stage or after a rollback).");
    for (const auto &s : in.environments)
        w.sample("cutover_stage_percent", {{u"environment"_s, s.environment}}, s.currentPercent);
    w.family("cutover_phase", "gauge", "1 for the environment's current phase.");
    for (const auto &s : in.environments) {
        for (engine::Phase phase : allPhases())
            w.sample("cutover_phase",
                     {{u"environment"_s, s.environment}, {u"phase"_s, engine::phaseName(phase)}},
                     s.stateKnown && s.phase == phase ? 1 : 0);
    }
    w.family("cutover_measured_share", "gauge",
             "OTel's measured share of the traffic (absent while unknown).");
    for (const auto &s : in.environments) {
        if (s.measuredShare)
            w.sample("cutover_measured_share", {{u"environment"_s, s.environment}},
                     *s.measuredShare);
    }
    w.family("cutover_hold_remaining_seconds", "gauge",
             "Time left in the running hold or stabilization (0: none running).");
    for (const auto &s : in.environments) {
        const qint64 left =
            s.progressEnd.isValid()
                ? std::max<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(s.progressEnd))
                : 0;
        w.sample("cutover_hold_remaining_seconds", {{u"environment"_s, s.environment}},
                 left / 1000.0);
    }
    w.family("cutover_rollbacks_total", "counter",
             "Rollbacks started, from the audit log, by environment and cause.");
    for (auto env = in.rollbacks.cbegin(); env != in.rollbacks.cend(); ++env) {
        for (auto cause = env->cbegin(); cause != env->cend(); ++cause)
            w.sample("cutover_rollbacks_total",
                     {{u"environment"_s, env.key()}, {u"reason"_s, cause.key()}},
                     double(cause.value()));
    }
    w.family("cutover_trigger_firing", "gauge",
             "1 while an emergency rollback trigger's condition has held for its `for`.");
    for (const auto &s : in.environments) {
        for (auto it = s.triggerStates.cbegin(); it != s.triggerStates.cend(); ++it)
            w.sample("cutover_trigger_firing",
                     {{u"environment"_s, s.environment}, {u"trigger"_s, it.key()}},
                     it.value() ? 1 : 0);
    }
    w.family("cutover_backend_up", "gauge",
             "1 when the backend answered its last call, 0 when it failed (absent: not asked "
             "yet).");
    QSet<QString> seen;
    for (const auto &s : in.environments) {
        for (const engine::BackendHealth &b : s.backends) {
            if (seen.contains(b.name) || b.state == engine::BackendHealth::State::Unknown)
                continue;
            seen.insert(b.name);
            w.sample("cutover_backend_up", {{u"backend"_s, b.name}},
                     b.state == engine::BackendHealth::State::Down ? 0 : 1);
        }
    }
    w.family("cutover_war_room_active", "gauge",
             "1 while an L4 event's WAR ROOM waits for an operator's acknowledgement.");
    w.sample("cutover_war_room_active", {},
             !in.environments.isEmpty() && in.environments.constFirst().warRoom.active ? 1 : 0);
    return w.take();
}

} // namespace cutover::controller
