#pragma once

// The store: stage state, checklist ticks, sign-offs, sign-in lock-outs and the hash-chained
// audit log. SqliteStore (sqlite_store.h) is the default; a PostgreSQL store fills the same
// interface for a shared war room.
//
// Why a plain interface and not a QObject: every call is synchronous and returns only after the
// write is committed (the caller may say "done" then), so a Store has no signals of its own to
// offer. Change notification is a separate concern with different mechanics per backend (SQLite:
// cheap polling of the change counter; PostgreSQL: LISTEN/NOTIFY), so it lives in StoreWatcher,
// which createWatcher() lets each backend specialise. Keeping Store QObject-free also keeps it
// usable from plain test code and movable between owners.
//
// Contract of every implementation:
// - Each write is one transaction and also appends its audit entry in that same transaction:
//   the record and its audit entry are committed together or not at all.
// - Audit appends are serialised across processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
//   advisory lock), so several consoles form one chain.
// - The change counter (lastChangeId) is the audit log's last seq: every write appends to the
//   log, so it moves exactly when something changed.
// - Never throws; every failure is a StoreError. A Store is used from the thread that created it.

#include "app/config/plan.h"
#include "app/store/clock.h"
#include "app/store/records.h"
#include "app/store/store_error.h"

#include <QList>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QObject;

namespace cutover::store {

class LeaseBackend;
class StoreWatcher;

class Store {
public:
    virtual ~Store() = default;
    Store() = default;
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // "sqlite:/path/to/store.sqlite" — for logs and the header; never contains a password.
    virtual QString description() const = 0;
    virtual int schemaVersion() const = 0;

    // --- Stage state (optimistic concurrency) ---
    // nullopt when the environment was never written (its version is then 0).
    virtual StoreResult<std::optional<StageState>> stageState(const QString &environment) = 0;
    virtual StoreResult<QList<StageState>> stageStates() = 0;
    // Writes `newState` if the stored version still equals `expectedVersion` (0: the row must not
    // exist yet). Returns the stored state with version expectedVersion + 1 and changedAt set
    // (changedAt from the store's clock when invalid). Fails with Kind::Conflict carrying
    // changedBy/changedAt/currentVersion and "stage changed by NAME at TIME" when another writer
    // got there first. Audited as `audit.action` (default "stage_changed").
    virtual StoreResult<StageState> updateStageState(qint64 expectedVersion,
                                                     const StageState &newState,
                                                     const AuditContext &audit = {}) = 0;

    // --- Checklist ticks ---
    virtual StoreResult<QList<Tick>> ticks(const QString &environment) = 0;
    // Conflict (with who and when) if that check is already ticked. Audited "check_ticked".
    virtual StoreResult<Tick> tick(const Tick &tick, const QJsonObject &details = {}) = 0;
    // Returns false when it was not ticked (nothing written). Audited "check_unticked".
    virtual StoreResult<bool> untick(const QString &environment, const QString &gate,
                                     const QString &check, const QString &actor,
                                     const QString &role) = 0;

    // --- Sign-offs ---
    // Active (not voided) sign-offs of the environment, oldest first.
    virtual StoreResult<QList<SignOff>> signOffs(const QString &environment) = 0;
    // Records an electronic signature; the store sets id, at (when invalid) and signatureHash.
    // With a `signer`: inside the write, the store sets auditHeadBefore to the chain's head and
    // stores signer(canonicalSignOffBytes(record)) as the signature (the caller set
    // keyFingerprint); without one the record's signature fields are kept as given (a copy).
    // Conflict (with who and when) if that gate already holds an active signature for that role.
    // Audited "gate_signed". The caller has re-verified the passphrase before calling.
    using SignOffSigner = std::function<QByteArray(const QByteArray &canonicalBytes)>;
    virtual StoreResult<SignOff> signOff(const SignOff &signOff,
                                         const SignOffSigner &signer = {}) = 0;
    // Every sign-off ever recorded, voided ones included (voidedAt set), oldest first.
    virtual StoreResult<QList<SignOff>> allSignOffs() = 0;
    // Removes the gate's ticks and voids its sign-offs (e.g. after a rollback, the gate must be
    // passed again). Returns how many records were cleared. Audited "gate_reset".
    virtual StoreResult<int> resetGate(const QString &environment, const QString &gate,
                                       const QString &actor, const QString &role,
                                       const QString &reason) = 0;

