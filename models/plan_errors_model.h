#pragma once

#include "app/config/plan_loader.h"

#include <QAbstractTableModel>

namespace cutover::models {

// The errors of a plan that failed to load: location, key path, message.
class PlanErrorsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { LocationColumn, PathColumn, MessageColumn, ColumnCount };

    explicit PlanErrorsModel(QObject *parent = nullptr);

    void setErrors(const QList<config::PlanError> &errors);
    const QList<config::PlanError> &errors() const { return m_errors; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<config::PlanError> m_errors;
};

} // namespace cutover::models
