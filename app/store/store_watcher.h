#pragma once

// Tells a console that the store changed, whoever changed it (another window on the same SQLite
// file, another desk on the same PostgreSQL). This base polls Store::lastChangeId() with a
// QTimer: no sleeps, no nested event loops, one cheap indexed query per interval.

#include "app/store/store_error.h"

#include <QObject>
#include <QTimer>

namespace cutover::store {

class Store;

class StoreWatcher : public QObject {
    Q_OBJECT
public:
    // Starts at the store's current change id: only later changes are reported. `store` must
    // outlive the watcher.
    StoreWatcher(Store &store, int intervalMs, QObject *parent = nullptr);

    qint64 lastSeen() const { return m_lastSeen; }
    // Polls once now (also called by the timer).
    void poll();

Q_SIGNALS:
    // The store's change id moved past what this watcher last saw; read changesSince(previous)
    // or reload what you show.
    void changed(qint64 previousChangeId, qint64 lastChangeId);
    // Polling failed (emitted when the failure starts, not on every interval); polling goes on.
    void failed(const cutover::store::StoreError &error);
    // Polling works again after a failure.
    void recovered();

protected:
    Store &m_store;

private:
    QTimer m_timer;
    qint64 m_lastSeen = 0;
    bool m_failing = false;
};

} // namespace cutover::store
