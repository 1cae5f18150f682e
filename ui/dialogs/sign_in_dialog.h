#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace cutover::ui {

// Sign-in at start: name and passphrase. Pressing Sign in emits signInRequested() and keeps the
// dialog open; the window asks the engine, then calls accept() on success or setMessage() with
// what it said ("Refused", "Locked until 10:42 UTC"), which clears the passphrase for a retry.
class SignInDialog : public QDialog {
    Q_OBJECT
public:
    explicit SignInDialog(const QString &planName = QString(), QWidget *parent = nullptr);
    ~SignInDialog() override;

    void setName(const QString &name);
    QString name() const;
    QString passphrase() const;
    // A refusal or lock-out, shown without closing; clears the passphrase. Empty hides it.
    void setMessage(const QString &message);
    QString message() const;
    // While the engine answers: the fields and the button are disabled.
    void setBusy(bool busy);
    // While the passphrase is checked (off the UI thread): busy, and says so. Esc still closes.
    void setChecking(bool checking);
    bool isChecking() const { return m_busy; }
    // The operator is locked out of signing in but may roll back `environment`: shows the
    // break-glass button (Alt+G), which takes the passphrase typed again.
    void offerBreakGlass(const QString &environment);

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *passphraseEdit() const { return m_passphrase; }
    QPushButton *signInButton() const { return m_signIn; }
    QPushButton *breakGlassButton() const { return m_breakGlass; }
    QLabel *messageLabel() const { return m_message; }

Q_SIGNALS:
    void signInRequested(const QString &name, const QString &passphrase);
    void breakGlassRequested(const QString &name, const QString &passphrase);

private:
    void updateState();
    void request();

    QLabel *m_intro;
    QLineEdit *m_name;
    QLineEdit *m_passphrase;
    QLabel *m_message;
    QDialogButtonBox *m_buttons;
    QPushButton *m_signIn;
    QPushButton *m_breakGlass;
    bool m_busy = false;
};

} // namespace cutover::ui
