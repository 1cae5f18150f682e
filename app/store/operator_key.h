#pragma once

// Ed25519 keys for operators' signatures and the console's audit checkpoints (libsodium).
//
// An operator's key pair is kept in the operators file as its public half and its 32-byte seed
// sealed (crypto_secretbox: XSalsa20-Poly1305, random 24-byte nonce) under a key-encryption key
// derived from the passphrase with Argon2id (passphrase.h: the second half of the derivation).
// So the secret half exists in memory only after the passphrase was typed, for one signature.
//
// A key's fingerprint is "ed25519:" + the lower-case hex SHA-256 of the 32-byte public key,
// shortened to its first 32 hex digits (128 bits) for people, whole in records.

#include <QByteArray>
#include <QString>

#include <memory>
#include <optional>

namespace cutover::store {

inline constexpr int kPublicKeyBytes = 32;
inline constexpr int kSeedBytes = 32;
inline constexpr int kSignatureBytes = 64;
inline constexpr int kSealNonceBytes = 24;
inline constexpr int kSealedSeedBytes = kSeedBytes + 16; // + the Poly1305 tag
inline constexpr int kKeyEncryptionKeyBytes = 32;

// Initialises libsodium once (thread-safe); false when the library cannot run here.
bool cryptoAvailable();

// An unlocked secret key. Its bytes live in libsodium's guarded memory (locked, wiped when
// freed); it cannot be copied, only shared.
class SigningKey {
public:
    ~SigningKey();
    SigningKey(const SigningKey &) = delete;
    SigningKey &operator=(const SigningKey &) = delete;

    // A fresh random key pair; nullptr when libsodium is unavailable.
    static std::shared_ptr<const SigningKey> generate();
    static std::shared_ptr<const SigningKey> fromSeed(const QByteArray &seed);

    QByteArray publicKey() const { return m_publicKey; }
    QByteArray seed() const;                          // to seal it; never log it
    QByteArray sign(const QByteArray &message) const; // 64-byte detached signature

private:
    SigningKey();
    unsigned char *m_secret = nullptr; // crypto_sign_SECRETKEYBYTES in sodium_malloc'd memory
    QByteArray m_publicKey;
};

// The operators file's "key" object.
struct SealedKey {
    QByteArray publicKey;  // 32 bytes
    QByteArray nonce;      // 24 bytes
    QByteArray sealedSeed; // 48 bytes

    bool isValid() const {
        return publicKey.size() == kPublicKeyBytes && nonce.size() == kSealNonceBytes &&
               sealedSeed.size() == kSealedSeedBytes;
    }
    bool operator==(const SealedKey &) const = default;
};

// Seals `key`'s seed under `keyEncryptionKey` (32 bytes) with a fresh nonce.
SealedKey sealKey(const SigningKey &key, const QByteArray &keyEncryptionKey);
// Opens the seed and checks it yields the stored public key; nullptr when the key-encryption key
// is wrong or the entry was tampered with.
std::shared_ptr<const SigningKey> unsealKey(const SealedKey &sealed,
                                            const QByteArray &keyEncryptionKey);

bool verifySignature(const QByteArray &publicKey, const QByteArray &message,
                     const QByteArray &signature);

// "ed25519:<64 hex digits>"; empty for a key of the wrong size.
QString keyFingerprint(const QByteArray &publicKey);
// "ed25519:1a2b3c4d…" (first 16 hex digits), for tables and PDFs.
QString shortFingerprint(const QString &fingerprint);

} // namespace cutover::store
