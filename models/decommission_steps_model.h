#pragma once

#include "app/decommission/decommission_ledger.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QList>

namespace cutover::models {

// The decommission's steps as a timeline: one row per step in plan order, the week shown on the
// first step of each. Rows hold copies (the engine's progress points into its plan). Updates emit
// dataChanged for the rows that changed; the countdown column moves with `now`.
class DecommissionStepsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { WeekColumn, StepColumn, StateColumn, ApprovalsColumn, DetailColumn, ColumnCount };
    enum Role {
        StateRole = Qt::UserRole + 1, // int: decommission::StepState
        StepIdRole,                   // QString
        IrreversibleRole,             // bool
    };

    explicit DecommissionStepsModel(QObject *parent = nullptr);

    void setProgress(const decommission::EnvironmentProgress &progress, const QDateTime &now);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // "Waiting: 23 h 59 min left", "Done 2026-12-03 10:00 UTC", "Failed: …"
    static QString detailText(const decommission::StepProgress &step, const QDateTime &now);

private:
    struct Row {
        QString id;
        QString week; // empty unless the first step of its phase
        QString title;
        QString action;
        bool irreversible = false;
        decommission::StepState state = decommission::StepState::Blocked;
        QString approvals;
        QString detail;
        QString evidence;

        bool operator==(const Row &) const = default;
    };
    QList<Row> m_rows;
};

} // namespace cutover::models
