#include "app/store/sqlite_store.h"

#include "app/store/audit_chain.h"
#include "app/store/decision_lease.h"
#include "app/store/schema.h"
#include "app/store/sql_rows.h"
#include "app/store/store_log.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QThread>
#include <QTimeZone>

#include <atomic>

using namespace Qt::StringLiterals;

namespace cutover::store {

using namespace sqlrows;

namespace {

// SQLite primary result codes (sqlite3.h); QtSql reports them as nativeErrorCode().
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteIoErr = 10;
constexpr int kSqliteCorrupt = 11;
constexpr int kSqliteNotADb = 26;

} // namespace

StoreResult<std::unique_ptr<SqliteStore>> SqliteStore::open(const Options &options) {
    if (options.path.isEmpty())
        return StoreError::io(u"no store path given"_s);
    const QFileInfo info(options.path);
    if (info.exists() && !info.isFile())
        return StoreError::io(u"%1 is not a file"_s.arg(options.path));
    if (!info.exists()) {
        if (!options.createIfMissing)
            return StoreError::io(u"no store at %1"_s.arg(options.path));
        if (!QDir().mkpath(info.absolutePath()))
            return StoreError::io(u"cannot create folder %1"_s.arg(info.absolutePath()));
    }
    const QString name =
        u"cutover-store-%1"_s.arg(g_connectionCounter.fetch_add(1, std::memory_order_relaxed));
    std::unique_ptr<SqliteStore> store(new SqliteStore(options, name));
    if (StoreResult<void> configured = store->configureAndMigrate(); !configured)
        return configured.error();
    return store;
}

SqliteStore::SqliteStore(Options options, QString connectionName)
    : m_options(std::move(options))
    , m_connectionName(std::move(connectionName)) {
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
    db.setDatabaseName(m_options.path);
    db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=%1"_s.arg(m_options.busyTimeoutMs));
}

SqliteStore::~SqliteStore() {
    {
        QSqlDatabase db = database();
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

QString SqliteStore::description() const {
    return u"sqlite:"_s + m_options.path;
}

QSqlDatabase SqliteStore::database() const {
    return QSqlDatabase::database(m_connectionName, false);
}

std::unique_ptr<LeaseBackend> SqliteStore::createLeaseBackend() const {
    SqlLeaseConnection connection;
    connection.dialect = SqlLeaseConnection::Dialect::Sqlite;
    connection.description = description();
    connection.addDatabase = [path = m_options.path](const QString &name) {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(path);
        db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=800"_s); // retried at the next look
    };
    connection.hostClock = [clock = m_options.clock] {
        return toStoredPrecision(clock ? clock() : QDateTime::currentDateTimeUtc());
    };
    return createSqlLeaseBackend(std::move(connection));
}

QDateTime SqliteStore::now() const {
    return toStoredPrecision(m_options.clock ? m_options.clock() : QDateTime::currentDateTimeUtc());
}

StoreError SqliteStore::sqlError(const QSqlError &error, const QString &what) const {
    bool numeric = false;
    const int code = error.nativeErrorCode().toInt(&numeric) & 0xff;
    const QString text = u"%1: %2 (%3)"_s.arg(
        what, error.databaseText().isEmpty() ? error.text() : error.databaseText(), m_options.path);
    if (!numeric)
        return StoreError::io(text);
    switch (code) {
    case kSqliteBusy:
    case kSqliteLocked:
        return StoreError::busy(text);
    case kSqliteCorrupt:
    case kSqliteNotADb:
        return StoreError::corrupt(text);
    case kSqliteIoErr:
    default:
        return StoreError::io(text);
    }
}

StoreResult<QSqlQuery> SqliteStore::exec(const QString &sql, const QVariantList &binds) {
    QSqlQuery q(database());
    q.setForwardOnly(true);
    if (!q.prepare(sql))
        return sqlError(q.lastError(), u"cannot prepare '%1'"_s.arg(sql.simplified().left(60)));
    for (const QVariant &value : binds) {
        // A null QString would bind as SQL NULL; the schema wants '' for "none" in text columns.
        if (value.typeId() == QMetaType::QString && value.toString().isNull())
            q.addBindValue(QString(u""_s));
        else
            q.addBindValue(value);
    }
    if (!q.exec())
        return sqlError(q.lastError(), u"'%1' failed"_s.arg(sql.simplified().left(60)));
    return q;
}

StoreResult<void> SqliteStore::write(const std::function<StoreResult<void>()> &body) {
    // IMMEDIATE takes the write lock up front: two consoles serialise here (waiting up to the
    // busy timeout) instead of failing later on a lock upgrade.
    if (auto begun = exec(u"BEGIN IMMEDIATE"_s); !begun)
        return begun.error();
    auto rollback = [this] {
        QSqlQuery q(database());
        if (!q.exec(u"ROLLBACK"_s))
            qCWarning(lcStore) << "rollback failed:" << q.lastError().text();
    };
    StoreResult<void> result = body();
    if (!result) {
        rollback();
        return result;
    }
    if (auto committed = exec(u"COMMIT"_s); !committed) {
        rollback();
        return committed.error();
    }
    return {};
}

StoreResult<void> SqliteStore::configureAndMigrate() {
    QSqlDatabase db = database();
    if (!db.open())
        return sqlError(db.lastError(), u"cannot open the store"_s);
    // The busy timeout first: switching a new file to WAL takes an exclusive lock, and a second
    // console opening the same new file at that moment must wait for it, not fail at once.
    if (auto r = exec(u"PRAGMA busy_timeout=%1"_s.arg(m_options.busyTimeoutMs)); !r)
        return r.error();
    // journal_mode is the first read of the file: a file that is not a database fails here.
    // Switching a new file to WAL needs an exclusive lock, and SQLite does not consult its busy
    // handler for it: a second console opening the same new file at that instant is told
    // "database is locked" at once. This loop does what the busy handler would, bounded by the
    // same timeout (only a brand-new file can get here twice: WAL mode is persistent).
    QElapsedTimer waited;
    waited.start();
    auto journal = exec(u"PRAGMA journal_mode=WAL"_s);
    while (!journal && journal.error().kind == StoreError::Kind::Busy &&
           waited.elapsed() < m_options.busyTimeoutMs) {
        QThread::msleep(5);
        journal = exec(u"PRAGMA journal_mode=WAL"_s);
    }
    if (!journal)
        return journal.error();
    if (journal.value().next() && journal.value().value(0).toString().toLower() != u"wal"_s)
        qCWarning(lcStore) << "WAL journal not available for" << m_options.path << "- using"
                           << journal.value().value(0).toString();
    journal.value().finish();
    for (const QString &pragma : {u"PRAGMA synchronous=FULL"_s, u"PRAGMA foreign_keys=ON"_s}) {
        if (auto r = exec(pragma); !r)
            return r.error();
    }
    // Catch damage early, but cheaply: quick_check reads every page once. On a garbage or
    // truncated file this is where "corrupt" comes from instead of a later, stranger failure.
    if (auto check = exec(u"PRAGMA quick_check(1)"_s); !check) {
        return check.error();
    } else if (check.value().next() && check.value().value(0).toString() != u"ok"_s) {
        return StoreError::corrupt(
            u"%1 is damaged: %2"_s.arg(m_options.path, check.value().value(0).toString()));
    }

    return write([this]() -> StoreResult<void> {
        auto migrated = applyMigrations(SqlDialect::SQLite);
        if (!migrated)
            return migrated.error();
        m_schemaVersion = migrated.value();
        return {};
    });
}

// --- Audit ---

} // namespace cutover::store
