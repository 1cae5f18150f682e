#pragma once

#include "app/config/plan_loader.h"

#include <QMainWindow>

#include <optional>

class QLabel;
class QStackedWidget;
class QTreeView;

namespace cutover::models {
class PlanOverviewModel;
}

namespace cutover::ui {

// The first window: the loaded plan, read-only (the war-room screen replaces its centre).
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    static QString defaultPlanPath();

    // Loads and shows a plan; on errors shows them in a dialog (non-blocking) and keeps the
    // previous plan, if any. Returns whether the plan loaded.
    bool openPlan(const QString &path);

    const std::optional<config::Plan> &plan() const { return m_plan; }
    QTreeView *overviewView() const { return m_overview; }
    QLabel *summaryLabel() const { return m_summary; }

Q_SIGNALS:
    void planLoaded(const QString &name);
    void planRejected(const QString &path, int errorCount);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void choosePlan();
    void showPlan();

    std::optional<config::Plan> m_plan;
    models::PlanOverviewModel *m_model;
    QStackedWidget *m_stack;
    QLabel *m_title;
    QLabel *m_summary;
    QLabel *m_empty;
    QTreeView *m_overview;
};

} // namespace cutover::ui
