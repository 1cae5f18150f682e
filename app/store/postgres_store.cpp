#include "app/store/postgres_store.h"

#include "app/store/audit_chain.h"
#include "app/store/postgres_journal.h"
#include "app/store/postgres_schema.h"
#include "app/store/postgres_watcher.h"
#include "app/store/store_log.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QTimeZone>
#include <QUrlQuery>

#include <atomic>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

constexpr int kMaxWriteAttempts = 5;

QVariant msOrNull(const QDateTime &time) {
    return time.isValid() ? QVariant(time.toMSecsSinceEpoch()) : QVariant();
}

QDateTime fromMs(const QVariant &value) {
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), QTimeZone::utc());
}

// Truncated to milliseconds, the precision stored, so values read back compare equal.
QDateTime toStoredPrecision(const QDateTime &time) {
    return QDateTime::fromMSecsSinceEpoch(time.toMSecsSinceEpoch(), QTimeZone::utc());
}

QString timeText(const QDateTime &time) {
    return time.toUTC().toString(Qt::ISODateWithMs);
}

QJsonObject merged(QJsonObject base, const QJsonObject &extra) {
    for (auto it = extra.begin(); it != extra.end(); ++it)
        base.insert(it.key(), it.value());
    return base;
}

QString jsonText(const QJsonObject &object) {
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

StageState stageFromQuery(const QSqlQuery &q) {
    StageState s;
    s.environment = q.value(0).toString();
    s.stageIndex = q.value(1).toInt();
    s.phase = q.value(2).toString();
    s.intendedWeights = QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object();
    s.enteredAt = fromMs(q.value(4));
    s.holdStartedAt = fromMs(q.value(5));
    s.version = q.value(6).toLongLong();
    s.changedBy = q.value(7).toString();
    s.changedAt = fromMs(q.value(8));
    return s;
}

const QString kStageColumns = u"environment, stage_index, phase, intended_weights, entered_at, "
                              u"hold_started_at, version, changed_by, changed_at"_s;
const QString kSignOffColumns = u"id, environment, gate, role, operator, printed_name, meaning, "
                                u"comment, signed_at, signature_hash"_s;
const QString kAuditColumns =
    u"seq, at, actor, role, action, environment, subject, details, prev_hash, hash"_s;

SignOff signOffFromQuery(const QSqlQuery &q) {
    SignOff s;
    s.id = q.value(0).toLongLong();
    s.environment = q.value(1).toString();
    s.gate = q.value(2).toString();
    s.role = q.value(3).toString();
    s.operatorName = q.value(4).toString();
    s.printedName = q.value(5).toString();
    s.meaning = q.value(6).toString();
    s.comment = q.value(7).toString();
    s.at = fromMs(q.value(8));
    s.signatureHash = q.value(9).toString();
    return s;
}

AuditEntry auditFromQuery(const QSqlQuery &q) {
    AuditEntry e;
    e.seq = q.value(0).toLongLong();
    e.at = fromMs(q.value(1));
    e.actor = q.value(2).toString();
    e.role = q.value(3).toString();
    e.action = q.value(4).toString();
    e.environment = q.value(5).toString();
    e.subject = q.value(6).toString();
    e.details = q.value(7).toString();
    e.prevHash = q.value(8).toString();
    e.hash = q.value(9).toString();
    return e;
}

std::atomic<quint64> g_connectionCounter{0};

// SQLSTATEs (PostgreSQL appendix A) that say "try the transaction again".
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

PostgresStore::Options PostgresStore::optionsFrom(const config::StoreConfig &config, Clock clock) {
    Options options;
    options.url = config.url;
    options.user = config.user;
    options.password = config.password.value();
    options.clock = std::move(clock);
    return options;
}

StoreResult<std::unique_ptr<PostgresStore>> PostgresStore::open(const Options &options) {
    const QUrl &url = options.url;
    const QString shown = url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    if (!url.isValid() || (url.scheme() != u"postgresql"_s && url.scheme() != u"postgres"_s))
        return StoreError::io(u"not a PostgreSQL url: %1 (postgresql://host:port/database)"_s.arg(
            url.toString(QUrl::RemoveUserInfo)));
    Connection c;
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
    bool hasTimeout = false;
    bool hasName = false;
    const auto items = QUrlQuery(url).queryItems(QUrl::FullyDecoded);
    for (const auto &[key, value] : items) {
        if (!keyPattern.match(key).hasMatch() || reserved.contains(key))
            return StoreError::io(
                u"%1: the connection option '%2' is not allowed in the url%3"_s.arg(
                    shown, key,
                    key == u"password"_s ? u" (put the password in store.password)"_s : QString()));
        if (value.contains(u';'))
            return StoreError::io(u"%1: the value of '%2' contains ';'"_s.arg(shown, key));
        hasTimeout = hasTimeout || key == u"connect_timeout"_s;
        hasName = hasName || key == u"application_name"_s;
        connectOptions.append(key + u'=' + conninfoQuoted(value));
    }
    if (!hasTimeout)
        connectOptions.append(u"connect_timeout=5"_s);
    if (!hasName)
        connectOptions.append(u"application_name=cutover-console"_s);
    c.connectOptions = connectOptions.join(u';');

    const QString name =
        u"cutover-pg-%1"_s.arg(g_connectionCounter.fetch_add(1, std::memory_order_relaxed));
    std::unique_ptr<PostgresStore> store(new PostgresStore(options, std::move(c), name));
    if (auto connected = store->connect(); !connected)
        return connected.error();
    if (auto migrated = store->migrate(); !migrated)
        return migrated.error();
    if (!options.journalPath.isEmpty()) {
        auto journal = AuditJournal::open(options.journalPath);
        if (!journal)
            return journal.error();
        store->m_journal = std::move(journal).value();
        auto waiting = store->m_journal->count();
        if (!waiting)
            return waiting.error();
        store->m_journalPending = waiting.value();
        if (store->m_journalPending > 0) {
            if (auto replayed = store->replayJournal(); !replayed)
                qCWarning(lcStore)
                    << "audit journal not replayed yet:" << replayed.error().toString();
        }
    }
    return store;
}

PostgresStore::PostgresStore(Options options, Connection connection, QString connectionName)
    : m_options(std::move(options))
    , m_connection(std::move(connection))
    , m_connectionName(std::move(connectionName)) {
    m_options.password.clear(); // kept once, in m_connection
    addConnection(m_connectionName);
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

QSqlDatabase PostgresStore::addConnection(const QString &connectionName) const {
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
    db.setHostName(m_connection.host);
    db.setPort(m_connection.port);
    db.setDatabaseName(m_connection.database);
    db.setUserName(m_connection.user);
    db.setPassword(m_connection.password);
    db.setConnectOptions(m_connection.connectOptions);
    return db;
}

QString PostgresStore::description() const {
    return u"postgresql://%1:%2/%3"_s.arg(m_connection.host)
        .arg(m_connection.port)
        .arg(m_connection.database);
}

QSqlDatabase PostgresStore::database() const {
    return QSqlDatabase::database(m_connectionName, false);
}

QDateTime PostgresStore::now() const {
    return toStoredPrecision(m_options.clock ? m_options.clock() : QDateTime::currentDateTimeUtc());
}

StoreError PostgresStore::sqlError(const QSqlError &error, const QString &what) const {
    QString detail = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    if (detail.isEmpty())
        detail = error.driverText();
    if (detail.trimmed().isEmpty())
        detail = u"the connection to the server was lost"_s;
    detail = detail.simplified();
    if (!m_connection.password.isEmpty())
        detail.replace(m_connection.password, u"***"_s);
    const QString text = u"%1: %2 (%3)"_s.arg(what, detail, description());
    const QString state = error.nativeErrorCode();
    if (isRetryable(state) || state == u"55P03"_s) // 55P03: lock_not_available (lock_timeout)
        return StoreError::busy(text);
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
    // Busy after busyTimeoutMs instead of hanging (SQLite's busy_timeout).
    if (!q.exec(u"SET lock_timeout = %1"_s.arg(qMax(1, m_options.busyTimeoutMs)))) {
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
    if (m_connectionLost)
        qCInfo(lcStore) << "reconnecting to" << description();
    return connect();
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
            // Outside a transaction nothing is half done: reconnect and run it once more.
            if (!m_inTransaction && attempt == 0)
                continue;
        }
        return sqlError(error, u"'%1' failed"_s.arg(sql.simplified().left(60)));
    }
}

StoreResult<void> PostgresStore::write(const std::function<StoreResult<void>()> &body) {
    // Entries queued during an outage go first: the chain keeps this console's order.
    if (m_journalPending > 0 && !m_replaying) {
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
            qCInfo(lcStore) << "write retried after" << last.message;
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
        if (postgresMigrations().constLast().version != latestSchemaVersion())
            return StoreError::schema(
                u"this build's PostgreSQL migrations (%1) do not match its "
                u"SQLite migrations (%2)"_s.arg(postgresMigrations().constLast().version)
                    .arg(latestSchemaVersion()));
        if (auto r = exec(u"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY "
                          u"KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)"_s);
            !r)
            return r.error();
        auto current = exec(u"SELECT COALESCE(MAX(version), 0) FROM schema_version"_s);
        if (!current)
            return current.error();
        int version = current.value().next() ? current.value().value(0).toInt() : 0;
        current.value().finish();
        const int latest = latestSchemaVersion();
        if (version > latest)
            return StoreError::schema(
                u"%1 has schema version %2, newer than this program knows (%3): use a newer "
                u"cutover-console; the store was not changed"_s.arg(description())
                    .arg(version)
                    .arg(latest));
        for (const Migration &migration : postgresMigrations()) {
            if (migration.version <= version)
                continue;
            for (const QString &statement : migration.statements) {
                if (auto r = exec(statement); !r) {
                    StoreError error = r.error();
                    if (error.kind == StoreError::Kind::Io)
                        error.kind = StoreError::Kind::Schema;
                    error.message =
                        u"migration %1 (%2): "_s.arg(migration.version).arg(migration.description) +
                        error.message;
                    return error;
                }
            }
            if (auto r = exec(u"INSERT INTO schema_version (version, description, applied_at) "
                              u"VALUES (?, ?, ?)"_s,
                              {migration.version, migration.description,
                               QDateTime::currentMSecsSinceEpoch()});
                !r)
                return r.error();
            qCInfo(lcStore) << "store" << description() << "migrated to schema"
                            << migration.version;
            version = migration.version;
        }
        m_schemaVersion = version;
        return {};
    });
}

