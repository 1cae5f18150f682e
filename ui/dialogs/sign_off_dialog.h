#pragma once

#include "app/cutover/gate_status.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace cutover::ui {

// An electronic signature on a gate (21 CFR Part 11 §11.50): shows exactly what is signed (the
// gate, every item with its state at this moment), the printed name, the role, the meaning, an
// optional comment, and asks for the passphrase. Sign stays disabled until a meaning is chosen or
// typed and a passphrase is entered.
//
// Pressing Sign emits signRequested() and keeps the dialog open: the window asks the engine and
// then calls accept() on success, or setMessage() with the refusal (the passphrase is cleared so
// a retry types it again).
class SignOffDialog : public QDialog {
    Q_OBJECT
public:
    // `eligibleRoles`: the operator's roles that sign this gate; a choice when more than one.
    SignOffDialog(const QString &environment, const engine::GateStatus &gate,
                  const QString &printedName, const QStringList &eligibleRoles,
                  QWidget *parent = nullptr);
    ~SignOffDialog() override;

    // The meanings offered; any other text may be typed.
    static QStringList standardMeanings();

    // Refreshes the items shown (a new snapshot while the dialog is open).
    void setGate(const engine::GateStatus &gate);
    // Shows a refusal or error (wrong passphrase, a guard) without closing; clears the passphrase.
    void setMessage(const QString &message);
    // While the passphrase is checked (off the UI thread): Sign and the fields are disabled and
    // the dialog says so; Esc still closes it.
    void setChecking(bool checking);
    bool isChecking() const { return m_checking; }

    const QString &environment() const { return m_environment; }
    const QString &gateId() const { return m_gate.id; }
    const QString &printedName() const { return m_printedName; }
    QString role() const;
    QString meaning() const;
    QString comment() const;
    QString passphrase() const;
    // A marginal score: the signer ticks the acknowledgement and says why in the comment.
    bool acknowledgesMarginal() const;
    // The confirmation statement as shown, for the record and for tests.
    QString statement() const;
    bool canSign() const;

    QComboBox *roleBox() const { return m_role; }
    QComboBox *meaningBox() const { return m_meaning; }
    QPlainTextEdit *commentEdit() const { return m_comment; }
    QLineEdit *passphraseEdit() const { return m_passphrase; }
    QPushButton *signButton() const { return m_signButton; }
    QCheckBox *acknowledgeBox() const { return m_acknowledge; }
    QLabel *messageLabel() const { return m_message; }
    QTreeWidget *itemsView() const { return m_items; }

Q_SIGNALS:
    void signRequested(const QString &role, const QString &meaning, const QString &comment,
                       const QString &passphrase, bool acknowledgesMarginal);

private:
    void updateState();
    void fillItems();
    void requestSign();

    QString m_environment;
    engine::GateStatus m_gate;
    QString m_printedName;
    QLabel *m_gateTitle;
    QTreeWidget *m_items;
    QLabel *m_name;
    QComboBox *m_role;
    QComboBox *m_meaning;
    QPlainTextEdit *m_comment;
    QCheckBox *m_acknowledge;
    QLineEdit *m_passphrase;
    QLabel *m_statement;
    QLabel *m_message;
    QDialogButtonBox *m_buttons;
    QPushButton *m_signButton;
    bool m_checking = false;
};

} // namespace cutover::ui
