#pragma once

// A passphrase check split in two: the slow half (the key derivation, ~0.3 s at the default
// cost) runs on a worker thread and yields a PassphraseProof; the fast half (lock-out, audit,
// store) takes the proof on the engine's thread (SignInGuard::verify). So the window never
// derives a key on the UI thread.
//
// A proof is made only by checkPassphrase(): it names the operator, the stored hash it was
// compared with (an operators file changed in between makes it stale, see isFor()) and whether
// the passphrase matched. It never holds the passphrase. An unknown name gets a proof that
// matches nothing after the same derivation time as a known one.
//
// A proof that matched also carries the operator's unlocked signing key (for one sign-off) and,
// for an entry still on PBKDF2 or without a key, the upgraded entry (Argon2id + a new key pair),
// made here because it costs a second derivation; SignInGuard writes it once the check is
// accepted.

#include "app/store/operators_file.h"

#include <QByteArray>
#include <QFuture>
#include <QString>

#include <memory>
#include <optional>

namespace cutover::store {

class PassphraseProof {
public:
    PassphraseProof() = default; // matches nothing, names nobody

    const QString &operatorName() const { return m_operatorName; }
    bool matches() const { return m_matches; }
    // Whether this proof was made against `op`'s current passphrase hash.
    bool isFor(const Operator &op) const;
    // The unlocked key when the passphrase matched and the entry's key opened; else nullptr.
    const std::shared_ptr<const SigningKey> &signingKey() const { return m_signingKey; }
    // Set when the matched entry needs its upgrade to Argon2id (see above).
    const std::optional<Operator> &upgraded() const { return m_upgraded; }

private:
    friend PassphraseProof checkPassphrase(const OperatorsFile &operators,
                                           const QString &operatorName, const QString &passphrase);

    QString m_operatorName;
    QByteArray m_checkedAgainst; // the stored derived key the check compared with
    bool m_matches = false;
    std::shared_ptr<const SigningKey> m_signingKey;
    std::optional<Operator> m_upgraded;
};

// Derives and compares now, on the calling thread (the CLI, tests, the worker below).
PassphraseProof checkPassphrase(const OperatorsFile &operators, const QString &operatorName,
                                const QString &passphrase);

// The same on a small dedicated thread pool (two threads: a sign-in never queues behind other
// background work). The future finishes with the proof; it cannot fail.
QFuture<PassphraseProof> checkPassphraseInBackground(const OperatorsFile &operators,
                                                     const QString &operatorName,
                                                     const QString &passphrase);

} // namespace cutover::store
