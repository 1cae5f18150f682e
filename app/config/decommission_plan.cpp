#include "app/config/decommission_plan.h"

#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace cutover::config {

QString componentKindName(DecommissionComponent::Kind kind) {
    using K = DecommissionComponent::Kind;
    switch (kind) {
    case K::Collector:
        return u"collector"_s;
    case K::Storage:
        return u"storage"_s;
    case K::Compute:
        return u"compute"_s;
    case K::Network:
        return u"network"_s;
    case K::Dns:
        return u"dns"_s;
    case K::LoadBalancer:
        return u"load_balancer"_s;
    case K::Other:
        break;
    }
    return u"other"_s;
}

QString validationKindName(StepValidation::Kind kind) {
    using K = StepValidation::Kind;
    switch (kind) {
    case K::NoActiveConnections:
        return u"no_active_connections"_s;
    case K::ZeroTraffic:
        return u"zero_traffic"_s;
    case K::Query:
        return u"query"_s;
    case K::Command:
        return u"command"_s;
    case K::None:
        break;
    }
    return u"none"_s;
}

QString phaseName(DecommissionStep::Phase phase) {
    using P = DecommissionStep::Phase;
    switch (phase) {
    case P::Preparation:
        return u"preparation"_s;
    case P::CollectorShutdown:
        return u"collector_shutdown"_s;
    case P::InfrastructureRemoval:
        return u"infrastructure_removal"_s;
    case P::FinalCleanup:
        break;
    }
    return u"final_cleanup"_s;
}

QString phaseTitle(DecommissionStep::Phase phase) {
    using P = DecommissionStep::Phase;
    switch (phase) {
    case P::Preparation:
        return u"Week 9: Preparation"_s;
    case P::CollectorShutdown:
        return u"Week 10: Collector shutdown"_s;
    case P::InfrastructureRemoval:
        return u"Week 11: Infrastructure removal"_s;
    case P::FinalCleanup:
        break;
    }
    return u"Week 12: Final cleanup"_s;
}

QString actionName(DecommissionStep::Action action) {
    using A = DecommissionStep::Action;
    switch (action) {
    case A::Drain:
        return u"drain"_s;
    case A::Maintenance:
        return u"maintenance"_s;
    case A::Ready:
        return u"ready"_s;
    case A::RemoveFromLb:
        return u"remove_from_lb"_s;
    case A::ArchiveFiles:
        return u"archive_files"_s;
    case A::PrometheusSnapshot:
        return u"prometheus_snapshot"_s;
    case A::ExportMetrics:
        return u"export_metrics"_s;
    case A::HttpBackup:
        return u"http_backup"_s;
    case A::Command:
        return u"command"_s;
    case A::Manual:
        break;
    }
    return u"manual"_s;
}

QString evidenceName(DecommissionStep::Evidence evidence) {
    using E = DecommissionStep::Evidence;
    switch (evidence) {
    case E::Note:
        return u"note"_s;
    case E::File:
        return u"file"_s;
    case E::Url:
        return u"url"_s;
    case E::None:
        break;
    }
    return u"none"_s;
}

QStringList DecommissionStep::placeholders() const {
    // "<backup-bucket>" alone or inside an argument ("s3://<backup-bucket>/legacy/").
    static const QRegularExpression placeholder(u"<[^<>\\s]+>"_s);
    QStringList found;
    for (const QStringList *list : {&argv, &validation.argv}) {
        for (const QString &argument : *list) {
            for (const QRegularExpressionMatch &m : placeholder.globalMatch(argument)) {
                if (!found.contains(m.captured()))
                    found.append(m.captured());
            }
        }
    }
    return found;
}

Duration DecommissionStep::maxRunTime() const {
    Duration acting = Duration::minutes(5); // HAProxy, a snapshot, a manual confirmation
    switch (action) {
    case Action::Command:
        acting = timeout;
        break;
    case Action::ArchiveFiles:
    case Action::ExportMetrics:
    case Action::HttpBackup:
        acting = Duration::hours(1);
        break;
    default:
        break;
    }
    Duration checking = Duration::minutes(2);
    if (validation.kind == StepValidation::Kind::Command)
        checking = validation.timeout;
    return Duration::milliseconds(acting.ms() + checking.ms() + Duration::minutes(5).ms());
}

bool DecommissionStep::isConfigured() const {
    return placeholders().isEmpty();
}

const DecommissionStep *DecommissionConfig::step(const QString &id) const {
    for (const DecommissionStep &s : steps) {
        if (s.id == id)
            return &s;
    }
    return nullptr;
}

const DecommissionComponent *DecommissionConfig::component(const QString &id) const {
    for (const DecommissionComponent &c : components) {
        if (c.id == id)
            return &c;
    }
    return nullptr;
}

int DecommissionConfig::indexOf(const QString &stepId) const {
    for (int i = 0; i < steps.size(); ++i) {
        if (steps.at(i).id == stepId)
            return i;
    }
    return -1;
}

} // namespace cutover::config
