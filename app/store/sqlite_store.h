#pragma once

// The default store: one SQLite file through QtSql (QSQLITE). WAL journal (readers never block
// the writer), synchronous=FULL (a committed write survives power loss), busy_timeout (a second
// console waits for the first instead of failing at once), foreign keys on. Every instance has
// its own connection name, so two instances in one process behave like two consoles.

#include "app/store/clock.h"
#include "app/store/store.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QVariantList>

#include <functional>
#include <memory>

class QSqlQuery;

namespace cutover::store {

class SqliteStore final : public Store {
public:
    struct Options {
        QString path;
        Clock clock = systemClock();
        int busyTimeoutMs = 5000;
        bool createIfMissing = true; // false: a missing file is an Io error (verification)
    };

    // Opens (creating when allowed) and migrates. Errors: Io (cannot open/create), Corrupt (not a
    // SQLite database, damaged), Schema (newer than this program, or a migration failed), Busy.
    static StoreResult<std::unique_ptr<SqliteStore>> open(const Options &options);
    ~SqliteStore() override;

    QString path() const { return m_options.path; }
    QString description() const override;
    int schemaVersion() const override { return m_schemaVersion; }

    StoreResult<std::optional<StageState>> stageState(const QString &environment) override;
    StoreResult<QList<StageState>> stageStates() override;
    StoreResult<StageState> updateStageState(qint64 expectedVersion, const StageState &newState,
                                             const AuditContext &audit = {}) override;

    StoreResult<QList<Tick>> ticks(const QString &environment) override;
    StoreResult<Tick> tick(const Tick &tick, const QJsonObject &details = {}) override;
    StoreResult<bool> untick(const QString &environment, const QString &gate, const QString &check,
                             const QString &actor, const QString &role) override;

    StoreResult<QList<SignOff>> signOffs(const QString &environment) override;
    StoreResult<SignOff> signOff(const SignOff &signOff) override;
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
    StoreResult<AuditVerification> verifyAuditChain() override;

    StoreResult<qint64> lastChangeId() override;

private:
    explicit SqliteStore(Options options, QString connectionName);
    StoreResult<void> configureAndMigrate();

    QSqlDatabase database() const;
    StoreError sqlError(const QSqlError &error, const QString &what) const;
    // Prepares, binds and executes; the error names `sql`'s purpose, never bound values.
    StoreResult<QSqlQuery> exec(const QString &sql, const QVariantList &binds = {}) const;
    // One write transaction (BEGIN IMMEDIATE … COMMIT); rolled back when `body` fails. Returns
    // only after COMMIT succeeded.
    StoreResult<void> write(const std::function<StoreResult<void>()> &body);
    // Appends inside an open write transaction.
    StoreResult<AuditEntry> appendAuditInTransaction(const AuditEvent &event, const QDateTime &at);
    QDateTime now() const;

    Options m_options;
    QString m_connectionName;
    int m_schemaVersion = 0;
};

} // namespace cutover::store
