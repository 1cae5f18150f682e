#pragma once

// A dry run's own store. `--dry-run` (window or command line) rehearses on a copy of the live
// store's state — stage states, ticks, sign-offs — in a separate SQLite file beside the live
// store, so a rehearsal never writes to the live store or its audit chain. The copy is reused by
// the next dry run while the live store has not changed since (its audit head is recorded in the
// rehearsal's first entry), and made again from the live state when it has.

#include "app/config/plan.h"
#include "app/store/store.h"

#include <memory>

namespace cutover::store {

struct Rehearsal {
    std::unique_ptr<Store> store;
    QString path;
    bool copiedNow = false; // false: an earlier rehearsal on the same live state goes on
    qint64 liveHeadSeq = 0;
};

// rehearsal.sqlite beside the live store's SQLite file (or its local journal, for PostgreSQL).
QString rehearsalPathFor(const config::StoreConfig &live);

// Reads the live store (never creates or writes it) and opens the rehearsal store. A live store
// that does not exist yet rehearses from an empty one.
StoreResult<Rehearsal> openRehearsalStore(const config::StoreConfig &live,
                                          const QStringList &environments,
                                          Clock clock = systemClock());

} // namespace cutover::store
