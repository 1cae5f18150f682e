#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace cutover::ui {

// The Shift button and, beside it as visible text, every reason the engine refuses it now.
// After a shift: the stabilization and validation progress with the live measured share.
class ShiftPanel : public QWidget {
    Q_OBJECT
public:
    explicit ShiftPanel(QWidget *parent = nullptr);

    // nextPercent < 0: nothing left to shift to.
    void setState(int nextPercent, const QStringList &refusals, const QString &progress);
    QPushButton *button() const { return m_button; }
    QLabel *reasonsLabel() const { return m_reasons; }
    QLabel *progressLabel() const { return m_progress; }

Q_SIGNALS:
    void shiftRequested();

private:
    QPushButton *m_button;
    QLabel *m_reasons;
    QLabel *m_progress;
};

} // namespace cutover::ui
