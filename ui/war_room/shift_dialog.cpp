#include "ui/war_room/shift_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QIntValidator>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

ShiftDialog::ShiftDialog(const engine::ShiftPreview &preview, const QString &printedName,
                         QWidget *parent)
    : QDialog(parent)
    , m_preview(preview)
    , m_table(new QTableWidget(this))
    , m_target(new QLineEdit(this))
    , m_passphrase(new QLineEdit(this))
    , m_hint(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this)) {
    setWindowTitle(tr("Shift %1 to %2%").arg(preview.environment).arg(preview.toPercent));
    setAccessibleName(windowTitle());

    auto *intro = new QLabel(
        tr("<b>%1: %2% → %3% of telemetry on OpenTelemetry.</b><br>These weights will be set "
           "on every load balancer, read back and verified. Realized share: <b>%4%</b>.")
            .arg(preview.environment)
            .arg(preview.fromPercent)
            .arg(preview.toPercent)
            .arg(QString::number(preview.realizedShare * 100.0, 'f', 2)),
        this);
    intro->setWordWrap(true);

    // One row per server, one column per LB: "before → after".
    const QStringList servers = preview.after.keys();
    m_table->setRowCount(int(servers.size()));
    m_table->setColumnCount(int(preview.loadBalancers.size()));
    QStringList headers;
    for (const auto &lb : preview.loadBalancers)
        headers.append(lb.lb);
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setVerticalHeaderLabels(servers);
    for (int col = 0; col < preview.loadBalancers.size(); ++col) {
        const auto &lb = preview.loadBalancers.at(col);
        for (int row = 0; row < servers.size(); ++row) {
            const QString server = servers.at(row);
            const int after = preview.after.value(server);
            const QString before =
                lb.before.contains(server) ? QString::number(lb.before.value(server)) : tr("?");
            auto *item = new QTableWidgetItem(u"%1 → %2"_s.arg(before).arg(after));
            item->setFlags(Qt::ItemIsEnabled);
            if (before != QString::number(after)) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
            }
            m_table->setItem(row, col, item);
        }
    }
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setAccessibleName(tr("Weight changes per load balancer"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);

    m_target->setValidator(new QIntValidator(1, 100, m_target));
    m_target->setPlaceholderText(QString::number(preview.toPercent));
    m_target->setAccessibleName(tr("Type the target percent to confirm"));
    m_passphrase->setEchoMode(QLineEdit::Password);
    m_passphrase->setAccessibleName(tr("Passphrase"));
    m_hint->setWordWrap(true);

    auto *form = new QFormLayout;
    form->addRow(tr("Type the target (&%):").replace(u"&%"_s, u"%"_s), m_target);
    form->addRow(tr("&Passphrase of %1:").arg(printedName), m_passphrase);

    auto *shift = m_buttons->addButton(tr("&Shift to %1%").arg(preview.toPercent),
                                       QDialogButtonBox::AcceptRole);
    shift->setAccessibleName(tr("Confirm the shift"));
    shift->setDefault(true);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (!m_checking)
            Q_EMIT confirmRequested();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_target, &QLineEdit::textChanged, this, &ShiftDialog::updateState);
    connect(m_passphrase, &QLineEdit::textChanged, this, &ShiftDialog::updateState);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_table, 1);
    layout->addLayout(form);
    layout->addWidget(m_hint);
    layout->addWidget(m_buttons);
    resize(640, 420);
    m_target->setFocus();
    updateState();
}

int ShiftDialog::typedPercent() const {
    bool ok = false;
    const int value = m_target->text().trimmed().toInt(&ok);
    return ok ? value : -1;
}

QString ShiftDialog::passphrase() const {
    return m_passphrase->text();
}

void ShiftDialog::setChecking(bool checking) {
    m_checking = checking;
    // The focus leaves the fields being disabled for the dialog itself, not for the next
    // button: Enter then finds the (disabled) default button and does nothing, instead of
    // pressing Cancel, which would have taken the focus.
    if (checking)
        setFocus(Qt::OtherFocusReason);
    m_target->setEnabled(!checking);
    m_passphrase->setEnabled(!checking);
    if (checking)
        m_message.clear();
    updateState();
}

void ShiftDialog::setMessage(const QString &message) {
    m_checking = false;
    m_message = message;
    m_target->setEnabled(true);
    m_passphrase->setEnabled(true);
    m_passphrase->clear(); // updates the state
    m_passphrase->setFocus();
    updateState();
}

void ShiftDialog::updateState() {
    const bool typed = typedPercent() == m_preview.toPercent;
    const bool ready = typed && !m_passphrase->text().isEmpty() && !m_checking;
    if (m_checking)
        m_hint->setText(tr("Checking the passphrase…"));
    else if (!m_message.isEmpty() && m_passphrase->text().isEmpty())
        m_hint->setText(m_message);
    else if (!m_target->text().isEmpty() && !typed)
        m_hint->setText(tr("Type %1 to confirm the target.").arg(m_preview.toPercent));
    else if (!ready)
        m_hint->setText(tr("Type the target and your passphrase to sign this change."));
    else
        m_hint->setText(tr("Press Enter to shift."));
    for (QAbstractButton *button : m_buttons->buttons()) {
        if (m_buttons->buttonRole(button) == QDialogButtonBox::AcceptRole)
            button->setEnabled(ready);
    }
}

} // namespace cutover::ui
