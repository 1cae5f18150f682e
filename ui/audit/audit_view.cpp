#include "ui/audit/audit_view.h"

#include "models/audit_log_model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace cutover::ui {

using models::AuditFilterModel;
using models::AuditLogModel;

namespace {
const auto kTimeFormat = u"yyyy-MM-dd HH:mm:ss"_s;
}

AuditView::AuditView(QWidget *parent)
    : QWidget(parent)
    , m_model(new AuditLogModel(this))
    , m_filter(new AuditFilterModel(this))
    , m_actor(new QComboBox(this))
    , m_action(new QComboBox(this))
    , m_fromEnabled(new QCheckBox(tr("&From"), this))
    , m_from(new QDateTimeEdit(this))
    , m_toEnabled(new QCheckBox(tr("T&o"), this))
    , m_to(new QDateTimeEdit(this))
    , m_clear(new QPushButton(tr("C&lear filters"), this))
    , m_table(new QTableView(this))
    , m_count(new QLabel(this))
    , m_chain(new QLabel(this)) {
    setAccessibleName(tr("Audit log"));
    m_filter->setSourceModel(m_model);

    m_actor->setAccessibleName(tr("Filter by actor"));
    m_actor->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_action->setAccessibleName(tr("Filter by action"));
    m_action->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    setChoices(m_actor, tr("All actors"), {});
    setChoices(m_action, tr("All actions"), {});

    // Times are entered and shown in UTC, like the log itself.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        edit->setTimeSpec(Qt::UTC);
        edit->setDisplayFormat(kTimeFormat);
        edit->setCalendarPopup(true);
        edit->setEnabled(false);
        edit->setMinimumWidth(edit->fontMetrics().horizontalAdvance(u"2024-05-01 10:00:00"_s) +
                              48); // room for the calendar button
    }
    m_from->setDateTime(now.addSecs(-3600));
    m_to->setDateTime(now);
    m_from->setAccessibleName(tr("From time (UTC)"));
    m_to->setAccessibleName(tr("To time (UTC)"));
    m_fromEnabled->setAccessibleName(tr("Filter from a time"));
    m_toEnabled->setAccessibleName(tr("Filter up to a time"));
    m_clear->setAccessibleName(tr("Clear the audit filters"));

    m_table->setModel(m_filter);
    m_table->setAccessibleName(tr("Audit entries"));
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(AuditLogModel::SeqColumn, Qt::DescendingOrder); // newest first
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    // Wide enough for the header and a typical value; Details takes the rest.
    const QFontMetrics fm = m_table->fontMetrics();
    const QList<QPair<int, QString>> samples{
        {AuditLogModel::SeqColumn, u"000000"_s},
        {AuditLogModel::TimeColumn, u"2024-05-01 10:00:00.000 UTC"_s},
        {AuditLogModel::ActorColumn, u"alice.smith"_s},
        {AuditLogModel::RoleColumn, u"release_manager"_s},
        {AuditLogModel::ActionColumn, u"validation_failed"_s},
        {AuditLogModel::EnvironmentColumn, u"production"_s},
        {AuditLogModel::SubjectColumn, u"gate_1/no_complaints"_s}};
    for (const auto &[column, sample] : samples) {
        const QString header = m_model->headerData(column, Qt::Horizontal).toString();
        m_table->setColumnWidth(
            column, std::max(fm.horizontalAdvance(sample), fm.horizontalAdvance(header) + 24) + 16);
    }

    m_count->setAccessibleName(tr("Audit entries shown"));
    m_chain->setAccessibleName(tr("Audit chain status"));
    m_chain->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_chain->setVisible(false);

    auto *filters = new QHBoxLayout;
    auto *actorLabel = new QLabel(tr("&Actor:"), this);
    actorLabel->setBuddy(m_actor);
    auto *actionLabel = new QLabel(tr("A&ction:"), this);
    actionLabel->setBuddy(m_action);
    filters->addWidget(actorLabel);
    filters->addWidget(m_actor);
    filters->addWidget(actionLabel);
    filters->addWidget(m_action);
    filters->addSpacing(8);
    filters->addWidget(m_fromEnabled);
    filters->addWidget(m_from);
    filters->addWidget(m_toEnabled);
    filters->addWidget(m_to);
    filters->addWidget(new QLabel(tr("UTC"), this));
    filters->addStretch(1);
    filters->addWidget(m_clear);

    auto *footer = new QHBoxLayout;
    footer->addWidget(m_count);
    footer->addStretch(1);
    footer->addWidget(m_chain);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filters);
    layout->addWidget(m_table, 1);
    layout->addLayout(footer);

    connect(m_actor, &QComboBox::currentIndexChanged, this, &AuditView::applyControls);
    connect(m_action, &QComboBox::currentIndexChanged, this, &AuditView::applyControls);
    connect(m_fromEnabled, &QCheckBox::toggled, this, &AuditView::applyControls);
    connect(m_toEnabled, &QCheckBox::toggled, this, &AuditView::applyControls);
    connect(m_from, &QDateTimeEdit::dateTimeChanged, this, &AuditView::applyControls);
    connect(m_to, &QDateTimeEdit::dateTimeChanged, this, &AuditView::applyControls);
    connect(m_clear, &QPushButton::clicked, this, &AuditView::clearFilters);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &AuditView::updateCount);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &AuditView::updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &AuditView::updateCount);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, &AuditView::updateCount);
    updateCount();
}

