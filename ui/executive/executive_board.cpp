#include "ui/executive/executive_board.h"

#include "app/store/operator_key.h"
#include "models/gate_checklist_model.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPageLayout>
#include <QPageSize>
#include <QPrinter>
#include <QPushButton>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTextBrowser>
#include <QTextDocument>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {

using State = engine::CheckStatus::State;
using models::GateChecklistModel;

QString esc(const QString &text) {
    return text.toHtmlEscaped();
}

QString utc(const QDateTime &at) {
    return at.isValid() ? at.toUTC().toString(u"yyyy-MM-dd HH:mm 'UTC'"_s) : QString();
}

QString percent(double share) {
    return QString::number(share * 100.0, 'f', 1) + u'%';
}

// A state badge: a fixed background and text colour pair, legible on screen and on paper, and a
// word, so the state never depends on colour alone.
QString badge(State state, const QString &word) {
    QString background;
    QString foreground = u"#ffffff"_s;
    switch (state) {
    case State::Pass:
        background = u"#1e7b34"_s;
        break;
    case State::Fail:
        background = u"#c62828"_s;
        break;
    case State::Pending:
        background = u"#e09b1a"_s;
        foreground = u"#1b1b1b"_s;
        break;
    case State::Unknown:
    case State::Open:
        background = u"#5f6670"_s;
        break;
    }
    // Non-breaking spaces inside: a badge never wraps in a narrow column.
    QString text = esc(word.toUpper());
    text.replace(u' ', u"&nbsp;"_s);
    return u"<span style=\"background-color:%1; color:%2; font-weight:bold; white-space:nowrap;\">"
           "&nbsp;%3&nbsp;</span>"_s.arg(background, foreground, text);
}

QString stageText(const engine::EnvironmentSnapshot &s) {
    QString text = s.stageIndex < 0
                       ? ExecutiveBoard::tr("Before the first stage: %1% on OpenTelemetry")
                             .arg(s.currentPercent)
                       : ExecutiveBoard::tr("Stage %1: %2% on OpenTelemetry")
                             .arg(s.stageIndex + 1)
                             .arg(s.currentPercent);
    if (s.nextPercent >= 0)
        text += ExecutiveBoard::tr(" (next: %1%)").arg(s.nextPercent);
    else
        text += ExecutiveBoard::tr(" (final stage)");
    return text;
}

QString gateHtml(const engine::GateStatus &gate) {
    QString html;
    const State state = GateChecklistModel::gateState(gate);
    const QString word = gate.ready()
                             ? ExecutiveBoard::tr("ready")
                             : GateChecklistModel::stateText(state, config::Check::Kind::Automatic);
    html += u"<h3>%1 %2</h3>"_s.arg(badge(state, word), esc(gate.title));
    html += u"<p>%1</p>"_s.arg(esc(GateChecklistModel::gateSummary(gate)));
    if (gate.score) {
        // The parity score in its own line: what an executive signs for, with its reason.
        html += u"<p>%1 %2 %3</p>"_s.arg(badge(GateChecklistModel::scoreState(*gate.score),
                                               analysis::gateClassName(gate.score->classification)),
                                         ExecutiveBoard::tr("<b>Parity score %1</b>")
                                             .arg(analysis::formatScore(gate.score->score)),
                                         esc(gate.score->reason));
    }

    html += u"<table width=\"99%\" cellspacing=\"0\" cellpadding=\"3\" border=\"1\" "
            "style=\"border-collapse:collapse; border-style:solid; border-color:#8a8f98;\">"_s;
    html += u"<tr><th align=\"left\">%1</th><th align=\"left\" width=\"40%\">%2</th>"
            "<th align=\"left\">%3</th></tr>"_s.arg(ExecutiveBoard::tr("State"),
                                                    ExecutiveBoard::tr("Item"),
                                                    ExecutiveBoard::tr("Detail"));
    for (const engine::CheckStatus &check : gate.checks) {
        html += u"<tr><td style=\"white-space:nowrap;\">%1</td><td>%2</td><td>%3</td></tr>"_s.arg(
            badge(check.state, GateChecklistModel::stateText(check.state, check.kind)),
            esc(check.title), esc(GateChecklistModel::checkDetail(check)));
    }
    html += u"</table>"_s;

    if (!gate.signatures.isEmpty()) {
        html += u"<p><b>%1</b></p>"_s.arg(ExecutiveBoard::tr("Signatures"));
        html += u"<table width=\"99%\" cellspacing=\"0\" cellpadding=\"3\" border=\"1\" "
                "style=\"border-collapse:collapse; border-style:solid; border-color:#8a8f98;\">"_s;
        html += u"<tr><th align=\"left\">%1</th><th align=\"left\">%2</th>"
                "<th align=\"left\">%3</th><th align=\"left\">%4</th><th align=\"left\">%5</th>"
                "</tr>"_s.arg(ExecutiveBoard::tr("Role"), ExecutiveBoard::tr("Printed name"),
                              ExecutiveBoard::tr("Signed"), ExecutiveBoard::tr("Meaning"),
                              ExecutiveBoard::tr("Comment"));
        for (const engine::SignatureStatus &signature : gate.signatures) {
            if (!signature.signOff) {
                html += u"<tr><td>%1</td><td colspan=\"4\">%2</td></tr>"_s.arg(
                    esc(signature.role),
                    badge(State::Open, ExecutiveBoard::tr("awaiting signature")));
                continue;
            }
            const store::SignOff &s = *signature.signOff;
            QString signedAt = esc(utc(s.at));
            if (s.isSigned())
                signedAt += u"<br><small>%1 %2<br>%3 %4…</small>"_s.arg(
                    ExecutiveBoard::tr("Ed25519 key"),
                    esc(store::shortFingerprint(s.keyFingerprint)), ExecutiveBoard::tr("signature"),
                    esc(s.signature.left(16)));
            else if (!s.signatureHash.isEmpty())
                signedAt += u"<br><small>%1 %2…</small>"_s.arg(ExecutiveBoard::tr("unsigned, hash"),
                                                               esc(s.signatureHash.left(12)));
            html +=
                u"<tr><td style=\"white-space:nowrap;\">%1</td><td "
                u"style=\"white-space:nowrap;\"><b>%2</b>"
                "</td><td style=\"white-space:nowrap;\">%3</td><td>%4</td><td>%5</td></tr>"_s.arg(
                    esc(s.role), esc(s.printedName.isEmpty() ? s.operatorName : s.printedName),
                    signedAt, esc(s.meaning), esc(s.comment));
        }
        html += u"</table>"_s;
    }
    return html;
}

