#include "app/store/postgres_store.h"

#include "app/store/audit_chain.h"
#include "app/store/decision_lease.h"
#include "app/store/postgres_journal.h"
#include "app/store/postgres_schema.h"
#include "app/store/postgres_watcher.h"
#include "app/store/sql_rows.h"
#include "app/store/store_log.h"

#include <QHostAddress>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QThread>
#include <QTimeZone>
#include <QUrlQuery>

#include <atomic>

using namespace Qt::StringLiterals;

namespace cutover::store {

using namespace sqlrows;

namespace {

constexpr int kMaxWriteAttempts = 5;

bool isRetryable(const QString &state) {
    return state == u"40001"_s     // serialization_failure
           || state == u"40P01"_s; // deadlock_detected
}

// No SQLSTATE at all (libpq lost the socket), connection exceptions (08…), or the server going
// down under us (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
bool isConnectionLost(const QSqlError &error) {
    const QString state = error.nativeErrorCode();
    return error.type() == QSqlError::ConnectionError || state.isEmpty() ||
           state.startsWith(u"08"_s) || state.startsWith(u"57P"_s);
}

// A libpq conninfo value, quoted ('…' with \ and ' escaped).
QString conninfoQuoted(const QString &value) {
    QString escaped = value;
    escaped.replace(u'\\', u"\\\\"_s).replace(u'\'', u"\\'"_s);
    return u'\'' + escaped + u'\'';
}

} // namespace

bool isLoopbackPostgresHost(const QString &host) {
    if (host.startsWith(u'/')) // a Unix socket folder: never leaves the machine
        return true;
    const QHostAddress address(host);
    return host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0 ||
           (!address.isNull() && address.isLoopback());
}

std::optional<QString> postgresTlsWeakened(const QUrl &url) {
    if (isLoopbackPostgresHost(url.host()))
        return std::nullopt;
    const QString mode = QUrlQuery(url).queryItemValue(u"sslmode"_s, QUrl::FullyDecoded);
    if (mode.isEmpty() || mode == u"verify-full"_s)
        return std::nullopt;
    static const QHash<QString, QString> why = {
        {u"disable"_s, u"the connection is not encrypted"_s},
        {u"allow"_s, u"the connection may not be encrypted"_s},
        {u"prefer"_s, u"the connection falls back to clear text without a word"_s},
        {u"require"_s, u"the server's certificate is not checked (anyone on the path can pose "
                       u"as it)"_s},
        {u"verify-ca"_s, u"the server's name is not checked against its certificate"_s},
    };
    return u"sslmode=%1 for %2: %3 (the default off this machine is verify-full)"_s.arg(
        mode, url.host(), why.value(mode, u"not a libpq sslmode"_s));
}

PostgresStore::Options PostgresStore::optionsFrom(const config::StoreConfig &config, Clock clock) {
    Options options;
    options.url = config.url;
    options.user = config.user;
    options.password = config.password.value();
    options.clock = std::move(clock);
    return options;
}

StoreResult<PostgresStore::ConnectionSettings>
PostgresStore::connectionSettingsFor(const Options &options) {
    const QUrl &url = options.url;
    const QString shown = url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    if (!url.isValid() || (url.scheme() != u"postgresql"_s && url.scheme() != u"postgres"_s))
        return StoreError::io(u"not a PostgreSQL url: %1 (postgresql://host:port/database)"_s.arg(
            url.toString(QUrl::RemoveUserInfo)));
    ConnectionSettings c;
    c.host = url.host();
    c.port = url.port(5432);
    c.database = url.path().mid(1);
    c.user = options.user.isEmpty() ? url.userName() : options.user;
    c.password = options.password.isEmpty() ? url.password() : options.password;
    if (c.host.isEmpty() || c.database.isEmpty() || c.database.contains(u'/'))
        return StoreError::io(
            u"%1 names no host or no database (postgresql://host:port/database)"_s.arg(shown));
    if (c.user.isEmpty())
        return StoreError::io(u"no user for %1: set store.user"_s.arg(shown));

    // TLS and the other libpq options come from the query string, passed through.
    static const QRegularExpression keyPattern(u"^[a-z_]+$"_s);
    static const QStringList reserved = {u"host"_s, u"hostaddr"_s, u"port"_s,     u"dbname"_s,
                                         u"user"_s, u"password"_s, u"passfile"_s, u"service"_s};
    QStringList connectOptions;
    QStringList given;
    const auto items = QUrlQuery(url).queryItems(QUrl::FullyDecoded);
    for (const auto &[key, value] : items) {
        if (!keyPattern.match(key).hasMatch() || reserved.contains(key))
            return StoreError::io(
                u"%1: the connection option '%2' is not allowed in the url%3"_s.arg(
                    shown, key,
                    key == u"password"_s ? u" (put the password in store.password)"_s : QString()));
        if (value.contains(u';'))
            return StoreError::io(u"%1: the value of '%2' contains ';'"_s.arg(shown, key));
        given.append(key);
        connectOptions.append(key + u'=' + conninfoQuoted(value));
    }
    // Bounds on a dead link, unless the url sets its own: a connect gives up after 5 s; an idle
    // connection is probed after 10 s; data unacknowledged for 5 s fails the call (without
    // tcp_user_timeout, a query on a cut link waits for TCP's retransmissions, ~15 minutes).
    static const QList<std::pair<QString, QString>> defaults = {
        {u"connect_timeout"_s, u"5"_s},     {u"application_name"_s, u"cutover-console"_s},
        {u"keepalives"_s, u"1"_s},          {u"keepalives_idle"_s, u"10"_s},
        {u"keepalives_interval"_s, u"3"_s}, {u"keepalives_count"_s, u"3"_s},
        {u"tcp_user_timeout"_s, u"5000"_s},
    };
    for (const auto &[key, value] : defaults) {
        if (!given.contains(key))
            connectOptions.append(key + u'=' + value);
    }
    // libpq's default (prefer) falls back to clear text without a word: off this machine the
    // server's certificate and name are checked unless the url says otherwise (preflight warns).
    if (!given.contains(u"sslmode"_s) && !isLoopbackPostgresHost(c.host))
        connectOptions.append(u"sslmode=verify-full"_s);
    c.connectOptions = connectOptions.join(u';');
    return c;
}

StoreResult<std::unique_ptr<PostgresStore>> PostgresStore::open(const Options &options) {
    auto settings = connectionSettingsFor(options);
    if (!settings)
        return settings.error();
    ConnectionSettings c = settings.value();
    const QString name =
        u"cutover-pg-%1"_s.arg(g_connectionCounter.fetch_add(1, std::memory_order_relaxed));
    std::unique_ptr<PostgresStore> store(new PostgresStore(options, std::move(c), name));
    if (auto connected = store->connect(); !connected) {
        const bool offline = options.startUnreachable && !options.journalPath.isEmpty() &&
                             connected.error().kind == StoreError::Kind::Io;
        if (!offline)
            return connected.error();
        // The console starts anyway: Rollback must not wait for the database. The schema is
        // checked (and migrated) when the change feed first reaches the server.
        qCWarning(lcStore).noquote()
            << "starting without the shared store:" << connected.error().toString();
        store->m_unreachable = connected.error().message;
        store->m_schemaPending = true;
    } else if (auto migrated = store->migrate(); !migrated) {
        return migrated.error();
    }
    if (!options.journalPath.isEmpty()) {
        auto journal = AuditJournal::open(options.journalPath);
        if (!journal)
            return journal.error();
        store->m_journal = std::move(journal).value();
        auto waiting = store->m_journal->count();
        if (!waiting)
            return waiting.error();
        store->m_journalPending = waiting.value();
        if (store->m_journalPending > 0 && !store->m_schemaPending) {
            if (auto replayed = store->replayJournal(); !replayed)
                qCWarning(lcStore)
                    << "audit journal not replayed yet:" << replayed.error().toString();
        }
    }
    return store;
}

PostgresStore::PostgresStore(Options options, ConnectionSettings connection, QString connectionName)
    : m_options(std::move(options))
    , m_connection(std::move(connection))
    , m_connectionName(std::move(connectionName)) {
    m_options.password.clear(); // kept once, in m_connection
    addConnection(m_connection, m_connectionName);
}

PostgresStore::~PostgresStore() {
    m_journal.reset();
    {
        QSqlDatabase db = database();
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

QSqlDatabase PostgresStore::addConnection(const ConnectionSettings &settings,
                                          const QString &connectionName) {
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
    db.setHostName(settings.host);
    db.setPort(settings.port);
    db.setDatabaseName(settings.database);
    db.setUserName(settings.user);
    db.setPassword(settings.password);
    db.setConnectOptions(settings.connectOptions);
    return db;
}

QString PostgresStore::ConnectionSettings::description() const {
    return u"postgresql://%1:%2/%3"_s.arg(host).arg(port).arg(database);
}

QString PostgresStore::description() const {
    return m_connection.description();
}

QString PostgresStore::errorDetail(const QSqlError &error, const ConnectionSettings &settings) {
    QString detail = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    if (detail.isEmpty())
        detail = error.driverText();
    if (detail.trimmed().isEmpty())
        detail = u"the connection to the server was lost"_s;
    detail = detail.simplified();
    if (!settings.password.isEmpty())
        detail.replace(settings.password, u"***"_s);
    return detail;
}

QSqlDatabase PostgresStore::database() const {
    return QSqlDatabase::database(m_connectionName, false);
}

std::unique_ptr<LeaseBackend> PostgresStore::createLeaseBackend() const {
    SqlLeaseConnection connection;
    connection.dialect = SqlLeaseConnection::Dialect::Postgres;
    connection.description = description();
    connection.addDatabase = [settings = m_connection](const QString &name) {
        addConnection(settings, name);
    };
    return createSqlLeaseBackend(std::move(connection));
}

QDateTime PostgresStore::now() const {
    return toStoredPrecision(m_options.clock ? m_options.clock() : QDateTime::currentDateTimeUtc());
}

StoreError PostgresStore::sqlError(const QSqlError &error, const QString &what) const {
    const QString text =
        u"%1: %2 (%3)"_s.arg(what, errorDetail(error, m_connection), description());
    const QString state = error.nativeErrorCode();
    if (isRetryable(state) || state == u"55P03"_s) // 55P03: lock_not_available (lock_timeout)
        return StoreError::busy(text);
    if (state == u"57014"_s) // query_canceled: statement_timeout
        return StoreError::busy(u"%1 (longer than the statement timeout of %2 ms)"_s.arg(
            text, QString::number(m_options.statementTimeoutMs)));
    if (state == u"XX001"_s || state == u"XX002"_s) // data_corrupted, index_corrupted
        return StoreError::corrupt(text);
    if (state == u"23505"_s) // unique_violation: a concurrent writer won
        return StoreError::conflict(text, {}, {});
    return StoreError::io(text);
}

StoreResult<void> PostgresStore::connect() {
    QSqlDatabase db = database();
    if (db.isOpen())
        db.close();
    if (!db.open()) {
        m_connectionLost = true;
        return sqlError(db.lastError(), u"cannot connect to the store"_s);
    }
    m_connectionLost = false;
    QSqlQuery q(db);
    // lock_timeout: a console that holds the write lock too long makes the others fail with
    // Busy after busyTimeoutMs instead of hanging (SQLite's busy_timeout). client_min_messages:
    // libpq prints NOTICEs ("relation … already exists, skipping") on stderr, which is noise in
    // the console's log and on the command line.
    if (!q.exec(u"SET lock_timeout = %1; SET statement_timeout = %2; "
                u"SET client_min_messages = warning"_s.arg(qMax(1, m_options.busyTimeoutMs))
                    .arg(qMax(0, m_options.statementTimeoutMs)))) {
        const StoreError error = sqlError(q.lastError(), u"cannot configure the session"_s);
        db.close();
        m_connectionLost = true;
        return error;
    }
    return {};
}

StoreResult<void> PostgresStore::ensureOpen() {
    if (!m_connectionLost && database().isOpen())
        return {};
    // The circuit: no call waits on a server already known to be away (a console started
    // without it waits for its change feed too, which is created just after the engine starts).
    if (!m_unreachable.isEmpty() && (m_feedAttached || m_schemaPending))
        return StoreError::io(u"the shared store is unreachable: %1"_s.arg(m_unreachable));
    if (m_connectionLost || m_schemaPending)
        qCInfo(lcStore) << "reconnecting to" << description();
    auto connected = connect();
    if (!connected) {
        m_unreachable = connected.error().message;
        return connected.error();
    }
    m_unreachable.clear();
    if (m_schemaPending) {
        // First contact of a console that started without the server.
        m_schemaPending = false;
        if (auto migrated = migrate(); !migrated) {
            m_schemaPending = true;
            m_unreachable = migrated.error().message;
            m_connectionLost = true;
            database().close();
            return migrated.error();
        }
    }
    return {};
}

void PostgresStore::markUnreachable(const QString &reason) {
    m_unreachable = reason;
    // Never called inside a call (the store is synchronous), so no transaction is open.
    m_connectionLost = true;
    QSqlDatabase db = database();
    if (db.isOpen())
        db.close();
}

void PostgresStore::markReachable() {
    m_unreachable.clear();
}

StoreResult<QSqlQuery> PostgresStore::exec(const QString &sql, const QVariantList &binds) {
    for (int attempt = 0;; ++attempt) {
        m_retryable = false;
        if (auto opened = ensureOpen(); !opened)
            return opened.error();
        QSqlQuery q(database());
        q.setForwardOnly(true);
        bool ok = false;
        if (binds.isEmpty()) {
            ok = q.exec(sql);
        } else {
            ok = q.prepare(sql);
            if (ok) {
                for (const QVariant &value : binds) {
                    if (value.typeId() == QMetaType::QString && value.toString().isNull())
                        q.addBindValue(QString(u""_s));
                    else
                        q.addBindValue(value);
                }
                ok = q.exec();
            }
        }
        if (ok)
            return q;
        const QSqlError error = q.lastError();
        m_retryable = isRetryable(error.nativeErrorCode());
        if (isConnectionLost(error)) {
            m_connectionLost = true;
            if (m_feedAttached) {
                // The change feed's thread finds out whether the server is back; reconnecting
                // here could wait connect_timeout on this (the UI) thread.
                m_unreachable = errorDetail(error, m_connection);
            } else if (!m_inTransaction && attempt == 0) {
                // Outside a transaction nothing is half done: reconnect and run it once more.
                continue;
            }
        }
        return sqlError(error, u"'%1' failed"_s.arg(sql.simplified().left(60)));
    }
}

StoreResult<void> PostgresStore::write(const std::function<StoreResult<void>()> &body) {
    // Entries queued during an outage go first: the chain keeps this console's order (once the
    // schema is known: not inside the first migration of a console started without the server).
    if (m_journalPending > 0 && !m_replaying && !m_schemaPending && m_schemaVersion > 0) {
        if (auto replayed = replayJournal(); !replayed)
            return replayed.error();
    }
    StoreError last = StoreError::io(u"no attempt"_s);
    bool reconnected = false;
    for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
        if (auto opened = ensureOpen(); !opened)
            return opened.error();
        auto rollback = [this] {
            m_inTransaction = false;
            if (m_connectionLost)
                return; // the server rolled it back with the connection
            QSqlQuery q(database());
            if (!q.exec(u"ROLLBACK"_s))
                qCWarning(lcStore) << "rollback failed:" << q.lastError().text();
        };
        if (auto begun = exec(u"BEGIN"_s); !begun)
            return begun.error();
        m_inTransaction = true;
        bool commitSent = false;
        // Every console's writes queue here, in the transaction: released by COMMIT/ROLLBACK.
        auto locked = exec(u"SELECT pg_advisory_xact_lock(%1)"_s.arg(kWriteLockKey));
        StoreResult<void> result = locked ? body() : StoreResult<void>(locked.error());
        if (locked)
            locked.value().finish();
        if (result) {
            commitSent = true;
            if (auto committed = exec(u"COMMIT"_s); committed) {
                m_inTransaction = false;
                return {};
            } else {
                result = committed.error();
            }
        }
        const bool retryable = m_retryable;
        const bool lost = m_connectionLost;
        rollback();
        last = result.error();
        if (retryable) {
            // Backs off, with jitter, so that consoles that collided do not collide again in
            // step: 10–20, 20–40, 40–80, 80–160 ms.
            const int base = 10 << attempt;
            const int pause = base + int(QRandomGenerator::global()->bounded(base + 1));
            qCInfo(lcStore) << "write retried in" << pause << "ms after" << last.message;
            QThread::msleep(ulong(pause));
            continue;
        }
        if (lost && !commitSent && !reconnected) {
            reconnected = true;
            qCInfo(lcStore) << "write retried on a new connection after" << last.message;
            continue;
        }
        if (lost && commitSent)
            last.message = u"the connection was lost while committing; the write may or may "
                           u"not have been stored: "_s +
                           last.message;
        return last;
    }
    return last;
}

StoreResult<void> PostgresStore::migrate() {
    return write([this]() -> StoreResult<void> {
        if (!m_options.createIfMissing) {
            auto exists = exec(u"SELECT to_regclass('schema_version') IS NOT NULL"_s);
            if (!exists)
                return exists.error();
            const bool found = exists.value().next() && exists.value().value(0).toBool();
            exists.value().finish();
            if (!found)
                return StoreError::io(
                    u"%1 holds no cutover store (no schema_version table); nothing was created"_s
                        .arg(description()));
        }
        auto migrated = applyMigrations(SqlDialect::PostgreSQL);
        if (!migrated)
            return migrated.error();
        m_schemaVersion = migrated.value();
        return {};
    });
}

// --- Audit ---

StoreResult<AuditEntry> PostgresStore::appendAudit(const AuditEvent &event) {
    const QDateTime at = now();
    AuditEntry entry;
    auto result = write([&]() -> StoreResult<void> {
        auto appended = appendAuditInTransaction(event, at);
        if (!appended)
            return appended.error();
        entry = appended.value();
        return {};
    });
    if (result)
        return entry;
    if (!m_journal || result.error().kind != StoreError::Kind::Io)
        return result.error();
    // The shared store is away: keep the entry locally, in order, for replayJournal().
    auto queued = m_journal->enqueue(event, at);
    if (!queued) {
        StoreError error = result.error();
        error.message += u"; and the local journal failed too: "_s + queued.error().message;
        return error;
    }
    ++m_journalPending;
    qCWarning(lcStore) << "store unreachable; audit entry" << event.action
                       << "queued in the local journal (" << m_journalPending << "waiting)";
    AuditEntry pending;
    pending.at = at;
    pending.actor = event.actor;
    pending.role = event.role;
    pending.action = event.action;
    pending.environment = event.environment;
    pending.subject = event.subject;
    pending.details = detailsText(event.details);
    return pending;
}

StoreResult<int> PostgresStore::replayJournal() {
    if (!m_journal || m_replaying)
        return 0;
    m_replaying = true;
    const auto done = qScopeGuard([this] { m_replaying = false; });
    auto waiting = m_journal->pending();
    if (!waiting)
        return waiting.error();
    m_journalPending = waiting.value().size();
    int written = 0;
    for (const AuditJournal::Pending &p : waiting.value()) {
        AuditEvent event = p.event;
        event.details.insert(u"journal"_s, QJsonObject{{u"id"_s, p.journalId},
                                                       {u"queued_at"_s, timeText(p.queuedAt)}});
        bool duplicate = false;
        auto result = write([&]() -> StoreResult<void> {
            // Already written? By a replay that died before its local delete (its journal id is
            // in the details), or by the original call, whose COMMIT reached the server although
            // the connection was lost before the answer (the same time, actor, action and
            // details: that entry is the one the journal holds).
            auto seen = exec(u"SELECT 1 FROM audit_log WHERE details LIKE ? OR (at = ? AND "
                             u"actor = ? AND action = ? AND subject = ? AND details = ?)"_s,
                             {u"%\"journal\":{\"id\":\"%1\"%"_s.arg(p.journalId),
                              p.at.toMSecsSinceEpoch(), p.event.actor, p.event.action,
                              p.event.subject, detailsText(p.event.details)});
            if (!seen)
                return seen.error();
            if (seen.value().next()) {
                duplicate = true;
                return {};
            }
            seen.value().finish();
            if (auto appended = appendAuditInTransaction(event, p.at); !appended)
                return appended.error();
            return {};
        });
        if (!result)
            return result.error();
        if (auto removed = m_journal->remove(p.id); !removed)
            return removed.error();
        --m_journalPending;
        if (!duplicate)
            ++written;
    }
    if (written > 0)
        qCInfo(lcStore) << written << "journaled audit entries written to" << description();
    return written;
}

StoreWatcher *PostgresStore::createWatcher(QObject *parent, int intervalMs) {
    return new PostgresWatcher(*this, qMax(20 * intervalMs, 10'000), parent);
}

StoreResult<qint64> PostgresStore::insertReturningId(const QString &sql,
                                                     const QVariantList &binds) {
    auto inserted = exec(sql + u" RETURNING id"_s, binds);
    if (!inserted)
        return inserted.error();
    if (!inserted.value().next())
        return StoreError::io(u"the new row has no id (%1)"_s.arg(description()));
    const qint64 id = inserted.value().value(0).toLongLong();
    inserted.value().finish();
    return id;
}

StoreResult<void> PostgresStore::beginSnapshot() {
    // REPEATABLE READ: the head and the log come from one snapshot while others append.
    if (auto opened = ensureOpen(); !opened)
        return opened.error();
    if (auto begun = exec(u"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"_s); !begun)
        return begun.error();
    m_inTransaction = true;
    return {};
}

void PostgresStore::endSnapshot() {
    m_inTransaction = false;
    if (!m_connectionLost)
        QSqlQuery(database()).exec(u"COMMIT"_s);
}

StoreResult<void> PostgresStore::afterAuditAppended(const AuditEntry &entry) {
    auto notified = exec(u"SELECT pg_notify(?, ?)"_s,
                         {QString::fromUtf16(kChangeChannel), QString::number(entry.seq)});
    if (!notified)
        return notified.error();
    return {};
}

} // namespace cutover::store
