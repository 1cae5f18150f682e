#pragma once

// Live updates from a PostgresStore. The change feed's connection (LISTEN cutover_changes,
// heartbeat, reconnect with capped backoff 250 ms → 5 s) runs in a PostgresListener on a thread
// of its own, so a server that refuses, drops packets or stops answering never stalls the UI
// thread; this object, on the store's thread, turns the listener's signals into:
// - changed(): on NOTIFY it reads the change counter once (StoreWatcher::poll(), one row);
// - failed() once per outage, and the store made unreachable (its calls then fail at once, and
//   audit entries go to its local journal, instead of each waiting on the network);
// - recovered() when the feed works again: the store is made reachable, this desk's journal is
//   replayed, and one poll() catches up with what others wrote meanwhile.
// A watchdog also declares an outage when the heartbeat goes unanswered for stallMs (a server
// that accepts connections but stopped answering). No table is polled on a timer; the base
// class's poll runs only as a slow safety net. failed()/recovered() are level changes: the
// safety-net poll may report the same outage too.

#include "app/store/store_watcher.h"

#include <QTimer>

class QThread;

namespace cutover::store {

class PostgresListener;
class PostgresStore;

class PostgresWatcher final : public StoreWatcher {
    Q_OBJECT
public:
    PostgresWatcher(PostgresStore &store, int fallbackIntervalMs, QObject *parent = nullptr,
                    int heartbeatMs = 1000);
    ~PostgresWatcher() override;

    // The feed's LISTEN is in place (false before the listener's thread has connected).
    bool listening() const { return m_listening; }
    // The server does not answer: since when, and why (empty while it does).
    QString outage() const { return m_outage; }

Q_SIGNALS:
    // LISTEN is in place (at start and after every reconnect).
    void listeningStarted();

private:
    void onListening();
    void onLost(const QString &reason, int retryInMs);
    void onStalled();
    void up();
    void down(const QString &reason);

    PostgresStore &m_pg;
    QThread *m_thread = nullptr;
    PostgresListener *m_listener = nullptr; // lives in m_thread
    QTimer m_watchdog;
    bool m_listening = false;
    bool m_down = false;
    QString m_outage;
};

} // namespace cutover::store
