#include "app/store/postgres_journal.h"

#include "app/store/audit_chain.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimeZone>
#include <QUuid>

#include <atomic>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {
std::atomic<quint64> g_journalCounter{0};
// SQLite primary result codes (sqlite3.h), as QtSql reports them in nativeErrorCode().
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteCorrupt = 11;
constexpr int kSqliteNotADb = 26;
} // namespace

StoreResult<std::unique_ptr<AuditJournal>> AuditJournal::open(const QString &path) {
    if (path.isEmpty())
        return StoreError::io(u"no journal path given"_s);
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return StoreError::io(u"cannot create folder %1"_s.arg(info.absolutePath()));
    std::unique_ptr<AuditJournal> journal(new AuditJournal(
        path,
        u"cutover-journal-%1"_s.arg(g_journalCounter.fetch_add(1, std::memory_order_relaxed))));
    QSqlDatabase db = QSqlDatabase::database(journal->m_connectionName, false);
    if (!db.open())
        return StoreError::io(
            u"cannot open the audit journal %1: %2"_s.arg(path, db.lastError().text()));
    // Several processes opening a brand-new journal at the same instant (two controllers started
    // together on a fresh machine) meet two SQLite cases that answer "database is locked" at
    // once, without the busy handler: switching the new file to WAL (an exclusive lock), and
    // CREATE TABLE whose read snapshot another process's CREATE made stale (SQLITE_BUSY_SNAPSHOT).
    // Each statement is retried as the busy handler would, bounded by the same 5 s (see also
    // SqliteStore::configureAndMigrate).
    QElapsedTimer waited;
    waited.start();
    QSqlQuery q(db);
    for (const QString &sql :
         {u"PRAGMA journal_mode=WAL"_s, u"PRAGMA synchronous=FULL"_s,
          u"CREATE TABLE IF NOT EXISTS pending_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, "
          u"journal_id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL, queued_at INTEGER NOT NULL, "
          u"actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, environment TEXT NOT "
          u"NULL, subject TEXT NOT NULL, details TEXT NOT NULL)"_s}) {
        while (!q.exec(sql)) {
            const QSqlError e = q.lastError();
            const int code = e.nativeErrorCode().toInt() & 0xff;
            const QString text = u"the audit journal %1: %2"_s.arg(path, e.text());
            if (code == kSqliteCorrupt || code == kSqliteNotADb)
                return StoreError::corrupt(text);
            if ((code != kSqliteBusy && code != kSqliteLocked) || waited.elapsed() >= 5'000)
                return StoreError::io(text);
            QThread::msleep(5);
        }
        q.finish();
    }
    return journal;
}

AuditJournal::AuditJournal(QString path, QString connectionName)
    : m_path(std::move(path))
    , m_connectionName(std::move(connectionName)) {
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
    db.setDatabaseName(m_path);
    db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=5000"_s);
}

AuditJournal::~AuditJournal() {
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

StoreError AuditJournal::error(const QString &what) const {
    return StoreError::io(u"audit journal %1: %2"_s.arg(m_path, what));
}

StoreResult<AuditJournal::Pending> AuditJournal::enqueue(const AuditEvent &event,
                                                         const QDateTime &at) {
    Pending p;
    p.journalId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    p.at = QDateTime::fromMSecsSinceEpoch(at.toMSecsSinceEpoch(), QTimeZone::utc());
    p.queuedAt =
        QDateTime::fromMSecsSinceEpoch(QDateTime::currentMSecsSinceEpoch(), QTimeZone::utc());
    p.event = event;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.prepare(u"INSERT INTO pending_audit (journal_id, at, queued_at, actor, role, action, "
                   u"environment, subject, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"_s))
        return error(q.lastError().text());
    for (const QVariant &v :
         QVariantList{p.journalId, p.at.toMSecsSinceEpoch(), p.queuedAt.toMSecsSinceEpoch(),
                      event.actor, event.role, event.action, event.environment, event.subject,
                      detailsText(event.details)})
        q.addBindValue(v.typeId() == QMetaType::QString && v.toString().isNull()
                           ? QVariant(QString(u""_s))
                           : v);
    if (!q.exec())
        return error(q.lastError().text());
    p.id = q.lastInsertId().toLongLong();
    return p;
}

StoreResult<QList<AuditJournal::Pending>> AuditJournal::pending() {
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.setForwardOnly(true);
    if (!q.exec(u"SELECT id, journal_id, at, queued_at, actor, role, action, environment, "
                u"subject, details FROM pending_audit ORDER BY id"_s))
        return error(q.lastError().text());
    QList<Pending> result;
    while (q.next()) {
        Pending p;
        p.id = q.value(0).toLongLong();
        p.journalId = q.value(1).toString();
        p.at = QDateTime::fromMSecsSinceEpoch(q.value(2).toLongLong(), QTimeZone::utc());
        p.queuedAt = QDateTime::fromMSecsSinceEpoch(q.value(3).toLongLong(), QTimeZone::utc());
        p.event.actor = q.value(4).toString();
        p.event.role = q.value(5).toString();
        p.event.action = q.value(6).toString();
        p.event.environment = q.value(7).toString();
        p.event.subject = q.value(8).toString();
        p.event.details = QJsonDocument::fromJson(q.value(9).toString().toUtf8()).object();
        result.append(p);
    }
    return result;
}

StoreResult<qint64> AuditJournal::count() {
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.exec(u"SELECT COUNT(*) FROM pending_audit"_s) || !q.next())
        return error(q.lastError().text());
    return q.value(0).toLongLong();
}

StoreResult<void> AuditJournal::remove(qint64 id) {
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.prepare(u"DELETE FROM pending_audit WHERE id = ?"_s))
        return error(q.lastError().text());
    q.addBindValue(id);
    if (!q.exec())
        return error(q.lastError().text());
    return {};
}

} // namespace cutover::store
