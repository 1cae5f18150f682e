#pragma once

#include "app/config/plan.h"
#include "app/store/passphrase.h"

#include <QString>
#include <QStringList>
#include <QTextStream>

namespace cutover::cli {

struct HashPassphraseRequest {
    QString operatorName;   // --operator
    QStringList roles;      // --roles a,b
    QString displayName;    // --display-name; empty: keep the existing one, or the name
    QString operatorsFile;  // --operators-file; empty: the plan's operators.file
    store::Argon2Cost cost; // the default; tests lower it to the cheapest accepted
};

// `--hash-passphrase`: reads the passphrase from the first line of `in` (standard input: never
// an argument, so it is not in the shell history or the process list), hashes it and adds or
// replaces the operator in the operators file (created when missing), written whole: an
// Argon2id hash and a new Ed25519 key pair sealed with the passphrase. On a terminal the
// passphrase is asked for without echo.
// With a plan, roles must be roles of the plan, and the file defaults to the plan's.
// Exit: 0 written; 1 refused (unknown role, passphrase too short, existing file invalid);
// 2 usage (no operator, no roles, no file, unwritable file).
int hashPassphraseCommand(const HashPassphraseRequest &request, const config::Plan *plan,
                          QTextStream &in, QTextStream &out, QTextStream &err);

inline constexpr int kMinPassphraseLength = 8;

} // namespace cutover::cli
