#include "ui/dialogs/sign_off_dialog.h"

#include "models/gate_checklist_model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

using models::GateChecklistModel;

SignOffDialog::SignOffDialog(const QString &environment, const engine::GateStatus &gate,
                             const QString &printedName, const QStringList &eligibleRoles,
                             QWidget *parent)
    : QDialog(parent)
    , m_environment(environment)
    , m_gate(gate)
    , m_printedName(printedName)
    , m_gateTitle(new QLabel(this))
    , m_items(new QTreeWidget(this))
    , m_name(new QLabel(printedName, this))
    , m_role(new QComboBox(this))
    , m_meaning(new QComboBox(this))
    , m_comment(new QPlainTextEdit(this))
    , m_acknowledge(new QCheckBox(this))
    , m_passphrase(new QLineEdit(this))
    , m_statement(new QLabel(this))
    , m_message(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this)) {
    setWindowTitle(tr("Sign %1").arg(gate.title));
    setAccessibleName(tr("Sign-off dialog"));
    setMinimumWidth(620);

    QFont titleFont = m_gateTitle->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    m_gateTitle->setFont(titleFont);
    m_gateTitle->setWordWrap(true);
    m_gateTitle->setText(tr("%1 — %2").arg(gate.title, environment));
    m_gateTitle->setAccessibleName(tr("Gate being signed"));

    m_items->setAccessibleName(tr("Items of the gate and their states"));
    m_items->setColumnCount(3);
    m_items->setHeaderLabels({tr("Item"), tr("State"), tr("Detail")});
    m_items->setRootIsDecorated(false);
    m_items->setUniformRowHeights(true);
    m_items->setAlternatingRowColors(true);
    m_items->setSelectionMode(QAbstractItemView::NoSelection);
    m_items->header()->setStretchLastSection(true);
    m_items->setMinimumHeight(140);

    m_name->setAccessibleName(tr("Printed name"));
    m_name->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont nameFont = m_name->font();
    nameFont.setBold(true);
    m_name->setFont(nameFont);

    m_role->addItems(eligibleRoles);
    // Stays enabled with a single role: a disabled box reads as "not applicable" and greys out
    // the very text being signed.
    m_role->setAccessibleName(tr("Role signed in"));

    m_meaning->setEditable(true);
    m_meaning->addItems(standardMeanings());
    m_meaning->setCurrentIndex(-1);
    m_meaning->lineEdit()->setPlaceholderText(tr("Choose or type the meaning"));
    m_meaning->setAccessibleName(tr("Meaning of the signature"));
    m_meaning->setInsertPolicy(QComboBox::NoInsert);

    m_comment->setAccessibleName(tr("Comment"));
    m_comment->setPlaceholderText(tr("Optional: anything the record should carry"));
    m_comment->setTabChangesFocus(true);
    m_comment->setFixedHeight(m_comment->fontMetrics().lineSpacing() * 3 + 12);

    m_acknowledge->setAccessibleName(tr("Acknowledge the marginal score"));
    m_acknowledge->setVisible(false);

    m_passphrase->setEchoMode(QLineEdit::Password);
    m_passphrase->setAccessibleName(tr("Passphrase"));
    m_passphrase->setPlaceholderText(tr("Your passphrase, to sign"));

    m_statement->setWordWrap(true);
    m_statement->setAccessibleName(tr("Signature statement"));
    m_statement->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statement->setFrameShape(QFrame::StyledPanel);
    m_statement->setMargin(6);

    m_message->setWordWrap(true);
    m_message->setAccessibleName(tr("Sign-off message"));
    m_message->setVisible(false);
    {
        QFont font = m_message->font();
        font.setBold(true);
        m_message->setFont(font);
    }

    m_signButton = m_buttons->addButton(tr("&Sign"), QDialogButtonBox::AcceptRole);
    m_signButton->setAccessibleName(tr("Sign the gate"));
    m_signButton->setDefault(true);
    m_buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel signing"));
    m_buttons->setAccessibleName(tr("Sign-off buttons"));

    auto *form = new QFormLayout;
    auto addRow = [&](const QString &label, QWidget *field) {
        auto *labelWidget = new QLabel(label, this);
        labelWidget->setBuddy(field);
        form->addRow(labelWidget, field);
    };
    auto *environmentLabel = new QLabel(environment, this);
    environmentLabel->setAccessibleName(tr("Environment"));
    auto *whenLabel = new QLabel(tr("the moment you press Sign, in UTC"), this);
    whenLabel->setAccessibleName(tr("Date and time of the signature"));
    addRow(tr("Environment:"), environmentLabel);
    addRow(tr("Printed name:"), m_name);
    addRow(tr("&Role:"), m_role);
    addRow(tr("&Meaning:"), m_meaning);
    addRow(tr("C&omment:"), m_comment);
    form->addRow(QString(), m_acknowledge);
    addRow(tr("Date and time:"), whenLabel);
    addRow(tr("&Passphrase:"), m_passphrase);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_gateTitle);
    auto *itemsLabel = new QLabel(tr("What you sign, as it stands now:"), this);
    itemsLabel->setBuddy(m_items);
    layout->addWidget(itemsLabel);
    layout->addWidget(m_items, 1);
    layout->addLayout(form);
    layout->addWidget(m_statement);
    layout->addWidget(m_message);
    layout->addWidget(m_buttons);

    connect(m_meaning, &QComboBox::currentTextChanged, this, &SignOffDialog::updateState);
    connect(m_role, &QComboBox::currentTextChanged, this, &SignOffDialog::updateState);
    connect(m_passphrase, &QLineEdit::textChanged, this, &SignOffDialog::updateState);
    connect(m_comment, &QPlainTextEdit::textChanged, this, &SignOffDialog::updateState);
    connect(m_acknowledge, &QCheckBox::toggled, this, &SignOffDialog::updateState);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SignOffDialog::requestSign);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    fillItems();
    updateState();
    m_meaning->setFocus();
}

