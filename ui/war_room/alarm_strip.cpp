#include "ui/war_room/alarm_strip.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {
const auto kAlarmStyle = u"QPushButton { background:#ff9100; color:black; font-weight:bold;"
                         u" border-radius:4px; padding:4px 10px; text-align:left; }"
                         u" QPushButton:focus { border:2px solid #ffd54f; }"_s;
} // namespace

AlarmStrip::AlarmStrip(QWidget *parent)
    : QWidget(parent)
    , m_layout(new QHBoxLayout(this)) {
    setAccessibleName(tr("Alarms in every environment"));
    m_layout->setContentsMargins(0, 0, 0, 0);
    auto *title = new QLabel(tr("<b>Alarms</b> (Alt+L goes to the latest):"), this);
    title->setAccessibleName(tr("Alarms"));
    m_layout->addWidget(title);
    m_layout->addStretch(1);
    setVisible(false);
}

void AlarmStrip::setAlarm(const QString &environment, const QString &kind, const QString &text) {
    QPushButton *button = m_buttons.value(environment);
    if (!button) {
        button = new QPushButton(this);
        button->setStyleSheet(kAlarmStyle);
        connect(button, &QPushButton::clicked, this,
                [this, environment] { Q_EMIT environmentChosen(environment); });
        m_layout->insertWidget(1, button);
        m_buttons.insert(environment, button);
    }
    const QString label = tr("⚠ %1: %2 — go").arg(environment, text);
    button->setText(label);
    button->setToolTip(tr("Switch the war room to %1").arg(environment));
    button->setAccessibleName(tr("Alarm in %1: %2").arg(environment, text));
    m_kinds.insert(environment, kind);
    m_texts.insert(environment, text);
    m_order.removeAll(environment);
    m_order.prepend(environment);
    setVisible(true);
}

void AlarmStrip::clear(const QString &environment) {
    if (QPushButton *button = m_buttons.take(environment))
        button->deleteLater();
    m_kinds.remove(environment);
    m_texts.remove(environment);
    m_order.removeAll(environment);
    setVisible(!m_order.isEmpty());
}

} // namespace cutover::ui
