#pragma once

// The default store: one SQLite file through QtSql (QSQLITE). WAL journal (readers never block
// the writer), synchronous=FULL (a committed write survives power loss), busy_timeout (a second
// console waits for the first instead of failing at once), foreign keys on. Every instance has
// its own connection name, so two instances in one process behave like two consoles.

#include "app/store/clock.h"
#include "app/store/sql_store.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QVariantList>

#include <functional>
#include <memory>

class QSqlQuery;

namespace cutover::store {

class SqliteStore final : public SqlStore {
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
    std::unique_ptr<LeaseBackend> createLeaseBackend() const override;

private:
    explicit SqliteStore(Options options, QString connectionName);
    StoreResult<void> configureAndMigrate();

    QSqlDatabase database() const;
    StoreError sqlError(const QSqlError &error, const QString &what) const;
    StoreResult<QSqlQuery> exec(const QString &sql, const QVariantList &binds = {}) override;
    // BEGIN IMMEDIATE … COMMIT: the write lock is taken at the start, so two consoles serialise.
    StoreResult<void> write(const std::function<StoreResult<void>()> &body) override;
    QDateTime now() const override;

    Options m_options;
    QString m_connectionName;
    int m_schemaVersion = 0;
};

} // namespace cutover::store
