#pragma once

// Saves what a widget looks like in the product's two themes (ui/war_room/theme.h), when
// WAR_ROOM_PNG_DIR is set: NAME-dark.png and NAME-light.png. The application's style and palette
// are restored afterwards.

#include "ui/war_room/theme.h"

#include <QApplication>
#include <QDir>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>
#include <QWidget>

inline void saveInBothThemes(QWidget *widget, const QString &name) {
    const QString dir = qEnvironmentVariable("WAR_ROOM_PNG_DIR");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    const QString style = QApplication::style()->name();
    const QPalette palette = QApplication::palette();
    for (const auto theme : {cutover::ui::Theme::Dark, cutover::ui::Theme::Light}) {
        cutover::ui::applyTheme(theme);
        QCoreApplication::processEvents();
        const bool dark = theme == cutover::ui::Theme::Dark;
        widget->grab().save(dir + u'/' + name +
                            (dark ? QStringLiteral("-dark.png") : QStringLiteral("-light.png")));
    }
    QApplication::setStyle(QStyleFactory::create(style));
    QApplication::setPalette(palette);
}
