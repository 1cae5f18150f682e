#pragma once

// The store's schema, written once for both backends as an ordered list of migrations. Each
// statement is portable SQL with a few dialect words left as placeholders (schema.cpp), so the
// SQLite and PostgreSQL tables cannot drift apart; test_schema_parity compares the two live
// schemas. A database records the versions applied in `schema_version`; opening applies the
// missing ones in one transaction and refuses a database whose version is newer than the last
// one listed here (never a silent downgrade).
//
// Adding a migration: append (never edit a released one); the statements serve both dialects.

#include <QList>
#include <QString>
#include <QStringList>

namespace cutover::store {

enum class SqlDialect { SQLite, PostgreSQL };

struct Migration {
    int version = 0;
    QString description;
    QStringList statements;
};

// The migrations with the dialect's words substituted.
const QList<Migration> &migrations(SqlDialect dialect);
// The type of times (milliseconds since the epoch, UTC): INTEGER on SQLite, BIGINT on PostgreSQL.
QString timeType(SqlDialect dialect);
int latestSchemaVersion();

} // namespace cutover::store
