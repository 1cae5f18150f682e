#include "ui/main_window.h"

#include "models/plan_overview_model.h"
#include "ui/plan_errors_dialog.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {
const auto kGeometryKey = u"mainWindow/geometry"_s;
const auto kStateKey = u"mainWindow/state"_s;
const auto kLastPlanDirKey = u"plans/lastFolder"_s;
} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_model(new models::PlanOverviewModel(this))
    , m_stack(new QStackedWidget(this))
    , m_title(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_empty(new QLabel(this))
    , m_overview(new QTreeView(this)) {
    setWindowTitle(tr("Cutover Console"));
    setAccessibleName(tr("Cutover Console main window"));

    auto *fileMenu = menuBar()->addMenu(tr("&File"));
    auto *open = fileMenu->addAction(tr("&Open plan…"), this, &MainWindow::choosePlan);
    open->setShortcut(QKeySequence::Open);
    auto *openDefault = fileMenu->addAction(tr("Open the &default plan"), this,
                                            [this] { openPlan(defaultPlanPath()); });
    openDefault->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    fileMenu->addSeparator();
    auto *quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    auto *helpMenu = menuBar()->addMenu(tr("&Help"));
    helpMenu->addAction(tr("&About Cutover Console"), this, [this] {
        auto *box =
            new QMessageBox(QMessageBox::Information, tr("About Cutover Console"),
                            tr("<b>Cutover Console</b> %1<br>Cut telemetry over from legacy "
                               "collectors to OpenTelemetry, stage by stage.")
                                .arg(QCoreApplication::applicationVersion()),
                            QMessageBox::Close, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open(); // never exec(): no nested event loop
    });

    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setAccessibleName(tr("Plan name"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setAccessibleName(tr("Plan summary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);

    m_overview->setModel(m_model);
    m_overview->setAccessibleName(tr("Plan overview"));
    m_overview->setAlternatingRowColors(true);
    m_overview->setUniformRowHeights(true);
    m_overview->header()->setSectionResizeMode(models::PlanOverviewModel::ItemColumn,
                                               QHeaderView::Interactive);
    m_overview->header()->setStretchLastSection(true);

    auto *planPage = new QWidget(this);
    auto *planLayout = new QVBoxLayout(planPage);
    planLayout->addWidget(m_title);
    planLayout->addWidget(m_summary);
    planLayout->addWidget(m_overview, 1);

    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setAccessibleName(tr("No plan loaded"));
    m_empty->setText(tr("Loading the plan…"));

    m_stack->addWidget(m_empty);
    m_stack->addWidget(planPage);
    setCentralWidget(m_stack);
    statusBar()->showMessage(tr("Ready"));

    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1366, 768);
    restoreState(settings.value(kStateKey).toByteArray());
}

MainWindow::~MainWindow() = default;

QString MainWindow::defaultPlanPath() {
    return u":/plans/default.yaml"_s;
}

bool MainWindow::openPlan(const QString &path) {
    statusBar()->showMessage(tr("Loading %1…").arg(path));
    config::PlanLoadResult result = config::loadPlanFile(path);
    if (!result.ok()) {
        statusBar()->showMessage(
            tr("%1: %n error(s); plan not loaded", nullptr, int(result.errors.size())).arg(path));
        if (!m_plan) {
            m_empty->setText(tr("No plan loaded: %1 could not be used.\nOpen another plan with "
                                "Ctrl+O.")
                                 .arg(path));
            m_stack->setCurrentWidget(m_empty);
        }
        auto *dialog = new PlanErrorsDialog(path, result.errors, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
        Q_EMIT planRejected(path, int(result.errors.size()));
        return false;
    }
    m_plan = std::move(result.plan);
    showPlan();
    statusBar()->showMessage(tr("Loaded %1").arg(path), 10'000);
    Q_EMIT planLoaded(m_plan->name);
    return true;
}

void MainWindow::showPlan() {
    const config::Plan &plan = *m_plan;
    setWindowTitle(tr("%1 — Cutover Console").arg(plan.name));
    m_title->setText(plan.name);
    QStringList percents;
    for (const auto &stage : plan.stages)
        percents.append(QString::number(stage.percent) + u'%');
    m_summary->setText(tr("%1 · %2 environments · stages %3 · %4 gates · %5 checks · "
                          "plan SHA-256 %6…")
                           .arg(plan.sourceFile)
                           .arg(plan.environments.size())
                           .arg(percents.join(u" → "_s))
                           .arg(plan.gates.size())
                           .arg(plan.checkCount())
                           .arg(QString::fromLatin1(plan.sha256Hex.left(12))));
    m_model->setPlan(plan);
    m_overview->expandToDepth(0);
    m_overview->resizeColumnToContents(models::PlanOverviewModel::ItemColumn);
    m_stack->setCurrentIndex(1);
}

void MainWindow::choosePlan() {
    QSettings settings;
    auto *dialog =
        new QFileDialog(this, tr("Open a cutover plan"), settings.value(kLastPlanDirKey).toString(),
                        tr("Cutover plans (*.yaml *.yml);;All files (*)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::ExistingFile);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &file) {
        QSettings().setValue(kLastPlanDirKey, QFileInfo(file).absolutePath());
        openPlan(file);
    });
    dialog->open();
}

void MainWindow::closeEvent(QCloseEvent *event) {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    event->accept();
}

} // namespace cutover::ui
