#include "ui/war_room/war_room_window.h"

#include "app/backends/prometheus_types.h"
#include "app/report/completion_report.h"
#include "app/report/pdf_output.h"
#include "app/report/status_report.h"
#include "app/store/audit_chain.h"
#include "app/store/audit_export.h"
#include "models/audit_log_model.h"
#include "models/chart_series_model.h"
#include "models/lb_weights_model.h"
#include "models/plan_overview_model.h"
#include "ui/audit/audit_view.h"
#include "ui/charts/chart_panel.h"
#include "ui/charts/compare_view.h"
#include "ui/checklist/checklist_panel.h"
#include "ui/decommission/decommission_panel.h"
#include "ui/dialogs/passphrase_check.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/dialogs/sign_off_dialog.h"
#include "ui/executive/executive_board.h"
#include "ui/rollback/rollback_progress_panel.h"
#include "ui/war_room/alarm_strip.h"
#include "ui/war_room/header_bar.h"
#include "ui/war_room/rollback_control.h"
#include "ui/war_room/rollback_hotkey.h"
#include "ui/war_room/shift_dialog.h"
#include "ui/war_room/shift_panel.h"
#include "ui/war_room/step_back_dialog.h"
#include "ui/war_room/theme.h"
#include "ui/war_room/war_room_banner.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QMap>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStatusBar>
#include <QStyledItemDelegate>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QThreadPool>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include <cmath>
#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {
const auto kGeometryKey = u"warRoom/geometry"_s;
const auto kStateKey = u"warRoom/state"_s;
const auto kSplitterKey = u"warRoom/splitter"_s;
const auto kThemeKey = u"warRoom/darkTheme"_s;
const auto kEnvironmentKey = u"warRoom/environment"_s;
const auto kRatioPanel = u"legacy_vs_otel_traffic_ratio"_s;

// The live feed shows the time of day ("07:35:13.177"): the header says UTC, the date is today's,
// and the Audit log tab keeps the whole timestamp. The width saved goes to the action.
class TimeOfDayDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QString displayText(const QVariant &value, const QLocale &locale) const override {
        const QString text = QStyledItemDelegate::displayText(value, locale);
        const QStringList parts = text.split(u' ');
        return parts.size() >= 2 ? parts.at(1) : text;
    }
};

QString seriesKeyOf(const backends::Labels &labels) {
    QStringList parts;
    for (auto it = labels.cbegin(); it != labels.cend(); ++it) {
        if (it.key() != u"__name__")
            parts.append(u"%1=\"%2\""_s.arg(it.key(), it.value()));
    }
    return parts.isEmpty() ? u"value"_s : parts.join(u',');
}
// A save dialog that never blocks the event loop (no exec()): `then` runs with the chosen path.
// Qt's own dialog, not the platform's: a native one takes the keyboard away from Qt, and with it
// the Rollback keys (RollbackHotkey).
void askSavePath(QWidget *parent, const QString &title, const QString &name, const QString &filter,
                 std::function<void(const QString &)> then) {
    auto *dialog = new QFileDialog(parent, title, name, filter);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setOption(QFileDialog::DontUseNativeDialog);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    QObject::connect(dialog, &QFileDialog::fileSelected, parent,
                     [then = std::move(then)](const QString &path) { then(path); });
    dialog->open();
}

// An information box that never blocks the event loop.
void inform(QWidget *parent, const QString &title, const QString &html) {
    auto *box = new QMessageBox(QMessageBox::Information, title, html, QMessageBox::Close, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}
} // namespace

