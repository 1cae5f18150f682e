#pragma once

#include "app/decommission/decommission_ledger.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QHash>
#include <QList>

namespace cutover::models {

// The decommission's steps as a timeline: one row per step in plan order, the week shown on the
// first step of each. Rows hold copies (the engine's progress points into its plan). Updates emit
// dataChanged for the rows that changed; the countdown column moves with `now`.
class DecommissionStepsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        WeekColumn,
        StepColumn,
        StateColumn,
        ApprovalsColumn,
        DetailColumn,
        EvidenceColumn,
        ColumnCount
    };
    enum Role {
        StateRole = Qt::UserRole + 1, // int: decommission::StepState
        StepIdRole,                   // QString
        IrreversibleRole,             // bool
    };

    explicit DecommissionStepsModel(QObject *parent = nullptr);

    void setProgress(const decommission::EnvironmentProgress &progress, const QDateTime &now);
    // How far a running step's export or backup is ("3 of 8 URLs fetched"): shown in its detail
    // while it runs.
    void setStepProgress(const QString &stepId, const QString &text);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // "Waiting: 23 h 59 min left", "Done 2026-12-03 10:00 UTC", "Failed: …"
    static QString detailText(const decommission::StepProgress &step, const QDateTime &now);
    // What was attached and produced, short: "file deps.pdf · sha256 9c1111111111…",
    // "archive legacy_configs.tar.gz · sha256 3f77…", "https://…", "exit 0 · stdout sha256 …".
    static QString evidenceText(const decommission::StepProgress &step);

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
        QString evidence;        // short
        QString evidenceDetails; // whole, with full hashes (tooltip)

        bool operator==(const Row &) const = default;
    };
    void setRows(const QList<Row> &rows);

    QList<Row> m_rows;
    decommission::EnvironmentProgress m_progress; // its steps point into the engine's plan
    QDateTime m_now;
    QHash<QString, QString> m_stepProgress; // step id -> "3 of 8 URLs fetched"
};

} // namespace cutover::models
