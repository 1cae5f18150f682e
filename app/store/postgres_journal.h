#pragma once

// The local audit journal of a PostgresStore: while the shared database is unreachable, audit
// entries (a rollback's above all: it runs against the load balancers whatever the store says)
// wait here, in a small SQLite file on the console's own disk (WAL, synchronous=FULL), and are
// written to the shared store in order when it answers again (PostgresStore::replayJournal()).
// Each queued entry carries a random id that goes into the replayed entry's details
// ("journal": {"id", "queued_at"}), so a replay interrupted between the shared commit and the
// local delete never writes an entry twice; and an entry queued because the connection died
// after its COMMIT was sent (it may have been stored after all) is skipped when the shared log
// already holds it (same time, actor, action, subject and details).

#include "app/store/records.h"
#include "app/store/store_error.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <memory>

namespace cutover::store {

class AuditJournal {
public:
    struct Pending {
        qint64 id = 0;     // order of queuing
        QString journalId; // random, unique
        QDateTime at;      // when the event happened (the replayed entry's time)
        QDateTime queuedAt;
        AuditEvent event;
    };

    // Opens or creates the journal file (and its folder). Errors: Io, Corrupt.
    static StoreResult<std::unique_ptr<AuditJournal>> open(const QString &path);
    ~AuditJournal();
    AuditJournal(const AuditJournal &) = delete;
    AuditJournal &operator=(const AuditJournal &) = delete;

    QString path() const { return m_path; }
    StoreResult<Pending> enqueue(const AuditEvent &event, const QDateTime &at);
    // Oldest first.
    StoreResult<QList<Pending>> pending();
    StoreResult<qint64> count();
    StoreResult<void> remove(qint64 id);

private:
    AuditJournal(QString path, QString connectionName);
    StoreError error(const QString &what) const;

    QString m_path;
    QString m_connectionName;
};

} // namespace cutover::store
