#pragma once

// The store's schema as an ordered list of migrations. A database records the versions applied
// in `schema_version`; opening applies the missing ones in one transaction and refuses a database
// whose version is newer than the last one listed here (never a silent downgrade).
//
// Rules for adding a migration: append (never edit a released one), bump nothing else, keep the
// SQL portable where it costs nothing (the PostgreSQL store mirrors these versions).

#include <QList>
#include <QString>
#include <QStringList>

namespace cutover::store {

struct Migration {
    int version = 0;
    QString description;
    QStringList statements;
};

const QList<Migration> &sqliteMigrations();

// Version 2, the same for both backends but for the type of its times (milliseconds since the
// epoch: INTEGER on SQLite, BIGINT on PostgreSQL): who takes the automatic decisions
// (decision_lease.h) and how far they were evaluated.
Migration decisionLeaseMigration(const QString &timeType);
int latestSchemaVersion();

} // namespace cutover::store
