#pragma once

// Passphrase hashing for operators: PBKDF2-HMAC-SHA256 (QPasswordDigestor), a random salt from
// the system's CSPRNG, and a constant-time comparison. About 0.3 s per derivation at the default
// cost on this class of machine: slow for a guesser, fine for a human signing in.

#include <QByteArray>
#include <QString>

namespace cutover::store {

struct PassphraseHash {
    QString algorithm; // "pbkdf2-sha256"
    int iterations = 0;
    QByteArray salt;
    QByteArray hash; // derived key, 32 bytes

    bool isValid() const;
};

inline constexpr int kMinPassphraseIterations = 100'000;
inline constexpr int kDefaultPassphraseIterations = 310'000; // OWASP 2021 for PBKDF2-SHA256
inline constexpr int kSaltBytes = 16;
inline constexpr int kDerivedKeyBytes = 32;
inline const QString kPassphraseAlgorithm = QStringLiteral("pbkdf2-sha256");

// A new hash with a fresh random salt. `iterations` below the minimum is raised to it.
PassphraseHash hashPassphrase(const QString &passphrase,
                              int iterations = kDefaultPassphraseIterations);

// Derives with the stored salt and cost and compares in constant time. False for an invalid
// hash (unknown algorithm, too few iterations, wrong sizes).
bool verifyPassphrase(const QString &passphrase, const PassphraseHash &stored);

// Compares without an early exit, so the time taken does not reveal where bytes differ.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace cutover::store
