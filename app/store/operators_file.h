#pragma once

// The operators file: who may sign in, their roles, and their passphrase hashes. JSON (only
// app/config may use YAML), named by the plan's `operators.file`, written by
// `cutover-console --hash-passphrase`. Layout (unknown keys are errors: a typo must not pass):
//
//   {
//     "format": "cutover-operators-v1",          // optional on input, always written
//     "operators": [
//       {
//         "name": "alice",                       // [A-Za-z0-9._@-]+, unique; the sign-in name
//         "display_name": "Alice Martin",        // printed name on signatures; default: name
//         "roles": ["release_manager"],          // each must be a role of the plan
//         "passphrase": {                        // passphrase.h
//           "algorithm": "argon2id",
//           "passes": 3, "memory_kib": 65536,    // 2-10 passes, 64 MiB-1 GiB, product <= 4 GiB
//           "salt": "<base64, 16 bytes>",
//           "hash": "<base64, 32 bytes>"
//           // or, written before Argon2id (upgraded at the next sign-in):
//           // "algorithm": "pbkdf2-sha256", "iterations": 310000 (100000-5000000),
//           // "salt": "<base64, 16 bytes or more>", "hash": "<base64, 32 bytes>"
//         },
//         "key": {                               // operator_key.h; argon2id entries only
//           "algorithm": "ed25519",
//           "public": "<base64, 32 bytes>",
//           "nonce": "<base64, 24 bytes>",
//           "sealed_seed": "<base64, 48 bytes>"  // the seed, sealed with the passphrase
//         }
//       }
//     ]
//   }
//
// The file holds hashes and sealed keys, not passphrases; it is written owner-read/write only,
// and a file others could write (group/world-writable, or owned by another user than the one
// running the console, root excepted) is refused: whoever can write it can grant roles.

#include "app/config/plan.h"
#include "app/store/operator_key.h"
#include "app/store/passphrase.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace cutover::store {

struct Operator {
    QString name;
    QString displayName;
    QStringList roles;
    PassphraseHash passphrase;
    std::optional<SealedKey> key; // absent for PBKDF2 entries until their upgrade

    QString keyFingerprint() const {
        return key ? store::keyFingerprint(key->publicKey) : QString();
    }
    bool hasRole(const QString &role) const { return roles.contains(role); }
    // True when one of the operator's roles grants `permission` in `plan`; `viaRole` names it.
    bool may(const config::Plan &plan, config::Permission permission,
             QString *viaRole = nullptr) const;
};

struct OperatorsFile {
    QList<Operator> operators;
    // Where it was read from and the SHA-256 (hex) of the bytes read; empty when built in memory.
    QString sourceFile;
    QByteArray sha256Hex;

    const Operator *find(const QString &name) const;
    // Adds or replaces the operator with that name.
    void upsert(const Operator &op);
};

struct OperatorsLoadResult {
    std::optional<OperatorsFile> file; // set only when errors is empty
    QByteArray sha256Hex;              // of the bytes read (set when they were read)
    QStringList errors;                // "operators.json: operators[1].roles[0]: …"
    bool unreadable = false;           // missing, a folder, no access

    bool ok() const { return file.has_value(); }
    QString errorText() const { return errors.join(u'\n'); }
};

inline constexpr qint64 kMaxOperatorsFileBytes = 1024 * 1024;

// Sets a new Argon2id passphrase hash and a new key pair sealed under it (~0.2 s: not on the UI
// thread). Returns the unlocked key, or nullptr when libsodium failed (nothing is changed then).
std::shared_ptr<const SigningKey> setPassphrase(Operator &op, const QString &passphrase,
                                                Argon2Cost cost = {});

// Why a file at `path` may not be trusted as an operators file (writable by others, owned by
// another user), or nullopt. Not checked on Windows.
std::optional<QString> operatorsFilePermissionProblem(const QString &path);

// Reads and validates (permissions first). With a plan, every role must exist in it.
OperatorsLoadResult loadOperatorsFile(const QString &path, const config::Plan *plan = nullptr);
OperatorsLoadResult parseOperators(const QByteArray &bytes, const QString &displayName,
                                   const config::Plan *plan = nullptr);

QByteArray serializeOperators(const OperatorsFile &file);
// Writes the whole file atomically (QSaveFile), mode 0600. Returns an error text, or nullopt.
std::optional<QString> saveOperatorsFile(const QString &path, const OperatorsFile &file);

// Errors for roles of `op` that `plan` does not define (empty when all exist).
QStringList unknownRoles(const Operator &op, const config::Plan &plan);

} // namespace cutover::store