WarRoomWindow::WarRoomWindow(engine::CutoverEngine &engine, QWidget *parent)
    : QMainWindow(parent)
    , m_engine(engine)
    , m_header(new HeaderBar(this))
    , m_warRoomBanner(new WarRoomBanner(this))
    , m_alarms(new AlarmStrip(this))
    , m_tabs(new QTabWidget(this))
    , m_checklist(new ChecklistPanel(this))
    , m_shift(new ShiftPanel(this))
    , m_rollback(new RollbackControl(this))
    , m_rollbackHotkey(new RollbackHotkey(this))
    , m_rollbackProgress(new RollbackProgressPanel(this))
    , m_auditView(new AuditView(this))
    , m_auditFeed(new QTableView(this))
    , m_executive(new ExecutiveBoard(this))
    , m_planModel(new models::PlanOverviewModel(this))
    , m_refreshTimer(new QTimer(this)) {
    const config::Plan &plan = m_engine.plan();
    setWindowTitle(tr("%1 — Cutover Console%2")
                       .arg(plan.name, m_engine.isDryRun() ? tr(" (REHEARSAL)") : QString()));
    setAccessibleName(tr("Cutover Console war room"));
    m_header->setPlanName(
        m_engine.isDryRun()
            ? tr("%1 — REHEARSAL: a copy of the store, no weights written").arg(plan.name)
            : plan.name);
    m_header->setEnvironments(m_engine.environments());

    // Centre: dashboards, plan, audit log, executive board; the checklist beside them.
    m_tabs->setAccessibleName(tr("Views"));
    m_tabs->addTab(buildDashboard(), tr("&Dashboard"));
    auto *planView = new QTreeView(this);
    planView->setModel(m_planModel);
    planView->setAccessibleName(tr("Plan overview"));
    planView->header()->setStretchLastSection(true);
    m_planModel->setPlan(plan);
    planView->expandToDepth(0);
    planView->resizeColumnToContents(0);
    m_tabs->addTab(planView, tr("&Plan"));
    m_tabs->addTab(m_auditView, tr("&Audit log"));
    m_tabs->addTab(m_executive, tr("E&xecutive board"));
    m_executive->setPlanName(plan.name);
    if (m_engine.hasDecommission()) {
        // Weeks 9-12: only for a plan that has them.
        m_decommission = new DecommissionPanel(m_engine, this);
        m_tabs->addTab(m_decommission, tr("Deco&mmission"));
        connect(m_decommission, &DecommissionPanel::message, this,
                [this](const QString &text) { statusBar()->showMessage(text, 10'000); });
    }
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { scheduleRefresh(); });

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_tabs);
    splitter->addWidget(m_checklist);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setObjectName(u"centreSplitter"_s);

    // Bottom: Shift | audit feed | Rollback. Always visible.
    auto *auditModel = m_auditView->model();
    m_auditFeed->setModel(auditModel);
    m_auditFeed->setAccessibleName(tr("Audit feed"));
    m_auditFeed->verticalHeader()->hide();
    m_auditFeed->horizontalHeader()->setStretchLastSection(true);
    m_auditFeed->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_auditFeed->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // The feed is a glance: who did what to what, one line each; the Audit log tab has it all.
    for (int column :
         {int(models::AuditLogModel::SeqColumn), int(models::AuditLogModel::RoleColumn),
          int(models::AuditLogModel::EnvironmentColumn), int(models::AuditLogModel::DetailsColumn)})
        m_auditFeed->hideColumn(column);
    m_auditFeed->setWordWrap(false);
    m_auditFeed->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_auditFeed->verticalHeader()->setDefaultSectionSize(m_auditFeed->fontMetrics().height() + 6);
    m_auditFeed->setItemDelegateForColumn(models::AuditLogModel::TimeColumn,
                                          new TimeOfDayDelegate(m_auditFeed));
    // Time, actor and action whole (sized again as entries arrive: ResizeToContents alone kept
    // the width of the first rows and cut "passphrase_verified"); the subject takes what is left
    // and is elided.
    m_auditFeed->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_auditFeed->horizontalHeader()->setSectionResizeMode(models::AuditLogModel::SubjectColumn,
                                                          QHeaderView::Stretch);
    m_auditFeed->setTextElideMode(Qt::ElideMiddle);
    connect(auditModel, &QAbstractItemModel::rowsInserted, m_auditFeed, [this] {
        for (const int column :
             {int(models::AuditLogModel::TimeColumn), int(models::AuditLogModel::ActorColumn),
              int(models::AuditLogModel::ActionColumn)})
            m_auditFeed->resizeColumnToContents(column);
        m_auditFeed->scrollToBottom();
    });

    auto *rollbackBox = new QWidget(this);
    auto *rollbackLayout = new QVBoxLayout(rollbackBox);
    rollbackLayout->setContentsMargins(0, 0, 0, 0);
    rollbackLayout->addWidget(m_rollback);
    rollbackLayout->addWidget(m_rollbackProgress, 1);
    m_rollbackProgress->setVisible(false);

    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QHBoxLayout(bottom);
    bottomLayout->setContentsMargins(8, 4, 8, 4);
    bottomLayout->addWidget(m_shift, 3);
    bottomLayout->addWidget(m_auditFeed, 4);
    bottomLayout->addWidget(rollbackBox, 3);
    bottom->setMinimumHeight(150);
    bottom->setMaximumHeight(210);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_header);
    layout->addWidget(m_warRoomBanner);
    layout->addWidget(m_alarms);
    layout->addWidget(splitter, 1);
    layout->addWidget(bottom);
    setCentralWidget(central);
    statusBar()->showMessage(tr("Not signed in: view only. Ctrl+I to sign in."));

    buildMenus();

    m_refreshTimer->setSingleShot(true);
    m_refreshTimer->setInterval(16); // at most one refresh per frame
    connect(m_refreshTimer, &QTimer::timeout, this, &WarRoomWindow::refresh);
    connect(&m_engine, &engine::CutoverEngine::snapshotChanged, this, [this](const QString &env) {
        if (env == m_environment || env.isEmpty())
            scheduleRefresh();
    });
    connect(&m_engine, &engine::CutoverEngine::auditAppended, this,
            [this](const store::AuditEntry &entry) { m_auditView->appendEntry(entry); });
    connect(&m_engine, &engine::CutoverEngine::alarm, this, &WarRoomWindow::onAlarm);
    connect(&m_engine, &engine::CutoverEngine::panelSampled, this, &WarRoomWindow::onPanelSample);
    connect(&m_engine, &engine::CutoverEngine::panelHistory, this, &WarRoomWindow::onPanelHistory);
    connect(&m_engine, &engine::CutoverEngine::splitSampled, this, &WarRoomWindow::onSplitSample);
    connect(m_header, &HeaderBar::environmentChosen, this, &WarRoomWindow::setEnvironment);
    connect(m_alarms, &AlarmStrip::environmentChosen, this, &WarRoomWindow::setEnvironment);
    connect(m_shift, &ShiftPanel::shiftRequested, this, [this] { openShiftDialog(); });
    connect(m_rollback, &RollbackControl::rollbackConfirmed, this, &WarRoomWindow::confirmRollback);
    connect(m_rollbackHotkey, &RollbackHotkey::triggered, this, &WarRoomWindow::armFromHotkey);
    connect(m_rollback, &RollbackControl::armCancelled, m_rollbackHotkey,
            &RollbackHotkey::restoreSetAside);
    connect(m_rollback, &RollbackControl::rollbackConfirmed, m_rollbackHotkey,
            &RollbackHotkey::dismissSetAside);
    connect(m_warRoomBanner, &WarRoomBanner::acknowledgeRequested, this,
            &WarRoomWindow::acknowledgeWarRoom);
    connect(&m_engine, &engine::CutoverEngine::decisionChanged, this,
            [this] { scheduleRefresh(); });
    connect(m_checklist, &ChecklistPanel::tickRequested, this, &WarRoomWindow::tick);
    connect(m_checklist, &ChecklistPanel::untickRequested, this, &WarRoomWindow::untick);
    connect(m_checklist, &ChecklistPanel::signRequested, this,
            [this](const QString &gate) { openSignOffDialog(gate); });
    // Choosing a compare check in the checklist shows why it judged as it did.
    connect(m_checklist, &ChecklistPanel::checkSelected, this,
            [this](const QString &gate, const QString &check, config::Check::Kind kind) {
                if (kind != config::Check::Kind::Compare || !m_compareView)
                    return;
                m_compareView->selectCheck(gate, check);
                m_tabs->setCurrentIndex(0);
                m_dashboardTabs->setCurrentWidget(m_comparePage);
                if (auto *scroll = qobject_cast<QScrollArea *>(m_comparePage))
                    scroll->ensureWidgetVisible(m_compareView);
                scheduleRefresh();
            });

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(windowIcon(), this);
        m_tray->setToolTip(windowTitle());
        m_tray->show();
    }

    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1366, 768);
    restoreState(settings.value(kStateKey).toByteArray());
    if (!splitter->restoreState(settings.value(kSplitterKey).toByteArray()))
        splitter->setSizes({width() * 60 / 100, width() * 40 / 100});
    const QString savedEnv = settings.value(kEnvironmentKey).toString();
    setEnvironment(m_engine.environments().contains(savedEnv) ? savedEnv
                                                              : m_engine.environments().first());
    setOperator(std::nullopt);
}

WarRoomWindow::~WarRoomWindow() = default;