SignOffDialog::~SignOffDialog() = default;

QStringList SignOffDialog::standardMeanings() {
    return {tr("Approved"), tr("Reviewed"), tr("Verified")};
}

void SignOffDialog::setGate(const engine::GateStatus &gate) {
    m_gate = gate;
    fillItems();
    updateState();
}

void SignOffDialog::setChecking(bool checking) {
    m_checking = checking;
    // The focus leaves the fields being disabled for the dialog itself, not for the next
    // button: Enter then finds the (disabled) default button and does nothing, instead of
    // pressing Cancel, which would have taken the focus.
    if (checking)
        setFocus(Qt::OtherFocusReason);
    for (QWidget *field : {static_cast<QWidget *>(m_role), static_cast<QWidget *>(m_meaning),
                           static_cast<QWidget *>(m_comment), static_cast<QWidget *>(m_passphrase),
                           static_cast<QWidget *>(m_acknowledge)})
        field->setEnabled(!checking);
    m_message->setText(checking ? tr("Checking the passphrase…") : QString());
    m_message->setVisible(checking);
    updateState();
}

void SignOffDialog::setMessage(const QString &message) {
    setChecking(false);
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
    if (!message.isEmpty()) {
        m_passphrase->clear();
        m_passphrase->setFocus();
    }
}

QString SignOffDialog::role() const {
    return m_role->currentText();
}

QString SignOffDialog::meaning() const {
    return m_meaning->currentText().trimmed();
}

QString SignOffDialog::comment() const {
    return m_comment->toPlainText().trimmed();
}

QString SignOffDialog::passphrase() const {
    return m_passphrase->text();
}

bool SignOffDialog::acknowledgesMarginal() const {
    return m_gate.isMarginal() && m_acknowledge->isChecked();
}

bool SignOffDialog::canSign() const {
    if (m_checking)
        return false;
    if (m_gate.isMarginal() && (!m_acknowledge->isChecked() || comment().isEmpty()))
        return false;
    return !meaning().isEmpty() && !passphrase().isEmpty() && !role().isEmpty();
}

QString SignOffDialog::statement() const {
    return m_statement->text();
}

void SignOffDialog::fillItems() {
    m_items->clear();
    for (const engine::CheckStatus &check : m_gate.checks) {
        auto *item = new QTreeWidgetItem(m_items);
        item->setText(0, check.title);
        item->setIcon(0, GateChecklistModel::stateIcon(check.state));
        item->setText(1, GateChecklistModel::stateText(check.state, check.kind));
        item->setText(2, GateChecklistModel::checkDetail(check));
        item->setToolTip(2, GateChecklistModel::checkDetail(check));
    }
    if (m_gate.score) {
        // The compare checks' score is what decides for them: shown as an item of its own.
        auto *item = new QTreeWidgetItem(m_items);
        const auto state = GateChecklistModel::scoreState(*m_gate.score);
        item->setText(0, tr("Parity score"));
        item->setIcon(0, GateChecklistModel::stateIcon(state));
        item->setText(1, analysis::gateClassName(m_gate.score->classification));
        item->setText(2, m_gate.score->reason);
        item->setToolTip(2, m_gate.score->reason);
    }
    for (const engine::SignatureStatus &signature : m_gate.signatures) {
        auto *item = new QTreeWidgetItem(m_items);
        const auto state =
            signature.signOff ? engine::CheckStatus::State::Pass : engine::CheckStatus::State::Open;
        item->setText(0, tr("Sign-off: %1").arg(signature.role));
        item->setIcon(0, GateChecklistModel::stateIcon(state));
        item->setText(1, signature.signOff ? tr("signed") : tr("awaiting"));
        item->setText(2, GateChecklistModel::signatureDetail(signature));
    }
    m_items->resizeColumnToContents(0);
    m_items->resizeColumnToContents(1);

    const bool marginal = m_gate.isMarginal();
    m_acknowledge->setVisible(marginal);
    if (marginal) {
        m_acknowledge->setText(
            tr("I &acknowledge the marginal parity score %1 (pass needs %2); the comment says why")
                .arg(analysis::formatScore(m_gate.score->score),
                     analysis::formatScore(m_gate.score->thresholds.pass)));
    } else {
        m_acknowledge->setChecked(false);
    }
    m_comment->setPlaceholderText(marginal ? tr("Required: why the marginal score is acceptable")
                                           : tr("Optional: anything the record should carry"));
}

void SignOffDialog::updateState() {
    const QString meaningText = meaning().isEmpty() ? tr("(choose a meaning)") : meaning();
    const QString roleText = role().isEmpty() ? tr("(no eligible role)") : role();
    int passing = 0;
    for (const auto &check : m_gate.checks)
        passing += check.state == engine::CheckStatus::State::Pass ? 1 : 0;
    m_statement->setText(
        tr("By signing you confirm that you, %1, acting as %2, sign “%3” for %4 with the meaning "
           "“%5”, having reviewed the %6 items above (%7 of %6 passing). This electronic "
           "signature is recorded with your printed name, the date and time (UTC) and its "
           "meaning, and is linked to this record: it is the equivalent of your handwritten "
           "signature.")
            .arg(m_printedName, roleText, m_gate.title, m_environment, meaningText)
            .arg(m_gate.checks.size())
            .arg(passing));
    m_signButton->setEnabled(canSign());
}

void SignOffDialog::requestSign() {
    if (!canSign())
        return;
    m_message->setVisible(false);
    Q_EMIT signRequested(role(), meaning(), comment(), passphrase(), acknowledgesMarginal());
}

} // namespace cutover::ui
