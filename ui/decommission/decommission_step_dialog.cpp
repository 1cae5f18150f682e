#include "ui/decommission/decommission_step_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

using namespace Qt::StringLiterals;

namespace cutover::ui {

DecommissionStepDialog::DecommissionStepDialog(const Spec &spec, QWidget *parent)
    : QDialog(parent)
    , m_spec(spec) {
    const bool run = spec.mode == Mode::Run;
    setWindowTitle(run ? tr("Run decommission step") : tr("Approve decommission step"));
    auto *layout = new QVBoxLayout(this);
    auto *heading = new QLabel(
        run ? tr("<b>%1</b> in <b>%2</b>").arg(spec.title.toHtmlEscaped(), spec.environment)
            : tr("Approve <b>%1</b> in <b>%2</b> as %3")
                  .arg(spec.title.toHtmlEscaped(), spec.environment,
                       spec.printedName.toHtmlEscaped()),
        this);
    heading->setWordWrap(true);
    layout->addWidget(heading);
    auto *form = new QFormLayout;
    layout->addLayout(form);
    if (run) {
        if (!spec.evidenceKind.isEmpty() && spec.evidenceKind != u"none") {
            m_evidence = new QLineEdit(this);
            m_evidence->setPlaceholderText(spec.evidenceKind == u"file"  ? tr("path of the file")
                                           : spec.evidenceKind == u"url" ? tr("https://…")
                                                                         : tr("what was done"));
            form->addRow(tr("&Evidence (%1):").arg(spec.evidenceKind), m_evidence);
            connect(m_evidence, &QLineEdit::textChanged, this, [this] { updateOk(); });
        }
        if (!spec.confirmation.isEmpty()) {
            auto *warning = new QLabel(tr("This step cannot be undone: after it, Rollback is "
                                          "refused. Type exactly:<br><code>%1</code>")
                                           .arg(spec.confirmation.toHtmlEscaped()),
                                       this);
            warning->setWordWrap(true);
            warning->setTextInteractionFlags(Qt::TextSelectableByMouse);
            form->addRow(warning);
            m_confirmation = new QLineEdit(this);
            m_confirmation->setAccessibleName(tr("Confirmation"));
            form->addRow(tr("&Confirmation:"), m_confirmation);
            connect(m_confirmation, &QLineEdit::textChanged, this, [this] { updateOk(); });
        }
        m_permanence = new QLineEdit(this);
        m_permanence->setPlaceholderText(
            tr("only if the LBs keep a server-state-file (asked when needed)"));
        form->addRow(tr("&Permanence:"), m_permanence);
    } else {
        m_role = new QComboBox(this);
        m_role->addItems(spec.roles);
        form->addRow(tr("&Role:"), m_role);
        m_passphrase = new QLineEdit(this);
        m_passphrase->setEchoMode(QLineEdit::Password);
        form->addRow(tr("&Passphrase:"), m_passphrase);
        connect(m_passphrase, &QLineEdit::textChanged, this, [this] { updateOk(); });
    }
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_message);
    m_progress = new QProgressBar(this);
    m_progress->setAccessibleName(tr("Step progress"));
    m_progress->hide();
    layout->addWidget(m_progress);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(run ? tr("&Run") : tr("&Approve"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (m_buttons->button(QDialogButtonBox::Ok)->isEnabled())
            Q_EMIT requested();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    updateOk();
    setMinimumWidth(520);
}

QString DecommissionStepDialog::evidence() const {
    return m_evidence ? m_evidence->text().trimmed() : QString();
}
QString DecommissionStepDialog::confirmation() const {
    return m_confirmation ? m_confirmation->text() : QString();
}
QString DecommissionStepDialog::permanence() const {
    return m_permanence ? m_permanence->text().trimmed() : QString();
}
QString DecommissionStepDialog::role() const {
    return m_role ? m_role->currentText() : QString();
}
QString DecommissionStepDialog::passphrase() const {
    return m_passphrase ? m_passphrase->text() : QString();
}

void DecommissionStepDialog::updateOk() {
    bool ok = true;
    if (m_evidence)
        ok = ok && !evidence().isEmpty();
    if (m_confirmation)
        ok = ok && m_confirmation->text() == m_spec.confirmation;
    if (m_passphrase)
        ok = ok && !m_passphrase->text().isEmpty() && m_role->count() > 0;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

void DecommissionStepDialog::setChecking(bool checking) {
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!checking);
    if (checking)
        m_message->setText(m_spec.mode == Mode::Run ? tr("Running… (the dialog closes when the "
                                                         "step is recorded)")
                                                    : tr("Checking the passphrase…"));
    else
        updateOk();
}

void DecommissionStepDialog::setMessage(const QString &text) {
    m_message->setText(text);
}

void DecommissionStepDialog::setProgress(qint64 done, qint64 total, const QString &unit) {
    // QProgressBar counts in int: a step reports counts of files, URLs or queries.
    constexpr qint64 kMost = std::numeric_limits<int>::max();
    m_progress->setRange(0, int(std::clamp<qint64>(total, 1, kMost)));
    m_progress->setValue(int(std::clamp<qint64>(done, 0, kMost)));
    m_progress->setFormat(tr("%1 of %2 %3").arg(done).arg(total).arg(unit));
    m_progress->show();
}

} // namespace cutover::ui
