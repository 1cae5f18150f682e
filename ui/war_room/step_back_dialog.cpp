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
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
    , m_hint(new QLabel(this)) {
    m_hint->setWordWrap(true);
    m_hint->setAccessibleName(tr("Step back message"));
    m_hint->setVisible(false);
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
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (!m_checking)
            Q_EMIT confirmRequested();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_reason, &QLineEdit::textChanged, this, &StepBackDialog::updateState);
    connect(m_passphrase, &QLineEdit::textChanged, this, &StepBackDialog::updateState);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_hint);
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

void StepBackDialog::setChecking(bool checking) {
    m_checking = checking;
    // The focus leaves the fields being disabled for the dialog itself, not for the next
    // button: Enter then finds the (disabled) default button and does nothing, instead of
    // pressing Cancel, which would have taken the focus.
    if (checking)
        setFocus(Qt::OtherFocusReason);
    for (QWidget *field : {static_cast<QWidget *>(m_target), static_cast<QWidget *>(m_reason),
                           static_cast<QWidget *>(m_passphrase)})
        field->setEnabled(!checking);
    m_hint->setText(checking ? tr("Checking the passphrase…") : QString());
    m_hint->setVisible(checking);
    updateState();
}

void StepBackDialog::setMessage(const QString &message) {
    setChecking(false);
    m_hint->setText(message);
    m_hint->setVisible(!message.isEmpty());
    m_passphrase->clear();
    m_passphrase->setFocus();
}

void StepBackDialog::updateState() {
    // The engine checks everything again; this only keeps an empty form from being sent.
    const bool complete = !m_checking && !reason().isEmpty() && !m_passphrase->text().isEmpty() &&
                          m_target->count() > 0;
    for (QAbstractButton *button : m_buttons->buttons()) {
        if (m_buttons->buttonRole(button) == QDialogButtonBox::AcceptRole)
            button->setEnabled(complete);
    }
}

} // namespace cutover::ui
