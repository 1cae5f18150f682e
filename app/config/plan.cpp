#include "app/config/plan.h"

#include <QHash>

#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::config {

QString permissionName(Permission permission) {
    switch (permission) {
    case Permission::View:
        return u"view"_s;
    case Permission::Tick:
        return u"tick"_s;
    case Permission::Sign:
        return u"sign"_s;
    case Permission::Shift:
        return u"shift"_s;
    case Permission::Rollback:
        return u"rollback"_s;
    }
    return QString();
}

std::optional<Permission> permissionFromName(const QString &name) {
    for (Permission p : {Permission::View, Permission::Tick, Permission::Sign, Permission::Shift,
                         Permission::Rollback}) {
        if (permissionName(p) == name)
            return p;
    }
    return std::nullopt;
}

QString escalationLevelName(EscalationLevel level) {
    return u"L%1"_s.arg(int(level));
}

std::optional<EscalationLevel> escalationLevelFromName(const QString &name) {
    for (EscalationLevel level :
         {EscalationLevel::L1, EscalationLevel::L2, EscalationLevel::L3, EscalationLevel::L4}) {
        if (escalationLevelName(level) == name)
            return level;
    }
    return std::nullopt;
}

const QStringList &notificationEvents() {
    static const QStringList events{u"shift"_s,
                                    u"sign_off"_s,
                                    u"backend_down"_s,
                                    u"hold_restarted"_s,
                                    u"war_room_acknowledged"_s,
                                    u"trigger"_s,
                                    u"drift"_s,
                                    u"controller"_s,
                                    u"evidence_failed"_s,
                                    u"validation_failed"_s,
                                    u"operator_rollback"_s,
                                    u"rollback"_s,
                                    u"legacy_unverified"_s,
                                    u"audit_checkpoint"_s};
    return events;
}

EscalationLevel defaultEscalationLevel(const QString &event) {
    static const QHash<QString, EscalationLevel> defaults{
        {u"shift"_s, EscalationLevel::L1},
        {u"sign_off"_s, EscalationLevel::L1},
        {u"backend_down"_s, EscalationLevel::L1},
        {u"hold_restarted"_s, EscalationLevel::L1},
        {u"war_room_acknowledged"_s, EscalationLevel::L1},
        {u"trigger"_s, EscalationLevel::L2},
        {u"drift"_s, EscalationLevel::L2},
        {u"controller"_s, EscalationLevel::L2},
        {u"evidence_failed"_s, EscalationLevel::L2},
        {u"validation_failed"_s, EscalationLevel::L3},
        {u"operator_rollback"_s, EscalationLevel::L3},
        {u"rollback"_s, EscalationLevel::L4},
        {u"legacy_unverified"_s, EscalationLevel::L4},
        {u"audit_checkpoint"_s, EscalationLevel::L1},
    };
    return defaults.value(event, EscalationLevel::L1);
}

QString RuntimeApiAddress::toString() const {
    if (kind == Kind::Unix)
        return u"unix://"_s + path;
    return u"tcp://%1:%2"_s.arg(host).arg(port);
}

bool Condition::holds(double value) const {
    if (std::isnan(value))
        return false;
    switch (op) {
    case Op::Less:
        return value < threshold;
    case Op::LessEqual:
        return value <= threshold;
    case Op::Greater:
        return value > threshold;
    case Op::GreaterEqual:
        return value >= threshold;
    case Op::Equal:
        return value == threshold;
    case Op::NotEqual:
        return value != threshold;
    }
    return false;
}

QString Condition::toString() const {
    static const char16_t *const names[] = {u"<", u"<=", u">", u">=", u"==", u"!="};
    return QString::fromUtf16(names[int(op)]) + u' ' + QString::number(threshold);
}

QString failurePolicyName(FailurePolicy policy) {
    switch (policy) {
    case FailurePolicy::PreviousStage:
        return u"previous_stage"_s;
    case FailurePolicy::Full:
        return u"full"_s;
    case FailurePolicy::Hold:
        return u"hold"_s;
    }
    return QString();
}

const Role *Plan::role(const QString &roleName) const {
    for (const Role &r : roles) {
        if (r.name == roleName)
            return &r;
    }
    return nullptr;
}

const Gate *Plan::gate(const QString &id) const {
    for (const Gate &g : gates) {
        if (g.id == id)
            return &g;
    }
    return nullptr;
}

const LoadBalancer *Plan::loadBalancer(const QString &lbName) const {
    for (const LoadBalancer &lb : loadBalancers) {
        if (lb.name == lbName)
            return &lb;
    }
    return nullptr;
}

const Environment *Plan::environment(const QString &envName) const {
    for (const Environment &env : environments) {
        if (env.name == envName)
            return &env;
    }
    return nullptr;
}

Condition Check::trackedCondition() const {
    if (kind == Kind::AlertDelivery)
        return Condition{Condition::Op::Equal, double(AlertDeliveryCode::Delivered)};
    return condition;
}

QString Check::deliveryExpression() const {
    if (!deliveryQuery.isEmpty())
        return deliveryQuery;
    const QString window = QString::number(deliveredWithin.ms()) + u"ms"_s;
    return u"sum(increase(alertmanager_notifications_total[%1])) - "
           u"sum(increase(alertmanager_notifications_failed_total[%1]))"_s.arg(window);
}

QString Check::historyQuery() const {
    if (kind != Kind::AlertDelivery)
        return query;
    // firing and delivered are 0 or 1; with no delivery data the whole expression has no
    // value (unknown), as a live look without an answer.
    const QString firing =
        u"((count(ALERTS{alertname=\"%1\",alertstate=\"firing\"}) or vector(0)) > bool 0)"_s.arg(
            alertName);
    const QString delivered = u"(sum(%1) > bool 0)"_s.arg(deliveryExpression());
    return u"%1 * %2 * %3 + %1 * (1 - %2) * %4 + (1 - %1) * %5"_s.arg(
        firing, delivered, QString::number(int(AlertDeliveryCode::Delivered)),
        QString::number(int(AlertDeliveryCode::NotDelivered)),
        QString::number(int(AlertDeliveryCode::NotActive)));
}

int Plan::stageOfGate(const QString &gateId) const {
    for (int i = 0; i < stages.size(); ++i) {
        if (stages.at(i).gates.contains(gateId))
            return i;
    }
    return -1;
}

bool Plan::signsAfterStability(const QString &gateId) const {
    const Gate *g = gate(gateId);
    if (!g)
        return false;
    if (g->signAfter)
        return *g->signAfter == Gate::SignAfter::Stable;
    const int stage = stageOfGate(gateId);
    return stage >= 0 && !stages.at(stage).hold.isZero();
}

int Plan::checkCount() const {
    int count = 0;
    for (const Gate &g : gates)
        count += int(g.checks.size());
    return count;
}

} // namespace cutover::config
