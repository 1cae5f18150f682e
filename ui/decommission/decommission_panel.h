#pragma once

#include "app/cutover/cutover_engine.h"
#include "ui/decommission/decommission_step_dialog.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;

namespace cutover::models {
class DecommissionStepsModel;
}

namespace cutover::ui {

// The Decommission tab: the four weeks as a timeline (state, countdown, approvals, evidence),
// Approve… and Run step… for the selected step - enabled only when the engine allows, with its
// refusals shown beside them - and the cost panel (saving per month against the baseline and
// the target band).
class DecommissionPanel : public QWidget {
    Q_OBJECT
public:
    DecommissionPanel(engine::CutoverEngine &engine, QWidget *parent = nullptr);

    void setEnvironment(const QString &environment);
    void setOperator(const std::optional<engine::Operator> &who);
    void refresh();

    QTableView *view() const { return m_view; }
    models::DecommissionStepsModel *model() const { return m_model; }
    QPushButton *runButton() const { return m_run; }
    QPushButton *approveButton() const { return m_approve; }
    QLabel *refusalsLabel() const { return m_refusals; }
    QLabel *costLabel() const { return m_cost; }
    DecommissionStepDialog *openDialog() const { return m_dialog; }

    void runSelected();
    void approveSelected();

Q_SIGNALS:
    void message(const QString &text);

private:
    QString selectedStep() const;
    void updateButtons();

    engine::CutoverEngine &m_engine;
    QString m_environment;
    std::optional<engine::Operator> m_operator;
    models::DecommissionStepsModel *m_model;
    QTableView *m_view;
    QPushButton *m_approve;
    QPushButton *m_run;
    QLabel *m_refusals;
    QLabel *m_cost;
    QProgressBar *m_saving;
    QLabel *m_pointOfNoReturn;
    QPointer<DecommissionStepDialog> m_dialog;
    QString m_dialogStep; // the step m_dialog runs
};

} // namespace cutover::ui
