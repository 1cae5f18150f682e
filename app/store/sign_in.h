#pragma once

// Passphrase checks for sign-in and for re-authentication before a shift or a signature.
// Policy: a wrong passphrase is refused and audited; `maxFailures` wrong in a row lock that
// operator for `lockMs`, persisted in the store (a restart does not reset it, and a second
// console sees the same lock). While locked, whether the passphrase matched is ignored.
// The audit log gets the operator, the purpose and the counts — never the passphrase. An unknown
// name is audited as "(unknown operator)" because what was typed might be a passphrase typed in
// the wrong field. Unknown names are counted and locked like known ones (in memory, for as long
// as this guard lives) and every answer uses the same words, so neither a wrong passphrase nor a
// lock-out tells whether an operator exists.
// A shared store that cannot be reached (Io): the lock-out is counted in memory for as long as
// this guard lives, and the attempt is recorded through appendAudit(), which a PostgresStore
// keeps in its local journal. So an on-call engineer can still sign in and roll back during a
// database outage (Shift and sign-off are refused then anyway), and every attempt is still
// recorded; a store that cannot even journal it refuses, as before.

#include "app/store/clock.h"
#include "app/store/operators_file.h"
#include "app/store/passphrase_proof.h"
#include "app/store/store.h"

#include <optional>

namespace cutover::store {

struct SignInPolicy {
    int maxFailures = 5;
    qint64 lockMs = 60'000;
    // Wrong passphrases a locked-out operator may type for a break-glass rollback before that
    // is refused too, until the lock-out ends: the lock still bounds guessing.
    int breakGlassAttempts = 3;
};

struct SignInResult {
    enum class Outcome {
        Ok,          // passphrase verified (and audited)
        Refused,     // unknown operator or wrong passphrase (one message for both)
        Locked,      // too many failures: try after lockedUntil
        StoreFailed, // could not record the attempt: refused, because it could not be audited
    };
    Outcome outcome = Outcome::Refused;
    std::optional<Operator> op; // set when Ok
    QDateTime lockedUntil;      // Locked, or Refused by the failure that started a lock
    int failures = 0;           // consecutive failures after this attempt
    bool upgraded = false;      // Ok, and the entry was upgraded to Argon2id (op is the new one)
    QString message;            // for the operator; never contains the passphrase
    std::optional<StoreError> storeError;

    bool ok() const { return outcome == Outcome::Ok; }
};

class SignInGuard {
public:
    SignInGuard(Store &store, OperatorsFile operators, Clock clock = systemClock(),
                SignInPolicy policy = {});

    // `purpose`: "sign_in", "shift", "sign_off", "rollback"… — recorded in the audit entry.
    // Success is audited as "signed_in" for "sign_in", else "passphrase_verified".
    SignInResult verify(const QString &operatorName, const QString &passphrase,
                        const QString &purpose = QStringLiteral("sign_in"));
    // The same with the derivation already done (checkPassphraseInBackground): no key
    // derivation here. A proof made against another passphrase hash than the operator's
    // current one is refused without counting a failure ("type it again").
    SignInResult verify(const PassphraseProof &proof,
                        const QString &purpose = QStringLiteral("sign_in"));

    // Break-glass: whether `operatorName`, locked out of signing in, typed the right passphrase,
    // so that a rollback (and only that; the engine decides) can go ahead. Refused when the
    // operator is not locked out (sign in instead) or has used up the policy's break-glass
    // attempts of this lock-out. Ok, with `lockedUntil`, leaves the lock in place; a wrong
    // passphrase counts as a failure. Audited as break_glass_verified / break_glass_refused.
    SignInResult verifyBreakGlass(const QString &operatorName, const QString &passphrase);
    SignInResult verifyBreakGlass(const PassphraseProof &proof);

    const OperatorsFile &operators() const { return m_operators; }
    // Where an upgraded entry (PBKDF2 -> Argon2id + key pair) is written; empty: memory only.
    void setOperatorsFilePath(const QString &path) { m_operatorsPath = path; }
    const SignInPolicy &policy() const { return m_policy; }

private:
    SignInResult verifyOffline(const Operator &op, const PassphraseProof &proof,
                               const QString &purpose, const QDateTime &now, const StoreError &why);

    SignInResult verifyUnknown(const PassphraseProof &proof, const QString &purpose,
                               const QDateTime &now);
    void applyUpgrade(const PassphraseProof &proof, SignInResult &result);
    QByteArray unknownKey(const QString &typedName) const;
    QString breakGlassUsedUp(const QDateTime &lockedUntil) const;

    Store &m_store;
    OperatorsFile m_operators;
    Clock m_clock;
    SignInPolicy m_policy;
    QHash<QString, SignInState> m_offline;    // lock-out while the store is unreachable
    QHash<QByteArray, SignInState> m_unknown; // names not in the file, keyed (see unknownKey)
    QByteArray m_unknownSalt;
    QString m_operatorsPath;
};

} // namespace cutover::store
