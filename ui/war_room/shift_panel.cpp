#include "ui/war_room/shift_panel.h"

#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

ShiftPanel::ShiftPanel(QWidget *parent)
    : QWidget(parent)
    , m_button(new QPushButton(this))
    , m_reasons(new QLabel(this))
    , m_progress(new QLabel(this)) {
    m_button->setAccessibleName(tr("Shift"));
    m_button->setMinimumHeight(48);
    QFont font = m_button->font();
    font.setPointSizeF(font.pointSizeF() * 1.3);
    font.setBold(true);
    m_button->setFont(font);
    m_reasons->setWordWrap(true);
    m_reasons->setAccessibleName(tr("Why Shift is refused"));
    m_reasons->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_reasons->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_progress->setWordWrap(true);
    m_progress->setAccessibleName(tr("Shift progress"));

    // The reasons can be many (a whole checklist): scroll them rather than grow the bar.
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_reasons);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumHeight(60);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_button);
    layout->addWidget(m_progress);
    layout->addWidget(scroll, 1);
    connect(m_button, &QPushButton::clicked, this, &ShiftPanel::shiftRequested);
}

void ShiftPanel::setState(int nextPercent, const QStringList &refusals, const QString &progress) {
    m_button->setText(nextPercent < 0 ? tr("Cutover complete")
                                      : tr("&Shift to %1%…").arg(nextPercent));
    m_button->setEnabled(nextPercent >= 0 && refusals.isEmpty());
    m_progress->setText(progress);
    m_progress->setVisible(!progress.isEmpty());
    if (refusals.isEmpty()) {
        m_reasons->setText(nextPercent < 0 ? QString() : tr("Shift is allowed."));
    } else {
        QString html = tr("<b>Shift refused:</b><ul style='margin-left:-20px'>");
        for (const QString &reason : refusals)
            html += u"<li>"_s + reason.toHtmlEscaped() + u"</li>"_s;
        m_reasons->setText(html + u"</ul>"_s);
    }
}

} // namespace cutover::ui
