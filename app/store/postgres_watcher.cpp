#include "app/store/postgres_watcher.h"

#include "app/store/postgres_schema.h"
#include "app/store/postgres_store.h"
#include "app/store/store_log.h"

#include <QSqlDatabase>
#include <QSqlQuery>

#include <atomic>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {
constexpr int kInitialBackoffMs = 250;
constexpr int kMaxBackoffMs = 5000;
std::atomic<quint64> g_listenerCounter{0};
} // namespace

PostgresWatcher::PostgresWatcher(PostgresStore &store, int fallbackIntervalMs, QObject *parent,
                                 int heartbeatMs)
    : StoreWatcher(store, fallbackIntervalMs, parent)
    , m_pg(store)
    , m_connectionName(u"cutover-pg-listen-%1"_s.arg(
          g_listenerCounter.fetch_add(1, std::memory_order_relaxed))) {
    m_pg.addConnection(m_connectionName);
    m_heartbeat.setInterval(heartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, &PostgresWatcher::heartbeat);
    m_reconnect.setSingleShot(true);
    connect(&m_reconnect, &QTimer::timeout, this, &PostgresWatcher::connectListener);
    connectListener();
}

PostgresWatcher::~PostgresWatcher() {
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

void PostgresWatcher::connectListener() {
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (db.isOpen())
        db.close();
    if (!db.open()) {
        lost(m_pg.sqlError(db.lastError(), u"cannot connect the change feed"_s));
        return;
    }
    QSqlDriver *driver = db.driver();
    connect(driver,
            qOverload<const QString &, QSqlDriver::NotificationSource, const QVariant &>(
                &QSqlDriver::notification),
            this, &PostgresWatcher::onNotification, Qt::UniqueConnection);
    if (!driver->subscribeToNotification(QString::fromUtf16(kChangeChannel))) {
        lost(m_pg.sqlError(driver->lastError(), u"cannot LISTEN for changes"_s));
        return;
    }
    m_listening = true;
    m_backoffMs = kInitialBackoffMs;
    m_heartbeat.start();
    if (m_down) {
        m_down = false;
        qCInfo(lcStore) << "change feed from" << m_pg.description() << "restored";
        Q_EMIT recovered();
        // This console's audit entries queued during the outage go to the shared store now.
        if (auto replayed = m_pg.replayJournal(); !replayed)
            qCWarning(lcStore) << "audit journal not replayed yet:" << replayed.error().toString();
        poll(); // whatever was written while we were away
    }
}

void PostgresWatcher::heartbeat() {
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.isOpen()) {
        lost(StoreError::io(u"the change feed connection to %1 closed"_s.arg(m_pg.description())));
        return;
    }
    QSqlQuery q(db);
    if (!q.exec(u"SELECT 1"_s))
        lost(m_pg.sqlError(q.lastError(), u"the change feed was lost"_s));
}

void PostgresWatcher::lost(const StoreError &error) {
    m_listening = false;
    m_heartbeat.stop();
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close(); // also drops the driver's socket notifier
    }
    if (!m_down) {
        m_down = true;
        qCWarning(lcStore) << error.toString();
        Q_EMIT failed(error);
    }
    m_reconnect.start(m_backoffMs);
    m_backoffMs = qMin(m_backoffMs * 2, kMaxBackoffMs);
}

void PostgresWatcher::onNotification(const QString &name, QSqlDriver::NotificationSource,
                                     const QVariant &) {
    if (name == QString::fromUtf16(kChangeChannel))
        poll();
}

} // namespace cutover::store
