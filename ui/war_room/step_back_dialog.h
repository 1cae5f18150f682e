#pragma once

#include <QDialog>
#include <QList>

class QComboBox;
class QDialogButtonBox;
class QLineEdit;

namespace cutover::ui {

// A planned step back to an earlier stage (not the emergency Rollback): which stage, why, and
// the passphrase. The earlier stage is then validated like a shift.
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

private:
    void updateState();

    QComboBox *m_target;
    QLineEdit *m_reason;
    QLineEdit *m_passphrase;
    QDialogButtonBox *m_buttons;
};

} // namespace cutover::ui
