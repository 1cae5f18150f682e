// The SQLite and PostgreSQL stores come from one schema description (app/store/schema.cpp): this
// migrates a real store of each kind and compares what the two databases hold — tables, columns,
// nullability, type families, primary keys and indexes — so a dialect substitution that drifts,
// or a statement only one side runs, fails here.

#include "app/store/postgres_store.h"
#include "app/store/schema.h"
#include "app/store/sqlite_store.h"
#include "tests/lab/postgres_server.h"
#include "tests/support/postgres_test_support.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace cutover::store;
using namespace Qt::StringLiterals;

namespace {

struct Column {
    QString family; // integer | text | other:<type>
    bool notNull = false;
    bool operator==(const Column &) const = default;
};
// table -> column -> what it is
using Layout = std::map<QString, std::map<QString, Column>>;

QString familyOf(QString type) {
    type = type.toLower();
    if (type == u"integer"_s || type == u"bigint"_s)
        return u"integer"_s;
    if (type == u"text"_s)
        return u"text"_s;
    return u"other:"_s + type;
}

QString describe(const Layout &layout) {
    QStringList lines;
    for (const auto &[table, columns] : layout)
        for (const auto &[name, column] : columns)
            lines.append(u"%1.%2 %3%4"_s.arg(table, name, column.family,
                                             column.notNull ? u" not null"_s : QString()));
    return lines.join(u'\n');
}

const QString kSchema = u"schema_parity"_s;

} // namespace

class TestSchemaParity : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY2(!qEnvironmentVariableIsEmpty("CUTOVER_PG_DIR"),
                 "run through CTest: the postgres fixture starts the server");
        QVERIFY(
            pglab::rawSql(u"DROP SCHEMA IF EXISTS %1 CASCADE; CREATE SCHEMA %1"_s.arg(kSchema)));
    }

    void cleanupTestCase() { pglab::rawSql(u"DROP SCHEMA IF EXISTS %1 CASCADE"_s.arg(kSchema)); }

    void bothStoresMigrateToTheSameLayout() {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        const QString sqlitePath = folder.filePath(u"store.sqlite"_s);
        {
            SqliteStore::Options options;
            options.path = sqlitePath;
            auto opened = SqliteStore::open(options);
            QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
            QCOMPARE(opened.value()->schemaVersion(), latestSchemaVersion());
        }
        {
            const PostgresStore::Options options = enginetest::pg::options(kSchema, {});
            auto opened = PostgresStore::open(options);
            QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
            QCOMPARE(opened.value()->schemaVersion(), latestSchemaVersion());
        }

        const Layout sqlite = sqliteLayout(sqlitePath);
        const Layout postgres = postgresLayout();
        QVERIFY2(sqlite.size() >= 8, qPrintable(describe(sqlite)));
        QVERIFY2(sqlite == postgres, qPrintable(u"SQLite:\n%1\n\nPostgreSQL:\n%2"_s.arg(
                                         describe(sqlite), describe(postgres))));

        const QStringList sqliteIndexes = sqliteIndexNames(sqlitePath);
        const QStringList postgresIndexes = postgresIndexNames();
        QVERIFY(sqliteIndexes.contains(u"sign_offs_active"_s));
        QCOMPARE(sqliteIndexes, postgresIndexes);
    }

    // The dialect words are all substituted: no placeholder reaches a database.
    void noPlaceholderIsLeft() {
        for (SqlDialect dialect : {SqlDialect::SQLite, SqlDialect::PostgreSQL})
            for (const Migration &migration : migrations(dialect))
                for (const QString &statement : migration.statements)
                    QVERIFY2(!statement.contains(u'{') || statement.contains(u"'{}'"_s),
                             qPrintable(statement));
        QCOMPARE(migrations(SqlDialect::SQLite).size(), migrations(SqlDialect::PostgreSQL).size());
    }

private:
    static Layout sqliteLayout(const QString &path) {
        Layout layout;
        const QString name = u"parity-sqlite"_s;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
            db.setDatabaseName(path);
            if (!db.open())
                qFatal("sqlite: %s", qPrintable(db.lastError().text()));
            QSqlQuery tables(db);
            tables.exec(u"SELECT name FROM sqlite_master WHERE type = 'table' "
                        u"AND name NOT LIKE 'sqlite_%'"_s);
            QStringList names;
            while (tables.next())
                names.append(tables.value(0).toString());
            for (const QString &table : names) {
                QSqlQuery columns(db);
                columns.exec(u"PRAGMA table_info(%1)"_s.arg(table));
                while (columns.next()) {
                    // A primary key is NOT NULL on PostgreSQL whatever the statement says.
                    const bool notNull =
                        columns.value(3).toInt() != 0 || columns.value(5).toInt() != 0;
                    layout[table][columns.value(1).toString()] = {
                        familyOf(columns.value(2).toString()), notNull};
                }
            }
        }
        QSqlDatabase::removeDatabase(name);
        return layout;
    }

    static Layout postgresLayout() {
        Layout layout;
        const QString name = u"parity-postgres"_s;
        {
            QSqlDatabase db = pglab::addConnection(pglab::state(), name);
            if (!db.open())
                qFatal("postgres: %s", qPrintable(db.lastError().text()));
            QSqlQuery columns(db);
            columns.exec(
                u"SELECT table_name, column_name, data_type, is_nullable "
                u"FROM information_schema.columns WHERE table_schema = '%1'"_s.arg(kSchema));
            while (columns.next())
                layout[columns.value(0).toString()][columns.value(1).toString()] = {
                    familyOf(columns.value(2).toString()), columns.value(3).toString() == u"NO"_s};
        }
        QSqlDatabase::removeDatabase(name);
        return layout;
    }

    static QStringList sqliteIndexNames(const QString &path) {
        QStringList names;
        const QString name = u"parity-sqlite-index"_s;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
            db.setDatabaseName(path);
            db.open();
            QSqlQuery q(db);
            // Indexes the statements create; a primary key's automatic index has no SQL.
            q.exec(u"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"_s);
            while (q.next())
                names.append(q.value(0).toString());
        }
        QSqlDatabase::removeDatabase(name);
        names.sort();
        return names;
    }

    static QStringList postgresIndexNames() {
        QStringList names;
        const QString name = u"parity-postgres-index"_s;
        {
            QSqlDatabase db = pglab::addConnection(pglab::state(), name);
            db.open();
            QSqlQuery q(db);
            // Indexes that do not back a primary key (those PostgreSQL names *_pkey).
            q.exec(u"SELECT indexname FROM pg_indexes WHERE schemaname = '%1' "
                   u"AND indexname NOT LIKE '%_pkey'"_s.arg(kSchema));
            while (q.next())
                names.append(q.value(0).toString());
        }
        QSqlDatabase::removeDatabase(name);
        names.sort();
        return names;
    }
};

QTEST_GUILESS_MAIN(TestSchemaParity)
#include "test_schema_parity.moc"
