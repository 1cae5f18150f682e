#pragma once

#include <QString>
#include <QTextStream>

namespace cutover::cli {

// `--verify-audit [--store PATH]`: walks the audit chain of the SQLite store at `storePath`
// (the caller resolves the default with store::sqlitePathFor(plan.store)). Prints
// "OK: N entries, head <hash>" on `out` and returns 0, or "BROKEN at seq S: what" on `err` and
// returns 1 (also for a damaged database file). A missing or unopenable store: 2.
int verifyAuditCommand(const QString &storePath, QTextStream &out, QTextStream &err);

// `--export-audit FILE [--store PATH]`: writes the whole log to FILE, CSV when FILE ends in
// ".csv", else JSON. Prints "exported N entries to FILE". 0 done, 2 store or file error.
int exportAuditCommand(const QString &storePath, const QString &outputFile, QTextStream &out,
                       QTextStream &err);

} // namespace cutover::cli
