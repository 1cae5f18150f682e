#include "app/store/decision_lease.h"

#include "app/store/store_log.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>
#include <QUuid>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace cutover::store {

QString leaseHolderKindName(LeaseHolderKind kind) {
    return kind == LeaseHolderKind::Controller ? u"controller"_s : u"desk"_s;
}

QString LeaseHolder::describe() const {
    if (kind == LeaseHolderKind::Controller)
        return u"controller %1 (pid %2)"_s.arg(host).arg(pid);
    if (operatorName.isEmpty())
        return u"console on %1 (pid %2)"_s.arg(host).arg(pid);
    return u"console of %1 on %2 (pid %3)"_s.arg(operatorName, host).arg(pid);
}

namespace {

QVariant msOrNull(const QDateTime &t) {
    return t.isValid() ? QVariant(t.toMSecsSinceEpoch()) : QVariant(QMetaType(QMetaType::LongLong));
}

QDateTime fromMs(const QVariant &v) {
    if (v.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(v.toLongLong(), QTimeZone::utc());
}

constexpr auto kColumns = "holder_id, kind, host, pid, operator, version, term, leading_since, "
                          "renewed_at, expires_at, last_evaluation_at";

class SqlLeaseBackend final : public LeaseBackend {
public:
    explicit SqlLeaseBackend(SqlLeaseConnection connection)
        : m_connection(std::move(connection))
        , m_name(u"cutover-lease-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces)) {}

    ~SqlLeaseBackend() override {
        if (m_added) {
            {
                QSqlDatabase db = QSqlDatabase::database(m_name, false);
                if (db.isOpen())
                    db.close();
            }
            QSqlDatabase::removeDatabase(m_name);
        }
    }

    StoreResult<void> open() override {
        if (!m_added) {
            m_connection.addDatabase(m_name);
            m_added = true;
        }
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        if (db.isOpen())
            return {};
        if (!db.open())
            return error(db.lastError(), u"cannot connect"_s);
        QSqlQuery q(db);
        // Bounded: a lease call that hangs would look like a dead holder to everybody else.
        // Lease and watch-mark writes need no durability (a lease lost in a crash is an expired
        // lease; an older mark only widens the next back-fill), but they must be quick: a
        // renewal that waits on an fsync behind a busy disk would fence the holder out.
        const QString session = isPostgres()
                                    ? u"SET statement_timeout = 2000; SET lock_timeout = 2000; "
                                      u"SET synchronous_commit = off; "
                                      u"SET client_min_messages = warning"_s
                                    : u"PRAGMA synchronous = NORMAL"_s;
        if (!q.exec(session)) {
            const StoreError e = error(q.lastError(), u"cannot configure the session"_s);
            db.close();
            return e;
        }
        return {};
    }

    StoreResult<LeaseReading> read() override {
        LeaseReading reading;
        auto now = serverNow();
        if (!now)
            return now.error();
        reading.now = now.value();
        auto holder = selectHolder(false);
        if (!holder)
            return holder.error();
        reading.holder = holder.value();
        auto mark = exec(u"SELECT evaluated_at, evaluated_by FROM watch_mark WHERE id = 1"_s, {});
        if (!mark)
            return mark.error();
        if (mark.value().next()) {
            reading.mark.evaluatedAt = fromMs(mark.value().value(0));
            reading.mark.evaluatedBy = mark.value().value(1).toString();
        }
        return reading;
    }

    StoreResult<LeaseAcquisition> tryAcquire(const LeaseHolder &candidate,
                                             qint64 leaseMs) override {
        LeaseAcquisition result;
        auto done = transaction([&]() -> StoreResult<void> {
            auto now = serverNow();
            if (!now)
                return now.error();
            result.now = now.value();
            auto ensured =
                exec(u"INSERT INTO decision_lease (id, %1) VALUES (1, '', 'controller', '', 0, '', "
                     u"'', 0, 0, 0, 0, NULL) ON CONFLICT (id) DO NOTHING"_s.arg(
                         QLatin1StringView(kColumns)),
                     {});
            if (!ensured)
                return ensured.error();
            auto current = selectHolder(true);
            if (!current)
                return current.error();
            const LeaseHolder existing = current.value().value_or(LeaseHolder{});
            const bool mine = existing.id == candidate.id;
            const bool free = existing.isEmpty() || !existing.freshAt(result.now);
            const bool preempt = candidate.kind == LeaseHolderKind::Controller &&
                                 existing.kind == LeaseHolderKind::Desk && !free && !mine;
            if (!mine && !free && !preempt) {
                result.holder = existing;
                return {};
            }
            LeaseHolder next = candidate;
            next.term = mine ? existing.term : existing.term + 1;
            next.leadingSince = mine ? existing.leadingSince : result.now;
            next.renewedAt = result.now;
            next.expiresAt = result.now.addMSecs(leaseMs);
            next.lastEvaluationAt = existing.lastEvaluationAt;
            auto updated = exec(
                u"UPDATE decision_lease SET holder_id = ?, kind = ?, host = ?, pid = ?, "
                u"operator = ?, version = ?, term = ?, leading_since = ?, renewed_at = ?, "
                u"expires_at = ? WHERE id = 1"_s,
                {next.id, leaseHolderKindName(next.kind), next.host, next.pid, next.operatorName,
                 next.version, next.term, next.leadingSince.toMSecsSinceEpoch(),
                 next.renewedAt.toMSecsSinceEpoch(), next.expiresAt.toMSecsSinceEpoch()});
            if (!updated)
                return updated.error();
            result.won = true;
            result.holder = next;
            if (preempt)
                result.previousExpiresAt = existing.expiresAt;
            return {};
        });
        if (!done)
            return done.error();
        return result;
    }

    StoreResult<bool> renew(const QString &holderId, qint64 leaseMs,
                            const QDateTime &lastEvaluationAt) override {
        auto now = serverNow();
        if (!now)
            return now.error();
        auto updated = exec(u"UPDATE decision_lease SET renewed_at = ?, expires_at = ?, "
                            u"last_evaluation_at = COALESCE(?, last_evaluation_at) "
                            u"WHERE id = 1 AND holder_id = ?"_s,
                            {now.value().toMSecsSinceEpoch(),
                             now.value().addMSecs(leaseMs).toMSecsSinceEpoch(),
                             msOrNull(lastEvaluationAt), holderId});
        if (!updated)
            return updated.error();
        return updated.value().numRowsAffected() == 1;
    }

    StoreResult<void> release(const QString &holderId) override {
        auto now = serverNow();
        if (!now)
            return now.error();
        auto updated =
            exec(u"UPDATE decision_lease SET expires_at = ? WHERE id = 1 AND holder_id = ?"_s,
                 {now.value().toMSecsSinceEpoch(), holderId});
        if (!updated)
            return updated.error();
        return {};
    }

    StoreResult<void> markEvaluated(const QDateTime &at, const QString &by) override {
        auto written = exec(u"INSERT INTO watch_mark (id, evaluated_at, evaluated_by) "
                            u"VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                            u"evaluated_at = excluded.evaluated_at, "
                            u"evaluated_by = excluded.evaluated_by "
                            u"WHERE watch_mark.evaluated_at < excluded.evaluated_at"_s,
                            {at.toMSecsSinceEpoch(), by});
        if (!written)
            return written.error();
        return {};
    }

private:
    bool isPostgres() const {
        return m_connection.dialect == SqlLeaseConnection::Dialect::Postgres;
    }

    QSqlDatabase database() const { return QSqlDatabase::database(m_name, false); }

    StoreError error(const QSqlError &e, const QString &what) const {
        QString detail = e.databaseText().isEmpty() ? e.text() : e.databaseText();
        if (detail.trimmed().isEmpty())
            detail = u"the connection to the store was lost"_s;
        return StoreError::io(u"decision lease: %1: %2 (%3)"_s.arg(what, detail.simplified(),
                                                                   m_connection.description));
    }

    StoreResult<QSqlQuery> exec(const QString &sql, const QVariantList &binds) {
        QSqlDatabase db = database();
        if (!db.isOpen()) {
            if (auto opened = open(); !opened)
                return opened.error();
            db = database();
        }
        QSqlQuery q(db);
        q.setForwardOnly(true);
        if (!q.prepare(sql))
            return prepareFailed(q, sql);
        for (const QVariant &v : binds) {
            // A null QString would bind as SQL NULL; the columns want '' for "none".
            if (v.typeId() == QMetaType::QString && v.toString().isNull())
                q.addBindValue(QString(u""_s));
            else
                q.addBindValue(v);
        }
        if (!q.exec()) {
            const StoreError e = error(q.lastError(), sql.simplified().left(40));
            // A broken PostgreSQL connection is reopened by the next call. (QSQLITE reports
            // every failed step as a "connection" error: its connection stays.)
            if (isPostgres() &&
                (!db.isOpen() || q.lastError().type() == QSqlError::ConnectionError))
                db.close();
            return e;
        }
        return q;
    }

    StoreError prepareFailed(QSqlQuery &q, const QString &sql) {
        QSqlDatabase db = database();
        const StoreError e =
            error(q.lastError(), u"cannot prepare '%1'"_s.arg(sql.simplified().left(40)));
        // QPSQL prepares on the server: a dead connection fails here first.
        if (isPostgres())
            db.close();
        return e;
    }

    StoreResult<QDateTime> serverNow() {
        if (!isPostgres())
            return m_connection.hostClock ? m_connection.hostClock()
                                          : QDateTime::currentDateTimeUtc();
        auto q = exec(u"SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint"_s, {});
        if (!q)
            return q.error();
        if (!q.value().next())
            return StoreError::io(u"decision lease: the server did not say what time it is"_s);
        return fromMs(q.value().value(0));
    }

    StoreResult<std::optional<LeaseHolder>> selectHolder(bool forUpdate) {
        auto q = exec(u"SELECT %1 FROM decision_lease WHERE id = 1%2"_s.arg(
                          QLatin1StringView(kColumns),
                          forUpdate && isPostgres() ? u" FOR UPDATE"_s : QString()),
                      {});
        if (!q)
            return q.error();
        if (!q.value().next())
            return std::optional<LeaseHolder>();
        const QSqlQuery &row = q.value();
        LeaseHolder h;
        h.id = row.value(0).toString();
        h.kind = row.value(1).toString() == u"desk"_s ? LeaseHolderKind::Desk
                                                      : LeaseHolderKind::Controller;
        h.host = row.value(2).toString();
        h.pid = row.value(3).toLongLong();
        h.operatorName = row.value(4).toString();
        h.version = row.value(5).toString();
        h.term = row.value(6).toLongLong();
        h.leadingSince = fromMs(row.value(7));
        h.renewedAt = fromMs(row.value(8));
        h.expiresAt = fromMs(row.value(9));
        h.lastEvaluationAt = fromMs(row.value(10));
        if (h.id.isEmpty())
            return std::optional<LeaseHolder>();
        return std::optional<LeaseHolder>(h);
    }

    // Transaction control is executed, never prepared (QPSQL cannot PREPARE a BEGIN).
    StoreResult<void> control(const QString &sql) {
        QSqlDatabase db = database();
        if (!db.isOpen()) {
            if (auto opened = open(); !opened)
                return opened.error();
            db = database();
        }
        QSqlQuery q(db);
        if (!q.exec(sql)) {
            const StoreError e = error(q.lastError(), sql);
            if (isPostgres() && q.lastError().type() == QSqlError::ConnectionError)
                db.close();
            return e;
        }
        return {};
    }

    StoreResult<void> transaction(const std::function<StoreResult<void>()> &body) {
        if (auto begun = control(isPostgres() ? u"BEGIN"_s : u"BEGIN IMMEDIATE"_s); !begun)
            return begun.error();
        StoreResult<void> result = body();
        if (result) {
            if (auto committed = control(u"COMMIT"_s); committed)
                return {};
            else
                result = committed.error();
        }
        QSqlQuery q(database());
        if (!q.exec(u"ROLLBACK"_s))
            qCDebug(lcStore) << "lease rollback:" << q.lastError().text();
        return result;
    }

    SqlLeaseConnection m_connection;
    QString m_name;
    bool m_added = false;
};

} // namespace

std::unique_ptr<LeaseBackend> createSqlLeaseBackend(SqlLeaseConnection connection) {
    return std::make_unique<SqlLeaseBackend>(std::move(connection));
}

} // namespace cutover::store
