#include "ui/decommission/decommission_panel.h"

#include "models/decommission_steps_model.h"
#include "ui/decommission/decommission_step_dialog.h"
#include "ui/dialogs/passphrase_check.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {

// The refusals the dialog itself answers (the typed confirmation, the evidence) are not shown
// beside the button: the dialog asks for them.
engine::Refusals beforeTheDialog(engine::Refusals refused) {
    refused.removeIf([](const engine::Refusal &r) {
        return r.code == engine::RefusalCode::StepConfirmationMismatch ||
               r.code == engine::RefusalCode::StepEvidenceMissing;
    });
    return refused;
}

QString money(double amount, const QString &currency) {
    return u"%1 %2"_s.arg(QLocale().toString(amount, 'f', 0), currency);
}

} // namespace

DecommissionPanel::DecommissionPanel(engine::CutoverEngine &engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_model(new models::DecommissionStepsModel(this))
    , m_view(new QTableView(this))
    , m_approve(new QPushButton(tr("A&pprove…"), this))
    , m_run(new QPushButton(tr("R&un step…"), this))
    , m_refusals(new QLabel(this))
    , m_cost(new QLabel(this))
    , m_saving(new QProgressBar(this))
    , m_pointOfNoReturn(new QLabel(this)) {
    auto *layout = new QVBoxLayout(this);
    m_pointOfNoReturn->setWordWrap(true);
    m_pointOfNoReturn->setStyleSheet(u"color: #b71c1c; font-weight: bold;"_s);
    m_pointOfNoReturn->hide();
    layout->addWidget(m_pointOfNoReturn);

    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->setWordWrap(false);
    m_view->setAccessibleName(tr("Decommission steps"));
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_view, 1);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this] { updateButtons(); });

    auto *actions = new QHBoxLayout;
    actions->addWidget(m_approve);
    actions->addWidget(m_run);
    m_refusals->setWordWrap(true);
    m_refusals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    actions->addWidget(m_refusals, 1);
    layout->addLayout(actions);
    connect(m_run, &QPushButton::clicked, this, &DecommissionPanel::runSelected);
    connect(m_approve, &QPushButton::clicked, this, &DecommissionPanel::approveSelected);

    auto *cost = new QHBoxLayout;
    m_cost->setTextFormat(Qt::RichText);
    cost->addWidget(m_cost, 1);
    m_saving->setRange(0, 1000); // tenths of a percent of the baseline
    m_saving->setMaximumWidth(280);
    m_saving->setAccessibleName(tr("Saving realized, percent of the baseline"));
    cost->addWidget(m_saving);
    layout->addLayout(cost);

    connect(&m_engine, &engine::CutoverEngine::decommissionStepProgress, this,
            [this](const QString &environment, const QString &step, qint64 done, qint64 total,
                   const QString &unit) {
                if (environment != m_environment)
                    return;
                m_model->setStepProgress(step, tr("%1 of %2 %3").arg(done).arg(total).arg(unit));
                if (m_dialog && step == m_dialogStep)
                    m_dialog->setProgress(done, total, unit);
            });
}

void DecommissionPanel::setEnvironment(const QString &environment) {
    m_environment = environment;
    refresh();
}

void DecommissionPanel::setOperator(const std::optional<engine::Operator> &who) {
    m_operator = who;
    updateButtons();
}

void DecommissionPanel::refresh() {
    const auto progress = m_engine.decommissionProgress(m_environment);
    m_model->setProgress(progress, m_engine.currentTime());
    if (!m_view->currentIndex().isValid() && m_model->rowCount() > 0) {
        // The first step not done.
        int row = 0;
        for (; row < m_model->rowCount(); ++row) {
            if (m_model->index(row, 0).data(models::DecommissionStepsModel::StateRole).toInt() !=
                int(decommission::StepState::Done))
                break;
        }
        m_view->setCurrentIndex(m_model->index(qMin(row, m_model->rowCount() - 1), 0));
    }
    if (progress.pointOfNoReturn) {
        m_pointOfNoReturn->setText(
            tr("Past the point of no return: '%1' started %2 by %3. Rollback is refused.")
                .arg(progress.pointOfNoReturn->stepTitle,
                     progress.pointOfNoReturn->at.toUTC().toString(u"yyyy-MM-dd HH:mm 'UTC'"_s),
                     progress.pointOfNoReturn->by));
        m_pointOfNoReturn->show();
    } else {
        m_pointOfNoReturn->hide();
    }
    const auto cost = m_engine.decommissionCost(m_environment);
    m_cost->setText(tr("<b>Cost</b> before: %1/month · retired so far: %2/month "
                       "(<b>%3%</b> of the baseline) · after: %4/month · target %5–%6% · "
                       "planned %7%")
                        .arg(money(cost.baselinePerMonth, cost.currency),
                             money(cost.retiredPerMonth, cost.currency))
                        .arg(cost.realizedPercent(), 0, 'f', 1)
                        .arg(money(cost.baselinePerMonth - cost.retiredPerMonth, cost.currency))
                        .arg(cost.targetLowPercent)
                        .arg(cost.targetHighPercent)
                        .arg(cost.plannedPercent(), 0, 'f', 1));
    m_saving->setValue(int(cost.realizedPercent() * 10));
    m_saving->setFormat(tr("%1% saved").arg(cost.realizedPercent(), 0, 'f', 1));
    updateButtons();
}

