#include "ui/war_room/rollback_control.h"

#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {
const auto kIdleStyle =
    u"QPushButton { background:#c62828; color:white; font-weight:bold; font-size:18pt;"
    u" border-radius:8px; padding:10px 18px; }"
    u" QPushButton:focus { border:3px solid #ffd54f; }"
    u" QPushButton:disabled { background:#5c3b3b; color:#bbbbbb; }"_s;
const auto kArmedStyle =
    u"QPushButton { background:#ff1744; color:white; font-weight:bold; font-size:18pt;"
    u" border:4px solid #ffd54f; border-radius:8px; padding:8px 16px; }"_s;
const auto kFlashStyle =
    u"QPushButton { background:#ff9100; color:black; font-weight:bold; font-size:18pt;"
    u" border-radius:8px; padding:10px 18px; }"_s;
} // namespace

RollbackControl::RollbackControl(QWidget *parent)
    : QWidget(parent)
    , m_button(new QPushButton(this))
    , m_hint(new QLabel(this))
    , m_disarm(new QTimer(this))
    , m_countdown(new QTimer(this))
    , m_flash(new QTimer(this)) {
    m_button->setAccessibleName(tr("Rollback"));
    m_button->setAccessibleDescription(
        tr("Press to arm, press again or Enter within %1 seconds to roll back").arg(kArmSeconds));
    m_button->setMinimumHeight(64);
    m_button->setMinimumWidth(260);
    m_hint->setWordWrap(true);
    m_hint->setAccessibleName(tr("Rollback state"));
    m_disarm->setSingleShot(true);
    m_disarm->setInterval(kArmSeconds * 1000);
    m_countdown->setInterval(1000);
    m_flash->setInterval(500);
    connect(m_button, &QPushButton::clicked, this, &RollbackControl::pressed);
    connect(m_disarm, &QTimer::timeout, this, &RollbackControl::disarm);
    connect(m_countdown, &QTimer::timeout, this, [this] {
        m_secondsLeft = std::max(0, m_secondsLeft - 1);
        updateLook();
    });
    connect(m_flash, &QTimer::timeout, this, [this] {
        m_flashOn = !m_flashOn;
        updateLook();
    });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_button);
    layout->addWidget(m_hint);
    updateLook();
}

bool RollbackControl::isFlashing() const {
    return m_flash->isActive();
}

void RollbackControl::setRefusals(const QStringList &refusals) {
    m_refusals = refusals;
    if (!refusals.isEmpty())
        disarm();
    updateLook();
}

void RollbackControl::setAlarm(const QString &text) {
    m_alarm = text;
    if (text.isEmpty()) {
        m_flash->stop();
        m_flashOn = false;
    } else if (!m_flash->isActive()) {
        m_flash->start();
    }
    updateLook();
}

void RollbackControl::setBusy(bool busy) {
    m_busy = busy;
    if (busy)
        disarm();
    updateLook();
}

void RollbackControl::arm() {
    if (!m_refusals.isEmpty() || m_busy)
        return;
    m_forAll = false;
    m_armed = true;
    m_secondsLeft = kArmSeconds;
    m_disarm->start();
    m_countdown->start();
    m_button->setFocus(Qt::ShortcutFocusReason);
    updateLook();
}

void RollbackControl::armAll() {
    if (!m_refusals.isEmpty() || m_busy)
        return;
    arm();
    m_forAll = true;
    updateLook();
}

void RollbackControl::disarm() {
    const bool wasArmed = m_armed;
    stopArming();
    if (wasArmed)
        Q_EMIT armCancelled();
}

void RollbackControl::stopArming() {
    m_armed = false;
    m_disarm->stop();
    m_countdown->stop();
    updateLook();
}

void RollbackControl::pressed() {
    if (!m_armed) {
        arm();
        return;
    }
    stopArming();
    m_flash->stop();
    m_flashOn = false;
    Q_EMIT rollbackConfirmed();
}

void RollbackControl::keyPressEvent(QKeyEvent *event) {
    if (m_armed && (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter)) {
        pressed();
        return;
    }
    if (m_armed && event->key() == Qt::Key_Escape) {
        disarm();
        return;
    }
    QWidget::keyPressEvent(event);
}

void RollbackControl::updateLook() {
    m_button->setEnabled(m_refusals.isEmpty() && !m_busy);
    if (m_busy) {
        m_button->setText(tr("ROLLING BACK…"));
        m_button->setStyleSheet(kArmedStyle);
        m_hint->setText(tr("Rollback in progress: see the result per load balancer below."));
        return;
    }
    if (m_armed && m_forAll) {
        m_button->setText(tr("CONFIRM ALL"));
        m_button->setStyleSheet(kArmedStyle);
        m_hint->setText(tr("<b>Armed for every environment.</b> Press again or Enter to roll "
                           "back all of them to legacy 100 / OTel 0 on every load balancer. Esc "
                           "cancels (%1 s).")
                            .arg(m_secondsLeft));
        return;
    }
    if (m_armed) {
        m_button->setText(tr("CONFIRM ROLLBACK"));
        m_button->setStyleSheet(kArmedStyle);
        m_hint->setText(tr("<b>Armed.</b> Press again or Enter to roll back to legacy 100 / "
                           "OTel 0 on every load balancer. Esc cancels (%1 s).")
                            .arg(m_secondsLeft));
        return;
    }
    m_button->setText(tr("ROLL BACK"));
    m_button->setStyleSheet(m_flashOn ? kFlashStyle : kIdleStyle);
    if (!m_refusals.isEmpty())
        m_hint->setText(m_refusals.join(u'\n'));
    else if (!m_alarm.isEmpty())
        m_hint->setText(tr("<b>Alarm:</b> %1").arg(m_alarm.toHtmlEscaped()));
    else
        m_hint->setText(tr("Ctrl+Shift+R arms, Enter confirms."));
}

} // namespace cutover::ui
