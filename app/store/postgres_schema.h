#pragma once

// The PostgreSQL form of the store's schema. Same versions, same tables and columns as
// sqlite_schema.cpp (a migration N here is the migration N there, in PostgreSQL's dialect):
// times are BIGINT milliseconds since the epoch (UTC), JSON is compact TEXT (hashed as stored,
// so never jsonb, which would re-serialise it). Append a migration to both lists together.

#include "app/store/sqlite_schema.h"

namespace cutover::store {

const QList<Migration> &postgresMigrations();

// The channel every write notifies in its own transaction (payload: the new audit seq).
inline constexpr char16_t kChangeChannel[] = u"cutover_changes";

// pg_advisory_xact_lock key that serialises the store's writes (and so its audit appends)
// across every console on one database: "cutover" in ASCII.
inline constexpr qint64 kWriteLockKey = 0x637574'6f766572LL;

} // namespace cutover::store
