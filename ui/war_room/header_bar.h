#pragma once

#include "app/cutover/cutover_engine.h"

#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QProgressBar;

namespace cutover::ui {

// The top of the war-room screen: where are we, is it safe. Plan, environment selector, stage,
// phase, measured vs target split, a progress bar with countdown for stabilization and hold,
// and one indicator per backend with the age of its last good answer.
class HeaderBar : public QWidget {
    Q_OBJECT
public:
    explicit HeaderBar(QWidget *parent = nullptr);

    void setPlanName(const QString &name);
    void setEnvironments(const QStringList &environments);
    void setOperator(const QString &text);
    // Re-reads everything from a snapshot taken at `now`.
    void display(const engine::EnvironmentSnapshot &snapshot, const QDateTime &now);

    QComboBox *environmentSelector() const { return m_environment; }
    QLabel *stageLabel() const { return m_stage; }
    QLabel *splitLabel() const { return m_split; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *backendLabel(const QString &name) const;
    // Shown while the store is down: what that means for Shift, sign-off and Rollback.
    QLabel *storeNotice() const { return m_storeNotice; }
    // Who takes the automatic decisions: a controller, this window, another window.
    QLabel *decisionLabel() const { return m_decision; }

Q_SIGNALS:
    void environmentChosen(const QString &environment);

protected:
    void changeEvent(QEvent *event) override;

private:
    void colourStoreNotice();
    void displayStoreNotice(const engine::EnvironmentSnapshot &snapshot, const QDateTime &now);
    void displayDecision(const engine::DecisionStatus &decision, const QDateTime &now);

    QLabel *m_plan;
    QComboBox *m_environment;
    QLabel *m_stage;
    QLabel *m_split;
    QProgressBar *m_progress;
    QLabel *m_operator;
    QHBoxLayout *m_backendsLayout;
    QList<QLabel *> m_backends;
    QLabel *m_storeNotice;
    QLabel *m_decision;
};

// "2s", "4m", "never": the age of a backend's last good answer.
QString ageText(const QDateTime &lastGood, const QDateTime &now);

} // namespace cutover::ui
