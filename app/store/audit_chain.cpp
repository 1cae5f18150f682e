#include "app/store/audit_chain.h"

#include <QCryptographicHash>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

QString sha256Hex(const QByteArray &bytes) {
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

} // namespace

void appendCanonicalField(QByteArray &out, const QByteArray &field) {
    out += QByteArray::number(field.size());
    out += ':';
    out += field;
    out += '\n';
}

QString genesisHash() {
    return QString(64, u'0');
}

QByteArray canonicalAuditBytes(const AuditEntry &entry) {
    QByteArray out = "cutover-audit-v1\n";
    appendCanonicalField(out, QByteArray::number(entry.seq));
    appendCanonicalField(out, QByteArray::number(entry.at.toMSecsSinceEpoch()));
    appendCanonicalField(out, entry.actor.toUtf8());
    appendCanonicalField(out, entry.role.toUtf8());
    appendCanonicalField(out, entry.action.toUtf8());
    appendCanonicalField(out, entry.environment.toUtf8());
    appendCanonicalField(out, entry.subject.toUtf8());
    appendCanonicalField(out, entry.details.toUtf8());
    appendCanonicalField(out, entry.prevHash.toUtf8());
    return out;
}

QString auditHash(const AuditEntry &entry) {
    return sha256Hex(canonicalAuditBytes(entry));
}

QByteArray canonicalSignOffBytes(const SignOff &signOff) {
    const bool v2 = signOff.isSigned();
    QByteArray out = v2 ? "cutover-signoff-v2\n" : "cutover-signoff-v1\n";
    appendCanonicalField(out, signOff.environment.toUtf8());
    appendCanonicalField(out, signOff.gate.toUtf8());
    appendCanonicalField(out, signOff.role.toUtf8());
    appendCanonicalField(out, signOff.operatorName.toUtf8());
    appendCanonicalField(out, signOff.printedName.toUtf8());
    appendCanonicalField(out, signOff.meaning.toUtf8());
    appendCanonicalField(out, signOff.comment.toUtf8());
    appendCanonicalField(out, QByteArray::number(signOff.at.toMSecsSinceEpoch()));
    if (v2) {
        appendCanonicalField(out, signOff.planSha256.toUtf8());
        appendCanonicalField(out, signOff.auditHeadBefore.toUtf8());
        appendCanonicalField(out, signOff.items.toUtf8());
        appendCanonicalField(out, signOff.keyFingerprint.toUtf8());
    }
    return out;
}

QString signatureHash(const SignOff &signOff) {
    return sha256Hex(canonicalSignOffBytes(signOff));
}

QString detailsText(const QJsonObject &details) {
    return QString::fromUtf8(QJsonDocument(details).toJson(QJsonDocument::Compact));
}

bool AuditChainVerifier::add(const AuditEntry &entry) {
    if (!m_broken.problem.isEmpty())
        return false;
    const qint64 expectedSeq = m_count + 1;
    auto fail = [&](const QString &problem, qint64 seq) {
        m_broken.ok = false;
        m_broken.entries = m_count;
        m_broken.brokenSeq = seq;
        m_broken.problem = problem;
        return false;
    };
    if (entry.seq > expectedSeq) // a gap names the first missing entry
        return fail(u"entry missing (the next entry found is seq %1)"_s.arg(entry.seq),
                    expectedSeq);
    if (entry.seq != expectedSeq)
        return fail(u"sequence out of order: expected seq %1"_s.arg(expectedSeq), entry.seq);
    if (entry.prevHash != m_prevHash)
        return fail(u"prev_hash %1 does not match the previous entry's hash %2"_s.arg(
                        entry.prevHash, m_prevHash),
                    entry.seq);
    const QString computed = auditHash(entry);
    if (entry.hash != computed)
        return fail(
            u"content does not match its hash: stored %1, computed %2"_s.arg(entry.hash, computed),
            entry.seq);
    ++m_count;
    m_prevHash = entry.hash;
    return true;
}

AuditVerification AuditChainVerifier::finish(qint64 expectedHeadSeq,
                                             const QString &expectedHeadHash) {
    if (!m_broken.problem.isEmpty())
        return m_broken;
    AuditVerification result;
    result.entries = m_count;
    result.headHash = m_count > 0 ? m_prevHash : QString();
    if (expectedHeadSeq > m_count) {
        result.brokenSeq = m_count + 1;
        result.problem = u"the log ends at seq %1 but the recorded head is seq %2 (entries "
                         u"removed from the end)"_s.arg(m_count)
                             .arg(expectedHeadSeq);
        return result;
    }
    if (expectedHeadSeq >= 0 && expectedHeadSeq < m_count) {
        result.brokenSeq = expectedHeadSeq + 1;
        result.problem = u"entries after the recorded head (seq %1) were not appended by the "
                         u"store"_s.arg(expectedHeadSeq);
        return result;
    }
    if (!expectedHeadHash.isEmpty() && m_count > 0 && expectedHeadHash != m_prevHash) {
        result.brokenSeq = m_count;
        result.problem = u"last entry's hash %1 differs from the recorded head %2"_s.arg(
            m_prevHash, expectedHeadHash);
        return result;
    }
    result.ok = true;
    return result;
}

AuditVerification verifyAuditEntries(const QList<AuditEntry> &entries, qint64 expectedHeadSeq,
                                     const QString &expectedHeadHash) {
    AuditChainVerifier verifier;
    for (const AuditEntry &entry : entries) {
        if (!verifier.add(entry))
            break;
    }
    return verifier.finish(expectedHeadSeq, expectedHeadHash);
}

} // namespace cutover::store
