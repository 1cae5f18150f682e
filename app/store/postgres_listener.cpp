#include "app/store/postgres_listener.h"

#include "app/store/postgres_schema.h"

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

PostgresListener::PostgresListener(PostgresStore::ConnectionSettings settings, int heartbeatMs)
    : m_settings(std::move(settings))
    , m_connectionName(
          u"cutover-pg-listen-%1"_s.arg(g_listenerCounter.fetch_add(1, std::memory_order_relaxed)))
    , m_heartbeat(this)
    , m_reconnect(this)
    , m_backoffMs(kInitialBackoffMs) {
    m_heartbeat.setInterval(heartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, &PostgresListener::heartbeat);
    m_reconnect.setSingleShot(true);
    connect(&m_reconnect, &QTimer::timeout, this, &PostgresListener::connectFeed);
}

PostgresListener::~PostgresListener() {
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

void PostgresListener::start() {
    PostgresStore::addConnection(m_settings, m_connectionName);
    connectFeed();
}

void PostgresListener::connectFeed() {
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (db.isOpen())
        db.close();
    if (!db.open()) {
        fail(u"cannot connect the change feed to "_s + m_settings.description() + u": "_s +
             PostgresStore::errorDetail(db.lastError(), m_settings));
        return;
    }
    QSqlDriver *driver = db.driver();
    connect(driver,
            qOverload<const QString &, QSqlDriver::NotificationSource, const QVariant &>(
                &QSqlDriver::notification),
            this, &PostgresListener::onNotification, Qt::UniqueConnection);
    if (!driver->subscribeToNotification(QString::fromUtf16(kChangeChannel))) {
        fail(u"cannot LISTEN for changes on "_s + m_settings.description() + u": "_s +
             PostgresStore::errorDetail(driver->lastError(), m_settings));
        return;
    }
    m_backoffMs = kInitialBackoffMs;
    m_heartbeat.start();
    Q_EMIT listening();
}

void PostgresListener::heartbeat() {
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.isOpen()) {
        fail(u"the change feed connection to "_s + m_settings.description() + u" closed"_s);
        return;
    }
    QSqlQuery q(db);
    if (!q.exec(u"SELECT 1"_s)) {
        fail(u"the change feed from "_s + m_settings.description() + u" was lost: "_s +
             PostgresStore::errorDetail(q.lastError(), m_settings));
        return;
    }
    Q_EMIT alive();
}

void PostgresListener::fail(const QString &reason) {
    m_heartbeat.stop();
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close(); // also drops the driver's socket notifier
    }
    const int retryIn = m_backoffMs;
    m_reconnect.start(retryIn);
    m_backoffMs = qMin(m_backoffMs * 2, kMaxBackoffMs);
    Q_EMIT lost(reason, retryIn);
}

void PostgresListener::onNotification(const QString &name, QSqlDriver::NotificationSource,
                                      const QVariant &) {
    if (name == QString::fromUtf16(kChangeChannel))
        Q_EMIT notified();
}

} // namespace cutover::store
