#pragma once

// Who takes the automatic decisions (validation verdicts, holds, triggers and automatic
// rollback, drift, resuming interrupted work): one engine at a time, chosen through a lease row
// in the store (table decision_lease, schema version 2).
//
// Why a lease row with a heartbeat and not a PostgreSQL session advisory lock: an advisory lock
// is released when the server notices its session is gone, which after a SIGKILL is at once but
// after a network cut is only when the server's TCP keepalive gives up (two hours by default);
// meanwhile nobody could take over. A lease expires on its own after `lease` without renewal, the
// holder stops deciding before that (it fences itself on a monotonic clock, see LeaseKeeper), the
// same SQL works on SQLite and PostgreSQL, and the row carries what the heartbeat must show
// anyway (host, pid, version, leading since, last evaluation). Expiry is judged on one clock: the
// PostgreSQL server's (clock_timestamp()) for a shared store, the host's for a SQLite file.
//
// A `--serve` controller always seeks the lease and takes it from a desk (a window or a command)
// at once; a desk seeks it only while no controller holds it, so with no controller exactly one
// window decides, and a controller that starts takes over.
//
// Every call here runs on the LeaseKeeper's own thread with its own connection: a LeaseBackend is
// created in one thread, then used only in the thread that called open().

#include "app/store/store_error.h"

#include <QDateTime>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace cutover::store {

enum class LeaseHolderKind { Controller, Desk };
QString leaseHolderKindName(LeaseHolderKind kind);

struct LeaseHolder {
    QString id; // unique per process run
    LeaseHolderKind kind = LeaseHolderKind::Controller;
    QString host;
    qint64 pid = 0;
    QString operatorName; // a desk: who is signed in there; empty for a controller
    QString version;      // of the program
    qint64 term = 0;      // +1 at every change of holder
    QDateTime leadingSince;
    QDateTime renewedAt;
    QDateTime expiresAt;
    QDateTime lastEvaluationAt; // the holder's last evaluation round; invalid: none yet

    bool isEmpty() const { return id.isEmpty(); }
    bool freshAt(const QDateTime &now) const { return !id.isEmpty() && expiresAt > now; }
    // "controller host-a (pid 4242)" / "window of alice on host-b (pid 77)"
    QString describe() const;
};

// The end of the time somebody evaluated the checks and triggers (the decider's last round).
struct WatchMark {
    QDateTime evaluatedAt; // invalid: never
    QString evaluatedBy;
};

// What one look at the lease shows, with the lease clock's time at that look.
struct LeaseReading {
    std::optional<LeaseHolder> holder; // empty: never held
    QDateTime now;
    WatchMark mark;
};

struct LeaseAcquisition {
    bool won = false;
    LeaseHolder holder; // after the attempt: the candidate when won, else whoever holds it
    // When won by preempting a desk whose lease had not expired yet: when that lease ends (the
    // new holder must not decide before, the desk may still be deciding until then).
    QDateTime previousExpiresAt;
    QDateTime now;
};

class LeaseBackend {
public:
    virtual ~LeaseBackend() = default;

    // Opens this backend's own connection in the calling thread.
    virtual StoreResult<void> open() = 0;
    virtual StoreResult<LeaseReading> read() = 0;
    // Takes the lease for `candidate` if nobody holds it, it expired, or (for a controller) a
    // desk holds it. `candidate.id` already holding it is a renewal.
    virtual StoreResult<LeaseAcquisition> tryAcquire(const LeaseHolder &candidate,
                                                     qint64 leaseMs) = 0;
    // Extends the lease of `holderId`; false when it no longer holds it (taken over).
    virtual StoreResult<bool> renew(const QString &holderId, qint64 leaseMs,
                                    const QDateTime &lastEvaluationAt) = 0;
    // Ends the lease of `holderId` now, so a follower takes over at its next look.
    virtual StoreResult<void> release(const QString &holderId) = 0;
    // Moves the watch mark forward to `at` (never back).
    virtual StoreResult<void> markEvaluated(const QDateTime &at, const QString &by) = 0;
};

// The SQL of both backends; the dialects differ only in how the connection is made and which
// clock judges expiry.
struct SqlLeaseConnection {
    enum class Dialect { Sqlite, Postgres };
    Dialect dialect = Dialect::Sqlite;
    // Creates (not opens) a QSqlDatabase named `connectionName` in the calling thread.
    std::function<void(const QString &connectionName)> addDatabase;
    QString description; // for messages: never a password
    // SQLite: the host clock (the store's clock, so tests can drive it).
    std::function<QDateTime()> hostClock;
};
std::unique_ptr<LeaseBackend> createSqlLeaseBackend(SqlLeaseConnection connection);

} // namespace cutover::store