    // --- Sign-in lock-out (see SignInGuard in sign_in.h for the policy) ---
    virtual StoreResult<SignInState> signInState(const QString &operatorName) = 0;
    // Counts a failure at `now`; when the count reaches `threshold`, locks until now + lockFor
    // and restarts the count. Audited "sign_in_failed" (with `details`; never the passphrase).
    virtual StoreResult<SignInState> recordSignInFailure(const QString &operatorName,
                                                         const QDateTime &now, int threshold,
                                                         qint64 lockForMs,
                                                         const QJsonObject &details = {}) = 0;
    // Clears the failure count. Audited `action` (e.g. "signed_in", "passphrase_verified").
    virtual StoreResult<void> recordSignInSuccess(const QString &operatorName,
                                                  const QString &action,
                                                  const QJsonObject &details = {}) = 0;

    // --- Audit log ---
    virtual StoreResult<AuditEntry> appendAudit(const AuditEvent &event) = 0;
    // Entries with seq > afterSeq, in order; limit < 0: all.
    virtual StoreResult<QList<AuditEntry>> auditEntries(qint64 afterSeq = 0, int limit = -1) = 0;
    // The newest entry with that action; nullopt when there is none.
    virtual StoreResult<std::optional<AuditEntry>> lastAuditEntry(const QString &action) = 0;
    // Walks the whole chain (audit_chain.h) and checks it against the recorded head.
    virtual StoreResult<AuditVerification> verifyAuditChain() = 0;

    // Audit entries this console holds locally because the store cannot take them now (the
    // PostgreSQL journal during an outage); written when it can. 0 for a local store.
    virtual qint64 auditEntriesWaiting() const { return 0; }

    // --- Change notification ---
    // The last audit seq (0 when empty). Cheap: a second console polls it.
    virtual StoreResult<qint64> lastChangeId() = 0;
    // What changed after `changeId` (the audit entries), at most `limit`.
    virtual StoreResult<QList<AuditEntry>> changesSince(qint64 changeId, int limit = 1000) {
        return auditEntries(changeId, limit);
    }
    // A watcher that emits StoreWatcher::changed() when another writer (or this one) changed the
    // store. Default: polls lastChangeId() every `intervalMs`. The store must outlive it.
    virtual StoreWatcher *createWatcher(QObject *parent, int intervalMs = 500);

    // --- Who decides (decision_lease.h) ---
    // A lease backend with a connection of its own, to be opened and used on another thread;
    // nullptr when this store cannot coordinate engines (then every engine decides).
    virtual std::unique_ptr<LeaseBackend> createLeaseBackend() const;
};

// Records the plan's SHA-256 at load: action "plan_loaded", subject the plan's name, details
// {file, sha256}.
StoreResult<AuditEntry> recordPlanLoaded(Store &store, const config::Plan &plan,
                                         const QString &actor);

// The SQLite file for a plan: store.path when set (already absolute after loading), else
// <AppDataLocation>/store.sqlite.
QString sqlitePathFor(const config::StoreConfig &config);

// Whether a shared store may open while its server cannot be reached (PostgreSQL only).
enum class StoreStart {
    RequireServer,    // the command line: fail with Io, say so, exit
    AllowUnreachable, // the war-room window: start, so Rollback never waits for the database
};

// Opens the store the plan names: SQLite at sqlitePathFor(), or, for a PostgreSQL url, a
// PostgresStore with its local audit journal beside sqlitePathFor() (entries wait there while the
// server is unreachable).
StoreResult<std::unique_ptr<Store>> openStore(const config::StoreConfig &config,
                                              Clock clock = systemClock(),
                                              StoreStart start = StoreStart::RequireServer);

// For tools that only read the log (--verify-audit, --export-audit): opens the store the plan
// names only if it already exists (never creates an empty one to call it "OK"), and for
// PostgreSQL without the local journal, so reading never writes this desk's queued entries.
StoreResult<std::unique_ptr<Store>> openExistingStore(const config::StoreConfig &config,
                                                      Clock clock = systemClock());

// Where a PostgreSQL store's local audit journal lives: beside sqlitePathFor().
QString auditJournalPathFor(const config::StoreConfig &config);

} // namespace cutover::store
