#include "app/store/operator_key.h"

#include <QCryptographicHash>

#include <sodium.h>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

const unsigned char *bytes(const QByteArray &array) {
    return reinterpret_cast<const unsigned char *>(array.constData());
}

} // namespace

bool cryptoAvailable() {
    // sodium_init() is itself thread-safe and returns 1 when already initialised.
    static const bool available = sodium_init() >= 0;
    return available;
}

SigningKey::SigningKey() {
    m_secret = static_cast<unsigned char *>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
}

SigningKey::~SigningKey() {
    sodium_free(m_secret); // wipes before freeing
}

std::shared_ptr<const SigningKey> SigningKey::generate() {
    if (!cryptoAvailable())
        return nullptr;
    QByteArray seed(kSeedBytes, Qt::Uninitialized);
    randombytes_buf(seed.data(), static_cast<size_t>(seed.size()));
    auto key = fromSeed(seed);
    sodium_memzero(seed.data(), static_cast<size_t>(seed.size()));
    return key;
}

std::shared_ptr<const SigningKey> SigningKey::fromSeed(const QByteArray &seed) {
    if (!cryptoAvailable() || seed.size() != kSeedBytes)
        return nullptr;
    std::shared_ptr<SigningKey> key(new SigningKey);
    if (!key->m_secret)
        return nullptr;
    key->m_publicKey.resize(kPublicKeyBytes);
    if (crypto_sign_seed_keypair(reinterpret_cast<unsigned char *>(key->m_publicKey.data()),
                                 key->m_secret, bytes(seed)) != 0)
        return nullptr;
    return key;
}

QByteArray SigningKey::seed() const {
    QByteArray seed(kSeedBytes, Qt::Uninitialized);
    crypto_sign_ed25519_sk_to_seed(reinterpret_cast<unsigned char *>(seed.data()), m_secret);
    return seed;
}

QByteArray SigningKey::sign(const QByteArray &message) const {
    QByteArray signature(kSignatureBytes, Qt::Uninitialized);
    crypto_sign_detached(reinterpret_cast<unsigned char *>(signature.data()), nullptr,
                         bytes(message), static_cast<unsigned long long>(message.size()), m_secret);
    return signature;
}

SealedKey sealKey(const SigningKey &key, const QByteArray &keyEncryptionKey) {
    SealedKey sealed;
    if (!cryptoAvailable() || keyEncryptionKey.size() != kKeyEncryptionKeyBytes)
        return sealed;
    sealed.publicKey = key.publicKey();
    sealed.nonce.resize(kSealNonceBytes);
    randombytes_buf(sealed.nonce.data(), kSealNonceBytes);
    QByteArray seed = key.seed();
    sealed.sealedSeed.resize(kSealedSeedBytes);
    crypto_secretbox_easy(reinterpret_cast<unsigned char *>(sealed.sealedSeed.data()), bytes(seed),
                          kSeedBytes, bytes(sealed.nonce), bytes(keyEncryptionKey));
    sodium_memzero(seed.data(), kSeedBytes);
    return sealed;
}

std::shared_ptr<const SigningKey> unsealKey(const SealedKey &sealed,
                                            const QByteArray &keyEncryptionKey) {
    if (!cryptoAvailable() || !sealed.isValid() ||
        keyEncryptionKey.size() != kKeyEncryptionKeyBytes)
        return nullptr;
    QByteArray seed(kSeedBytes, Qt::Uninitialized);
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char *>(seed.data()),
                                   bytes(sealed.sealedSeed), kSealedSeedBytes, bytes(sealed.nonce),
                                   bytes(keyEncryptionKey)) != 0)
        return nullptr;
    auto key = SigningKey::fromSeed(seed);
    sodium_memzero(seed.data(), kSeedBytes);
    // A seed sealed beside another public key: the entry was put together by hand.
    if (!key || key->publicKey() != sealed.publicKey)
        return nullptr;
    return key;
}

bool verifySignature(const QByteArray &publicKey, const QByteArray &message,
                     const QByteArray &signature) {
    if (!cryptoAvailable() || publicKey.size() != kPublicKeyBytes ||
        signature.size() != kSignatureBytes)
        return false;
    return crypto_sign_verify_detached(bytes(signature), bytes(message),
                                       static_cast<unsigned long long>(message.size()),
                                       bytes(publicKey)) == 0;
}

QString keyFingerprint(const QByteArray &publicKey) {
    if (publicKey.size() != kPublicKeyBytes)
        return {};
    return u"ed25519:"_s +
           QString::fromLatin1(
               QCryptographicHash::hash(publicKey, QCryptographicHash::Sha256).toHex());
}

QString shortFingerprint(const QString &fingerprint) {
    const qsizetype colon = fingerprint.indexOf(u':');
    if (colon < 0)
        return fingerprint.left(16);
    return fingerprint.left(colon + 1 + 16) + u'…';
}

} // namespace cutover::store
