#pragma once

// The shared store: one PostgreSQL database through QtSql (QPSQL), for a war room where several
// consoles on several desks must see one truth. Same schema versions and the same semantics as
// SqliteStore:
// - every write is one transaction that first takes pg_advisory_xact_lock(kWriteLockKey), so the
//   writes (and the audit appends inside them) of every console are serialised exactly like
//   SQLite's BEGIN IMMEDIATE; a read-check-write (the version column, "already ticked") then sees
//   the winner's committed row. Serialization failures and deadlocks (40001, 40P01) are retried;
//   lock_timeout (busyTimeoutMs) turns a console that holds the lock too long into Kind::Busy;
// - every write ends with pg_notify('cutover_changes', seq) in the same transaction, so a
//   listener hears about it exactly when it is committed (PostgresWatcher);
// - a lost connection (server restarted, network cut) is reopened on the next call; a write whose
//   transaction never reached COMMIT is retried once on the new connection, one whose COMMIT was
//   sent is never replayed (its outcome is reported as an Io error).
// - the server unreachable: after a failed connect (or when the change feed says so,
//   markUnreachable()), calls fail at once with Io instead of each waiting on the network, and
//   audit entries go to the local journal; this holds while a change feed is attached
//   (PostgresWatcher): only the feed's own thread tries the server, until it calls
//   markReachable(). Without a feed (the command line, headless tools) every call tries again.
// QtSql is synchronous: a call blocks until the server answers. libpq's limits keep that bounded
// on a dead link (connect_timeout=5, keepalives, tcp_user_timeout=5000 unless the url sets them),
// and the circuit above makes it once per outage, not once per call. A server that accepts and
// then never answers still holds a call until it answers; the change feed, on its own thread,
// declares the outage meanwhile. The password is given to libpq only: never logged, never in a
// message or description().

#include "app/config/plan.h"
#include "app/store/clock.h"
#include "app/store/sql_store.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QUrl>
#include <QVariantList>

#include <functional>
#include <memory>

class QSqlQuery;

namespace cutover::store {

class AuditJournal;

// Whether a PostgreSQL host stays on this machine (loopback address, "localhost", a socket folder).
bool isLoopbackPostgresHost(const QString &host);
// For a url off this machine that sets sslmode below verify-full: what that gives away. The
// store then connects as asked; preflight shows this as a warning.
std::optional<QString> postgresTlsWeakened(const QUrl &url);

class PostgresStore final : public SqlStore {
public:
    struct Options {
        // postgresql://host[:port]/database[?sslmode=verify-full&sslrootcert=/path&…]; query items
        // are libpq connection options, passed through (never `password`).
        QUrl url;
        QString user;     // empty: the url's user name
        QString password; // empty: the url's password, if any
        Clock clock = systemClock();
        int busyTimeoutMs = 5000; // lock_timeout
        // statement_timeout: no statement of this session runs longer (a hung query, a server
        // under load) — it fails with Kind::Busy instead. Above busyTimeoutMs, so a lock wait
        // still reports as one. 0: the server's setting.
        int statementTimeoutMs = 15'000;
        // The local audit journal (postgres_journal.h); empty: none, and appendAudit() fails
        // with Io while the server is unreachable.
        QString journalPath;
        // false: a database without this program's tables is an Io error, nothing is created
        // (verification must not make an empty store and call it "OK").
        bool createIfMissing = true;
        // The console: when the server cannot be reached at start, open anyway (needs
        // journalPath): every call fails at once, audit entries go to the journal, and the schema
        // is checked when the change feed first reaches the server. Off: open() fails with Io.
        bool startUnreachable = false;
    };

    static Options optionsFrom(const config::StoreConfig &config, Clock clock = systemClock());

    // How to reach the server (the change feed's thread opens its own connection with it).
    struct ConnectionSettings {
        QString host;
        int port = 5432;
        QString database;
        QString user;
        QString password;
        QString connectOptions;
        // "postgresql://host:port/database": no user, no password.
        QString description() const;
    };
    // The connection the url and options describe (libpq options with this console's defaults:
    // timeouts, keep-alives, sslmode=verify-full off this machine), without connecting.
    static StoreResult<ConnectionSettings> connectionSettingsFor(const Options &options);
    // A new, unopened QSqlDatabase in the calling thread.
    static QSqlDatabase addConnection(const ConnectionSettings &settings,
                                      const QString &connectionName);
    // A libpq/QtSql error's text, the password masked should a message ever echo it.
    static QString errorDetail(const QSqlError &error, const ConnectionSettings &settings);

