#include "ui/rollback/rollback_progress_panel.h"

#include "models/rollback_progress_model.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

using models::RollbackProgressModel;

RollbackProgressPanel::RollbackProgressPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new RollbackProgressModel(this))
    , m_headline(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_table(new QTableView(this)) {
    setAccessibleName(tr("Rollback progress"));

    QFont font = m_headline->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.3);
    m_headline->setFont(font);
    m_headline->setWordWrap(true);
    m_headline->setAccessibleName(tr("Rollback outcome"));
    m_headline->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_headline->setMargin(8);
    m_summary->setWordWrap(true);
    m_summary->setAccessibleName(tr("Rollback summary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setVisible(false);

    m_table->setModel(m_model);
    m_table->setAccessibleName(tr("Rollback result per load balancer"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(RollbackProgressModel::ErrorColumn,
                                                      QHeaderView::Stretch);
    m_table->setWordWrap(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_headline);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    reset();
}

RollbackProgressPanel::~RollbackProgressPanel() = default;

void RollbackProgressPanel::start(const QString &environment, const QStringList &loadBalancers) {
    m_environment = environment;
    m_finished = false;
    m_operationOk.reset();
    m_summary->clear();
    m_summary->setVisible(false);
    m_model->start(loadBalancers);
    updateHeadline();
}

void RollbackProgressPanel::addResult(const backends::LbApplyResult &result) {
    m_model->addResult(result);
    updateHeadline();
}

void RollbackProgressPanel::finish(bool ok, const QString &summary) {
    m_finished = true;
    m_operationOk = ok;
    m_summary->setText(summary);
    m_summary->setVisible(!summary.isEmpty());
    updateHeadline();
}

void RollbackProgressPanel::reset() {
    m_environment.clear();
    m_finished = false;
    m_operationOk.reset();
    m_summary->clear();
    m_summary->setVisible(false);
    m_model->clear();
    updateHeadline();
}

QString RollbackProgressPanel::headline() const {
    return m_headline->text();
}

QString RollbackProgressPanel::summary() const {
    return m_summary->text();
}

void RollbackProgressPanel::updateHeadline() {
    const int total = m_model->expectedCount();
    const int verified = m_model->verifiedCount();
    const QStringList failures = m_model->failureTexts();
    const bool allIn = total > 0 && m_model->allFinished();
    const QString where = m_environment.isEmpty() ? QString() : m_environment + u": "_s;

    Outcome outcome = Outcome::Idle;
    QString text;
    if (!failures.isEmpty() && (allIn || m_finished)) {
        // Loud and specific: which LB still sends traffic to OTel, and why.
        outcome = Outcome::NotVerified;
        text = where + tr("NOT verified on %1").arg(failures.join(u"; "_s));
    } else if (m_finished && m_operationOk == false) {
        outcome = Outcome::NotVerified;
        text = where + tr("Rollback NOT verified: %1").arg(m_summary->text());
    } else if (allIn || (m_finished && total > 0)) {
        outcome = verified == total ? Outcome::Verified : Outcome::NotVerified;
        // Short enough for one line in the 1366×768 layout; the summary below has the rest.
        text = where + tr("rolled back, %1/%2 LBs verified (%3 ms)")
                           .arg(verified)
                           .arg(total)
                           .arg(m_model->maxElapsedMs());
        if (outcome == Outcome::NotVerified)
            text = where +
                   tr("NOT verified on %1 of %2 load balancers").arg(total - verified).arg(total);
    } else if (total > 0 || m_finished) {
        outcome = Outcome::InProgress;
        text =
            where + tr("Rolling back… %1 of %2 load balancers verified").arg(verified).arg(total);
        if (!failures.isEmpty())
            text += tr(" — failing so far: %1").arg(failures.join(u"; "_s));
    } else {
        text = tr("No rollback in progress");
    }
    m_headline->setText(text);

    // Each state a fixed text/background pair, so it reads on the dark and the light palette.
    QString style;
    switch (outcome) {
    case Outcome::Idle:
        style = u"QLabel { color: %1; }"_s.arg(palette().color(QPalette::PlaceholderText).name());
        break;
    case Outcome::InProgress:
        style = u"QLabel { background: #e09b1a; color: #1b1b1b; border-radius: 4px; }"_s;
        break;
    case Outcome::Verified:
        style = u"QLabel { background: #1e7b34; color: #ffffff; border-radius: 4px; }"_s;
        break;
    case Outcome::NotVerified:
        style = u"QLabel { background: #c62828; color: #ffffff; border-radius: 4px; }"_s;
        break;
    }
    m_headline->setStyleSheet(style);
    if (outcome != m_outcome) {
        m_outcome = outcome;
        Q_EMIT outcomeChanged(outcome);
    }
}

void RollbackProgressPanel::changeEvent(QEvent *event) {
    if (event->type() == QEvent::PaletteChange && m_outcome == Outcome::Idle)
        updateHeadline();
    QWidget::changeEvent(event);
}

} // namespace cutover::ui
