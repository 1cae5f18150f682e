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
//         "passphrase": {
//           "algorithm": "pbkdf2-sha256",
//           "iterations": 310000,                // at least 100000
//           "salt": "<base64, 16 bytes or more>",
//           "hash": "<base64, 32 bytes>"
//         }
//       }
//     ]
//   }
//
// The file holds hashes, not passphrases; it is still written owner-read/write only.

#include "app/config/plan.h"
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

    bool hasRole(const QString &role) const { return roles.contains(role); }
    // True when one of the operator's roles grants `permission` in `plan`; `viaRole` names it.
    bool may(const config::Plan &plan, config::Permission permission,
             QString *viaRole = nullptr) const;
};

struct OperatorsFile {
    QList<Operator> operators;

    const Operator *find(const QString &name) const;
    // Adds or replaces the operator with that name.
    void upsert(const Operator &op);
};

struct OperatorsLoadResult {
    std::optional<OperatorsFile> file; // set only when errors is empty
    QStringList errors;                // "operators.json: operators[1].roles[0]: …"
    bool unreadable = false;           // missing, a folder, no access

    bool ok() const { return file.has_value(); }
    QString errorText() const { return errors.join(u'\n'); }
};

inline constexpr qint64 kMaxOperatorsFileBytes = 1024 * 1024;

// Reads and validates. With a plan, every role must exist in it.
OperatorsLoadResult loadOperatorsFile(const QString &path, const config::Plan *plan = nullptr);
OperatorsLoadResult parseOperators(const QByteArray &bytes, const QString &displayName,
                                   const config::Plan *plan = nullptr);

QByteArray serializeOperators(const OperatorsFile &file);
// Writes the whole file atomically (QSaveFile), mode 0600. Returns an error text, or nullopt.
std::optional<QString> saveOperatorsFile(const QString &path, const OperatorsFile &file);

// Errors for roles of `op` that `plan` does not define (empty when all exist).
QStringList unknownRoles(const Operator &op, const config::Plan &plan);

} // namespace cutover::store
