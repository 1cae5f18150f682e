#include "app/store/passphrase.h"

#include <QCryptographicHash>
#include <QPasswordDigestor>
#include <QRandomGenerator>

#include <algorithm>

namespace cutover::store {

namespace {

QByteArray derive(const QString &passphrase, const QByteArray &salt, int iterations) {
    return QPasswordDigestor::deriveKeyPbkdf2(QCryptographicHash::Sha256, passphrase.toUtf8(), salt,
                                              iterations, kDerivedKeyBytes);
}

} // namespace

bool PassphraseHash::isValid() const {
    return algorithm == kPassphraseAlgorithm && iterations >= kMinPassphraseIterations &&
           salt.size() >= kSaltBytes && hash.size() == kDerivedKeyBytes;
}

PassphraseHash hashPassphrase(const QString &passphrase, int iterations) {
    PassphraseHash result;
    result.algorithm = kPassphraseAlgorithm;
    result.iterations = std::max(iterations, kMinPassphraseIterations);
    result.salt.resize(kSaltBytes);
    QRandomGenerator::system()->generate(result.salt.begin(), result.salt.end());
    result.hash = derive(passphrase, result.salt, result.iterations);
    return result;
}

bool verifyPassphrase(const QString &passphrase, const PassphraseHash &stored) {
    if (!stored.isValid())
        return false;
    return constantTimeEquals(derive(passphrase, stored.salt, stored.iterations), stored.hash);
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
