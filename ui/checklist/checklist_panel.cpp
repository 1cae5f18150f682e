#include "ui/checklist/checklist_panel.h"

#include "models/gate_checklist_model.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace cutover::ui {

using models::GateChecklistModel;

ChecklistPanel::ChecklistPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new GateChecklistModel(this))
    , m_title(new QLabel(this))
    , m_tree(new QTreeView(this))
    , m_tick(new QPushButton(tr("&Tick"), this))
    , m_untick(new QPushButton(tr("&Untick"), this))
    , m_sign(new QPushButton(tr("&Sign gate…"), this))
    , m_refusalLabel(new QLabel(this)) {
    setAccessibleName(tr("Gate checklists"));

    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setText(tr("Gate checklists"));
    m_title->setAccessibleName(tr("Checklist environment"));

    m_tree->setModel(m_model);
    m_tree->setAccessibleName(tr("Gates, checklist items and signatures"));
    m_tree->setAccessibleDescription(
        tr("Select a manual item and press Space to tick it; Sign gate signs the selected gate."));
    m_tree->setAlternatingRowColors(true);
    m_tree->setUniformRowHeights(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_tree->setAllColumnsShowFocus(true);
    m_tree->setIconSize(QSize(16, 16));
    m_tree->setIndentation(14);
    m_tree->header()->setSectionResizeMode(GateChecklistModel::ItemColumn,
                                           QHeaderView::Interactive);
    m_tree->header()->setSectionResizeMode(GateChecklistModel::StateColumn,
                                           QHeaderView::Interactive);
    m_tree->header()->setStretchLastSection(true);
    m_tree->installEventFilter(this);
    m_tree->viewport()->installEventFilter(this);
    // Once someone drags a column edge, their widths win over the proportional ones.
    connect(m_tree->header(), &QHeaderView::sectionResized, this, [this](int section) {
        // The last section follows the viewport by itself (stretch): not a person's choice.
        if (!m_sizingColumns && section != GateChecklistModel::DetailColumn)
            m_userSizedColumns = true;
    });

    m_tick->setAccessibleName(tr("Tick the selected item"));
    m_tick->setToolTip(tr("Tick the selected manual item (Space)"));
    m_untick->setAccessibleName(tr("Untick the selected item"));
    m_untick->setToolTip(tr("Withdraw the tick of the selected manual item"));
    m_sign->setAccessibleName(tr("Sign the selected gate"));
    m_sign->setToolTip(tr("Sign the gate of the selected row (electronic signature)"));

    m_refusalLabel->setAccessibleName(tr("Why the request was refused"));
    m_refusalLabel->setWordWrap(true);
    m_refusalLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_refusalLabel->setVisible(false);
    styleRefusals();

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_tick);
    buttons->addWidget(m_untick);
    buttons->addStretch(1);
    buttons->addWidget(m_sign);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_tree, 1);
    layout->addWidget(m_refusalLabel);
    layout->addLayout(buttons);

    connect(m_tick, &QPushButton::clicked, this, &ChecklistPanel::requestTick);
    connect(m_untick, &QPushButton::clicked, this, &ChecklistPanel::requestUntick);
    connect(m_sign, &QPushButton::clicked, this, &ChecklistPanel::requestSign);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ChecklistPanel::updateButtons);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (const engine::CheckStatus *check = m_model->checkFor(current))
                    Q_EMIT checkSelected(check->gate, check->id, check->kind);
            });
    // A tick or signature arriving changes what the selected row allows.
    connect(m_model, &QAbstractItemModel::dataChanged, this, &ChecklistPanel::updateButtons);
    // New gates (the first snapshot, another plan) open expanded: the items are the point.
    connect(m_model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &where, int first, int last) {
                if (where.isValid())
                    return;
                for (int row = first; row <= last; ++row)
                    m_tree->expand(m_model->index(row, 0));
            });
    updateButtons();
}

ChecklistPanel::~ChecklistPanel() = default;

void ChecklistPanel::setEnvironment(const QString &environment) {
    m_environment = environment;
    m_title->setText(environment.isEmpty() ? tr("Gate checklists")
                                           : tr("Gate checklists — %1").arg(environment));
}

void ChecklistPanel::setGates(const QList<engine::GateStatus> &gates) {
    m_model->setGates(gates);
    if (!m_tree->currentIndex().isValid() && m_model->rowCount() > 0) {
        // Give keyboard users a starting point without stealing a selection they made.
        m_tree->selectionModel()->setCurrentIndex(m_model->index(0, 0),
                                                  QItemSelectionModel::NoUpdate);
    }
    updateButtons();
}