// `newPage`: on paper each environment after the first starts a page of its own.
QString environmentHtml(const engine::EnvironmentSnapshot &s, bool newPage) {
    QString html =
        newPage ? u"<h2 style=\"page-break-before: always;\">%1</h2>"_s.arg(esc(s.environment))
                : u"<h2>%1</h2>"_s.arg(esc(s.environment));
    QStringList facts;
    facts.append(u"<b>%1</b>"_s.arg(esc(stageText(s))));
    facts.append(ExecutiveBoard::tr("phase: %1").arg(esc(engine::phaseName(s.phase))));
    if (s.stageIndex >= 0) {
        facts.append(
            ExecutiveBoard::tr("measured: %1 (accepted %2–%3)")
                .arg(s.measuredShare ? percent(*s.measuredShare) : ExecutiveBoard::tr("unknown"),
                     percent(s.lowerBound), percent(s.upperBound)));
    }
    if (!s.progressLabel.isEmpty() && s.progressEnd.isValid())
        facts.append(
            ExecutiveBoard::tr("%1 until %2").arg(esc(s.progressLabel), utc(s.progressEnd)));
    html += u"<p>%1</p>"_s.arg(facts.join(u" · "_s));
    if (!s.lastValidation.isEmpty())
        html +=
            u"<p>%1 %2</p>"_s.arg(ExecutiveBoard::tr("Last validation:"), esc(s.lastValidation));
    if (!s.firingTriggers.isEmpty())
        html += u"<p>%1 %2</p>"_s.arg(badge(State::Fail, ExecutiveBoard::tr("alarm")),
                                      esc(s.firingTriggers.join(u"; "_s)));
    if (!s.rollbackProblems.isEmpty())
        html += u"<p>%1 %2</p>"_s.arg(
            badge(State::Fail, ExecutiveBoard::tr("rollback")),
            esc(ExecutiveBoard::tr("not verified on %1").arg(s.rollbackProblems.join(u", "_s))));
    for (const engine::GateStatus &gate : s.gates)
        html += gateHtml(gate);
    return html;
}

} // namespace

ExecutiveBoard::ExecutiveBoard(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_export(new QPushButton(tr("&Export PDF…"), this))
    , m_browser(new QTextBrowser(this)) {
    setAccessibleName(tr("Executive board"));
    QFont font = m_title->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.3);
    m_title->setFont(font);
    m_title->setText(tr("Gates and sign-offs"));
    m_title->setAccessibleName(tr("Executive board title"));
    m_export->setAccessibleName(tr("Export the board as PDF"));
    m_browser->setAccessibleName(tr("Gates, items and signatures of every environment"));
    m_browser->setReadOnly(true);
    m_browser->setOpenLinks(false);

    auto *top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    top->addWidget(m_export);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_browser, 1);

    connect(m_export, &QPushButton::clicked, this, &ExecutiveBoard::chooseAndExport);
    render();
}

ExecutiveBoard::~ExecutiveBoard() = default;

