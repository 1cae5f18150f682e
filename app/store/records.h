#pragma once

// The values the store keeps. Plain structs: the engine owns their meaning (phase names, the
// shape of the intended weights), the store owns their durability. Times are UTC with
// millisecond precision (stored as milliseconds since the epoch).

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace cutover::store {

// Where one environment stands. `version` is the optimistic-concurrency token: it is 0 for an
// environment never written, and every successful updateStageState() increments it by one.
struct StageState {
    QString environment;
    int stageIndex = -1; // -1: before the first stage
    QString phase;       // the engine's phase name (Holding, Shifting, …)
    QJsonObject intendedWeights;
    QDateTime enteredAt;     // when this stage/phase was entered
    QDateTime holdStartedAt; // invalid: no hold running. Survives restarts with the row.
    qint64 version = 0;
    QString changedBy;
    QDateTime changedAt;

    bool operator==(const StageState &) const = default;
};

// A manual checklist item ticked by an operator in a role.
struct Tick {
    QString environment;
    QString gate;
    QString check;
    QString tickedBy;
    QString role;
    QDateTime at; // invalid on input: the store's clock

    bool operator==(const Tick &) const = default;
};

// An electronic signature on a gate (21 CFR Part 11 §11.50: printed name, date-time, meaning).
struct SignOff {
    qint64 id = 0; // assigned by the store
    QString environment;
    QString gate;
    QString role;
    QString operatorName;
    QString printedName;
    QString meaning; // e.g. "approved", "reviewed"
    QString comment;
    QDateTime at; // invalid on input: the store's clock
    // What was signed besides the words (audit_chain.h: canonicalSignOffBytes, format v2):
    QString planSha256;      // the plan file the gate came from
    QString items;           // compact JSON array of the gate's checks as the signer saw them
    QString auditHeadBefore; // the audit head when signed; set by the store
    QString keyFingerprint;  // "ed25519:<hex>"; empty: a v1 record made before signatures
    QString signature;       // base64 Ed25519 signature over the canonical bytes
    // SHA-256 (hex) of the canonical bytes; computed by the store (audit_chain.h).
    QString signatureHash;
    QDateTime voidedAt; // set when a gate reset voided it (allSignOffs() only)

    bool isSigned() const { return !keyFingerprint.isEmpty(); }
    bool operator==(const SignOff &) const = default;
};

// Failed sign-ins of one operator, persisted so a restart does not reset a lock-out.
struct SignInState {
    QString operatorName;
    int failures = 0;        // consecutive failures since the last success or lock
    QDateTime lockedUntil;   // invalid: not locked
    QDateTime lastFailureAt; // invalid: none

    bool lockedAt(const QDateTime &now) const { return lockedUntil.isValid() && now < lockedUntil; }
};

// What a caller asks to be recorded in the audit log. Never put a secret in it.
struct AuditEvent {
    QString actor;       // operator name, or "engine" / "system" for automatic decisions
    QString role;        // the role the actor acted in; empty when none
    QString action;      // snake_case verb: plan_loaded, check_ticked, shift_applied, …
    QString environment; // empty when not about one environment
    QString subject;     // what was acted on: "gate_1/backup_verified", "stage 2", …
    QJsonObject details;
};

// One stored audit entry. See audit_chain.h for how `hash` is computed.
struct AuditEntry {
    qint64 seq = 0;
    QDateTime at;
    QString actor;
    QString role;
    QString action;
    QString environment;
    QString subject;
    QString details; // compact JSON text exactly as hashed
    QString prevHash;
    QString hash;

    QJsonObject detailsObject() const;
    bool operator==(const AuditEntry &) const = default;
};

// What the store adds to the audit entry a write records in the same transaction.
struct AuditContext {
    QString action; // empty: the write's default action
    QString role;
    QJsonObject details; // merged into the entry's details
};

// The outcome of walking the audit chain.
struct AuditVerification {
    bool ok = false;
    qint64 entries = 0;
    QString headHash;     // of the last entry when ok
    qint64 brokenSeq = 0; // the first entry that does not verify (or 0 when the break is global)
    QString problem;      // what does not match, e.g. "hash mismatch: stored …, computed …"

    QString toString() const; // "OK: N entries, head H" or "BROKEN at seq S: problem"
};

} // namespace cutover::store