void ChecklistPanel::setRefusals(const QStringList &refusals) {
    m_refusals = refusals;
    m_refusalLabel->setText(refusals.join(u'\n'));
    m_refusalLabel->setVisible(!refusals.isEmpty());
}

void ChecklistPanel::setReadOnly(bool readOnly) {
    m_readOnly = readOnly;
    m_tick->setVisible(!readOnly);
    m_untick->setVisible(!readOnly);
    m_sign->setVisible(!readOnly);
    updateButtons();
}

QString ChecklistPanel::currentGate() const {
    return m_tree->currentIndex().data(GateChecklistModel::GateIdRole).toString();
}

QString ChecklistPanel::currentCheck() const {
    return m_tree->currentIndex().data(GateChecklistModel::CheckIdRole).toString();
}

bool ChecklistPanel::selectCheck(const QString &gate, const QString &check) {
    const QModelIndex index = m_model->indexOfCheck(gate, check);
    if (!index.isValid())
        return false;
    m_tree->expand(index.parent());
    m_tree->setCurrentIndex(index);
    m_tree->scrollTo(index);
    return true;
}

bool ChecklistPanel::selectGate(const QString &gate) {
    const QModelIndex index = m_model->indexOfGate(gate);
    if (!index.isValid())
        return false;
    m_tree->setCurrentIndex(index);
    m_tree->scrollTo(index);
    return true;
}

void ChecklistPanel::updateButtons() {
    const QModelIndex current = m_tree->currentIndex();
    const bool editable = !m_readOnly && current.isValid();
    m_tick->setEnabled(editable && current.data(GateChecklistModel::TickableRole).toBool());
    m_untick->setEnabled(editable && current.data(GateChecklistModel::UntickableRole).toBool());
    m_sign->setEnabled(editable && current.data(GateChecklistModel::SignableRole).toBool());
}

void ChecklistPanel::requestTick() {
    const QModelIndex current = m_tree->currentIndex();
    if (m_readOnly || !current.data(GateChecklistModel::TickableRole).toBool())
        return;
    Q_EMIT tickRequested(currentGate(), currentCheck());
}

void ChecklistPanel::requestUntick() {
    const QModelIndex current = m_tree->currentIndex();
    if (m_readOnly || !current.data(GateChecklistModel::UntickableRole).toBool())
        return;
    Q_EMIT untickRequested(currentGate(), currentCheck());
}

void ChecklistPanel::requestSign() {
    const QString gate = currentGate();
    if (m_readOnly || gate.isEmpty())
        return;
    Q_EMIT signRequested(gate);
}

void ChecklistPanel::fitColumns() {
    if (m_userSizedColumns)
        return;
    // Beside the charts the panel may be narrow: share the width instead of scrolling sideways.
    const int width = m_tree->viewport()->width();
    m_sizingColumns = true;
    m_tree->header()->resizeSection(GateChecklistModel::ItemColumn,
                                    std::max(160, width * 52 / 100));
    m_tree->header()->resizeSection(GateChecklistModel::StateColumn,
                                    std::max(80, width * 18 / 100));
    m_sizingColumns = false;
}

bool ChecklistPanel::eventFilter(QObject *watched, QEvent *event) {
    if (watched == m_tree->viewport() && event->type() == QEvent::Resize)
        fitColumns();
    if (watched == m_tree && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->key() == Qt::Key_Space && key->modifiers() == Qt::NoModifier) {
            // Space ticks; it never unticks, so a double press cannot undo a tick by accident.
            requestTick();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ChecklistPanel::changeEvent(QEvent *event) {
    if (event->type() == QEvent::PaletteChange)
        styleRefusals();
    QWidget::changeEvent(event);
}

void ChecklistPanel::styleRefusals() {
    // A red-tinted box in the palette's own text colour: readable on the dark and light themes.
    const QPalette pal = palette();
    const QColor base = pal.color(QPalette::Base);
    const QColor red(0xe0, 0x3c, 0x31);
    const QColor tint = QColor::fromRgbF(base.redF() * 0.8f + red.redF() * 0.2f,
                                         base.greenF() * 0.8f + red.greenF() * 0.2f,
                                         base.blueF() * 0.8f + red.blueF() * 0.2f);
    m_refusalLabel->setStyleSheet(
        u"QLabel { background: %1; color: %2; border: 1px solid %3; border-left: 4px solid %3;"
        " padding: 4px 6px; }"_s.arg(tint.name(), pal.color(QPalette::Text).name(), red.name()));
}

} // namespace cutover::ui
