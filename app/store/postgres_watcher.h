#pragma once

// Live updates from a PostgresStore: LISTEN cutover_changes on a connection of its own
// (QSqlDriver::subscribeToNotification). Every write NOTIFYs in its own transaction, so a change
// made at any desk arrives here when it commits; the watcher then reads the change counter once
// (StoreWatcher::poll(): one row of audit_head) and emits changed(). No table is polled on a
// timer; the base class's poll runs only as a slow safety net (every fallbackIntervalMs).
//
// The server going away: a heartbeat (SELECT 1 on the listening connection, every
// heartbeatMs) notices a dead connection; the watcher emits failed() once, closes it and
// reconnects on a QTimer with capped exponential backoff (250 ms doubling to 5 s); when LISTEN
// works again it emits recovered() and catches up with one poll() (changed() if anything was
// written meanwhile). No sleeps, no nested event loops. Note the safety-net poll can report the
// same outage through failed()/recovered() as well: treat them as level changes, not events.

#include "app/store/store_watcher.h"

#include <QSqlDriver>
#include <QTimer>

namespace cutover::store {

class PostgresStore;

class PostgresWatcher final : public StoreWatcher {
    Q_OBJECT
public:
    PostgresWatcher(PostgresStore &store, int fallbackIntervalMs, QObject *parent = nullptr,
                    int heartbeatMs = 1000);
    ~PostgresWatcher() override;

    bool listening() const { return m_listening; }
    // The connection's reconnect delay now (for tests and the header's "retrying in …").
    int backoffMs() const { return m_backoffMs; }

private:
    void connectListener();
    void heartbeat();
    void lost(const StoreError &error);
    void onNotification(const QString &name, QSqlDriver::NotificationSource source,
                        const QVariant &payload);

    PostgresStore &m_pg;
    QString m_connectionName;
    QTimer m_heartbeat;
    QTimer m_reconnect;
    int m_backoffMs = 250;
    bool m_listening = false;
    bool m_down = false;
};

} // namespace cutover::store
