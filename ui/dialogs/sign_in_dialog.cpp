#include "ui/dialogs/sign_in_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

SignInDialog::SignInDialog(const QString &planName, QWidget *parent)
    : QDialog(parent)
    , m_intro(new QLabel(this))
    , m_name(new QLineEdit(this))
    , m_passphrase(new QLineEdit(this))
    , m_message(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this)) {
    setWindowTitle(tr("Sign in — Cutover Console"));
    setAccessibleName(tr("Sign-in dialog"));
    setMinimumWidth(420);

    m_intro->setWordWrap(true);
    m_intro->setAccessibleName(tr("Sign-in introduction"));
    m_intro->setText(planName.isEmpty()
                         ? tr("Sign in with your operator name and passphrase.")
                         : tr("Sign in to <b>%1</b> with your operator name and passphrase.")
                               .arg(planName.toHtmlEscaped()));

    m_name->setAccessibleName(tr("Operator name"));
    m_name->setPlaceholderText(tr("e.g. alice"));
    m_passphrase->setAccessibleName(tr("Passphrase"));
    m_passphrase->setEchoMode(QLineEdit::Password);

    m_message->setAccessibleName(tr("Sign-in message"));
    m_message->setWordWrap(true);
    m_message->setVisible(false);
    QFont bold = m_message->font();
    bold.setBold(true);
    m_message->setFont(bold);

    m_signIn = m_buttons->addButton(tr("&Sign in"), QDialogButtonBox::AcceptRole);
    m_signIn->setAccessibleName(tr("Sign in"));
    m_signIn->setDefault(true);
    // Joins the button box only when offered: Qt 6.4's box shows every button it holds again
    // when the style changes (the war room's theme toggle), hidden or not.
    m_breakGlass = new QPushButton(tr("Break-&glass rollback"), this);
    m_breakGlass->setAccessibleName(tr("Break-glass rollback"));
    m_breakGlass->setVisible(false);
    m_buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel sign-in"));
    m_buttons->setAccessibleName(tr("Sign-in buttons"));

    auto *form = new QFormLayout;
    auto *nameLabel = new QLabel(tr("&Name:"), this);
    nameLabel->setBuddy(m_name);
    auto *passLabel = new QLabel(tr("&Passphrase:"), this);
    passLabel->setBuddy(m_passphrase);
    form->addRow(nameLabel, m_name);
    form->addRow(passLabel, m_passphrase);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_intro);
    layout->addLayout(form);
    layout->addWidget(m_message);
    layout->addWidget(m_buttons);

    connect(m_name, &QLineEdit::textChanged, this, &SignInDialog::updateState);
    connect(m_passphrase, &QLineEdit::textChanged, this, &SignInDialog::updateState);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SignInDialog::request);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_breakGlass, &QPushButton::clicked, this, [this] {
        if (m_breakGlass->isEnabled() && !m_busy)
            Q_EMIT breakGlassRequested(name(), passphrase());
    });
    updateState();
    m_name->setFocus();
}

SignInDialog::~SignInDialog() = default;

void SignInDialog::setName(const QString &name) {
    m_name->setText(name);
    if (!name.isEmpty())
        m_passphrase->setFocus();
}

QString SignInDialog::name() const {
    return m_name->text().trimmed();
}

QString SignInDialog::passphrase() const {
    return m_passphrase->text();
}

void SignInDialog::setMessage(const QString &message) {
    setBusy(false);
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
    if (!message.isEmpty()) {
        m_passphrase->clear();
        m_passphrase->setFocus();
    }
    adjustSize(); // a wrapped message of several lines must not be cut
}

QString SignInDialog::message() const {
    return m_message->text();
}

void SignInDialog::setBusy(bool busy) {
    m_busy = busy;
    m_name->setEnabled(!busy);
    m_passphrase->setEnabled(!busy);
    updateState();
}

void SignInDialog::setChecking(bool checking) {
    // The focus leaves the fields being disabled for the dialog itself, not for the next
    // button: Enter then finds the (disabled) default button and does nothing, instead of
    // pressing Cancel, which would have taken the focus.
    if (checking)
        setFocus(Qt::OtherFocusReason);
    setBusy(checking);
    m_message->setText(checking ? tr("Checking the passphrase…") : QString());
    m_message->setVisible(checking);
}

void SignInDialog::offerBreakGlass(const QString &environment) {
    m_breakGlass->setText(tr("Break-&glass rollback of %1").arg(environment));
    m_breakGlass->setToolTip(
        tr("Locked out of signing in, you can still roll back %1 with your passphrase. Only "
           "the rollback: audited as break-glass and paged at L4.")
            .arg(environment));
    if (!m_buttons->buttons().contains(m_breakGlass))
        m_buttons->addButton(m_breakGlass, QDialogButtonBox::ActionRole);
    m_breakGlass->setVisible(true);
    updateState();
    adjustSize();
}

void SignInDialog::updateState() {
    const bool complete = !m_busy && !name().isEmpty() && !passphrase().isEmpty();
    m_signIn->setEnabled(complete);
    m_breakGlass->setEnabled(complete);
}

void SignInDialog::request() {
    if (!m_signIn->isEnabled() || m_busy)
        return;
    Q_EMIT signInRequested(name(), passphrase());
}

} // namespace cutover::ui
