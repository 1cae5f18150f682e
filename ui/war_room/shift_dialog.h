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
// electronic signature of the change). Confirming emits confirmRequested(): the window checks the
// passphrase off the UI thread (setChecking) and then accepts the dialog and shifts.
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
    // While the passphrase is checked: fields and Shift disabled, the hint says so; Esc works.
    void setChecking(bool checking);
    bool isChecking() const { return m_checking; }
    // Why the confirmation did not go through (the passphrase is cleared for a retry).
    void setMessage(const QString &message);

Q_SIGNALS:
    void confirmRequested();

private:
    void updateState();

    engine::ShiftPreview m_preview;
    QTableWidget *m_table;
    QLineEdit *m_target;
    QLineEdit *m_passphrase;
    QLabel *m_hint;
    QDialogButtonBox *m_buttons;
    QString m_message;
    bool m_checking = false;
};

} // namespace cutover::ui
