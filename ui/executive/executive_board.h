#pragma once

#include "app/cutover/cutover_engine.h"

#include <QDateTime>
#include <QWidget>

class QLabel;
class QPushButton;
class QTextBrowser;

namespace cutover::ui {

// A clean, read-only board for executives: every environment's stage and phase, every gate
// with its items' states, every signature (printed name, role, time, meaning, comment), and
// the audit chain's head hash so a printed copy can be tied to the log. The same HTML is shown
// on screen (palette colours) and printed to PDF (black on white).
class ExecutiveBoard : public QWidget {
    Q_OBJECT
public:
    explicit ExecutiveBoard(QWidget *parent = nullptr);
    ~ExecutiveBoard() override;

    void setPlanName(const QString &name);
    void setSnapshots(const QList<engine::EnvironmentSnapshot> &snapshots);
    // Replaces one environment's snapshot (or adds it), for snapshotChanged(environment).
    void updateSnapshot(const engine::EnvironmentSnapshot &snapshot);
    // The audit log's last entry: its seq and hash (AuditLogModel::headHash(), or
    // AuditVerification::headHash when verified).
    void setAuditHead(const QString &hash, qint64 seq = 0, bool verified = false);
    // The "as of" time printed on the board; invalid: the time of rendering.
    void setAsOf(const QDateTime &at);

    const QList<engine::EnvironmentSnapshot> &snapshots() const { return m_snapshots; }
    // The board's document as HTML. `forPrint`: explicit black on white, whatever the palette.
    QString html(bool forPrint = false) const;
    // Writes an A4 PDF; returns false (and sets `error`) when the file could not be written.
    bool printToPdf(const QString &path, QString *error = nullptr) const;

    QTextBrowser *browser() const { return m_browser; }
    QPushButton *exportButton() const { return m_export; }

Q_SIGNALS:
    void pdfWritten(const QString &path);

private:
    void render();
    void chooseAndExport();

    QString m_planName;
    QList<engine::EnvironmentSnapshot> m_snapshots;
    QString m_auditHash;
    qint64 m_auditSeq = 0;
    bool m_auditVerified = false;
    QDateTime m_asOf;
    QString m_lastHtml;
    QLabel *m_title;
    QPushButton *m_export;
    QTextBrowser *m_browser;
};

} // namespace cutover::ui
