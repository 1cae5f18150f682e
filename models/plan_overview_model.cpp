#include "models/plan_overview_model.h"

using namespace Qt::StringLiterals;

namespace cutover::models {

struct PlanOverviewModel::Node {
    QString item;
    QString detail;
    Node *parent = nullptr;
    int row = 0;
    std::vector<std::unique_ptr<Node>> children;

    Node *add(QString itemText, QString detailText = {}) {
        auto child = std::make_unique<Node>();
        child->item = std::move(itemText);
        child->detail = std::move(detailText);
        child->parent = this;
        child->row = int(children.size());
        children.push_back(std::move(child));
        return children.back().get();
    }
};

namespace {

QString percentText(double share) {
    return QString::number(share * 100.0, 'g', 4) + u'%';
}

QString checkDetail(const config::Check &check) {
    switch (check.kind) {
    case config::Check::Kind::Automatic: {
        QString text = u"automatic: %1 %2"_s.arg(check.query, check.condition.toString());
        if (!check.forDuration.isZero())
            text += u" for "_s + check.forDuration.toString();
        return text;
    }
    case config::Check::Kind::Manual:
        return u"manual: ticked by %1"_s.arg(check.role);
    case config::Check::Kind::GateRef:
        return u"maintained: every automatic check of %1"_s.arg(check.gates.join(u", "_s));
    case config::Check::Kind::Stability:
        return u"stable at the stage for %1"_s.arg(check.stableFor.toString());
    case config::Check::Kind::Compare:
        return u"compare legacy vs OTel over %1 at %2: Mann-Whitney, %3% confidence"_s
            .arg(check.compare.window.toString(), check.compare.step.toString())
            .arg(check.compare.confidence * 100, 0, 'g', 3);
    case config::Check::Kind::AlertDelivery:
        return u"alert delivery: %1 active in Alertmanager%2, delivered within %3"_s.arg(
            check.alertName, check.receiver.isEmpty() ? QString() : u" for "_s + check.receiver,
            check.deliveredWithin.toString());
    }
    return QString();
}

} // namespace

PlanOverviewModel::PlanOverviewModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>()) {}

PlanOverviewModel::~PlanOverviewModel() = default;

void PlanOverviewModel::clear() {
    beginResetModel();
    m_root = std::make_unique<Node>();
    endResetModel();
}

void PlanOverviewModel::setPlan(const config::Plan &plan) {
    beginResetModel();
    m_root = std::make_unique<Node>();

    Node *envs = m_root->add(u"Environments"_s, QString::number(plan.environments.size()));
    for (const auto &env : plan.environments) {
        QString detail = u"load balancers: "_s + env.loadBalancers.join(u", "_s);
        if (!env.selector.isEmpty())
            detail += u"; selector: "_s + env.selector;
        envs->add(env.name, detail);
    }

    Node *lbs = m_root->add(u"Load balancers"_s, QString::number(plan.loadBalancers.size()));
    for (const auto &lb : plan.loadBalancers)
        lbs->add(lb.name, u"%1, backend %2"_s.arg(lb.runtimeApi.toString(), lb.backend));

    Node *pools = m_root->add(u"Pools"_s);
    pools->add(u"legacy"_s, plan.pools.legacy.join(u", "_s));
    pools->add(u"otel"_s, plan.pools.otel.join(u", "_s));

    Node *stages = m_root->add(u"Stages"_s, QString::number(plan.stages.size()));
    for (const auto &stage : plan.stages) {
        QString detail = u"stabilize %1, accept %2–%3"_s.arg(stage.stabilization.toString(),
                                                             percentText(stage.lowerBound()),
                                                             percentText(stage.upperBound()));
        if (!stage.hold.isZero())
            detail += u", hold "_s + stage.hold.toString();
        if (!stage.gates.isEmpty())
            detail += u", gates: "_s + stage.gates.join(u", "_s);
        stages->add(QString::number(stage.percent) + u"% OTel"_s, detail);
    }

    Node *gates = m_root->add(u"Gates"_s, QString::number(plan.gates.size()));
    for (const auto &gate : plan.gates) {
        QString detail = u"%1 checks"_s.arg(gate.checks.size());
        if (!gate.signOff.isEmpty())
            detail += u"; signed by "_s + gate.signOff.join(u", "_s);
        if (gate.id == plan.preCutoverGate)
            detail += u"; before the first shift"_s;
        Node *gateNode = gates->add(gate.title, detail);
        for (const auto &check : gate.checks)
            gateNode->add(check.title, checkDetail(check));
    }

    Node *triggers = m_root->add(u"Rollback triggers"_s,
                                 u"on validation failure: "_s +
                                     config::failurePolicyName(plan.rollback.onValidationFailure));
    for (const auto &trigger : plan.rollback.triggers) {
        QString detail = u"%1 %2"_s.arg(trigger.query, trigger.condition.toString());
        if (!trigger.forDuration.isZero())
            detail += u" for "_s + trigger.forDuration.toString();
        detail +=
            trigger.action == config::Trigger::Action::Auto ? u" → roll back"_s : u" → alarm"_s;
        triggers->add(trigger.title, detail);
    }

    Node *panels = m_root->add(u"Panels"_s);
    for (const auto &group : plan.panelGroups) {
        Node *groupNode = panels->add(group.name, u"%1 panels"_s.arg(group.panels.size()));
        for (const auto &panel : group.panels)
            groupNode->add(panel.title, panel.query);
    }
    endResetModel();
}

PlanOverviewModel::Node *PlanOverviewModel::nodeFor(const QModelIndex &index) const {
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex PlanOverviewModel::index(int row, int column, const QModelIndex &parent) const {
    if (!hasIndex(row, column, parent))
        return {};
    Node *parentNode = nodeFor(parent);
    return createIndex(row, column, parentNode->children.at(size_t(row)).get());
}

QModelIndex PlanOverviewModel::parent(const QModelIndex &child) const {
    if (!child.isValid())
        return {};
    Node *node = nodeFor(child);
    Node *parentNode = node->parent;
    if (!parentNode || parentNode == m_root.get())
        return {};
    return createIndex(parentNode->row, 0, parentNode);
}

int PlanOverviewModel::rowCount(const QModelIndex &parent) const {
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeFor(parent)->children.size());
}

int PlanOverviewModel::columnCount(const QModelIndex &) const {
    return ColumnCount;
}

QVariant PlanOverviewModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node *node = nodeFor(index);
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole)
        return index.column() == ItemColumn ? node->item : node->detail;
    return {};
}

QVariant PlanOverviewModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == ItemColumn ? u"Item"_s : u"Details"_s;
}

} // namespace cutover::models
