#pragma once

#include <QHash>
#include <QStringList>
#include <QWidget>

class QHBoxLayout;
class QPushButton;

namespace cutover::ui {

// The alarms of every environment, whichever one the window shows: a trigger, a failed
// validation or drifted weights in production must not wait until someone selects production.
// One button per alarmed environment ("⚠ production: trigger 'Critical …'"); a click switches to
// it, and the window's Alt+L goes to the latest. Hidden while nothing is alarmed.
class AlarmStrip : public QWidget {
    Q_OBJECT
public:
    explicit AlarmStrip(QWidget *parent = nullptr);

    // `kind`: "trigger", "validation", "drift" (the engine's alarm kinds).
    void setAlarm(const QString &environment, const QString &kind, const QString &text);
    void clear(const QString &environment);

    // Alarmed environments, the latest first.
    const QStringList &environments() const { return m_order; }
    QString kindOf(const QString &environment) const { return m_kinds.value(environment); }
    QString textOf(const QString &environment) const { return m_texts.value(environment); }
    QPushButton *buttonFor(const QString &environment) const {
        return m_buttons.value(environment);
    }

Q_SIGNALS:
    void environmentChosen(const QString &environment);

private:
    QHBoxLayout *m_layout;
    QStringList m_order;
    QHash<QString, QString> m_kinds;
    QHash<QString, QString> m_texts;
    QHash<QString, QPushButton *> m_buttons;
};

} // namespace cutover::ui
