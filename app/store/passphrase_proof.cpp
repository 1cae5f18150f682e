#include "app/store/passphrase_proof.h"

#include <QGlobalStatic>
#include <QPromise>
#include <QThreadPool>

#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

// A fixed hash to spend the same time on an unknown name as on a known one.
const PassphraseHash &dummyHash() {
    static const PassphraseHash hash = hashPassphrase(u"not a passphrase"_s);
    // An unknown name costs what a known Argon2id entry costs; a PBKDF2 entry costs its own
    // derivation, which is what an attacker could already read from the file's cost fields.
    return hash;
}

// Destroyed at exit after waiting for a check in flight (at most one derivation).
Q_GLOBAL_STATIC(QThreadPool, passphrasePool)

} // namespace

bool PassphraseProof::isFor(const Operator &op) const {
    return op.name == m_operatorName && !m_checkedAgainst.isEmpty() &&
           constantTimeEquals(op.passphrase.hash, m_checkedAgainst);
}

PassphraseProof checkPassphrase(const OperatorsFile &operators, const QString &operatorName,
                                const QString &passphrase) {
    PassphraseProof proof;
    proof.m_operatorName = operatorName;
    if (const Operator *op = operators.find(operatorName)) {
        proof.m_checkedAgainst = op->passphrase.hash;
        QByteArray keyEncryptionKey;
        proof.m_matches = verifyPassphrase(passphrase, op->passphrase, &keyEncryptionKey);
        if (proof.m_matches && (op->passphrase.isLegacy() || !op->key)) {
            Operator upgraded = *op;
            if (auto key = setPassphrase(upgraded, passphrase)) {
                proof.m_signingKey = key;
                proof.m_upgraded = upgraded;
            }
        } else if (proof.m_matches) {
            proof.m_signingKey = unsealKey(*op->key, keyEncryptionKey);
        }
        keyEncryptionKey.fill('\0');
    } else {
        verifyPassphrase(passphrase, dummyHash());
    }
    return proof;
}

QFuture<PassphraseProof> checkPassphraseInBackground(const OperatorsFile &operators,
                                                     const QString &operatorName,
                                                     const QString &passphrase) {
    auto promise = std::make_shared<QPromise<PassphraseProof>>();
    QFuture<PassphraseProof> future = promise->future();
    promise->start();
    // Only the operator concerned is copied to the worker, not the whole file.
    OperatorsFile one;
    if (const Operator *op = operators.find(operatorName))
        one.operators.append(*op);
    QThreadPool *pool = passphrasePool();
    pool->setMaxThreadCount(2);
    pool->start([promise, one, operatorName, passphrase] {
        promise->addResult(checkPassphrase(one, operatorName, passphrase));
        promise->finish();
    });
    return future;
}

} // namespace cutover::store
