#include "ui/war_room/rollback_hotkey.h"

#include <QApplication>
#include <QDialog>
#include <QKeyEvent>
#include <QLineEdit>

namespace cutover::ui {

namespace {

bool isRollbackKey(const QEvent *event) {
    if (event->type() != QEvent::KeyPress && event->type() != QEvent::ShortcutOverride)
        return false;
    const auto *key = static_cast<const QKeyEvent *>(event);
    return key->keyCombination() == RollbackHotkey::keys();
}

// A modal window of this application that stands between the operator and the main window.
bool shadowsTheWindow(const QWidget *widget, const QWidget *window) {
    return widget != window && widget->isWindow() && widget->isVisible() &&
           widget->windowModality() != Qt::NonModal;
}

} // namespace

RollbackHotkey::RollbackHotkey(QWidget *window)
    : QObject(window)
    , m_window(window) {
    qApp->installEventFilter(this);
}

RollbackHotkey::~RollbackHotkey() {
    qApp->removeEventFilter(this);
}

QKeyCombination RollbackHotkey::keys() {
    return QKeyCombination(Qt::ControlModifier | Qt::ShiftModifier, Qt::Key_R);
}

QList<QWidget *> RollbackHotkey::setAside() const {
    QList<QWidget *> open;
    for (const QPointer<QWidget> &dialog : m_setAside) {
        if (dialog)
            open.append(dialog.data());
    }
    return open;
}

void RollbackHotkey::restoreSetAside() {
    const QList<QWidget *> dialogs = setAside();
    m_setAside.clear();
    for (QWidget *dialog : dialogs)
        dialog->show();
}

void RollbackHotkey::dismissSetAside() {
    const QList<QWidget *> dialogs = setAside();
    m_setAside.clear();
    for (QWidget *dialog : dialogs) {
        if (auto *d = qobject_cast<QDialog *>(dialog))
            d->reject();
        else
            dialog->close();
    }
}

bool RollbackHotkey::eventFilter(QObject *watched, QEvent *event) {
    if (!isRollbackKey(event) || !watched->isWidgetType())
        return QObject::eventFilter(watched, event);
    // Accepting the override keeps Qt's shortcut map out of it (the window's menu action carries
    // the same keys for the menu's sake): the press itself comes next, and acts once.
    if (event->type() == QEvent::ShortcutOverride) {
        event->accept();
        return true;
    }
    if (static_cast<QKeyEvent *>(event)->isAutoRepeat())
        return true;
    setAsideModalDialogs();
    Q_EMIT triggered();
    return true;
}

void RollbackHotkey::setAsideModalDialogs() {
    for (QWidget *widget : QApplication::topLevelWidgets()) {
        if (!shadowsTheWindow(widget, m_window))
            continue;
        // A passphrase typed for another purpose must not wait, visible to the next person, for
        // the dialog to come back.
        for (QLineEdit *edit : widget->findChildren<QLineEdit *>()) {
            if (edit->echoMode() != QLineEdit::Normal)
                edit->clear();
        }
        widget->hide();
        m_setAside.append(widget);
    }
}

} // namespace cutover::ui
