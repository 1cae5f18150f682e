#pragma once

// What the PostgreSQL store agrees on with every other console on the same database, beside the
// tables (which come from schema.h, shared with SQLite).

#include <QtGlobal>

namespace cutover::store {

// The channel every write notifies in its own transaction (payload: the new audit seq).
inline constexpr char16_t kChangeChannel[] = u"cutover_changes";

// pg_advisory_xact_lock key that serialises the store's writes (and so its audit appends)
// across every console on one database: "cutover" in ASCII.
inline constexpr qint64 kWriteLockKey = 0x637574'6f766572LL;

} // namespace cutover::store
