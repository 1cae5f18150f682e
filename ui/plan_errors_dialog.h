#pragma once

#include "app/config/plan_loader.h"

#include <QDialog>

class QTableView;

namespace cutover::models {
class PlanErrorsModel;
}

namespace cutover::ui {

// Lists every error of a plan that failed to load, with a button to copy them all.
class PlanErrorsDialog : public QDialog {
    Q_OBJECT
public:
    PlanErrorsDialog(const QString &file, const QList<config::PlanError> &errors,
                     QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }

private:
    models::PlanErrorsModel *m_model;
    QTableView *m_table;
};

} // namespace cutover::ui
