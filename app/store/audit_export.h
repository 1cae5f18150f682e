#pragma once

// Export of the audit log to CSV and JSON, each written whole (QSaveFile: the file appears
// complete or not at all). Both carry every hashed field exactly as stored (details as its JSON
// text, at as UTC milliseconds), so an exported file can be verified offline with
// verifyAuditEntries() — the parse functions below exist for that and for the tests.
//
// CSV (RFC 4180, UTF-8, CRLF rows, fields quoted when they contain , " CR or LF):
//     seq,at,at_ms,actor,role,action,environment,subject,details,prev_hash,hash
// JSON:
//     {"format": "cutover-audit-v1", "entries": [{"seq": 1, "at": "2024-…Z", "at_ms": …,
//      "actor": …, "role": …, "action": …, "environment": …, "subject": …,
//      "details": "<JSON text as hashed>", "prev_hash": …, "hash": …}, …]}

#include "app/store/store.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace cutover::store {

QByteArray auditToCsv(const QList<AuditEntry> &entries);
QByteArray auditToJson(const QList<AuditEntry> &entries);
std::optional<QList<AuditEntry>> auditFromCsv(const QByteArray &bytes, QString *error = nullptr);
std::optional<QList<AuditEntry>> auditFromJson(const QByteArray &bytes, QString *error = nullptr);

// Reads the whole log and writes it; returns the number of entries written.
StoreResult<qint64> exportAuditCsv(Store &store, const QString &path);
StoreResult<qint64> exportAuditJson(Store &store, const QString &path);

} // namespace cutover::store