QWidget *WarRoomWindow::buildDashboard() {
    // One tab per panel group of the plan (traffic_flow, system_health, data_quality), panels
    // in a grid of two columns. The compare checks' "why" view sits under the data_quality
    // panels (or in a tab of its own when the plan has no such group).
    auto *groups = new QTabWidget(this);
    groups->setAccessibleName(tr("Dashboards"));
    groups->setDocumentMode(true);
    m_dashboardTabs = groups;
    QList<CompareView::Choice> choices;
    for (const config::Gate &gate : m_engine.plan().gates) {
        for (const config::Check &check : gate.checks) {
            if (check.kind == config::Check::Kind::Compare)
                choices.append({gate.id, check.id, tr("%1 · %2").arg(gate.title, check.title)});
        }
    }
    if (!choices.isEmpty()) {
        m_compareView = new CompareView(this);
        m_compareView->setAccessibleName(tr("Why a parity check judged as it did"));
        m_compareView->setChoices(choices);
        m_compareView->setDarkTheme(QSettings().value(kThemeKey, true).toBool());
        connect(m_compareView, &CompareView::checkChosen, this, [this] { scheduleRefresh(); });
    }
    // The measured split (validation.split_query) is always known: a plan whose panels do not
    // show it (no panels at all, or other ids) gets it first on Traffic flow, with its band.
    QList<config::PanelGroup> panelGroups = m_engine.plan().panelGroups;
    const bool showsSplit =
        std::any_of(panelGroups.cbegin(), panelGroups.cend(), [](const auto &g) {
            return std::any_of(g.panels.cbegin(), g.panels.cend(),
                               [](const config::Panel &p) { return p.id == kRatioPanel; });
        });
    if (!showsSplit) {
        config::Panel split;
        split.id = kRatioPanel;
        split.title = tr("Measured traffic split (OTel share)");
        split.unit = u"ratio"_s;
        auto traffic = std::find_if(panelGroups.begin(), panelGroups.end(),
                                    [](const auto &g) { return g.name == u"traffic_flow"; });
        if (traffic == panelGroups.end())
            traffic = panelGroups.insert(panelGroups.begin(), config::PanelGroup{});
        traffic->name = u"traffic_flow"_s;
        traffic->panels.prepend(split);
    }
    for (const config::PanelGroup &group : panelGroups) {
        auto *gridPage = new QWidget(groups);
        auto *grid = new QGridLayout(gridPage);
        grid->setContentsMargins(2, 2, 2, 2);
        grid->setSpacing(4);
        int index = 0;
        for (const config::Panel &panel : group.panels) {
            auto *chart = new ChartPanel(panel, seriesModel(m_environment, panel.id), gridPage);
            // The read-out under the plot names every series: the legend would only take height.
            chart->setLegendVisible(false);
            chart->setAccessibleName(panel.title);
            grid->addWidget(chart, index / 2, index % 2);
            m_charts.insert(panel.id, chart);
            ++index;
        }
        if (group.name == u"traffic_flow") {
            // A strip across the page, as high as its rows: the charts keep the space.
            const int row = (index + 1) / 2;
            grid->addWidget(buildWeightsTable(gridPage), row, 0, 1, 2);
            for (int r = 0; r < row; ++r)
                grid->setRowStretch(r, 1);
        }
        QString title = group.name;
        title.replace(u'_', u' ');
        title[0] = title[0].toUpper();
        QWidget *page = gridPage;
        if (m_compareView && !m_comparePage && group.name == u"data_quality") {
            // The panels and the "why" below them, scrolled rather than squeezed: the window
            // keeps fitting a 768-pixel-high screen.
            auto *content = new QWidget;
            auto *column = new QVBoxLayout(content);
            column->setContentsMargins(0, 0, 0, 0);
            column->addWidget(gridPage, 2);
            column->addWidget(m_compareView, 3);
            auto *scroll = new QScrollArea(groups);
            scroll->setWidgetResizable(true);
            scroll->setFrameShape(QFrame::NoFrame);
            scroll->setWidget(content);
            page = scroll;
            m_comparePage = scroll;
        }
        groups->addTab(page, title);
    }
    if (m_compareView && !m_comparePage) {
        m_comparePage = m_compareView;
        groups->addTab(m_compareView, tr("Parity"));
    }
    return groups;
}

QWidget *WarRoomWindow::buildWeightsTable(QWidget *parent) {
    // What each load balancer holds beside what the stage intends: a reload that brought the
    // config's weights back shows here, per server, before anyone reads a drift alarm.
    m_weightsBox = new QGroupBox(tr("Weights per load balancer"), parent);
    auto *layout = new QVBoxLayout(m_weightsBox);
    layout->setContentsMargins(4, 4, 4, 4);
    m_lbWeights = new models::LbWeightsModel(this);
    auto *view = new QTableView(m_weightsBox);
    view->setModel(m_lbWeights);
    view->setAccessibleName(tr("Weights per load balancer: intended and read back"));
    view->setSelectionMode(QAbstractItemView::NoSelection);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->setWordWrap(false);
    view->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    view->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_weightsView = view;
    layout->addWidget(view);
    m_weightsBox->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    return m_weightsBox;
}

void WarRoomWindow::showWeights(const engine::EnvironmentSnapshot &s) {
    if (!m_lbWeights)
        return;
    const config::Environment *env = nullptr;
    for (const config::Environment &e : m_engine.plan().environments) {
        if (e.name == m_environment)
            env = &e;
    }
    m_lbWeights->setPools(m_engine.plan().pools.legacy, m_engine.plan().pools.otel);
    m_lbWeights->setLoadBalancers(env ? env->loadBalancers : QStringList());
    m_lbWeights->setWeights(s.intendedWeights, s.observedWeights);
    // Exactly its rows high (and a horizontal scroll bar's when a wide fleet needs one).
    int height =
        m_weightsView->horizontalHeader()->sizeHint().height() + 2 * m_weightsView->frameWidth();
    for (int row = 0; row < m_lbWeights->rowCount(); ++row)
        height += m_weightsView->verticalHeader()->sectionSizeHint(row);
    if (m_weightsView->horizontalScrollBar()->isVisible())
        height += m_weightsView->horizontalScrollBar()->sizeHint().height();
    if (m_weightsView->height() != height)
        m_weightsView->setFixedHeight(height);
    const QStringList differing = m_lbWeights->differingLoadBalancers();
    m_weightsBox->setTitle(differing.isEmpty()
                               ? tr("Weights per load balancer")
                               : tr("Weights per load balancer — %1 differ from the stage")
                                     .arg(differing.join(u", "_s)));
}

models::ChartSeriesModel *WarRoomWindow::seriesModel(const QString &environment,
                                                     const QString &panelId) {
    const QString key = environment + u'/' + panelId;
    if (auto *model = m_series.value(key))
        return model;
    auto *model = new models::ChartSeriesModel(this);
    m_series.insert(key, model);
    return model;
}

