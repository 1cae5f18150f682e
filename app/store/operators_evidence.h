#pragma once

// The operators file as evidence. Every load is recorded in the audit log as "operators_loaded":
// the file, its SHA-256, each operator's roles, public key and fingerprint, and what changed since
// the last recorded load (operators added or removed, roles changed, keys changed). Whoever can
// write the file can grant roles; from now on that leaves a trace. These records (and
// "passphrase_upgraded") are also the public keys --verify-signoffs trusts: a key swapped in the
// file afterwards no longer matches them.

#include "app/store/operators_file.h"
#include "app/store/store.h"

#include <QJsonObject>
#include <QList>

namespace cutover::store {

// {"alice": {"roles": [...], "public_key": "<base64>", "key_fingerprint": "ed25519:…"}, …}
QJsonObject operatorsSnapshot(const OperatorsFile &file);

// What changed from `before` to `after` (both snapshots): {"added": [...], "removed": [...],
// "roles_changed": [{"name", "before", "after"}], "keys_changed": [{"name", "before", "after"}]}
// with only the non-empty lists; empty when nothing changed.
QJsonObject operatorsChanges(const QJsonObject &before, const QJsonObject &after);

// Appends "operators_loaded" for `file` (which must come from loadOperatorsFile: sourceFile and
// sha256Hex set). Compares with the last such entry; when the store cannot say (a shared store
// that is away), the entry says "previous": "unknown".
StoreResult<AuditEntry> recordOperatorsLoaded(Store &store, const OperatorsFile &file,
                                              const QString &actor);

// One public key an operator was known by, from the audit log.
struct RecordedKey {
    QString operatorName;
    QByteArray publicKey;
    qint64 seq = 0; // the entry that recorded it
};

// Every key recorded by "operators_loaded" and "passphrase_upgraded" entries, in log order.
QList<RecordedKey> recordedKeys(const QList<AuditEntry> &entries);

} // namespace cutover::store
