#pragma once

// The change feed's connection, on a thread of its own. QtSql (libpq underneath) is synchronous:
// connecting to a host that drops packets waits connect_timeout, and a query to a server that
// stopped answering waits for it. Neither may happen on the UI thread, so everything that talks
// to the server on a timer — connecting and reconnecting with backoff, LISTEN, the heartbeat —
// happens here, and the UI thread only hears signals (PostgresWatcher turns them into the store's
// reachability and the console's "store down / back").
//
// Lives in a QThread (PostgresWatcher moves it there and calls start() through the event loop);
// its connection is created, used and removed in that thread only.

#include "app/store/postgres_store.h"

#include <QObject>
#include <QSqlDriver>
#include <QTimer>

namespace cutover::store {

class PostgresListener final : public QObject {
    Q_OBJECT
public:
    PostgresListener(PostgresStore::ConnectionSettings settings, int heartbeatMs);
    ~PostgresListener() override;

    // Connects, LISTENs and starts the heartbeat (call in the listener's thread).
    void start();

Q_SIGNALS:
    // LISTEN works (at start and after every reconnect).
    void listening();
    // A heartbeat was answered: the server is alive.
    void alive();
    // The connection failed or was lost; the next attempt is in `retryInMs`. Emitted on every
    // failed attempt: PostgresWatcher reports only the first of an outage.
    void lost(const QString &reason, int retryInMs);
    // Someone committed a change (NOTIFY cutover_changes).
    void notified();

private:
    void connectFeed();
    void heartbeat();
    void fail(const QString &reason);
    void onNotification(const QString &name, QSqlDriver::NotificationSource source,
                        const QVariant &payload);

    PostgresStore::ConnectionSettings m_settings;
    QString m_connectionName;
    QTimer m_heartbeat;
    QTimer m_reconnect;
    int m_backoffMs;
};

} // namespace cutover::store
