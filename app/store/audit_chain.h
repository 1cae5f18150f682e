#pragma once

// The hash chain of the audit log, as pure functions so every store implementation (SQLite,
// PostgreSQL) and every verifier (the --verify-audit command, an exported file) compute exactly
// the same bytes.
//
// Canonical form of an entry (format "v1"), the input of SHA-256:
//
//     "cutover-audit-v1\n"
//     then for each field, in this order:
//         seq, at, actor, role, action, environment, subject, details, prev_hash
//     the field as UTF-8 bytes, written as  <byte length in decimal> ":" <bytes> "\n"
//
//   - seq: the entry's sequence number in decimal (1, 2, …), no sign, no leading zeros;
//   - at: UTC milliseconds since 1970-01-01 in decimal;
//   - details: the stored compact JSON text, byte for byte (it is hashed as stored, so a verifier
//     never re-serialises JSON);
//   - prev_hash: the previous entry's hash in lower-case hex; for seq 1, 64 "0" characters.
//
// hash = lower-case hex of SHA-256(canonical form). The length prefixes make the encoding
// unambiguous whatever the fields contain (colons, newlines, empty strings). A verifier in
// Python: b"cutover-audit-v1\n" + b"".join(b"%d:%s\n" % (len(f), f) for f in fields).
//
// What a sign-off signs (format "v2"), same encoding with header "cutover-signoff-v2\n" and
// fields, in this order:
//     environment, gate, role, operator, printed_name, meaning, comment, at (UTC ms),
//     plan_sha256 (lower-case hex of the plan file), audit_head_before (the chain's head hash
//     when it was signed), items, key_fingerprint ("ed25519:" + hex SHA-256 of the public key)
// where items is the compact JSON array of the gate's checks, in the plan's order, each
//     {"by": who ticked it or "", "check": id, "role": the ticking role or "",
//      "state": "pass" | "fail" | "pending" | "unknown" | "open"}
// (a ticked manual item is "pass", an unticked one "open").
// (keys sorted, as QJsonDocument writes them). The Ed25519 signature (detached, 64 bytes, stored
// base64) is over exactly these bytes; signature_hash is their SHA-256. Moving a signature to
// another gate or environment, or changing one byte of a field, makes it fail.
// Records made before signatures (no key_fingerprint) keep format "v1": header
// "cutover-signoff-v1\n" and the first eight fields only.

#include "app/store/records.h"

#include <QByteArray>
#include <QList>

namespace cutover::store {

// Appends one field in the encoding above (<length>:<bytes>\n); shared by every canonical form
// (audit entries, sign-offs, checkpoints).
void appendCanonicalField(QByteArray &out, const QByteArray &field);

// 64 zeros: prev_hash of the first entry.
QString genesisHash();

QByteArray canonicalAuditBytes(const AuditEntry &entry);
QString auditHash(const AuditEntry &entry); // over canonicalAuditBytes(entry)

QByteArray canonicalSignOffBytes(const SignOff &signOff);
QString signatureHash(const SignOff &signOff);

// Compact JSON with keys sorted (QJsonObject keeps keys sorted): the stored details text.
QString detailsText(const QJsonObject &details);

// Walks entries in order: seq must run 1, 2, 3…, each prev_hash must equal the previous hash,
// each hash must match the recomputed one. `expectedHeadSeq`/`expectedHeadHash` (when >= 0 /
// non-empty) are the head the store recorded separately, which catches a truncated tail.
AuditVerification verifyAuditEntries(const QList<AuditEntry> &entries, qint64 expectedHeadSeq = -1,
                                     const QString &expectedHeadHash = {});

// Incremental form of the same walk, for stores that stream entries instead of loading them all.
class AuditChainVerifier {
public:
    // Returns false at the first broken entry; result() then names it.
    bool add(const AuditEntry &entry);
    AuditVerification finish(qint64 expectedHeadSeq = -1, const QString &expectedHeadHash = {});

private:
    qint64 m_count = 0;
    QString m_prevHash = genesisHash();
    AuditVerification m_broken;
};

} // namespace cutover::store
