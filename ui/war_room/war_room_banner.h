#pragma once

// The seed's L4, "full rollback, war room activation": a red band across every open window,
// under the header, until a signed-in operator acknowledges it (the engine audits who and when).

#include "app/cutover/cutover_engine.h"

#include <QFrame>

class QLabel;
class QPushButton;

namespace cutover::ui {

class WarRoomBanner : public QFrame {
    Q_OBJECT
public:
    explicit WarRoomBanner(QWidget *parent = nullptr);

    // Shown while `status.active`; hidden otherwise.
    void display(const engine::WarRoomStatus &status, const QDateTime &now);
    QPushButton *acknowledgeButton() const { return m_acknowledge; }
    QLabel *textLabel() const { return m_text; }

Q_SIGNALS:
    void acknowledgeRequested();

private:
    QLabel *m_text;
    QPushButton *m_acknowledge;
};

} // namespace cutover::ui