QString DecommissionPanel::selectedStep() const {
    return m_view->currentIndex()
        .siblingAtColumn(0)
        .data(models::DecommissionStepsModel::StepIdRole)
        .toString();
}

void DecommissionPanel::updateButtons() {
    const QString step = selectedStep();
    if (step.isEmpty() || !m_operator) {
        m_run->setEnabled(false);
        m_approve->setEnabled(false);
        m_refusals->setText(m_operator ? QString() : tr("Sign in to run or approve steps."));
        return;
    }
    const engine::Refusals run =
        beforeTheDialog(m_engine.decommissionRefusals(m_environment, step, *m_operator));
    QStringList approveRoles;
    const config::DecommissionStep *s = m_engine.plan().decommission.step(step);
    for (const QString &role : s ? s->approvals : QStringList()) {
        if (m_engine.approvalRefusals(m_environment, step, *m_operator, role).isEmpty())
            approveRoles.append(role);
    }
    m_run->setEnabled(run.isEmpty() && !m_dialog);
    m_approve->setEnabled(!approveRoles.isEmpty() && !m_dialog);
    m_refusals->setText(engine::texts(run).join(u'\n'));
}

void DecommissionPanel::runSelected() {
    const QString step = selectedStep();
    const config::DecommissionStep *s = m_engine.plan().decommission.step(step);
    if (!s || !m_operator || m_dialog)
        return;
    DecommissionStepDialog::Spec spec;
    spec.mode = DecommissionStepDialog::Mode::Run;
    spec.environment = m_environment;
    spec.title = s->title;
    spec.evidenceKind = config::evidenceName(s->evidence);
    spec.confirmation = m_engine.decommissionConfirmation(m_environment, step);
    spec.printedName = m_operator->printedName;
    auto *dialog = new DecommissionStepDialog(spec, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialog = dialog;
    m_dialogStep = step;
    connect(dialog, &QDialog::finished, this, [this] {
        m_dialog.clear();
        updateButtons();
    });
    connect(dialog, &DecommissionStepDialog::requested, this, [this, dialog, step] {
        dialog->setChecking(true);
        engine::CutoverEngine::DecommissionRequest request;
        request.evidence = dialog->evidence();
        request.confirmation = dialog->confirmation();
        request.permanenceEvidence = dialog->permanence();
        QPointer<DecommissionStepDialog> guarded(dialog);
        m_engine.runDecommissionStep(m_environment, step, *m_operator, request,
                                     [this, guarded, step](const engine::ActionOutcome &outcome) {
                                         if (!guarded)
                                             return;
                                         if (!outcome.ok) {
                                             guarded->setChecking(false);
                                             guarded->setMessage(outcome.message());
                                             return;
                                         }
                                         Q_EMIT message(
                                             tr("Decommission step '%1' recorded").arg(step));
                                         guarded->accept();
                                         refresh();
                                     });
    });
    dialog->open();
}

void DecommissionPanel::approveSelected() {
    const QString step = selectedStep();
    const config::DecommissionStep *s = m_engine.plan().decommission.step(step);
    if (!s || !m_operator || m_dialog)
        return;
    DecommissionStepDialog::Spec spec;
    spec.mode = DecommissionStepDialog::Mode::Approve;
    spec.environment = m_environment;
    spec.title = s->title;
    spec.printedName = m_operator->printedName;
    for (const QString &role : s->approvals) {
        if (m_engine.approvalRefusals(m_environment, step, *m_operator, role).isEmpty())
            spec.roles.append(role);
    }
    auto *dialog = new DecommissionStepDialog(spec, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialog = dialog;
    connect(dialog, &QDialog::finished, this, [this] {
        m_dialog.clear();
        updateButtons();
    });
    connect(dialog, &DecommissionStepDialog::requested, this, [this, dialog, step] {
        dialog->setChecking(true);
        const engine::Operator who = *m_operator;
        const QString role = dialog->role();
        whenPassphraseChecked(
            dialog, m_engine.checkPassphrase(who.name, dialog->passphrase()),
            [this, dialog, step, who, role](const store::PassphraseProof &proof) {
                QPointer<DecommissionStepDialog> guarded(dialog);
                m_engine.approveDecommissionStep(
                    m_environment, step, role, who, proof,
                    [this, guarded, step](const engine::ActionOutcome &outcome) {
                        if (!guarded)
                            return;
                        if (!outcome.ok) {
                            guarded->setChecking(false);
                            guarded->setMessage(outcome.message());
                            return;
                        }
                        Q_EMIT message(tr("Approval of '%1' recorded").arg(step));
                        guarded->accept();
                        refresh();
                    });
            },
            [dialog] { dialog->setMessage(passphraseCheckDiscardedText()); });
    });
    dialog->open();
}

} // namespace cutover::ui
