#pragma once

// Ctrl+Shift+R from anywhere in the application, dialogs included.
//
// Qt delivers a window's shortcuts only while no modal dialog shadows the window (even
// Qt::ApplicationShortcut ones), so a window-modal sheet - F1's, the Shift confirmation, the
// sign-in and sign-off dialogs, a file dialog - would swallow the keys exactly when people are
// busy. This filter on the application sees every key first: it sets every open modal dialog
// aside (hidden, not closed; passphrase fields cleared, everything else kept) and reports
// `triggered`, on which the window arms its Rollback so that Enter confirms. If the rollback is
// not confirmed (Esc, the arming timeout), restoreSetAside() brings the dialogs back as they
// were; once it is, dismissSetAside() closes them, since what they were about to do no longer
// holds.

#include <QList>
#include <QObject>
#include <QPointer>
#include <QWidget>

namespace cutover::ui {

class RollbackHotkey : public QObject {
    Q_OBJECT
public:
    // Watches the whole application for as long as `window` lives; `window` itself is never set
    // aside.
    explicit RollbackHotkey(QWidget *window);
    ~RollbackHotkey() override;

    static QKeyCombination keys();

    // The dialogs set aside by the last press that are still open.
    QList<QWidget *> setAside() const;
    void restoreSetAside();
    void dismissSetAside();

Q_SIGNALS:
    void triggered();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void setAsideModalDialogs();

    QWidget *m_window;
    QList<QPointer<QWidget>> m_setAside;
};

} // namespace cutover::ui