AuditView::~AuditView() = default;

void AuditView::appendEntries(const QList<store::AuditEntry> &entries) {
    if (m_model->appendEntries(entries) > 0)
        refreshChoices();
}

void AuditView::clear() {
    m_model->clear();
    refreshChoices();
}

void AuditView::setChainStatus(const QString &text) {
    m_chain->setText(text);
    m_chain->setVisible(!text.isEmpty());
}

void AuditView::setChoices(QComboBox *box, const QString &allText, const QStringList &values) {
    // Keeps the current choice (by text) when new values arrive.
    const QString current = box->currentIndex() > 0 ? box->currentText() : QString();
    const QSignalBlocker blocker(box);
    box->clear();
    box->addItem(allText);
    box->addItems(values);
    const int keep = current.isEmpty() ? 0 : box->findText(current);
    if (keep < 0) {
        box->addItem(current); // a filter set for an actor not seen yet
        box->setCurrentIndex(box->count() - 1);
    } else {
        box->setCurrentIndex(keep);
    }
}

void AuditView::refreshChoices() {
    setChoices(m_actor, tr("All actors"), m_model->actors());
    setChoices(m_action, tr("All actions"), m_model->actions());
    // An unused time filter starts from the log's own span, so ticking it narrows from there.
    const auto &entries = m_model->entries();
    if (entries.isEmpty())
        return;
    if (!m_fromEnabled->isChecked()) {
        const QSignalBlocker blocker(m_from);
        m_from->setDateTime(entries.constFirst().at.toUTC());
    }
    if (!m_toEnabled->isChecked()) {
        const QSignalBlocker blocker(m_to);
        m_to->setDateTime(entries.constLast().at.toUTC().addSecs(1));
    }
}

void AuditView::applyControls() {
    if (m_applying)
        return;
    m_from->setEnabled(m_fromEnabled->isChecked());
    m_to->setEnabled(m_toEnabled->isChecked());
    m_filter->setActor(m_actor->currentIndex() > 0 ? m_actor->currentText() : QString());
    m_filter->setAction(m_action->currentIndex() > 0 ? m_action->currentText() : QString());
    m_filter->setTimeRange(m_fromEnabled->isChecked() ? m_from->dateTime().toUTC() : QDateTime(),
                           m_toEnabled->isChecked() ? m_to->dateTime().toUTC() : QDateTime());
    updateCount();
}

void AuditView::setActorFilter(const QString &actor) {
    if (actor.isEmpty()) {
        m_actor->setCurrentIndex(0);
        return;
    }
    int index = m_actor->findText(actor);
    if (index < 0) {
        m_actor->addItem(actor);
        index = m_actor->count() - 1;
    }
    m_actor->setCurrentIndex(index);
}

void AuditView::setActionFilter(const QString &action) {
    if (action.isEmpty()) {
        m_action->setCurrentIndex(0);
        return;
    }
    int index = m_action->findText(action);
    if (index < 0) {
        m_action->addItem(action);
        index = m_action->count() - 1;
    }
    m_action->setCurrentIndex(index);
}

void AuditView::setTimeRange(const QDateTime &from, const QDateTime &to) {
    m_applying = true;
    m_fromEnabled->setChecked(from.isValid());
    if (from.isValid())
        m_from->setDateTime(from.toUTC());
    m_toEnabled->setChecked(to.isValid());
    if (to.isValid())
        m_to->setDateTime(to.toUTC());
    m_applying = false;
    applyControls();
}

void AuditView::clearFilters() {
    m_applying = true;
    m_actor->setCurrentIndex(0);
    m_action->setCurrentIndex(0);
    m_fromEnabled->setChecked(false);
    m_toEnabled->setChecked(false);
    m_applying = false;
    applyControls();
}

void AuditView::updateCount() {
    const int shown = m_filter->rowCount();
    const int total = m_model->rowCount();
    m_count->setText(shown == total ? tr("%n entries", nullptr, total)
                                    : tr("%1 of %n entries", nullptr, total).arg(shown));
}

} // namespace cutover::ui
