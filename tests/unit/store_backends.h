#pragma once

// Test support (header only): one store test suite, several backends. A StoreBackend makes fresh
// stores of one kind, opens more consoles on the same store, restarts a console and runs SQL
// behind the store's back:
// - sqlite: a file in a QTemporaryDir, a new folder for every open();
// - postgresql: the database of the PostgreSQL 15 the CTest fixture `postgres` started
//   (tests/lab/postgres.sh writes $CUTOVER_PG_DIR/state.env); open() drops and recreates the
//   public schema, so every test starts on an empty, unmigrated database.
// CUTOVER_STORE_BACKEND chooses: sqlite (also when unset) | postgresql. Asking for postgresql
// without a running fixture is an error, never a silent skip.
//
// Threads: open(), clean(), reopen() and the raw SQL are for the test's main thread.
// openAnother() may be called from any thread (a console per thread in the race tests); the store
// it returns must then be used and destroyed on that thread.

#include "app/store/postgres_store.h"
#include "app/store/sqlite_store.h"
#include "tests/lab/postgres_server.h"

#include <QFile>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QUrl>
#include <QVariant>

#include <memory>
#include <optional>

namespace cutover::store::testing {

class StoreBackend {
public:
    virtual ~StoreBackend() = default;

    // "sqlite" or "postgresql", as CUTOVER_STORE_BACKEND spells it; also how description() starts.
    virtual QString name() const = 0;
    // The longest a watcher may take to report another console's write: the SQLite watcher polls
    // (every 500 ms), the PostgreSQL one listens.
    virtual int watcherLimitMs() const = 0;

    // Makes the store empty and unmigrated (whatever an earlier test left is gone) without opening
    // it. False, with a warning, when that fails.
    virtual bool clean() = 0;
    // Another console on the store: SQLite the same file, PostgreSQL the same database on a new
    // connection. Migrates when the store is new.
    virtual StoreResult<std::unique_ptr<Store>> openAnother(Clock clock = systemClock()) const = 0;

    // A fresh, empty store: clean(), then the first console.
    StoreResult<std::unique_ptr<Store>> open(Clock clock = systemClock()) {
        if (!clean())
            return StoreError::io(QStringLiteral("cannot make a fresh %1 store").arg(name()));
        return openAnother(std::move(clock));
    }

    // A restart: closes `store`, then opens the same store again (nothing is cleaned).
    StoreResult<void> reopen(std::unique_ptr<Store> &store, Clock clock = systemClock()) {
        store.reset();
        auto opened = openAnother(std::move(clock));
        if (!opened)
            return opened.error();
        store = std::move(opened).value();
        return {};
    }

    // Runs `sql` on the store behind its back (a tamperer, an older or newer program) on a
    // connection of its own. False, with a warning, when it fails.
    bool rawSql(const QString &sql) const { return rawValue(sql).has_value(); }

    // Runs `sql` like rawSql() and returns the first column of its first row (an invalid QVariant
    // when there is no row); nullopt when it fails.
    std::optional<QVariant> rawValue(const QString &sql) const {
        const QString connection = QStringLiteral("store-backend-raw");
        std::optional<QVariant> result;
        {
            QSqlDatabase db = rawDatabase(connection);
            if (!db.open()) {
                qWarning("%s: %s", qPrintable(name()), qPrintable(db.lastError().text()));
            } else {
                QSqlQuery q(db);
                if (!q.exec(sql))
                    qWarning("%s: %s", qPrintable(name()), qPrintable(q.lastError().text()));
                else
                    result = q.next() ? q.value(0) : QVariant();
            }
            db.close();
        }
        QSqlDatabase::removeDatabase(connection);
        return result;
    }

protected:
    // A new, unopened connection to the store under `connectionName`.
    virtual QSqlDatabase rawDatabase(const QString &connectionName) const = 0;

    static StoreResult<std::unique_ptr<Store>> upcast(auto opened) {
        if (!opened)
            return opened.error();
        return std::unique_ptr<Store>(std::move(opened).value());
    }
};

class SqliteBackend final : public StoreBackend {
public:
    QString name() const override { return QStringLiteral("sqlite"); }
    int watcherLimitMs() const override { return 2000; }

