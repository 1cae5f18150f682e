#pragma once

#include "app/config/plan.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace cutover::models {

// A read-only tree of a plan (environments, load balancers, stages, gates and their checks,
// triggers, panels) with two columns: the item and its details.
class PlanOverviewModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { ItemColumn, DetailColumn, ColumnCount };

    explicit PlanOverviewModel(QObject *parent = nullptr);
    ~PlanOverviewModel() override;

    void setPlan(const config::Plan &plan);
    void clear();

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Node;
    Node *nodeFor(const QModelIndex &index) const;
    std::unique_ptr<Node> m_root;
};

} // namespace cutover::models
