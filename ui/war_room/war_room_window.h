#pragma once

#include "app/cutover/cutover_engine.h"

#include <QHash>
#include <QMainWindow>
#include <QPointer>

#include <optional>

class QGroupBox;
class QLabel;
class QSystemTrayIcon;
class QTabWidget;
class QTableView;
class QTimer;

namespace cutover::models {
class ChartSeriesModel;
class LbWeightsModel;
class PlanOverviewModel;
class AuditLogModel;
} // namespace cutover::models

namespace cutover::ui {

class AlarmStrip;
class AuditView;
class CompareView;
class ChartPanel;
class ChecklistPanel;
class DecommissionPanel;
class ExecutiveBoard;
class HeaderBar;
class WarRoomBanner;
class RollbackControl;
class RollbackHotkey;
class RollbackProgressPanel;
class ShiftPanel;
class SignInDialog;

// The war-room screen, built on the engine and never around it: every button mirrors what the
// engine allows and shows why not. "Where are we, is it safe, what can I press" at a glance:
// the header on top, the charts in the middle with the checklist beside them, Shift and the big
// Rollback always visible at the bottom with the audit feed between them.
class WarRoomWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit WarRoomWindow(engine::CutoverEngine &engine, QWidget *parent = nullptr);
    ~WarRoomWindow() override;

    // Opens the sign-in dialog (non-blocking). Until someone signs in, the screen is view-only.
    void askSignIn();
    void setOperator(const std::optional<engine::Operator> &who);
    const std::optional<engine::Operator> &currentOperator() const { return m_operator; }
    QString environment() const { return m_environment; }
    void setEnvironment(const QString &environment);

    // Re-reads the engine now (normally coalesced to one refresh per frame).
    void refresh();

    HeaderBar *header() const { return m_header; }
    WarRoomBanner *warRoomBanner() const { return m_warRoomBanner; }
    ShiftPanel *shiftPanel() const { return m_shift; }
    RollbackControl *rollbackControl() const { return m_rollback; }
    AlarmStrip *alarmStrip() const { return m_alarms; }
    // Arms the Rollback for every environment (Ctrl+Alt+Shift+R); Enter confirms.
    void armRollbackAll();
    // Switches to the environment of the latest alarm (Alt+L); false when none.
    bool goToLatestAlarm();
    RollbackHotkey *rollbackHotkey() const { return m_rollbackHotkey; }
    RollbackProgressPanel *rollbackProgress() const { return m_rollbackProgress; }
    ChecklistPanel *checklist() const { return m_checklist; }
    AuditView *auditView() const { return m_auditView; }
    ExecutiveBoard *executiveBoard() const { return m_executive; }
    DecommissionPanel *decommissionPanel() const { return m_decommission; }
    QTabWidget *tabs() const { return m_tabs; }
    SignInDialog *signInDialog() const { return m_signIn; }
    ChartPanel *chartPanel(const QString &panelId) const { return m_charts.value(panelId); }
    // Why a compare check judged as it did; nullptr when the plan has no compare checks.
    CompareView *compareView() const { return m_compareView; }
    QTabWidget *dashboardTabs() const { return m_dashboardTabs; }

    // Opens the shift confirmation (what Shift does); returns it so tests can fill it.
    QDialog *openShiftDialog();
    QDialog *openSignOffDialog(const QString &gate);
    // A planned return to an earlier stage (Ctrl+Shift+B); returns it so tests can fill it.
    QDialog *openStepBackDialog();
    void showShortcuts();

Q_SIGNALS:
    void operatorChanged();
    void refreshed();
    void operationFinished(bool ok, const QString &summary);
    // writeCompletionReport() is done: `error` empty when the file was written.
    void completionReportFinished(const QString &path, const QString &error);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    QWidget *buildDashboard();
    QWidget *buildWeightsTable(QWidget *parent);
    void showWeights(const engine::EnvironmentSnapshot &s);
    void scheduleRefresh();
    void tick(const QString &gate, const QString &check);
    void untick(const QString &gate, const QString &check);
    void confirmRollback();
    void followRollback(engine::Operation *op);
    void followRollbackAll(const QList<engine::Operation *> &operations);
    // Clears the alarm strip's environments whose alarm no longer holds.
    void clearSettledAlarms();
    void offerBreakGlassIfAllowed(const QString &name, const store::SignInResult &result);
    void armFromHotkey();
    void acknowledgeWarRoom();
    void onAlarm(const QString &environment, const QString &kind, const QString &text);
    void onPanelSample(const QString &environment, const QString &panelId, const QDateTime &at,
                       const QList<backends::PromSample> &samples);
    void onSplitSample(const QString &environment, const QDateTime &at, double share);
    // What the charts missed before this console started (Prometheus query_range).
    void onPanelHistory(const QString &environment, const QString &panelId,
                        const QList<backends::PromSeries> &series);
    void watch(engine::Operation *operation);
    models::ChartSeriesModel *seriesModel(const QString &environment, const QString &panelId);
    void exportAudit();
    void saveStatusReport();
    void saveCompletionReport();

public:
    // What the File menu's dialogs do with the chosen path (public for tests and scripts).
    void writeStatusReport(const QString &path);
    // Verifies the audit chain and lays the record out off the UI thread, then writes the PDF;
    // completionReportFinished() says how it went.
    void writeCompletionReport(const QString &path);
    void writeAuditExport(const QString &path);
    void writeExecutiveBoard(const QString &path);

private:
    void printExecutiveBoard();
    void setTheme(bool dark);

    engine::CutoverEngine &m_engine;
    std::optional<engine::Operator> m_operator;
    QString m_environment;
    HeaderBar *m_header;
    WarRoomBanner *m_warRoomBanner;
    AlarmStrip *m_alarms;
    QTabWidget *m_tabs;
    ChecklistPanel *m_checklist;
    ShiftPanel *m_shift;
    RollbackControl *m_rollback;
    RollbackHotkey *m_rollbackHotkey;
    RollbackProgressPanel *m_rollbackProgress;
    AuditView *m_auditView;
    QTableView *m_auditFeed;
    ExecutiveBoard *m_executive;
    DecommissionPanel *m_decommission = nullptr; // only when the plan has a decommission
    models::PlanOverviewModel *m_planModel;
    QPointer<SignInDialog> m_signIn;
    QSystemTrayIcon *m_tray = nullptr;
    QTimer *m_refreshTimer;
    QString m_shiftProgress;
    QHash<QString, ChartPanel *> m_charts; // by panel id (current environment)
    QTabWidget *m_dashboardTabs = nullptr;
    CompareView *m_compareView = nullptr;
    models::LbWeightsModel *m_lbWeights = nullptr;
    QGroupBox *m_weightsBox = nullptr;
    QTableView *m_weightsView = nullptr;
    QWidget *m_comparePage = nullptr; // the dashboard tab that holds m_compareView
    QHash<QString, models::ChartSeriesModel *> m_series; // by "env/panel"
    QHash<QString, int> m_lastStage;                     // env -> stage index, for markers
    // The last answer of every panel query, for the status report: "env/panel" -> samples.
    QHash<QString, QList<backends::PromSample>> m_lastPanelSamples;
};

} // namespace cutover::ui