    bool clean() override {
        m_dir.reset(); // the previous test's folder, with its file, goes first
        m_dir.emplace();
        if (!m_dir->isValid()) {
            qWarning("sqlite: no temporary folder: %s", qPrintable(m_dir->errorString()));
            return false;
        }
        m_path = m_dir->filePath(QStringLiteral("store.sqlite"));
        return true;
    }

    StoreResult<std::unique_ptr<Store>> openAnother(Clock clock = systemClock()) const override {
        SqliteStore::Options options;
        options.path = m_path;
        options.clock = std::move(clock);
        return upcast(SqliteStore::open(options));
    }

protected:
    QSqlDatabase rawDatabase(const QString &connectionName) const override {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
        db.setDatabaseName(m_path);
        return db;
    }

private:
    std::optional<QTemporaryDir> m_dir;
    QString m_path;
};

class PostgresBackend final : public StoreBackend {
public:
    // From $CUTOVER_PG_DIR/state.env (tests/lab/postgres.sh); nullptr and *error when it is not
    // there or incomplete.
    static std::unique_ptr<PostgresBackend> fromEnvironment(QString *error) {
        const QString dir = qEnvironmentVariable("CUTOVER_PG_DIR");
        if (dir.isEmpty()) {
            *error = QStringLiteral(
                "CUTOVER_STORE_BACKEND=postgresql but CUTOVER_PG_DIR is not set: run through ctest "
                "(test_store_contract_postgres, fixture `postgres`) or start one with "
                "tests/lab/postgres.sh start DIR and set CUTOVER_PG_DIR=DIR");
            return nullptr;
        }
        const QString stateFile = dir + QStringLiteral("/state.env");
        if (!QFile::exists(stateFile)) {
            *error = QStringLiteral("CUTOVER_STORE_BACKEND=postgresql but %1 is missing: the "
                                    "PostgreSQL of the fixture `postgres` is not running (did "
                                    "postgres_up pass?)")
                         .arg(stateFile);
            return nullptr;
        }
        const QHash<QString, QString> state = pglab::state(dir);
        for (const char *key : {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"}) {
            if (state.value(QString::fromLatin1(key)).isEmpty()) {
                *error = QStringLiteral("%1 has no %2").arg(stateFile, QString::fromLatin1(key));
                return nullptr;
            }
        }
        std::unique_ptr<PostgresBackend> backend(new PostgresBackend);
        backend->m_state = state;
        backend->m_options.url = QUrl(QStringLiteral("postgresql://%1:%2/%3?sslmode=disable")
                                          .arg(state.value(QStringLiteral("PGHOST")),
                                               state.value(QStringLiteral("PGPORT")),
                                               state.value(QStringLiteral("PGDATABASE"))));
        backend->m_options.user = state.value(QStringLiteral("PGUSER"));
        backend->m_options.password = state.value(QStringLiteral("PGPASSWORD"));
        return backend;
    }

    QString name() const override { return QStringLiteral("postgresql"); }
    int watcherLimitMs() const override { return 1000; }

    bool clean() override {
        // The role owns the database and its public schema; no console is connected now.
        return rawSql(QStringLiteral("DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
    }

    StoreResult<std::unique_ptr<Store>> openAnother(Clock clock = systemClock()) const override {
        PostgresStore::Options options = m_options;
        options.clock = std::move(clock);
        return upcast(PostgresStore::open(options));
    }

protected:
    QSqlDatabase rawDatabase(const QString &connectionName) const override {
        return pglab::addConnection(m_state, connectionName);
    }

private:
    PostgresBackend() = default;

    PostgresStore::Options m_options;
    QHash<QString, QString> m_state;
};

// The backend CUTOVER_STORE_BACKEND names; nullptr and *error when it cannot be used.
inline std::unique_ptr<StoreBackend> storeBackendFromEnvironment(QString *error) {
    const QString wanted = qEnvironmentVariable("CUTOVER_STORE_BACKEND", QStringLiteral("sqlite"));
    if (wanted == QStringLiteral("sqlite"))
        return std::make_unique<SqliteBackend>();
    if (wanted == QStringLiteral("postgresql"))
        return PostgresBackend::fromEnvironment(error);
    *error = QStringLiteral("CUTOVER_STORE_BACKEND=%1: expected sqlite or postgresql").arg(wanted);
    return nullptr;
}

} // namespace cutover::store::testing