void WarRoomWindow::buildMenus() {
    auto *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Save status &report…"), this, &WarRoomWindow::saveStatusReport);
    file->addAction(tr("Save &completion report…"), this, &WarRoomWindow::saveCompletionReport);
    file->addAction(tr("&Export audit log…"), this, &WarRoomWindow::exportAudit);
    file->addAction(tr("&Print executive board to PDF…"), this,
                    &WarRoomWindow::printExecutiveBoard);
    file->addSeparator();
    auto *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto *actions = menuBar()->addMenu(tr("&Actions"));
    auto *signIn = actions->addAction(tr("Sign &in…"), this, &WarRoomWindow::askSignIn);
    signIn->setShortcut(QKeySequence(tr("Ctrl+I")));
    auto *shift = actions->addAction(tr("&Shift…"), this, [this] { openShiftDialog(); });
    shift->setShortcut(QKeySequence(tr("Ctrl+Shift+S")));
    auto *stepBack = actions->addAction(tr("Step &back…"), this, [this] { openStepBackDialog(); });
    stepBack->setShortcut(QKeySequence(tr("Ctrl+Shift+B")));
    auto *arm = actions->addAction(tr("&Arm rollback"), m_rollback, &RollbackControl::arm);
    arm->setShortcut(QKeySequence(tr("Ctrl+Shift+R")));
    arm->setShortcutContext(Qt::ApplicationShortcut);
    auto *armAll = actions->addAction(tr("Arm rollback of a&ll environments"), this,
                                      &WarRoomWindow::armRollbackAll);
    armAll->setShortcut(QKeySequence(tr("Ctrl+Alt+Shift+R")));
    auto *latestAlarm =
        actions->addAction(tr("Go to the latest &alarm"), this, [this] { goToLatestAlarm(); });
    latestAlarm->setShortcut(QKeySequence(tr("Alt+L"))); // Alt+A opens the Actions menu
    auto *nextEnv = actions->addAction(tr("Next &environment"), this, [this] {
        const QStringList envs = m_engine.environments();
        setEnvironment(envs.at((envs.indexOf(m_environment) + 1) % envs.size()));
    });
    nextEnv->setShortcut(QKeySequence(tr("Ctrl+E")));

    auto *view = menuBar()->addMenu(tr("&View"));
    auto *dark = view->addAction(tr("&Dark theme"));
    dark->setCheckable(true);
    dark->setChecked(QSettings().value(kThemeKey, true).toBool());
    connect(dark, &QAction::toggled, this, &WarRoomWindow::setTheme);
    for (int i = 0; i < 4; ++i) {
        auto *tab = view->addAction(m_tabs->tabText(i).remove(u'&'), this,
                                    [this, i] { m_tabs->setCurrentIndex(i); });
        tab->setShortcut(QKeySequence(u"Alt+%1"_s.arg(i + 1)));
    }

    auto *help = menuBar()->addMenu(tr("&Help"));
    auto *shortcuts =
        help->addAction(tr("&Keyboard shortcuts"), this, &WarRoomWindow::showShortcuts);
    shortcuts->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About Cutover Console"), this, [this] {
        inform(this, tr("About Cutover Console"),
               tr("<b>Cutover Console</b> %1<br>Cut telemetry over from legacy "
                  "collectors to OpenTelemetry, stage by stage.")
                   .arg(QCoreApplication::applicationVersion()));
    });
}

