#pragma once

#include "app/cutover/gate_status.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTreeView;

namespace cutover::models {
class GateChecklistModel;
}

namespace cutover::ui {

// The gate checklists of one environment: a tree of gates, their items and signatures, with
// Tick / Untick / Sign gate… buttons. The panel decides nothing: the buttons (and Space on a
// selected item) emit requests that the window passes to the engine, and the engine's refusals
// come back through setRefusals() as visible text.
class ChecklistPanel : public QWidget {
    Q_OBJECT
public:
    explicit ChecklistPanel(QWidget *parent = nullptr);
    ~ChecklistPanel() override;

    void setEnvironment(const QString &environment);
    const QString &environment() const { return m_environment; }
    // A new snapshot's gates (every second or so): updated in place, selection and expansion kept.
    void setGates(const QList<engine::GateStatus> &gates);
    // Why the last request was refused (or why ticking/signing is refused now); empty hides it.
    void setRefusals(const QStringList &refusals);
    QStringList refusals() const { return m_refusals; }
    // Read-only (no operator signed in, or an executive board): the buttons are hidden.
    void setReadOnly(bool readOnly);
    bool isReadOnly() const { return m_readOnly; }

    // The selected row's gate and check ids (check empty for a gate or signature row).
    QString currentGate() const;
    QString currentCheck() const;
    // Selects a row, e.g. to come back to the item a dialog was about.
    bool selectCheck(const QString &gate, const QString &check);
    bool selectGate(const QString &gate);

    models::GateChecklistModel *model() const { return m_model; }
    QTreeView *treeView() const { return m_tree; }
    QPushButton *tickButton() const { return m_tick; }
    QPushButton *untickButton() const { return m_untick; }
    QPushButton *signButton() const { return m_sign; }
    QLabel *refusalLabel() const { return m_refusalLabel; }

Q_SIGNALS:
    void tickRequested(const QString &gate, const QString &check);
    void untickRequested(const QString &gate, const QString &check);
    void signRequested(const QString &gate);
    // The current row became a check (a compare check's "why" can then be shown).
    void checkSelected(const QString &gate, const QString &check, config::Check::Kind kind);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void updateButtons();
    void requestTick();
    void requestUntick();
    void requestSign();
    void styleRefusals();
    void fitColumns();

    QString m_environment;
    QStringList m_refusals;
    bool m_readOnly = false;
    bool m_sizingColumns = false;
    bool m_userSizedColumns = false;
    models::GateChecklistModel *m_model;
    QLabel *m_title;
    QTreeView *m_tree;
    QPushButton *m_tick;
    QPushButton *m_untick;
    QPushButton *m_sign;
    QLabel *m_refusalLabel;
};

} // namespace cutover::ui
