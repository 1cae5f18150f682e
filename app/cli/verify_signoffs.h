#pragma once

#include "app/config/plan.h"

#include <QString>
#include <QTextStream>

namespace cutover::cli {

// `--verify-signoffs [--store PATH] [--operators-file FILE]`: checks every sign-off ever recorded
// (voided ones too) offline, without trusting the database:
//  - its Ed25519 signature over the canonical record (audit_chain.h) with the public key the
//    audit log recorded for that operator before the signature ("operators_loaded",
//    "passphrase_upgraded"), and that key's fingerprint against the one stored with it;
//  - that its "gate_signed" audit entry exists and carries the same signature;
//  - that the audit head it signed over is an entry of the log before it;
//  - that each signer's key in the operators file is the one the audit log last recorded (a
//    swapped key file is named).
// Prints one line per sign-off ("OK #3 …" or "FAILED #3 …: why") and a summary. Exit 0 when all
// verify, 1 when one does not (a record without a signature cannot be proven and fails), 2 when
// the store or the operators file cannot be read.
int verifySignoffsCommand(const config::StoreConfig &store, const QString &operatorsFile,
                          QTextStream &out, QTextStream &err);

} // namespace cutover::cli
