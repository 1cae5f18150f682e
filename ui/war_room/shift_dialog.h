#pragma once

#include "app/cutover/cutover_engine.h"

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QTableWidget;

namespace cutover::ui {

// The confirmation of a shift: exactly what will change on every load balancer (before →
// after, per server), the realized share, the target typed by hand and the passphrase (an
// electronic signature of the change).
class ShiftDialog : public QDialog {
    Q_OBJECT
public:
    ShiftDialog(const engine::ShiftPreview &preview, const QString &printedName,
                QWidget *parent = nullptr);

    int typedPercent() const;
    QString passphrase() const;
    QLineEdit *targetEdit() const { return m_target; }
    QLineEdit *passphraseEdit() const { return m_passphrase; }
    QTableWidget *weightsTable() const { return m_table; }
    QDialogButtonBox *buttons() const { return m_buttons; }

private:
    void updateState();

    engine::ShiftPreview m_preview;
    QTableWidget *m_table;
    QLineEdit *m_target;
    QLineEdit *m_passphrase;
    QLabel *m_hint;
    QDialogButtonBox *m_buttons;
};

} // namespace cutover::ui
