#pragma once

#include "app/config/plan.h"

#include <QString>
#include <QTextStream>

namespace cutover::cli {

// `--verify-audit [--store PATH]`: walks the audit chain of the store `config` names (the
// plan's store: SQLite at store::sqlitePathFor(), or the shared PostgreSQL database; `--store`
// gives a SQLite path instead). Prints "OK: N entries, head <hash>" on `out` and returns 0, or
// "BROKEN at seq S: what" on `err` and returns 1 (also for a damaged database file). A missing or
// unreachable store: 2. For a shared store, entries of this desk still waiting in its local
// journal are named on `out` (they are not lost; the next console session writes them).
// With `checkpointsFile` (--checkpoints FILE): the log is also compared with the checkpoints
// published there (audit_checkpoint.h); a consistent rewrite of the tail, which the chain alone
// cannot show, is named "BROKEN at seq S: entry S has hash … but the checkpoint published at …
// signed …" (exit 1), as is a line that is not a valid signed checkpoint.
int verifyAuditCommand(const config::StoreConfig &config, QTextStream &out, QTextStream &err,
                       const QString &checkpointsFile = {});

// `--export-audit FILE [--store PATH]`: writes the whole log to FILE, CSV when FILE ends in
// ".csv", else JSON. Prints "exported N entries to FILE". 0 done, 2 store or file error.
int exportAuditCommand(const config::StoreConfig &config, const QString &outputFile,
                       QTextStream &out, QTextStream &err);

} // namespace cutover::cli