void WarRoomWindow::showShortcuts() {
    auto *box = new QMessageBox(QMessageBox::NoIcon, tr("Keyboard shortcuts"),
                                tr("<table cellpadding=4>"
                                   "<tr><td><b>F1</b></td><td>this sheet</td></tr>"
                                   "<tr><td><b>Ctrl+I</b></td><td>sign in</td></tr>"
                                   "<tr><td><b>Ctrl+E</b></td><td>next environment</td></tr>"
                                   "<tr><td><b>Ctrl+Shift+S</b></td><td>shift to the next stage "
                                   "(opens the confirmation)</td></tr>"
                                   "<tr><td><b>Ctrl+Shift+B</b></td><td>step back to an "
                                   "earlier stage (planned, validated)</td></tr>"
                                   "<tr><td><b>Alt+K</b></td><td>acknowledge the war room"
                                   "</td></tr>"
                                   "<tr><td><b>Ctrl+Shift+R</b>, then <b>Enter</b></td>"
                                   "<td>arm, then confirm the rollback (Esc disarms); also "
                                   "from inside any dialog, which steps aside</td></tr>"
                                   "<tr><td><b>Ctrl+Alt+Shift+R</b>, then <b>Enter</b></td>"
                                   "<td>roll back every environment at once</td></tr>"
                                   "<tr><td><b>Alt+L</b></td><td>go to the environment of the "
                                   "latest alarm</td></tr>"
                                   "<tr><td><b>Space</b></td><td>tick the selected checklist "
                                   "item</td></tr>"
                                   "<tr><td><b>Alt+1…4</b></td><td>dashboard, plan, audit log, "
                                   "executive board</td></tr>"
                                   "<tr><td><b>Ctrl+Q</b></td><td>quit</td></tr></table>"),
                                QMessageBox::Close, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setAccessibleName(tr("Keyboard shortcuts"));
    box->open();
}

void WarRoomWindow::askSignIn() {
    if (m_signIn && m_signIn->isVisible()) {
        m_signIn->raise();
        return;
    }
    m_signIn = new SignInDialog(m_engine.plan().name, this);
    m_signIn->setAttribute(Qt::WA_DeleteOnClose);
    if (!m_engine.hasOperators())
        m_signIn->setMessage(tr("No operators file could be loaded (the plan's operators.file): "
                                "the console is view-only."));
    SignInDialog *dialog = m_signIn;
    const auto discarded = [dialog] {
        dialog->setMessage(passphraseCheckDiscardedText());
    };
    connect(dialog, &SignInDialog::signInRequested, this,
            [this, dialog, discarded](const QString &name, const QString &passphrase) {
                dialog->setChecking(true);
                whenPassphraseChecked(
                    dialog, m_engine.checkPassphrase(name, passphrase),
                    [this, dialog, name](const store::PassphraseProof &proof) {
                        // The lock-out is read and the sign-in recorded by the store's thread;
                        // the dialog stays "checking" until it has answered.
                        QPointer<SignInDialog> guarded(dialog);
                        m_engine.signIn(proof, [this, self = QPointer<WarRoomWindow>(this), guarded,
                                                name](const store::SignInResult &result) {
                            if (!self)
                                return;
                            if (!result.ok()) {
                                if (guarded) {
                                    guarded->setMessage(result.message);
                                    offerBreakGlassIfAllowed(name, result);
                                }
                                return;
                            }
                            // Recorded: signed in, even if the dialog was closed meanwhile.
                            setOperator(m_engine.operatorNamed(name));
                            if (guarded)
                                guarded->accept();
                        });
                    },
                    discarded);
            });
    connect(dialog, &SignInDialog::breakGlassRequested, this,
            [this, dialog, discarded](const QString &name, const QString &passphrase) {
                dialog->setChecking(true);
                whenPassphraseChecked(
                    dialog, m_engine.checkPassphrase(name, passphrase),
                    [this, dialog](const store::PassphraseProof &proof) {
                        engine::Operation *op = m_engine.breakGlassRollback(
                            m_environment, proof, tr("war room, locked out of signing in"));
                        dialog->accept();
                        followRollback(op);
                    },
                    discarded);
            });
    m_signIn->open();
}

void WarRoomWindow::offerBreakGlassIfAllowed(const QString &name,
                                             const store::SignInResult &result) {
    // Locked out, with a role that may roll back here: the rollback stays possible.
    const auto who = m_engine.operatorNamed(name);
    if (result.outcome != store::SignInResult::Outcome::Locked || !who ||
        !m_engine.guards(engine::Action::Rollback, *who, m_environment).isEmpty())
        return;
    m_signIn->setMessage(result.message +
                         tr(". You can still roll back %1: type your passphrase again and press "
                            "Break-glass rollback (audited, paged at L4).")
                             .arg(m_environment));
    m_signIn->offerBreakGlass(m_environment);
}

void WarRoomWindow::setOperator(const std::optional<engine::Operator> &who) {
    m_operator = who;
    m_header->setOperator(who ? tr("Signed in: <b>%1</b> (%2)")
                                    .arg(who->printedName.toHtmlEscaped(), who->roles.join(u", "_s))
                              : tr("<b>Not signed in</b> (view only)"));
    m_checklist->setReadOnly(!who);
    if (m_decommission)
        m_decommission->setOperator(who);
    statusBar()->showMessage(who ? tr("Signed in as %1").arg(who->printedName)
                                 : tr("Not signed in: view only. Ctrl+I to sign in."));
    Q_EMIT operatorChanged();
    refresh();
}

void WarRoomWindow::setEnvironment(const QString &environment) {
    if (environment.isEmpty() || !m_engine.environments().contains(environment))
        return;
    m_environment = environment;
    m_checklist->setEnvironment(environment);
    if (m_decommission)
        m_decommission->setEnvironment(environment);
    // The charts follow the environment: each (environment, panel) has its own buffers.
    for (auto it = m_charts.begin(); it != m_charts.end(); ++it) {
        const config::Panel panel = it.value()->panel();
        auto *old = it.value();
        auto *replacement =
            new ChartPanel(panel, seriesModel(environment, panel.id), old->parentWidget());
        replacement->setLegendVisible(false);
        replacement->setAccessibleName(panel.title);
        if (auto *grid = qobject_cast<QGridLayout *>(old->parentWidget()->layout()))
            grid->replaceWidget(old, replacement);
        old->deleteLater();
        it.value() = replacement;
    }
    m_rollbackProgress->reset();
    m_rollbackProgress->setVisible(false);
    // A trigger alarm of the environment switched to flashes its Rollback.
    m_rollback->setAlarm(m_alarms->kindOf(environment) == u"trigger"
                             ? environment + u": "_s + m_alarms->textOf(environment)
                             : QString());
    refresh();
}

void WarRoomWindow::scheduleRefresh() {
    if (!m_refreshTimer->isActive())
        m_refreshTimer->start();
}

void WarRoomWindow::refresh() {
    if (m_environment.isEmpty())
        return;
    clearSettledAlarms();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const engine::EnvironmentSnapshot s = m_engine.snapshot(m_environment);
    m_header->display(s, now);
    m_warRoomBanner->display(s.warRoom, now);
    m_checklist->setGates(s.gates);
    showWeights(s);
    if (m_compareView && m_compareView->isVisible())
        m_compareView->setOutcome(m_engine.compareOutcome(
            m_environment, m_compareView->currentGate(), m_compareView->currentCheck()));

    const engine::Operator nobody{u"(not signed in)"_s, u"(not signed in)"_s, {}};
    const engine::Operator &who = m_operator ? *m_operator : nobody;
    engine::Refusals refused = m_engine.refusals(engine::Action::Shift, who, m_environment);
    if (!m_operator) {
        // The role reason would only say "nobody may shift": say what to do instead.
        refused.removeIf(
            [](const engine::Refusal &r) { return r.code == engine::RefusalCode::NoPermission; });
        refused.prepend({engine::RefusalCode::NotSignedIn, {{u"action"_s, u"shift"_s}}});
    }
    const QStringList shiftRefusals = texts(refused);
    QString progress = m_shiftProgress;
    if (!s.progressLabel.isEmpty()) {
        progress =
            s.progressLabel == u"validating"
                ? tr("Validating: measured %1, accept %2–%3")
                      .arg(s.measuredShare ? QString::number(*s.measuredShare * 100, 'f', 1) + u'%'
                                           : tr("unknown"),
                           QString::number(s.lowerBound * 100, 'f', 1) + u'%',
                           QString::number(s.upperBound * 100, 'f', 1) + u'%')
                : QString();
    }
    m_shift->setState(s.nextPercent, shiftRefusals, progress);

    QStringList rollbackRefusals = m_engine.guards(engine::Action::Rollback, who, m_environment);
    if (!m_operator)
        rollbackRefusals = {tr("sign in to roll back (Ctrl+I)")};
    m_rollback->setRefusals(rollbackRefusals);
    m_rollback->setBusy(s.phase == engine::Phase::RollingBack);
    if (s.firingTriggers.isEmpty() && m_rollback->isFlashing())
        m_rollback->setAlarm({});

    if (m_decommission && m_tabs->currentWidget() == m_decommission)
        m_decommission->refresh();
    // The board re-renders a whole document: only while someone looks at it.
    if (m_tabs->currentWidget() == m_executive) {
        QList<engine::EnvironmentSnapshot> all;
        for (const QString &env : m_engine.environments())
            all.append(env == m_environment ? s : m_engine.snapshot(env));
        m_executive->setSnapshots(all);
        m_executive->setAsOf(now);
        m_executive->setAuditHead(m_auditView->model()->headHash(),
                                  m_auditView->model()->lastSeq());
    }

    // A stage change draws a marker and moves the band on the ratio chart.
    const int stage = s.phase == engine::Phase::RolledBack ? -1 : s.stageIndex;
    const int previous = m_lastStage.value(m_environment, -2);
    if (previous != stage) {
        m_lastStage.insert(m_environment, stage);
        auto *ratio = seriesModel(m_environment, kRatioPanel);
        const qint64 at =
            (s.state.enteredAt.isValid() ? s.state.enteredAt : now).toMSecsSinceEpoch();
        if (stage >= 0)
            ratio->addStageChange(at, m_engine.plan().stages.at(stage));
        else if (previous >= 0)
            ratio->addMarker(at, tr("↩ rollback"));
    }
    Q_EMIT refreshed();
}

QDialog *WarRoomWindow::openShiftDialog() {
    if (!m_operator) {
        askSignIn();
        return nullptr;
    }
    const engine::ShiftPreview preview = m_engine.previewShift(m_environment, *m_operator);
    if (!preview.refusals.isEmpty() || preview.toPercent <= 0) {
        statusBar()->showMessage(tr("Shift refused: %1").arg(preview.refusals.join(u"; "_s)),
                                 10'000);
        return nullptr;
    }
    auto *dialog = new ShiftDialog(preview, m_operator->printedName, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ShiftDialog::confirmRequested, this, [this, dialog] {
        dialog->setChecking(true);
        whenPassphraseChecked(
            dialog, m_engine.checkPassphrase(m_operator->name, dialog->passphrase()),
            [this, dialog](const store::PassphraseProof &proof) {
                const int typed = dialog->typedPercent();
                dialog->accept();
                engine::Operation *op = m_engine.shift(m_environment, *m_operator, proof, typed);
                m_shiftProgress = tr("Applying…");
                watch(op);
            },
            [dialog] { dialog->setMessage(passphraseCheckDiscardedText()); });
    });
    dialog->open();
    return dialog;
}

QDialog *WarRoomWindow::openSignOffDialog(const QString &gate) {
    if (!m_operator) {
        askSignIn();
        return nullptr;
    }
    const engine::EnvironmentSnapshot s = m_engine.snapshot(m_environment);
    const auto status = std::find_if(s.gates.cbegin(), s.gates.cend(),
                                     [&](const engine::GateStatus &g) { return g.id == gate; });
    const config::Gate *planGate = m_engine.plan().gate(gate);
    if (status == s.gates.cend() || !planGate)
        return nullptr;
    QStringList roles;
    for (const QString &role : m_operator->roles) {
        if (planGate->signOff.contains(role))
            roles.append(role);
    }
    // A marginal score is acknowledged in the dialog: only the other refusals stop it opening.
    engine::GuardTarget target{gate, {}, roles.value(0)};
    target.acknowledgesMarginal = true;
    const QStringList refusals =
        m_engine.guards(engine::Action::Sign, *m_operator, m_environment, target);
    if (!refusals.isEmpty()) {
        m_checklist->setRefusals(refusals);
        return nullptr;
    }
    auto *dialog = new SignOffDialog(m_environment, *status, m_operator->printedName, roles, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &SignOffDialog::signRequested, this,
            [this, dialog, gate](const QString &role, const QString &meaning,
                                 const QString &comment, const QString &passphrase,
                                 bool acknowledgesMarginal) {
                dialog->setChecking(true);
                whenPassphraseChecked(
                    dialog, m_engine.checkPassphrase(m_operator->name, passphrase),
                    [=, this](const store::PassphraseProof &proof) {
                        QPointer<SignOffDialog> guarded(dialog);
                        m_engine.signOff(m_environment, gate, role, *m_operator, proof, meaning,
                                         comment, acknowledgesMarginal,
                                         [this, self = QPointer<WarRoomWindow>(this), guarded,
                                          gate](const auto &outcome) {
                                             if (!self)
                                                 return;
                                             if (!outcome.ok) {
                                                 if (guarded)
                                                     guarded->setMessage(outcome.message());
                                                 return;
                                             }
                                             // Committed with its audit entry: now it may say so.
                                             statusBar()->showMessage(tr("%1 signed").arg(gate),
                                                                      10'000);
                                             if (guarded)
                                                 guarded->accept();
                                         });
                    },
                    [dialog] { dialog->setMessage(passphraseCheckDiscardedText()); });
            });
    dialog->open();
    return dialog;
}

void WarRoomWindow::tick(const QString &gate, const QString &check) {
    if (!m_operator)
        return askSignIn();
    statusBar()->showMessage(tr("Ticking %1/%2…").arg(gate, check));
    m_engine.tick(m_environment, gate, check, *m_operator,
                  [this, self = QPointer<WarRoomWindow>(this), gate,
                   check](const engine::ActionOutcome &outcome) {
                      if (!self)
                          return;
                      m_checklist->setRefusals(outcome.ok ? QStringList()
                                                          : QStringList{outcome.message()});
                      if (outcome.ok)
                          statusBar()->showMessage(tr("Ticked %1/%2").arg(gate, check), 5000);
                      else
                          statusBar()->clearMessage();
                  });
}

void WarRoomWindow::untick(const QString &gate, const QString &check) {
    if (!m_operator)
        return askSignIn();
    m_engine.untick(
        m_environment, gate, check, *m_operator,
        [this, self = QPointer<WarRoomWindow>(this)](const engine::ActionOutcome &outcome) {
            if (!self)
                return;
            m_checklist->setRefusals(outcome.ok ? QStringList() : QStringList{outcome.message()});
        });
}

void WarRoomWindow::acknowledgeWarRoom() {
    if (!m_operator) {
        askSignIn();
        return;
    }
    const QString name = m_operator->printedName;
    m_engine.acknowledgeWarRoom(
        *m_operator, {},
        [this, self = QPointer<WarRoomWindow>(this), name](const engine::ActionOutcome &outcome) {
            if (!self)
                return;
            statusBar()->showMessage(outcome.ok
                                         ? tr("War room acknowledged by %1 (recorded)").arg(name)
                                         : outcome.message(),
                                     10'000);
            scheduleRefresh();
        });
}

void WarRoomWindow::armFromHotkey() {
    // Whatever dialog had the keyboard is set aside by now: the window takes it.
    raise();
    activateWindow();
    m_rollback->arm();
    if (m_rollback->isArmed())
        return;
    // Refused (the role) or already rolling back: the dialogs come back as they were, and the
    // reason shows where a person looks.
    m_rollbackHotkey->restoreSetAside();
    statusBar()->showMessage(m_rollback->hintLabel()->text(), 10'000);
}

void WarRoomWindow::confirmRollback() {
    if (!m_operator)
        return askSignIn();
    if (m_rollback->armedForAll())
        return followRollbackAll(
            m_engine.rollbackAll(*m_operator, tr("war room: every environment")));
    followRollback(m_engine.rollback(m_environment, *m_operator, tr("war room")));
}

void WarRoomWindow::armRollbackAll() {
    if (!m_operator)
        return askSignIn();
    raise();
    activateWindow();
    m_rollback->armAll();
    if (!m_rollback->isArmed())
        statusBar()->showMessage(m_rollback->hintLabel()->text(), 10'000);
}

bool WarRoomWindow::goToLatestAlarm() {
    if (m_alarms->environments().isEmpty())
        return false;
    setEnvironment(m_alarms->environments().constFirst());
    return true;
}

void WarRoomWindow::followRollbackAll(const QList<engine::Operation *> &operations) {
    // One progress table for every load balancer of every environment; the status bar says
    // where each environment stands.
    QStringList loadBalancers;
    for (const QString &environment : m_engine.environments())
        loadBalancers += m_engine.plan().environment(environment)->loadBalancers;
    m_rollbackProgress->setVisible(true);
    m_rollbackProgress->start(tr("every environment"), loadBalancers);
    m_rollback->setBusy(true);
    struct Progress {
        QMap<QString, QString> perEnvironment;
        int left = 0;
        bool ok = true;
    };
    auto progress = std::make_shared<Progress>();
    progress->left = int(operations.size());
    for (engine::Operation *op : operations)
        progress->perEnvironment.insert(op->environment(), tr("rolling back"));
    const auto show = [this, progress] {
        QStringList parts;
        for (auto it = progress->perEnvironment.cbegin(); it != progress->perEnvironment.cend();
             ++it)
            parts.append(u"%1: %2"_s.arg(it.key(), it.value()));
        return parts.join(u" · "_s);
    };
    statusBar()->showMessage(tr("Rolling back every environment — %1").arg(show()), 60'000);
    for (engine::Operation *op : operations) {
        connect(op, &engine::Operation::lbFinished, m_rollbackProgress,
                &RollbackProgressPanel::addResult);
        connect(op, &engine::Operation::finished, this,
                [this, op, progress, show](bool ok, const QString &summary) {
                    QString outcome = ok ? tr("verified") : summary;
                    if (!op->refusals().isEmpty())
                        outcome += u": "_s + op->refusals().join(u"; "_s);
                    progress->perEnvironment.insert(op->environment(), outcome);
                    progress->ok = progress->ok && ok;
                    const QString text = show();
                    statusBar()->showMessage(tr("Rolling back every environment — %1").arg(text),
                                             60'000);
                    if (--progress->left > 0)
                        return;
                    m_rollbackProgress->finish(progress->ok, text);
                    m_rollback->setBusy(false);
                    m_rollback->setAlarm({});
                    Q_EMIT operationFinished(progress->ok, text);
                    refresh();
                });
    }
}

void WarRoomWindow::clearSettledAlarms() {
    for (const QString &environment : QStringList(m_alarms->environments())) {
        const engine::EnvironmentSnapshot s = m_engine.snapshot(environment);
        const QString kind = m_alarms->kindOf(environment);
        const bool holds = (kind == u"trigger" && !s.firingTriggers.isEmpty()) ||
                           (kind == u"validation" && s.validationFailed) ||
                           (kind == u"drift" && !s.driftAlarms.isEmpty());
        if (!holds)
            m_alarms->clear(environment);
    }
}

void WarRoomWindow::followRollback(engine::Operation *op) {
    m_rollbackProgress->setVisible(true);
    m_rollbackProgress->start(m_environment,
                              m_engine.plan().environment(m_environment)->loadBalancers);
    m_rollback->setBusy(true);
    connect(op, &engine::Operation::lbFinished, m_rollbackProgress,
            &RollbackProgressPanel::addResult);
    connect(op, &engine::Operation::finished, this, [this](bool ok, const QString &summary) {
        m_rollbackProgress->finish(ok, summary);
        m_rollback->setBusy(false);
        m_rollback->setAlarm({});
        statusBar()->showMessage(summary, 30'000);
        Q_EMIT operationFinished(ok, summary);
        refresh();
    });
}

QDialog *WarRoomWindow::openStepBackDialog() {
    if (!m_operator) {
        askSignIn();
        return nullptr;
    }
    const engine::EnvironmentSnapshot s = m_engine.snapshot(m_environment);
    QList<int> earlier;
    for (int i = s.stageIndex - 1; i >= 0 && s.phase != engine::Phase::RolledBack; --i)
        earlier.append(m_engine.plan().stages.at(i).percent);
    const QStringList refusals = m_engine.guards(
        engine::Action::StepBack, *m_operator, m_environment,
        engine::GuardTarget{{}, {}, {}, earlier.isEmpty() ? -1 : earlier.constFirst()});
    if (!refusals.isEmpty()) {
        statusBar()->showMessage(tr("Step back refused: %1").arg(refusals.join(u"; "_s)), 10'000);
        return nullptr;
    }
    auto *dialog =
        new StepBackDialog(m_environment, s.currentPercent, earlier, m_operator->printedName, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &StepBackDialog::confirmRequested, this, [this, dialog] {
        dialog->setChecking(true);
        whenPassphraseChecked(
            dialog, m_engine.checkPassphrase(m_operator->name, dialog->passphrase()),
            [this, dialog](const store::PassphraseProof &proof) {
                const int percent = dialog->percent();
                const QString reason = dialog->reason();
                dialog->accept();
                engine::Operation *op =
                    m_engine.stepBack(m_environment, *m_operator, proof, percent, reason);
                m_shiftProgress = tr("Stepping back…");
                watch(op);
            },
            [dialog] { dialog->setMessage(passphraseCheckDiscardedText()); });
    });
    dialog->open();
    return dialog;
}

void WarRoomWindow::watch(engine::Operation *operation) {
    connect(operation, &engine::Operation::progressed, this, [this](const QString &text) {
        m_shiftProgress = text;
        scheduleRefresh();
    });
    connect(operation, &engine::Operation::finished, this,
            [this, operation](bool ok, const QString &summary) {
                QString text = summary;
                if (!operation->refusals().isEmpty())
                    text += u": "_s + operation->refusals().join(u"; "_s);
                m_shiftProgress = ok ? QString() : text;
                statusBar()->showMessage(text, 30'000);
                Q_EMIT operationFinished(ok, text);
                refresh();
            });
}

void WarRoomWindow::onAlarm(const QString &environment, const QString &kind, const QString &text) {
    const QString where = environment.isEmpty() ? QString() : environment + u": "_s;
    statusBar()->showMessage(tr("ALARM %1%2").arg(where, text), 60'000);
    // Whichever environment is shown: listed (one click or Alt+L away), notified, flashed.
    const bool listed = kind == u"trigger" || kind == u"validation" || kind == u"drift";
    if (listed && !environment.isEmpty())
        m_alarms->setAlarm(environment, kind, text);
    if (listed) {
        if (m_tray)
            m_tray->showMessage(tr("Cutover alarm"), where + text, QSystemTrayIcon::Critical,
                                30'000);
        QApplication::alert(this);
    }
    if (kind == u"trigger" && (environment.isEmpty() || environment == m_environment))
        m_rollback->setAlarm(where + text);
    scheduleRefresh();
}

void WarRoomWindow::onPanelSample(const QString &environment, const QString &panelId,
                                  const QDateTime &at, const QList<backends::PromSample> &samples) {
    m_lastPanelSamples.insert(environment + u'/' + panelId, samples);
    auto *model = seriesModel(environment, panelId);
    for (const backends::PromSample &sample : samples)
        model->appendSample(seriesKeyOf(sample.labels), at.toMSecsSinceEpoch(), sample.point.value);
}

void WarRoomWindow::onPanelHistory(const QString &environment, const QString &panelId,
                                   const QList<backends::PromSeries> &series) {
    auto *model = seriesModel(environment, panelId);
    for (const backends::PromSeries &one : series) {
        QList<QPointF> points;
        points.reserve(one.points.size());
        for (const backends::PromPoint &p : one.points)
            points.append(QPointF(p.time * 1000.0, p.value));
        model->prependHistory(seriesKeyOf(one.labels), points);
    }
}

void WarRoomWindow::onSplitSample(const QString &environment, const QDateTime &at, double share) {
    // The ratio panel also gets the engine's own measurement: the one validation uses.
    seriesModel(environment, kRatioPanel)
        ->appendSample(u"measured (validation)"_s, at.toMSecsSinceEpoch(), share);
}

void WarRoomWindow::exportAudit() {
    askSavePath(this, tr("Export the audit log"), u"audit.csv"_s, tr("CSV (*.csv);;JSON (*.json)"),
                [this](const QString &path) { writeAuditExport(path); });
}

void WarRoomWindow::writeAuditExport(const QString &path) {
    const auto &entries = m_auditView->model()->entries();
    QSaveFile file(path);
    const QByteArray bytes = path.endsWith(u".csv"_s, Qt::CaseInsensitive)
                                 ? store::auditToCsv(entries)
                                 : store::auditToJson(entries);
    const bool written =
        file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() && file.commit();
    statusBar()->showMessage(written ? tr("Exported %1 entries to %2").arg(entries.size()).arg(path)
                                     : tr("Export failed: %1").arg(file.errorString()),
                             10'000);
}

void WarRoomWindow::saveStatusReport() {
    askSavePath(this, tr("Save the status report"), u"status-report.md"_s,
                tr("Markdown (*.md);;PDF (*.pdf)"),
                [this](const QString &path) { writeStatusReport(path); });
}

void WarRoomWindow::writeStatusReport(const QString &path) {
    // The same report as `cutover-console --report`, from what this window already has: the
    // engine's snapshots and refusals, the audit log, the panels' last answers.
    report::ReportInputs inputs;
    inputs.plan = &m_engine.plan();
    inputs.now = QDateTime::currentDateTimeUtc();
    inputs.audit = m_auditView->model()->entries();
    inputs.shiftRefusals = m_engine.situationShiftRefusals();
    for (const QString &env : m_engine.environments()) {
        inputs.snapshots.append(m_engine.snapshot(env));
        for (const auto &spec : report::keyMetricSpecs()) {
            report::MetricReading reading;
            reading.environment = env;
            reading.panelId = spec.panelId;
            const QString key = env + u'/' + spec.panelId;
            if (!m_lastPanelSamples.contains(key))
                reading.error = tr("no answer from Prometheus yet");
            for (const auto &sample : m_lastPanelSamples.value(key)) {
                if (std::isfinite(sample.point.value))
                    reading.values.append({sample.labels.value(u"system"_s), sample.point.value});
            }
            inputs.metrics.append(reading);
        }
    }
    const report::StatusReport built = report::buildStatusReport(inputs);
    QString error;
    bool written = false;
    if (path.endsWith(u".pdf"_s, Qt::CaseInsensitive)) {
        written = report::writePdfFile(report::toHtml(built), built.title, path, &error);
    } else {
        QSaveFile file(path);
        const QByteArray bytes = report::toMarkdown(built).toUtf8();
        written =
            file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() && file.commit();
        error = file.errorString();
    }
    statusBar()->showMessage(written ? tr("Status report written to %1").arg(path)
                                     : tr("Status report not written: %1").arg(error),
                             10'000);
}

void WarRoomWindow::saveCompletionReport() {
    askSavePath(this, tr("Save the cutover completion report"), u"completion-report.pdf"_s,
                tr("PDF (*.pdf)"), [this](const QString &path) { writeCompletionReport(path); });
}

void WarRoomWindow::writeCompletionReport(const QString &path) {
    // The same record as `cutover-console --completion-report`, from the audit log this window
    // holds (the whole log: the engine pulls it from the first entry). Hashing a long log takes
    // a while: the chain is verified and the record laid out on a pool thread.
    auto plan = std::make_shared<const config::Plan>(m_engine.plan());
    QList<engine::EnvironmentSnapshot> snapshots;
    for (const QString &env : m_engine.environments())
        snapshots.append(m_engine.snapshot(env));
    const QList<store::AuditEntry> audit = m_auditView->model()->entries();
    statusBar()->showMessage(tr("Writing the completion report: verifying %n audit entries…",
                                nullptr, int(audit.size())));
    QPointer<WarRoomWindow> self(this);
    QThreadPool::globalInstance()->start([self, plan, snapshots, audit, path] {
        report::CompletionReportInputs in;
        in.plan = plan.get();
        in.snapshots = snapshots;
        in.audit = audit;
        in.verification = store::verifyAuditEntries(audit);
        in.now = QDateTime::currentDateTimeUtc();
        const QString html = report::completionReportHtml(in);
        QMetaObject::invokeMethod(self.data(), [self, plan, html, path] {
            if (!self)
                return;
            QString error;
            const bool written = report::writePdfFile(
                html, tr("Cutover completion report - %1").arg(plan->name), path, &error);
            if (written)
                error.clear();
            else if (error.isEmpty())
                error = tr("not written");
            self->statusBar()->showMessage(written
                                               ? tr("Completion report written to %1").arg(path)
                                               : tr("Completion report not written: %1").arg(error),
                                           10'000);
            Q_EMIT self->completionReportFinished(path, error);
        });
    });
}

void WarRoomWindow::printExecutiveBoard() {
    askSavePath(this, tr("Print the executive board"), u"sign-off-record.pdf"_s, tr("PDF (*.pdf)"),
                [this](const QString &path) { writeExecutiveBoard(path); });
}

void WarRoomWindow::writeExecutiveBoard(const QString &path) {
    QString error;
    if (!m_executive->printToPdf(path, &error))
        statusBar()->showMessage(tr("PDF not written: %1").arg(error), 10'000);
    else
        statusBar()->showMessage(tr("Written %1").arg(path), 10'000);
}

void WarRoomWindow::setTheme(bool dark) {
    QSettings().setValue(kThemeKey, dark);
    applyTheme(dark ? Theme::Dark : Theme::Light);
    for (ChartPanel *chart : std::as_const(m_charts))
        chart->setDarkTheme(dark);
    if (m_compareView)
        m_compareView->setDarkTheme(dark);
}

void WarRoomWindow::closeEvent(QCloseEvent *event) {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    if (auto *splitter = findChild<QSplitter *>(u"centreSplitter"_s))
        settings.setValue(kSplitterKey, splitter->saveState());
    settings.setValue(kEnvironmentKey, m_environment);
    event->accept();
}

} // namespace cutover::ui
