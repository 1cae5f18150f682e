#include "app/store/postgres_watcher.h"

#include "app/store/postgres_listener.h"
#include "app/store/postgres_store.h"
#include "app/store/store_log.h"

#include <QThread>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {
// How long the thread may take to stop at destruction: its heartbeat may be waiting on a server
// that stopped answering. Beyond this the thread is left to the process's exit rather than the
// console's window waiting on it.
constexpr int kStopWaitMs = 2000;
} // namespace

PostgresWatcher::PostgresWatcher(PostgresStore &store, int fallbackIntervalMs, QObject *parent,
                                 int heartbeatMs)
    : StoreWatcher(store, fallbackIntervalMs, parent)
    , m_pg(store)
    , m_thread(new QThread) {
    m_thread->setObjectName(u"cutover-pg-feed"_s);
    m_listener = new PostgresListener(m_pg.connectionSettings(), heartbeatMs);
    m_listener->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_listener, &QObject::deleteLater);
    connect(m_listener, &PostgresListener::listening, this, &PostgresWatcher::onListening);
    connect(m_listener, &PostgresListener::alive, this, &PostgresWatcher::onListening);
    connect(m_listener, &PostgresListener::lost, this, &PostgresWatcher::onLost);
    connect(m_listener, &PostgresListener::notified, this, &StoreWatcher::poll);
    // The first connection waits on the listener's thread like every later one.
    connect(m_thread, &QThread::started, m_listener, &PostgresListener::start);

    // Unanswered heartbeats: a few intervals plus the time libpq may take to notice a dead link.
    m_watchdog.setSingleShot(true);
    m_watchdog.setInterval(3 * heartbeatMs + 1000);
    connect(&m_watchdog, &QTimer::timeout, this, &PostgresWatcher::onStalled);

    m_pg.setChangeFeedAttached(true);
    m_thread->start();
}

PostgresWatcher::~PostgresWatcher() {
    m_pg.setChangeFeedAttached(false);
    m_thread->quit();
    if (m_thread->wait(QDeadlineTimer(kStopWaitMs))) {
        delete m_thread; // the listener went with its thread's finished()
        return;
    }
    qCWarning(lcStore) << "the change feed's thread is still waiting on" << m_pg.description()
                       << "; it is left to end with the process";
}

void PostgresWatcher::onListening() {
    m_watchdog.start();
    const bool started = !m_listening;
    m_listening = true;
    up();
    if (started) {
        // Whatever was committed before LISTEN was in place (at start, or during a reconnect).
        poll();
        Q_EMIT listeningStarted();
    }
}

void PostgresWatcher::onLost(const QString &reason, int retryInMs) {
    m_listening = false;
    m_watchdog.stop();
    down(u"%1 (retrying in %2 ms)"_s.arg(reason).arg(retryInMs));
}

void PostgresWatcher::onStalled() {
    m_listening = false;
    down(u"%1 stopped answering (no reply for %2 s)"_s.arg(m_pg.description())
             .arg(m_watchdog.interval() / 1000.0, 0, 'f', 1));
}

void PostgresWatcher::up() {
    // The feed just heard the server: the store may try again (it marks itself unreachable when
    // its own connection drops, and leaves finding out to the feed).
    m_pg.markReachable();
    if (!m_down)
        return;
    m_down = false;
    m_outage.clear();
    qCInfo(lcStore) << "change feed from" << m_pg.description() << "restored";
    Q_EMIT recovered();
    // This desk's audit entries queued during the outage go to the shared store now.
    if (auto replayed = m_pg.replayJournal(); !replayed)
        qCWarning(lcStore) << "audit journal not replayed yet:" << replayed.error().toString();
    poll(); // whatever was written while we were away
}

void PostgresWatcher::down(const QString &reason) {
    if (m_down)
        return;
    m_down = true;
    m_outage = reason;
    m_pg.markUnreachable(reason);
    qCWarning(lcStore).noquote() << reason;
    Q_EMIT failed(StoreError::io(reason));
}

} // namespace cutover::store
