#pragma once

// Passphrase hashing for operators. New entries: Argon2id (libsodium's crypto_pwhash), a random
// 16-byte salt, 64 bytes derived: the first 32 are stored as the verifier, the last 32 are the
// key-encryption key that seals the operator's Ed25519 seed (operator_key.h) and are never
// stored. Older entries: PBKDF2-HMAC-SHA256 (QPasswordDigestor); they still verify and are
// upgraded to Argon2id, with a new key pair, at the next successful check (sign_in.h).
//
// Costs (measured by tests/bench/crypto_bench on this class of machine): Argon2id at the default
// 3 passes over 64 MiB about 0.18 s; PBKDF2 at 310000 iterations about 0.65 s. Entries asking for
// more than kMax* are refused when the file is read, so a typo cannot freeze a sign-in for
// minutes or exhaust memory.

#include <QByteArray>
#include <QString>

#include <optional>

namespace cutover::store {

inline const QString kPassphraseAlgorithm = QStringLiteral("argon2id");
inline const QString kLegacyPassphraseAlgorithm = QStringLiteral("pbkdf2-sha256");

// Argon2id: libsodium's "interactive" limits are 2 passes over 64 MiB; the default is one pass
// more. The caps keep a derivation under about 5 s here.
inline constexpr int kMinArgon2Passes = 2;
inline constexpr int kDefaultArgon2Passes = 3;
inline constexpr int kMaxArgon2Passes = 10;
inline constexpr qint64 kMinArgon2MemoryKiB = 64 * 1024;
inline constexpr qint64 kDefaultArgon2MemoryKiB = 64 * 1024;
inline constexpr qint64 kMaxArgon2MemoryKiB = 1024 * 1024;
inline constexpr qint64 kMaxArgon2PassMemoryKiB = 4 * 1024 * 1024; // passes × memory
inline constexpr int kArgon2SaltBytes = 16;

inline constexpr int kMinPassphraseIterations = 100'000;
inline constexpr int kDefaultPassphraseIterations = 310'000; // OWASP 2021 for PBKDF2-SHA256
inline constexpr int kMaxPassphraseIterations = 5'000'000;   // about 5 s here
inline constexpr int kSaltBytes = 16;
inline constexpr int kDerivedKeyBytes = 32;

struct Argon2Cost {
    int passes = kDefaultArgon2Passes;
    qint64 memoryKiB = kDefaultArgon2MemoryKiB;
};

// The lowest cost accepted (libsodium's "interactive" limits), for tests that sign in often.
inline constexpr Argon2Cost kCheapestArgon2Cost{kMinArgon2Passes, kMinArgon2MemoryKiB};

struct PassphraseHash {
    QString algorithm;  // kPassphraseAlgorithm or kLegacyPassphraseAlgorithm
    int iterations = 0; // PBKDF2
    int passes = 0;     // Argon2id
    qint64 memoryKiB = 0;
    QByteArray salt;
    QByteArray hash; // the verifier, 32 bytes

    bool isValid() const;
    bool isLegacy() const { return algorithm == kLegacyPassphraseAlgorithm; }
    bool operator==(const PassphraseHash &) const = default;
};

// Why these cost parameters are refused (too weak or absurd), or nullopt.
std::optional<QString> argon2CostProblem(int passes, qint64 memoryKiB);
std::optional<QString> pbkdf2CostProblem(double iterations);

// A new Argon2id hash with a fresh salt. `keyEncryptionKey`, when given, receives the 32-byte
// key that seals the operator's signing key. A cost outside the limits is clamped to them.
PassphraseHash hashPassphrase(const QString &passphrase, Argon2Cost cost = {},
                              QByteArray *keyEncryptionKey = nullptr);
// An older PBKDF2 entry (tests and files written before Argon2id). Below the minimum: raised.
PassphraseHash hashPassphrasePbkdf2(const QString &passphrase,
                                    int iterations = kDefaultPassphraseIterations);

// Derives with the stored salt and cost and compares in constant time. False for an invalid
// hash. For an Argon2id entry that matches, `keyEncryptionKey` receives its key.
bool verifyPassphrase(const QString &passphrase, const PassphraseHash &stored,
                      QByteArray *keyEncryptionKey = nullptr);

// Compares without an early exit, so the time taken does not reveal where bytes differ.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace cutover::store