void ExecutiveBoard::setPlanName(const QString &name) {
    m_planName = name;
    m_title->setText(name.isEmpty() ? tr("Gates and sign-offs")
                                    : tr("%1 — gates and sign-offs").arg(name));
    render();
}

void ExecutiveBoard::setSnapshots(const QList<engine::EnvironmentSnapshot> &snapshots) {
    m_snapshots = snapshots;
    render();
}

void ExecutiveBoard::updateSnapshot(const engine::EnvironmentSnapshot &snapshot) {
    for (auto &existing : m_snapshots) {
        if (existing.environment == snapshot.environment) {
            existing = snapshot;
            render();
            return;
        }
    }
    m_snapshots.append(snapshot);
    render();
}

void ExecutiveBoard::setAuditHead(const QString &hash, qint64 seq, bool verified) {
    m_auditHash = hash;
    m_auditSeq = seq;
    m_auditVerified = verified;
    render();
}

void ExecutiveBoard::setAsOf(const QDateTime &at) {
    m_asOf = at;
    render();
}

QString ExecutiveBoard::html(bool forPrint) const {
    QString html = u"<html><body>"_s;
    if (forPrint)
        html = u"<html><body style=\"color:#000000; background-color:#ffffff;\">"_s;
    const QDateTime asOf = m_asOf.isValid() ? m_asOf : QDateTime::currentDateTimeUtc();
    if (forPrint) {
        html += u"<h1>%1</h1>"_s.arg(esc(m_planName.isEmpty()
                                             ? tr("Cutover gates and sign-offs")
                                             : tr("%1 — gates and sign-offs").arg(m_planName)));
    }
    html += u"<p>%1</p>"_s.arg(esc(tr("As of %1").arg(utc(asOf))));
    if (!m_auditHash.isEmpty()) {
        QString head = tr("Audit chain head");
        if (m_auditSeq > 0)
            head += tr(" (entry %1)").arg(m_auditSeq);
        head += m_auditVerified ? tr(", verified: ") : u": "_s;
        html += u"<p>%1<tt>%2</tt></p>"_s.arg(esc(head), esc(m_auditHash));
    }
    if (m_snapshots.isEmpty())
        html += u"<p><i>%1</i></p>"_s.arg(esc(tr("No environment to show yet.")));
    for (qsizetype i = 0; i < m_snapshots.size(); ++i)
        html += environmentHtml(m_snapshots.at(i), forPrint && i > 0);
    html += u"</body></html>"_s;
    return html;
}

bool ExecutiveBoard::printToPdf(const QString &path, QString *error) const {
    QPrinter printer(QPrinter::HighResolution);
    printer.setOutputFormat(QPrinter::PdfFormat);
    printer.setOutputFileName(path);
    printer.setPageSize(QPageSize(QPageSize::A4));
    // QTextDocument::print() adds its own 2 cm margin (and the page numbers) inside these.
    printer.setPageMargins(QMarginsF(5, 5, 5, 5), QPageLayout::Millimeter);
    printer.setDocName(m_planName.isEmpty() ? tr("Cutover gates and sign-offs") : m_planName);
    printer.setCreator(u"Cutover Console"_s);

    QTextDocument document;
    // Paper is white whatever the screen theme: every colour is set explicitly.
    document.setDefaultStyleSheet(u"body { color: #000000; } th { color: #000000; }"_s);
    QFont font = document.defaultFont();
    font.setPointSizeF(9.5);
    document.setDefaultFont(font);
    document.setHtml(html(true));
    // No page size of our own: print() then lays the document out for the printer's page at the
    // printer's resolution, so 9.5 pt prints as 9.5 pt.
    document.print(&printer);

    const QFileInfo written(path);
    if (!written.exists() || written.size() == 0) {
        if (error)
            *error = tr("Could not write %1").arg(path);
        return false;
    }
    return true;
}

void ExecutiveBoard::render() {
    const QString next = html(false);
    if (next == m_lastHtml)
        return;
    m_lastHtml = next;
    // Rendered every snapshot: keep the reader's place.
    const int scroll = m_browser->verticalScrollBar()->value();
    m_browser->setHtml(next);
    m_browser->verticalScrollBar()->setValue(scroll);
}

void ExecutiveBoard::chooseAndExport() {
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString suggested = folder + u"/cutover-gates-"_s +
                              QDateTime::currentDateTimeUtc().toString(u"yyyyMMdd-HHmm"_s) +
                              u".pdf"_s;
    auto *dialog =
        new QFileDialog(this, tr("Export the board as PDF"), suggested, tr("PDF files (*.pdf)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    // Qt's own dialog: a native one would keep the Rollback keys from reaching the application.
    dialog->setOption(QFileDialog::DontUseNativeDialog);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(u"pdf"_s);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &file) {
        QString error;
        if (printToPdf(file, &error))
            Q_EMIT pdfWritten(file);
        else
            m_title->setText(error);
    });
    dialog->open();
}

} // namespace cutover::ui
