#pragma once

// Anchored checkpoints of the audit chain. An unkeyed hash chain catches an edit in the middle,
// but not a consistent rewrite of the tail (every later hash recomputed). So, every N entries or
// T minutes, whoever decides signs the chain's head with the console's own Ed25519 key, records
// that as an "audit_checkpoint" entry, and publishes it outside the store: a line appended to a
// file on another mount, and the `audit_checkpoint` webhook event. `--verify-audit --checkpoints
// FILE` then compares the log with what was published: a rewritten entry at or before a
// published checkpoint is named.
//
// What is signed (format v1), the encoding of audit_chain.h with header
// "cutover-checkpoint-v1\n" and fields: seq, head hash (lower-case hex), at (UTC ms).
// A published line is compact JSON: {"format":"cutover-checkpoint-v1","seq":N,"hash":"…",
// "at":"<ISO 8601 UTC>","public_key":"<base64>","signature":"<base64>"}.
//
// The console key: 32 random bytes (the Ed25519 seed) in <AppDataLocation>/checkpoint-key, mode
// 0600, made on first use; a file others can read or write is refused.

#include "app/store/operator_key.h"
#include "app/store/store.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace cutover::store {

struct Checkpoint {
    qint64 seq = 0; // the entry whose hash is signed (the checkpoint entry itself follows it)
    QString hash;   // that entry's hash
    QDateTime at;   // when it was signed
    QByteArray publicKey;
    QByteArray signature;

    QByteArray canonicalBytes() const;
    bool verifies() const; // the signature, with its own public key
    QJsonObject toJson() const;
    // nullopt, with `error` set, for a line that is not a checkpoint.
    static std::optional<Checkpoint> fromJson(const QJsonObject &object, QString *error);
};

Checkpoint signCheckpoint(const SigningKey &key, qint64 seq, const QString &hash,
                          const QDateTime &at);

// The console's key at `path`, made there (0600) when missing. nullptr with `error` when the file
// cannot be read or written, or others may read it.
std::shared_ptr<const SigningKey> loadOrCreateConsoleKey(const QString &path, QString *error);
QString defaultConsoleKeyPath(); // <AppDataLocation>/checkpoint-key

struct CheckpointPolicy {
    int everyEntries = 100;
    qint64 everyMs = 10 * 60 * 1000;
};

// When one is due (entries or time since the last "audit_checkpoint" entry, and the log moved
// since), signs the current head and appends the checkpoint entry. nullopt: none was due.
StoreResult<std::optional<Checkpoint>> writeCheckpointIfDue(Store &store, const SigningKey &key,
                                                            const CheckpointPolicy &policy,
                                                            const QDateTime &now);

// Appends one line to `path` (created 0644 when missing) and syncs it to disk. An error text, or
// nullopt.
std::optional<QString> appendCheckpointLine(const QString &path, const Checkpoint &checkpoint);

// Reads a published file. Lines that are not checkpoints are errors ("FILE:LINE: why").
struct CheckpointFile {
    QList<Checkpoint> checkpoints;
    QStringList errors;
};
CheckpointFile readCheckpointFile(const QString &path);

// Compares the log with published checkpoints. ok=false names the first that does not match:
// a bad signature, an entry whose hash differs (the log was rewritten at or before that seq),
// or a checkpoint past the log's end (entries removed).
struct CheckpointVerification {
    bool ok = false;
    int matched = 0;
    qint64 brokenSeq = 0;
    QString problem;
    QStringList keys;               // fingerprints of the keys that signed them
    std::optional<Checkpoint> last; // the newest that matched
};
CheckpointVerification verifyAgainstCheckpoints(const QList<AuditEntry> &entries,
                                                const QList<Checkpoint> &checkpoints);

} // namespace cutover::store
