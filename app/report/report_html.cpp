#include "app/report/report_html.h"

using namespace Qt::StringLiterals;

namespace cutover::report {

namespace {
using CheckState = engine::CheckStatus::State;
} // namespace

QString esc(const QString &text) {
    return text.toHtmlEscaped();
}

QString utc(const QDateTime &at) {
    return at.isValid() ? at.toUTC().toString(u"yyyy-MM-dd HH:mm 'UTC'"_s) : QString();
}

QString badge(const QString &word, const QString &background) {
    QString text = esc(word.toUpper());
    text.replace(u' ', u"&nbsp;"_s);
    return u"<span style=\"background-color:%1; color:#ffffff; font-weight:bold;\">&nbsp;%2&nbsp;"
           u"</span>"_s.arg(background, text);
}

QString stateColour(engine::CheckStatus::State state) {
    switch (state) {
    case CheckState::Pass:
        return u"#1e7b34"_s;
    case CheckState::Fail:
        return u"#c62828"_s;
    case CheckState::Pending:
        return u"#9a6700"_s;
    case CheckState::Unknown:
    case CheckState::Open:
        return u"#5f6670"_s;
    }
    return u"#5f6670"_s;
}

QString bulletList(const QStringList &lines) {
    QString out = u"<ul>"_s;
    for (const QString &line : lines)
        out += u"<li>%1</li>"_s.arg(esc(line));
    return out + u"</ul>"_s;
}

QString tableOpen() {
    return u"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"3\" border=\"1\" "
           u"style=\"border-collapse:collapse; border-style:solid; border-color:#8a8f98;\">"_s;
}

QString gateRecordHtml(const engine::GateStatus &gate, bool guardsNextShift) {
    QString html;
    const QString state = gate.ready()      ? u"ready"_s
                          : gate.isSigned() ? u"signed, items open"_s
                                            : u"not signed"_s;
    html += u"<h3>%1 %2</h3>"_s.arg(badge(state, gate.ready() ? u"#1e7b34"_s : u"#5f6670"_s),
                                    esc(gate.title));
    if (guardsNextShift)
        html += u"<p><i>Guards the next shift.</i></p>"_s;
    if (!gate.checks.isEmpty()) {
        html += tableOpen();
        html += u"<tr><th align=\"left\">State</th><th align=\"left\" width=\"45%\">Item</th>"
                u"<th align=\"left\">Detail</th></tr>"_s;
        for (const engine::CheckStatus &c : gate.checks) {
            QString detail = c.detail;
            if (!c.tickedBy.isEmpty())
                detail =
                    u"ticked by %1 (%2) at %3"_s.arg(c.tickedBy, c.tickedRole, utc(c.tickedAt));
            html += u"<tr><td>%1</td><td>%2</td><td>%3</td></tr>"_s.arg(
                badge(engine::checkStateName(c.state), stateColour(c.state)), esc(c.title),
                esc(detail));
        }
        html += u"</table>"_s;
    }
    html += u"<p><b>Signatures</b></p>"_s;
    if (gate.signatures.isEmpty()) {
        html += u"<p>This gate needs no signature.</p>"_s;
        return html;
    }
    // One block per signature: who, when and what it means on the first row; the comment and
    // the signature hash on the full width below (they are long, and text extraction keeps
    // them whole).
    html += tableOpen();
    html += u"<tr><th align=\"left\">Role</th><th align=\"left\">Printed name</th>"
            u"<th align=\"left\">Signed at</th><th align=\"left\">Meaning</th></tr>"_s;
    for (const engine::SignatureStatus &sig : gate.signatures) {
        if (!sig.signOff) {
            html += u"<tr><td>%1</td><td colspan=\"3\">%2</td></tr>"_s.arg(
                esc(sig.role), badge(u"awaiting signature"_s, u"#5f6670"_s));
            continue;
        }
        const store::SignOff &s = *sig.signOff;
        html += u"<tr><td>%1</td><td style=\"white-space:nowrap;\"><b>%2</b><br><small>operator "
                u"%3</small></td><td style=\"white-space:nowrap;\">%4</td><td><b>%5</b></td></tr>"_s
                    .arg(esc(s.role), esc(s.printedName.isEmpty() ? s.operatorName : s.printedName),
                         esc(s.operatorName), esc(utc(s.at)), esc(s.meaning));
        const QString comment = esc(s.comment.isEmpty() ? u"(none)"_s : s.comment);
        if (s.isSigned()) {
            // The whole signature and key fingerprint: an auditor can check them by hand against
            // the canonical record (audit_chain.h) and the key the audit log recorded.
            html += u"<tr><td colspan=\"4\">Comment: %1<br><small>Ed25519 key: <tt>%2</tt><br>"
                    u"Signature: <tt>%3</tt><br>Signed over audit head <tt>%4</tt> and plan "
                    u"SHA-256 <tt>%5</tt><br>Record SHA-256: <tt>%6</tt></small></td></tr>"_s.arg(
                        comment, esc(s.keyFingerprint),
                        esc(s.signature.left(44)) + u"<br>"_s + esc(s.signature.mid(44)),
                        esc(s.auditHeadBefore), esc(s.planSha256), esc(s.signatureHash));
        } else {
            html += u"<tr><td colspan=\"4\">Comment: %1<br><small>Not signed (recorded before "
                    u"signatures); record SHA-256: <tt>%2</tt></small></td></tr>"_s.arg(
                        comment, esc(s.signatureHash));
        }
    }
    html += u"</table>"_s;
    return html;
}

} // namespace cutover::report
