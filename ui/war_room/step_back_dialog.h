#pragma once

#include <QDialog>
#include <QList>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace cutover::ui {

// A planned step back to an earlier stage (not the emergency Rollback): which stage, why, and
// the passphrase. The earlier stage is then validated like a shift. Confirming emits
// confirmRequested(): the window checks the passphrase off the UI thread, then accepts.
class StepBackDialog : public QDialog {
    Q_OBJECT
public:
    // `earlierPercents`: the stages below the current one, highest first.
    StepBackDialog(const QString &environment, int currentPercent,
                   const QList<int> &earlierPercents, const QString &printedName,
                   QWidget *parent = nullptr);

    int percent() const;
    QString reason() const;
    QString passphrase() const;
    QComboBox *targetBox() const { return m_target; }
    QLineEdit *reasonEdit() const { return m_reason; }
    QLineEdit *passphraseEdit() const { return m_passphrase; }
    QDialogButtonBox *buttons() const { return m_buttons; }
    QLabel *hintLabel() const { return m_hint; }
    // While the passphrase is checked: fields and Step back disabled, the hint says so.
    void setChecking(bool checking);
    bool isChecking() const { return m_checking; }
    // Why the confirmation did not go through (the passphrase is cleared for a retry).
    void setMessage(const QString &message);

Q_SIGNALS:
    void confirmRequested();

private:
    void updateState();

    QComboBox *m_target;
    QLineEdit *m_reason;
    QLineEdit *m_passphrase;
    QDialogButtonBox *m_buttons;
    QLabel *m_hint;
    bool m_checking = false;
};

} // namespace cutover::ui
