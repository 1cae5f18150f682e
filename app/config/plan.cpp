#include "app/config/plan.h"

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

int Plan::checkCount() const {
    int count = 0;
    for (const Gate &g : gates)
        count += int(g.checks.size());
    return count;
}

} // namespace cutover::config
