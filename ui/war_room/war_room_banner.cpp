#include "ui/war_room/war_room_banner.h"

#include "app/cutover/gate_status.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace cutover::ui {

WarRoomBanner::WarRoomBanner(QWidget *parent)
    : QFrame(parent)
    , m_text(new QLabel(this))
    , m_acknowledge(new QPushButton(tr("Ac&knowledge…"), this)) {
    setObjectName(u"warRoomBanner"_s);
    setAccessibleName(tr("War room"));
    // Red on either theme: the one colour that must not depend on taste.
    setStyleSheet(u"#warRoomBanner { background: #b3261e; border-radius: 4px; }"
                  u"#warRoomBanner QLabel { color: white; font-weight: bold; }"_s);
    QFont big = m_text->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    m_text->setFont(big);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_acknowledge->setToolTip(tr("Acknowledge the war room (Alt+K): recorded with your name"));
    m_acknowledge->setAccessibleDescription(
        tr("Acknowledges the war room; recorded in the audit log with your name"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 6);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_acknowledge);
    connect(m_acknowledge, &QPushButton::clicked, this, &WarRoomBanner::acknowledgeRequested);
    hide();
}

void WarRoomBanner::display(const engine::WarRoomStatus &status, const QDateTime &now) {
    if (!status.active) {
        hide();
        return;
    }
    m_text->setText(
        tr("WAR ROOM — %1%2 · since %3 (%4 ago)")
            .arg(status.environment.isEmpty() ? QString() : status.environment + u": "_s,
                 status.reason, status.activatedAt.toLocalTime().toString(u"HH:mm:ss"_s),
                 engine::formatSpan(std::max<qint64>(0, status.activatedAt.msecsTo(now)))));
    setToolTip(tr("An L4 event (%1): every L4 target was notified. It stays until a signed-in "
                  "operator acknowledges it.")
                   .arg(status.event));
    show();
}

} // namespace cutover::ui
