#pragma once

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;

namespace cutover::ui {

// Running or approving one decommission step. Run: the evidence the plan asks for, the typed
// confirmation of an irreversible step (what goes is spelled out), and optionally what the
// operator says of the LBs' permanence. Approve: the role and the passphrase (a signature). The
// panel acts on requested() and closes the dialog once the engine answered.
class DecommissionStepDialog : public QDialog {
    Q_OBJECT
public:
    enum class Mode { Run, Approve };
    struct Spec {
        Mode mode = Mode::Run;
        QString environment;
        QString title;
        QString evidenceKind; // "", "note", "file", "url"
        QString confirmation; // the text to type; empty: reversible
        QStringList roles;    // Approve: the roles this operator may approve in
        QString printedName;
    };
    DecommissionStepDialog(const Spec &spec, QWidget *parent = nullptr);

    QString evidence() const;
    QString confirmation() const;
    QString permanence() const;
    QString role() const;
    QString passphrase() const;
    void setChecking(bool checking);
    void setMessage(const QString &text);
    // A long action's progress (export, backup): shown from the first report on.
    void setProgress(qint64 done, qint64 total, const QString &unit);
    QProgressBar *progressBar() const { return m_progress; }

    QLineEdit *evidenceEdit() const { return m_evidence; }
    QLineEdit *confirmationEdit() const { return m_confirmation; }
    QLineEdit *passphraseEdit() const { return m_passphrase; }
    QDialogButtonBox *buttons() const { return m_buttons; }

Q_SIGNALS:
    void requested();

private:
    void updateOk();

    Spec m_spec;
    QLineEdit *m_evidence = nullptr;
    QLineEdit *m_confirmation = nullptr;
    QLineEdit *m_permanence = nullptr;
    QComboBox *m_role = nullptr;
    QLineEdit *m_passphrase = nullptr;
    QLabel *m_message = nullptr;
    QProgressBar *m_progress = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace cutover::ui
