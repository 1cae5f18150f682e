#include "app/store/passphrase.h"

#include "app/store/operator_key.h"

#include <QCryptographicHash>
#include <QPasswordDigestor>
#include <QRandomGenerator>

#include <algorithm>
#include <sodium.h>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

constexpr int kArgon2OutputBytes = kDerivedKeyBytes + kKeyEncryptionKeyBytes;

QByteArray derivePbkdf2(const QString &passphrase, const QByteArray &salt, int iterations) {
    return QPasswordDigestor::deriveKeyPbkdf2(QCryptographicHash::Sha256, passphrase.toUtf8(), salt,
                                              iterations, kDerivedKeyBytes);
}

// 64 bytes (verifier + key-encryption key), or empty when libsodium refuses (out of memory).
QByteArray deriveArgon2(const QString &passphrase, const QByteArray &salt, int passes,
                        qint64 memoryKiB) {
    if (!cryptoAvailable() || salt.size() != crypto_pwhash_SALTBYTES)
        return {};
    QByteArray secret = passphrase.toUtf8();
    QByteArray out(kArgon2OutputBytes, Qt::Uninitialized);
    const int rc =
        crypto_pwhash(reinterpret_cast<unsigned char *>(out.data()), kArgon2OutputBytes,
                      secret.constData(), static_cast<unsigned long long>(secret.size()),
                      reinterpret_cast<const unsigned char *>(salt.constData()),
                      static_cast<unsigned long long>(passes),
                      static_cast<size_t>(memoryKiB) * 1024, crypto_pwhash_ALG_ARGON2ID13);
    sodium_memzero(secret.data(), static_cast<size_t>(secret.size()));
    return rc == 0 ? out : QByteArray();
}

QByteArray randomSalt(int size) {
    QByteArray salt(size, Qt::Uninitialized);
    QRandomGenerator::system()->generate(salt.begin(), salt.end());
    return salt;
}

} // namespace

std::optional<QString> argon2CostProblem(int passes, qint64 memoryKiB) {
    if (passes < kMinArgon2Passes || passes > kMaxArgon2Passes)
        return u"passes %1: expected %2 to %3"_s.arg(passes)
            .arg(kMinArgon2Passes)
            .arg(kMaxArgon2Passes);
    if (memoryKiB < kMinArgon2MemoryKiB || memoryKiB > kMaxArgon2MemoryKiB)
        return u"memory_kib %1: expected %2 (64 MiB) to %3 (1 GiB)"_s.arg(memoryKiB)
            .arg(kMinArgon2MemoryKiB)
            .arg(kMaxArgon2MemoryKiB);
    if (passes * memoryKiB > kMaxArgon2PassMemoryKiB)
        return u"passes × memory_kib = %1 KiB: more than %2 KiB (a derivation of several seconds "
               u"at every sign-in)"_s.arg(passes * memoryKiB)
                   .arg(kMaxArgon2PassMemoryKiB);
    return std::nullopt;
}

std::optional<QString> pbkdf2CostProblem(double iterations) {
    if (iterations != static_cast<double>(static_cast<qint64>(iterations)) ||
        iterations < kMinPassphraseIterations || iterations > kMaxPassphraseIterations)
        return u"expected an integer from %1 to %2"_s.arg(kMinPassphraseIterations)
            .arg(kMaxPassphraseIterations);
    return std::nullopt;
}

bool PassphraseHash::isValid() const {
    if (algorithm == kPassphraseAlgorithm)
        return !argon2CostProblem(passes, memoryKiB) && salt.size() == kArgon2SaltBytes &&
               hash.size() == kDerivedKeyBytes;
    if (algorithm == kLegacyPassphraseAlgorithm)
        return !pbkdf2CostProblem(iterations) && salt.size() >= kSaltBytes &&
               hash.size() == kDerivedKeyBytes;
    return false;
}

PassphraseHash hashPassphrase(const QString &passphrase, Argon2Cost cost,
                              QByteArray *keyEncryptionKey) {
    PassphraseHash result;
    result.algorithm = kPassphraseAlgorithm;
    result.passes = std::clamp(cost.passes, kMinArgon2Passes, kMaxArgon2Passes);
    result.memoryKiB = std::clamp(cost.memoryKiB, kMinArgon2MemoryKiB, kMaxArgon2MemoryKiB);
    result.salt = randomSalt(kArgon2SaltBytes);
    QByteArray derived = deriveArgon2(passphrase, result.salt, result.passes, result.memoryKiB);
    result.hash = derived.left(kDerivedKeyBytes);
    if (keyEncryptionKey)
        *keyEncryptionKey = derived.mid(kDerivedKeyBytes);
    if (!derived.isEmpty())
        sodium_memzero(derived.data(), static_cast<size_t>(derived.size()));
    return result;
}

PassphraseHash hashPassphrasePbkdf2(const QString &passphrase, int iterations) {
    PassphraseHash result;
    result.algorithm = kLegacyPassphraseAlgorithm;
    result.iterations = std::clamp(iterations, kMinPassphraseIterations, kMaxPassphraseIterations);
    result.salt = randomSalt(kSaltBytes);
    result.hash = derivePbkdf2(passphrase, result.salt, result.iterations);
    return result;
}

bool verifyPassphrase(const QString &passphrase, const PassphraseHash &stored,
                      QByteArray *keyEncryptionKey) {
    if (!stored.isValid())
        return false;
    if (stored.isLegacy())
        return constantTimeEquals(derivePbkdf2(passphrase, stored.salt, stored.iterations),
                                  stored.hash);
    QByteArray derived = deriveArgon2(passphrase, stored.salt, stored.passes, stored.memoryKiB);
    const bool matches =
        !derived.isEmpty() && constantTimeEquals(derived.left(kDerivedKeyBytes), stored.hash);
    if (matches && keyEncryptionKey)
        *keyEncryptionKey = derived.mid(kDerivedKeyBytes);
    if (!derived.isEmpty())
        sodium_memzero(derived.data(), static_cast<size_t>(derived.size()));
    return matches;
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b) {
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}

} // namespace cutover::store
