#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTimer;

namespace cutover::ui {

// The big red Rollback button. Two deliberate actions and no typing: press (or Ctrl+Shift+R)
// to arm, press again (or Enter) within ten seconds to confirm; Esc or the timeout disarms.
// Disabled only when the engine refuses the operator's role, with the reason shown beside it.
// When a `prompt` trigger fires, it flashes until the alarm is acknowledged or cleared.
class RollbackControl : public QWidget {
    Q_OBJECT
public:
    static constexpr int kArmSeconds = 10;

    explicit RollbackControl(QWidget *parent = nullptr);

    void setRefusals(const QStringList &refusals);
    void setAlarm(const QString &text); // empty clears
    void setBusy(bool busy);
    bool isArmed() const { return m_armed; }
    bool isFlashing() const;

    QPushButton *button() const { return m_button; }
    QLabel *hintLabel() const { return m_hint; }

    void arm();
    // Armed like arm(), for every environment at once: the confirmation says so.
    void armAll();
    void disarm();
    // Whether the confirmation under way (or the last one) was for every environment.
    bool armedForAll() const { return m_forAll; }

Q_SIGNALS:
    void rollbackConfirmed();
    // Armed, then disarmed without a confirmation (Esc, the timeout, a refusal, busy).
    void armCancelled();

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    void pressed();
    void stopArming();
    void updateLook();

    QPushButton *m_button;
    QLabel *m_hint;
    QTimer *m_disarm;
    QTimer *m_countdown;
    QTimer *m_flash;
    bool m_armed = false;
    bool m_forAll = false;
    bool m_busy = false;
    bool m_flashOn = false;
    int m_secondsLeft = 0;
    QStringList m_refusals;
    QString m_alarm;
};

} // namespace cutover::ui