// --- Stage state ---

StoreResult<std::optional<StageState>> PostgresStore::stageState(const QString &environment) {
    auto q = exec(u"SELECT "_s + kStageColumns + u" FROM stage_state WHERE environment = ?"_s,
                  {environment});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<StageState>();
    return std::optional<StageState>(stageFromQuery(q.value()));
}

StoreResult<QList<StageState>> PostgresStore::stageStates() {
    auto q = exec(u"SELECT "_s + kStageColumns + u" FROM stage_state ORDER BY environment"_s);
    if (!q)
        return q.error();
    QList<StageState> states;
    while (q.value().next())
        states.append(stageFromQuery(q.value()));
    return states;
}

StoreResult<StageState> PostgresStore::updateStageState(qint64 expectedVersion,
                                                        const StageState &newState,
                                                        const AuditContext &audit) {
    StageState stored = newState;
    stored.version = expectedVersion + 1;
    const QDateTime at = now();
    stored.changedAt = newState.changedAt.isValid() ? toStoredPrecision(newState.changedAt) : at;
    if (stored.enteredAt.isValid())
        stored.enteredAt = toStoredPrecision(stored.enteredAt);
    if (stored.holdStartedAt.isValid())
        stored.holdStartedAt = toStoredPrecision(stored.holdStartedAt);

    auto result = write([&]() -> StoreResult<void> {
        auto current = exec(u"SELECT version, changed_by, changed_at FROM stage_state WHERE "
                            u"environment = ?"_s,
                            {newState.environment});
        if (!current)
            return current.error();
        if (current.value().next()) {
            const qint64 version = current.value().value(0).toLongLong();
            if (version != expectedVersion) {
                const QString by = current.value().value(1).toString();
                const QDateTime when = fromMs(current.value().value(2));
                return StoreError::conflict(u"stage changed by %1 at %2"_s.arg(by, timeText(when)),
                                            by, when, version);
            }
        } else if (expectedVersion != 0) {
            return StoreError::conflict(
                u"no stage state for %1 (expected version %2): it was removed"_s
                    .arg(newState.environment)
                    .arg(expectedVersion),
                {}, {}, 0);
        }
        current.value().finish();
        const QVariantList values = {newState.environment,
                                     stored.stageIndex,
                                     stored.phase,
                                     jsonText(stored.intendedWeights),
                                     msOrNull(stored.enteredAt),
                                     msOrNull(stored.holdStartedAt),
                                     stored.version,
                                     stored.changedBy,
                                     msOrNull(stored.changedAt)};
        auto written = exec(u"INSERT INTO stage_state ("_s + kStageColumns +
                                u") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (environment) "
                                u"DO UPDATE SET stage_index = excluded.stage_index, phase = "
                                u"excluded.phase, intended_weights = excluded.intended_weights, "
                                u"entered_at = excluded.entered_at, hold_started_at = "
                                u"excluded.hold_started_at, version = excluded.version, "
                                u"changed_by = excluded.changed_by, changed_at = "
                                u"excluded.changed_at"_s,
                            values);
        if (!written)
            return written.error();
        QJsonObject details{{u"stage_index"_s, stored.stageIndex},
                            {u"phase"_s, stored.phase},
                            {u"version"_s, stored.version},
                            {u"intended_weights"_s, stored.intendedWeights}};
        if (stored.holdStartedAt.isValid())
            details.insert(u"hold_started_at"_s, timeText(stored.holdStartedAt));
        const AuditEvent event{stored.changedBy,
                               audit.role,
                               audit.action.isEmpty() ? u"stage_changed"_s : audit.action,
                               stored.environment,
                               u"stage %1 %2"_s.arg(stored.stageIndex).arg(stored.phase),
                               merged(details, audit.details)};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return stored;
}

// --- Ticks ---

StoreResult<QList<Tick>> PostgresStore::ticks(const QString &environment) {
    auto q = exec(u"SELECT environment, gate, check_id, ticked_by, role, ticked_at FROM "
                  u"checklist_ticks WHERE environment = ? ORDER BY ticked_at, gate, check_id"_s,
                  {environment});
    if (!q)
        return q.error();
    QList<Tick> result;
    while (q.value().next()) {
        result.append({q.value().value(0).toString(), q.value().value(1).toString(),
                       q.value().value(2).toString(), q.value().value(3).toString(),
                       q.value().value(4).toString(), fromMs(q.value().value(5))});
    }
    return result;
}

StoreResult<Tick> PostgresStore::tick(const Tick &tick, const QJsonObject &details) {
    Tick stored = tick;
    const QDateTime at = now();
    stored.at = tick.at.isValid() ? toStoredPrecision(tick.at) : at;
    auto result = write([&]() -> StoreResult<void> {
        auto existing = exec(u"SELECT ticked_by, ticked_at FROM checklist_ticks WHERE "
                             u"environment = ? AND gate = ? AND check_id = ?"_s,
                             {tick.environment, tick.gate, tick.check});
        if (!existing)
            return existing.error();
        if (existing.value().next()) {
            const QString by = existing.value().value(0).toString();
            const QDateTime when = fromMs(existing.value().value(1));
            return StoreError::conflict(u"%1/%2 already ticked by %3 at %4"_s.arg(
                                            tick.gate, tick.check, by, timeText(when)),
                                        by, when);
        }
        existing.value().finish();
        if (auto r = exec(u"INSERT INTO checklist_ticks (environment, gate, check_id, ticked_by, "
                          u"role, ticked_at) VALUES (?, ?, ?, ?, ?, ?)"_s,
                          {stored.environment, stored.gate, stored.check, stored.tickedBy,
                           stored.role, msOrNull(stored.at)});
            !r)
            return r.error();
        const AuditEvent event{stored.tickedBy,
                               stored.role,
                               u"check_ticked"_s,
                               stored.environment,
                               stored.gate + u'/' + stored.check,
                               details};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return stored;
}

StoreResult<bool> PostgresStore::untick(const QString &environment, const QString &gate,
                                        const QString &check, const QString &actor,
                                        const QString &role) {
    bool removed = false;
    auto result = write([&]() -> StoreResult<void> {
        auto deleted = exec(u"DELETE FROM checklist_ticks WHERE environment = ? AND gate = ? AND "
                            u"check_id = ?"_s,
                            {environment, gate, check});
        if (!deleted)
            return deleted.error();
        removed = deleted.value().numRowsAffected() > 0;
        if (!removed)
            return {};
        const AuditEvent event{actor, role, u"check_unticked"_s, environment, gate + u'/' + check,
                               {}};
        if (auto appended = appendAuditInTransaction(event, now()); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return removed;
}

// --- Sign-offs ---

StoreResult<QList<SignOff>> PostgresStore::signOffs(const QString &environment) {
    auto q = exec(u"SELECT "_s + kSignOffColumns +
                      u" FROM sign_offs WHERE environment = ? AND voided_at IS NULL ORDER BY id"_s,
                  {environment});
    if (!q)
        return q.error();
    QList<SignOff> result;
    while (q.value().next())
        result.append(signOffFromQuery(q.value()));
    return result;
}

StoreResult<SignOff> PostgresStore::signOff(const SignOff &signOff) {
    SignOff stored = signOff;
    const QDateTime at = now();
    stored.at = signOff.at.isValid() ? toStoredPrecision(signOff.at) : at;
    stored.signatureHash = signatureHash(stored);
    auto result = write([&]() -> StoreResult<void> {
        auto existing = exec(u"SELECT operator, signed_at FROM sign_offs WHERE environment = ? "
                             u"AND gate = ? AND role = ? AND voided_at IS NULL"_s,
                             {stored.environment, stored.gate, stored.role});
        if (!existing)
            return existing.error();
        if (existing.value().next()) {
            const QString by = existing.value().value(0).toString();
            const QDateTime when = fromMs(existing.value().value(1));
            return StoreError::conflict(u"%1 already signed as %2 by %3 at %4"_s.arg(
                                            stored.gate, stored.role, by, timeText(when)),
                                        by, when);
        }
        existing.value().finish();
        auto inserted = exec(
            u"INSERT INTO sign_offs (environment, gate, role, operator, printed_name, "
            u"meaning, comment, signed_at, signature_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
            u"?) RETURNING id"_s,
            {stored.environment, stored.gate, stored.role, stored.operatorName, stored.printedName,
             stored.meaning, stored.comment, msOrNull(stored.at), stored.signatureHash});
        if (!inserted)
            return inserted.error();
        if (!inserted.value().next())
            return StoreError::io(u"the new sign-off has no id (%1)"_s.arg(description()));
        stored.id = inserted.value().value(0).toLongLong();
        inserted.value().finish();
        const AuditEvent event{stored.operatorName,
                               stored.role,
                               u"gate_signed"_s,
                               stored.environment,
                               stored.gate,
                               {{u"sign_off_id"_s, stored.id},
                                {u"printed_name"_s, stored.printedName},
                                {u"meaning"_s, stored.meaning},
                                {u"comment"_s, stored.comment},
                                {u"signed_at"_s, timeText(stored.at)},
                                {u"signature_hash"_s, stored.signatureHash}}};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return stored;
}

StoreResult<int> PostgresStore::resetGate(const QString &environment, const QString &gate,
                                          const QString &actor, const QString &role,
                                          const QString &reason) {
    int cleared = 0;
    auto result = write([&]() -> StoreResult<void> {
        const QDateTime at = now();
        auto ticksDeleted =
            exec(u"DELETE FROM checklist_ticks WHERE environment = ? AND gate = ?"_s,
                 {environment, gate});
        if (!ticksDeleted)
            return ticksDeleted.error();
        const int ticksCleared = ticksDeleted.value().numRowsAffected();
        auto voided = exec(u"UPDATE sign_offs SET voided_at = ?, voided_by = ? WHERE environment "
                           u"= ? AND gate = ? AND voided_at IS NULL"_s,
                           {at.toMSecsSinceEpoch(), actor, environment, gate});
        if (!voided)
            return voided.error();
        const int signOffsVoided = voided.value().numRowsAffected();
        cleared = ticksCleared + signOffsVoided;
        const AuditEvent event{actor,
                               role,
                               u"gate_reset"_s,
                               environment,
                               gate,
                               {{u"reason"_s, reason},
                                {u"ticks_cleared"_s, ticksCleared},
                                {u"sign_offs_voided"_s, signOffsVoided}}};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return cleared;
}

// --- Sign-in lock-out ---

StoreResult<SignInState> PostgresStore::signInState(const QString &operatorName) {
    auto q = exec(u"SELECT failures, locked_until, last_failure_at FROM sign_in_failures WHERE "
                  u"operator = ?"_s,
                  {operatorName});
    if (!q)
        return q.error();
    SignInState state;
    state.operatorName = operatorName;
    if (q.value().next()) {
        state.failures = q.value().value(0).toInt();
        state.lockedUntil = fromMs(q.value().value(1));
        state.lastFailureAt = fromMs(q.value().value(2));
    }
    return state;
}

StoreResult<SignInState> PostgresStore::recordSignInFailure(const QString &operatorName,
                                                            const QDateTime &when, int threshold,
                                                            qint64 lockForMs,
                                                            const QJsonObject &details) {
    SignInState state;
    auto result = write([&]() -> StoreResult<void> {
        auto current = signInState(operatorName);
        if (!current)
            return current.error();
        state = current.value();
        const QDateTime at = toStoredPrecision(when.isValid() ? when : now());
        state.failures += 1;
        state.lastFailureAt = at;
        QJsonObject auditDetails{{u"consecutive_failures"_s, state.failures}};
        if (state.failures >= threshold) {
            state.lockedUntil = at.addMSecs(lockForMs);
            state.failures = 0; // the next round of attempts starts after the lock
            auditDetails.insert(u"locked_until"_s, timeText(state.lockedUntil));
        }
        if (auto r = exec(u"INSERT INTO sign_in_failures (operator, failures, last_failure_at, "
                          u"locked_until) VALUES (?, ?, ?, ?) ON CONFLICT (operator) DO UPDATE "
                          u"SET failures = excluded.failures, last_failure_at = "
                          u"excluded.last_failure_at, locked_until = excluded.locked_until"_s,
                          {operatorName, state.failures, msOrNull(state.lastFailureAt),
                           msOrNull(state.lockedUntil)});
            !r)
            return r.error();
        const AuditEvent event{operatorName, {},           u"sign_in_failed"_s,
                               {},           operatorName, merged(details, auditDetails)};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return state;
}

StoreResult<void> PostgresStore::recordSignInSuccess(const QString &operatorName,
                                                     const QString &action,
                                                     const QJsonObject &details) {
    return write([&]() -> StoreResult<void> {
        if (auto r = exec(u"UPDATE sign_in_failures SET failures = 0 WHERE operator = ?"_s,
                          {operatorName});
            !r)
            return r.error();
        const AuditEvent event{operatorName, {}, action, {}, operatorName, details};
        if (auto appended = appendAuditInTransaction(event, now()); !appended)
            return appended.error();
        return {};
    });
}

// --- Audit ---

StoreResult<AuditEntry> PostgresStore::appendAuditInTransaction(const AuditEvent &event,
                                                                const QDateTime &at) {
    // The head, not MAX(seq), decides the next seq: a deleted tail then shows as a gap. The
    // advisory lock the transaction holds makes this read-then-write safe across consoles.
    auto head = exec(u"SELECT seq, hash FROM audit_head WHERE id = 1"_s);
    if (!head)
        return head.error();
    if (!head.value().next())
        return StoreError::corrupt(u"the audit head row is missing (%1)"_s.arg(description()));
    AuditEntry entry;
    entry.seq = head.value().value(0).toLongLong() + 1;
    entry.prevHash = head.value().value(1).toString();
    head.value().finish();
    entry.at = toStoredPrecision(at);
    entry.actor = event.actor;
    entry.role = event.role;
    entry.action = event.action;
    entry.environment = event.environment;
    entry.subject = event.subject;
    entry.details = detailsText(event.details);
    entry.hash = auditHash(entry);
    if (auto r =
            exec(u"INSERT INTO audit_log ("_s + kAuditColumns +
                     u") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_s,
                 {entry.seq, entry.at.toMSecsSinceEpoch(), entry.actor, entry.role, entry.action,
                  entry.environment, entry.subject, entry.details, entry.prevHash, entry.hash});
        !r)
        return r.error();
    if (auto r = exec(u"UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"_s,
                      {entry.seq, entry.hash});
        !r)
        return r.error();
    // Delivered to every listener when (and only if) this transaction commits.
    if (auto r = exec(u"SELECT pg_notify(?, ?)"_s,
                      {QString::fromUtf16(kChangeChannel), QString::number(entry.seq)});
        !r)
        return r.error();
    return entry;
}

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
            // Already written by a replay that died before its local delete?
            auto seen = exec(u"SELECT 1 FROM audit_log WHERE details LIKE ?"_s,
                             {u"%\"journal\":{\"id\":\"%1\"%"_s.arg(p.journalId)});
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

StoreResult<QList<AuditEntry>> PostgresStore::auditEntries(qint64 afterSeq, int limit) {
    auto q =
        exec(u"SELECT "_s + kAuditColumns + u" FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"_s,
             {afterSeq, limit < 0 ? QVariant() : QVariant(limit)});
    if (!q)
        return q.error();
    QList<AuditEntry> entries;
    while (q.value().next())
        entries.append(auditFromQuery(q.value()));
    return entries;
}

StoreResult<AuditVerification> PostgresStore::verifyAuditChain() {
    // One REPEATABLE READ transaction: the head and the log come from one snapshot even while
    // other consoles append.
    if (auto opened = ensureOpen(); !opened)
        return opened.error();
    if (auto begun = exec(u"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"_s); !begun)
        return begun.error();
    m_inTransaction = true;
    auto finish = [this] {
        m_inTransaction = false;
        if (!m_connectionLost)
            QSqlQuery(database()).exec(u"COMMIT"_s);
    };
    auto head = exec(u"SELECT seq, hash FROM audit_head WHERE id = 1"_s);
    if (!head) {
        finish();
        return head.error();
    }
    qint64 headSeq = -1;
    QString headHash;
    if (head.value().next()) {
        headSeq = head.value().value(0).toLongLong();
        headHash = head.value().value(1).toString();
    }
    head.value().finish();
    auto q = exec(u"SELECT "_s + kAuditColumns + u" FROM audit_log ORDER BY seq"_s);
    if (!q) {
        finish();
        return q.error();
    }
    AuditChainVerifier verifier;
    while (q.value().next()) {
        if (!verifier.add(auditFromQuery(q.value())))
            break;
    }
    q.value().finish();
    finish();
    if (headSeq < 0) {
        AuditVerification missing;
        missing.problem = u"the audit head row is missing"_s;
        return missing;
    }
    return verifier.finish(headSeq, headSeq > 0 ? headHash : QString());
}

StoreResult<qint64> PostgresStore::lastChangeId() {
    auto q = exec(u"SELECT seq FROM audit_head WHERE id = 1"_s);
    if (!q)
        return q.error();
    return q.value().next() ? q.value().value(0).toLongLong() : qint64(0);
}

StoreWatcher *PostgresStore::createWatcher(QObject *parent, int intervalMs) {
    return new PostgresWatcher(*this, qMax(20 * intervalMs, 10'000), parent);
}

} // namespace cutover::store
