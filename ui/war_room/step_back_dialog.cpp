#include "ui/war_room/step_back_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

StepBackDialog::StepBackDialog(const QString &environment, int currentPercent,
                               const QList<int> &earlierPercents, const QString &printedName,
                               QWidget *parent)
    : QDialog(parent)
    , m_target(new QComboBox(this))
    , m_reason(new QLineEdit(this))
    , m_passphrase(new QLineEdit(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this)) {
    setWindowTitle(tr("Step back — %1").arg(environment));
    setWindowModality(Qt::WindowModal);
    setMinimumWidth(480); // a reason of a sentence stays readable
    auto *intro = new QLabel(
        tr("<p>Return <b>%1</b> from %2% to an earlier stage, then stabilize and validate it "
           "like a shift. The gates of the stages left behind are voided.</p>"
           "<p>This is a planned change, not the emergency: <b>Roll back</b> (Ctrl+Shift+R, "
           "Enter) still returns everything to legacy at once.</p>")
            .arg(environment.toHtmlEscaped())
            .arg(currentPercent),
        this);
    intro->setWordWrap(true);
    for (int percent : earlierPercents)
        m_target->addItem(tr("%1% OTel").arg(percent), percent);
    m_target->setAccessibleName(tr("Stage to return to"));
    m_reason->setPlaceholderText(tr("why, for the audit log (required)"));
    m_reason->setAccessibleName(tr("Reason"));
    m_passphrase->setEchoMode(QLineEdit::Password);
    m_passphrase->setAccessibleName(tr("Passphrase of %1").arg(printedName));

    auto *form = new QFormLayout;
    form->addRow(tr("Back &to:"), m_target);
    form->addRow(tr("&Reason:"), m_reason);
    form->addRow(tr("&Passphrase (%1):").arg(printedName.toHtmlEscaped()), m_passphrase);

    auto *confirm = m_buttons->addButton(tr("Step &back"), QDialogButtonBox::AcceptRole);
    confirm->setDefault(true);
    confirm->setAccessibleName(tr("Step back to the chosen stage"));
    m_buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel the step back"));
    m_buttons->setAccessibleName(tr("Step back buttons"));
    setAccessibleName(tr("Step back dialog"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_reason, &QLineEdit::textChanged, this, &StepBackDialog::updateState);
    connect(m_passphrase, &QLineEdit::textChanged, this, &StepBackDialog::updateState);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_buttons);
    m_reason->setFocus();
    updateState();
}

int StepBackDialog::percent() const {
    return m_target->currentData().toInt();
}

QString StepBackDialog::reason() const {
    return m_reason->text().trimmed();
}

QString StepBackDialog::passphrase() const {
    return m_passphrase->text();
}

void StepBackDialog::updateState() {
    // The engine checks everything again; this only keeps an empty form from being sent.
    const bool complete =
        !reason().isEmpty() && !m_passphrase->text().isEmpty() && m_target->count() > 0;
    for (QAbstractButton *button : m_buttons->buttons()) {
        if (m_buttons->buttonRole(button) == QDialogButtonBox::AcceptRole)
            button->setEnabled(complete);
    }
}

} // namespace cutover::ui
