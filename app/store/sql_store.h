#pragma once

// What the QtSql stores share: every record operation of the Store interface written once, on
// top of four primitives a backend provides (exec, write, now, description) and a few hooks
// where SQLite and PostgreSQL differ. SqliteStore and PostgresStore add only connections,
// transactions, migrations and their dialect.

#include "app/store/schema.h"
#include "app/store/store.h"

#include <QDateTime>
#include <QSqlQuery>
#include <QVariant>
#include <QVariantList>

#include <functional>

namespace cutover::store {

class SqlStore : public Store {
public:
    StoreResult<std::optional<StageState>> stageState(const QString &environment) override;
    StoreResult<QList<StageState>> stageStates() override;
    StoreResult<StageState> updateStageState(qint64 expectedVersion, const StageState &newState,
                                             const AuditContext &audit = {}) override;
    StoreResult<QList<Tick>> ticks(const QString &environment) override;
    StoreResult<Tick> tick(const Tick &tick, const QJsonObject &details = {}) override;
    StoreResult<bool> untick(const QString &environment, const QString &gate, const QString &check,
                             const QString &actor, const QString &role) override;
    StoreResult<QList<SignOff>> signOffs(const QString &environment) override;
    StoreResult<SignOff> signOff(const SignOff &signOff, const SignOffSigner &signer = {}) override;
    StoreResult<QList<SignOff>> allSignOffs() override;
    StoreResult<int> resetGate(const QString &environment, const QString &gate,
                               const QString &actor, const QString &role,
                               const QString &reason) override;
    StoreResult<SignInState> signInState(const QString &operatorName) override;
    StoreResult<SignInState> recordSignInFailure(const QString &operatorName, const QDateTime &now,
                                                 int threshold, qint64 lockForMs,
                                                 const QJsonObject &details = {}) override;
    StoreResult<void> recordSignInSuccess(const QString &operatorName, const QString &action,
                                          const QJsonObject &details = {}) override;
    StoreResult<AuditEntry> appendAudit(const AuditEvent &event) override;
    StoreResult<QList<AuditEntry>> auditEntries(qint64 afterSeq = 0, int limit = -1) override;
    StoreResult<std::optional<AuditEntry>> lastAuditEntry(const QString &action) override;
    StoreResult<AuditVerification> verifyAuditChain() override;
    StoreResult<qint64> lastChangeId() override;

protected:
    // Prepares, binds and executes; the error names `sql`'s purpose, never bound values.
    virtual StoreResult<QSqlQuery> exec(const QString &sql, const QVariantList &binds = {}) = 0;
    // One write transaction, rolled back when `body` fails; returns only after COMMIT.
    virtual StoreResult<void> write(const std::function<StoreResult<void>()> &body) = 0;
    virtual QDateTime now() const = 0;

    // Where the dialects differ.
    virtual StoreResult<qint64> insertReturningId(const QString &sql, const QVariantList &binds);
    virtual QVariant limitBind(int limit) const { return limit; } // SQLite: LIMIT -1 is "all"
    virtual StoreResult<void> beginSnapshot();                    // a consistent read
    virtual void endSnapshot();
    // Inside the append's transaction, after the entry is written (PostgreSQL: NOTIFY).
    virtual StoreResult<void> afterAuditAppended(const AuditEntry &) { return {}; }

    // Inside a write: Conflict "`what` by WHO at WHEN" when `sql` (selecting who, then when in
    // ms) finds a row; nothing when it finds none.
    StoreResult<void> refuseIfTaken(const QString &sql, const QVariantList &binds,
                                    const QString &what);
    // Inside an open write transaction: creates schema_version (its applied_at column of type
    // `timeType`), refuses a schema newer than this program (Kind::Schema, nothing changed) and
    // applies the missing `migrations` in order. Returns the version the store is at now.
    StoreResult<int> applyMigrations(SqlDialect dialect);

    // Appends inside an open write transaction.
    StoreResult<AuditEntry> appendAuditInTransaction(const AuditEvent &event, const QDateTime &at);
};

} // namespace cutover::store
