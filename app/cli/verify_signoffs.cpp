#include "app/cli/verify_signoffs.h"

#include "app/cli/command_line.h"
#include "app/store/audit_chain.h"
#include "app/store/operators_evidence.h"
#include "app/store/operators_file.h"
#include "app/store/store.h"

#include <QHash>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {

using store::AuditEntry;
using store::RecordedKey;
using store::SignOff;

// The key recorded for `name` last before `seq` (all entries when seq < 0).
const RecordedKey *keyBefore(const QList<RecordedKey> &keys, const QString &name, qint64 seq) {
    const RecordedKey *found = nullptr;
    for (const RecordedKey &key : keys) {
        if (key.operatorName == name && (seq < 0 || key.seq < seq))
            found = &key;
    }
    return found;
}

QStringList problemsOf(const SignOff &s, const QHash<qint64, const AuditEntry *> &signedEntries,
                       const QHash<QString, qint64> &seqOfHash, const QList<RecordedKey> &keys) {
    if (!s.isSigned())
        return {u"not signed (a record made before signatures, or written into the store by "
                u"hand): it cannot be proven"_s};
    QStringList problems;
    const AuditEntry *entry = signedEntries.value(s.id);
    const qint64 seq = entry ? entry->seq : -1;
    if (!entry) {
        problems.append(u"no gate_signed audit entry records this sign-off"_s);
    } else {
        const QJsonObject details = entry->detailsObject();
        if (details.value(u"signature"_s).toString() != s.signature ||
            entry->environment != s.environment || entry->subject != s.gate)
            problems.append(u"differs from its audit entry (seq %1: %2/%3)"_s.arg(entry->seq)
                                .arg(entry->environment, entry->subject));
    }
    if (s.auditHeadBefore != store::genesisHash()) {
        const qint64 headSeq = seqOfHash.value(s.auditHeadBefore, -1);
        if (headSeq < 0 || (seq >= 0 && headSeq >= seq))
            problems.append(u"signed over an audit head (%1…) that is not an earlier entry of the "
                            u"log"_s.arg(s.auditHeadBefore.left(12)));
    }
    const RecordedKey *recorded = keyBefore(keys, s.operatorName, seq);
    if (!recorded) {
        problems.append(
            u"no public key of %1 is recorded in the audit log before it"_s.arg(s.operatorName));
        return problems;
    }
    const QString recordedFingerprint = store::keyFingerprint(recorded->publicKey);
    if (recordedFingerprint != s.keyFingerprint) {
        problems.append(u"names key %1 but the audit log recorded %2 for %3 (seq %4)"_s.arg(
            store::shortFingerprint(s.keyFingerprint), store::shortFingerprint(recordedFingerprint),
            s.operatorName, QString::number(recorded->seq)));
        return problems;
    }
    const QByteArray signature = QByteArray::fromBase64(s.signature.toLatin1());
    if (!store::verifySignature(recorded->publicKey, store::canonicalSignOffBytes(s), signature))
        problems.append(u"the signature does not match the record: a field was changed after "
                        u"signing, or the signature was copied from another gate or "
                        u"environment"_s);
    return problems;
}

} // namespace

int verifySignoffsCommand(const config::StoreConfig &storeConfig, const QString &operatorsFile,
                          QTextStream &out, QTextStream &err) {
    const auto fail = [&err](const QString &message) {
        err << message << '\n';
        err.flush();
        return int(ExitUsage);
    };
    if (operatorsFile.isEmpty())
        return fail(u"no operators file: give --operators-file FILE or a plan with "
                    u"operators.file"_s);
    const store::OperatorsLoadResult operators = store::loadOperatorsFile(operatorsFile);
    if (!operators.ok())
        return fail(operators.errorText());
    auto opened = store::openExistingStore(storeConfig);
    if (!opened)
        return fail(opened.error().toString());
    store::Store &db = *opened.value();
    auto signOffs = db.allSignOffs();
    if (!signOffs)
        return fail(signOffs.error().toString());
    auto entries = db.auditEntries();
    if (!entries)
        return fail(entries.error().toString());

    const QList<AuditEntry> &log = entries.value();
    QHash<qint64, const AuditEntry *> signedEntries; // by sign_off_id
    QHash<QString, qint64> seqOfHash;
    for (const AuditEntry &entry : log) {
        seqOfHash.insert(entry.hash, entry.seq);
        if (entry.action == u"gate_signed"_s)
            signedEntries.insert(entry.detailsObject().value(u"sign_off_id"_s).toInteger(), &entry);
    }
    const QList<RecordedKey> keys = store::recordedKeys(log);

    int failed = 0;
    int keyFileProblems = 0;
    QStringList signers;
    for (const SignOff &s : signOffs.value()) {
        const QStringList problems = problemsOf(s, signedEntries, seqOfHash, keys);
        const QString what = u"#%1 %2/%3 %4 by %5 (%6) at %7%8"_s.arg(s.id).arg(
            s.environment, s.gate, s.role, s.printedName, s.operatorName,
            s.at.toUTC().toString(Qt::ISODate), s.voidedAt.isValid() ? u" (voided)"_s : QString());
        if (problems.isEmpty()) {
            out << u"OK      %1, key %2\n"_s.arg(what, store::shortFingerprint(s.keyFingerprint));
        } else {
            ++failed;
            out << u"FAILED  %1: %2\n"_s.arg(what, problems.join(u"; "_s));
        }
        if (!signers.contains(s.operatorName))
            signers.append(s.operatorName);
    }
    // The key file itself: each signer's key there must be the one the log last recorded.
    for (const QString &name : signers) {
        const store::Operator *op = operators.file->find(name);
        const RecordedKey *last = keyBefore(keys, name, -1);
        if (!op || !op->key || !last)
            continue;
        if (op->key->publicKey != last->publicKey) {
            ++keyFileProblems;
            out << u"FAILED  operators file %1: the key of %2 (%3) is not the one the audit log "
                   u"recorded (%4, seq %5): the key in the file was replaced without being "
                   u"loaded by a console\n"_s
                       .arg(operatorsFile, name, store::shortFingerprint(op->keyFingerprint()),
                            store::shortFingerprint(store::keyFingerprint(last->publicKey)))
                       .arg(last->seq);
        }
    }
    const qsizetype total = signOffs.value().size();
    out << u"%1 sign-off(s): %2 verified, %3 failed"_s.arg(total).arg(total - failed).arg(failed);
    if (keyFileProblems > 0)
        out << u"; %1 key(s) in the operators file differ from the audit log"_s.arg(
            keyFileProblems);
    out << '\n';
    out.flush();
    return failed + keyFileProblems > 0 ? int(ExitInvalid) : int(ExitOk);
}

} // namespace cutover::cli