    // Connects and migrates. Errors: Io (cannot reach or log in; bad url), Schema (newer than this
    // program, or a migration failed), Busy.
    static StoreResult<std::unique_ptr<PostgresStore>> open(const Options &options);
    ~PostgresStore() override;

    QString description() const override;
    int schemaVersion() const override { return m_schemaVersion; }
    std::unique_ptr<LeaseBackend> createLeaseBackend() const override;

    // With a journal (Options::journalPath): when the server cannot be reached (Kind::Io), the
    // event is queued in the local journal instead and the result has seq 0 and no hash; it is
    // written to the shared store, in order and before any newer write of this console, by
    // replayJournal(). Without a journal, or on any other error, the error is returned.
    StoreResult<AuditEntry> appendAudit(const AuditEvent &event) override;

    // A PostgresWatcher: LISTEN cutover_changes on its own connection; `intervalMs` is only the
    // slow safety-net poll's base (it polls every max(20 × intervalMs, 10 s)).
    StoreWatcher *createWatcher(QObject *parent, int intervalMs = 500) override;

    // Writes the journal's queued entries to the shared store, oldest first, each with the time it
    // happened and details.journal = {id, queued_at}; stops at the first failure (the rest stay
    // queued). Called by open(), by every write while entries wait, and by PostgresWatcher when
    // the server is back. Returns how many were written.
    StoreResult<int> replayJournal();
    // Entries waiting in the journal (for the header: "3 audit entries not yet shared").
    qint64 journalPending() const { return m_journalPending; }
    qint64 auditEntriesWaiting() const override { return m_journalPending; }

    // A libpq/QtSql error as a StoreError (the password, should a message ever echo it, masked).
    StoreError sqlError(const QSqlError &error, const QString &what) const;

    // --- for PostgresWatcher ---
    ConnectionSettings connectionSettings() const { return m_connection; }
    // While attached, only the change feed tries an unreachable server (see above).
    void setChangeFeedAttached(bool attached) { m_feedAttached = attached; }
    // The feed lost the server (`reason` goes into every refused call's message) / reached it.
    void markUnreachable(const QString &reason);
    void markReachable();
    bool reachable() const { return m_unreachable.isEmpty(); }

private:
    PostgresStore(Options options, ConnectionSettings connection, QString connectionName);
    StoreResult<void> connect();
    StoreResult<void> migrate();

    QSqlDatabase database() const;
    StoreResult<void> ensureOpen();
    // Prepares, binds and executes. Outside a transaction, a lost connection is reopened and the
    // statement run once more.
    StoreResult<QSqlQuery> exec(const QString &sql, const QVariantList &binds = {}) override;
    // One write transaction: BEGIN, the advisory lock, body, COMMIT; rolled back when `body`
    // fails; retried on serialization failure / deadlock / a connection lost before COMMIT.
    StoreResult<void> write(const std::function<StoreResult<void>()> &body) override;
    QDateTime now() const override;
    // The dialect.
    StoreResult<qint64> insertReturningId(const QString &sql, const QVariantList &binds) override;
    QVariant limitBind(int limit) const override {
        return limit < 0 ? QVariant() : QVariant(limit);
    }
    StoreResult<void> beginSnapshot() override;
    void endSnapshot() override;
    // NOTIFY in the append's transaction: listeners hear of it exactly when it commits.
    StoreResult<void> afterAuditAppended(const AuditEntry &entry) override;

    Options m_options;
    ConnectionSettings m_connection;
    QString m_connectionName;
    int m_schemaVersion = 0;
    bool m_connectionLost = false; // set by exec() when the last error looked like a lost link
    bool m_retryable = false;      // set by exec(): serialization failure or deadlock
    std::unique_ptr<AuditJournal> m_journal;
    qint64 m_journalPending = 0;
    bool m_replaying = false;
    bool m_inTransaction = false; // between BEGIN and COMMIT/ROLLBACK: exec() never reconnects
    bool m_feedAttached = false;
    QString m_unreachable;        // why the server is unreachable; empty: it is reachable
    bool m_schemaPending = false; // started unreachable: migrate() at the first connection
};

} // namespace cutover::store
