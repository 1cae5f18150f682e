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
        proof.m_matches = verifyPassphrase(passphrase, op->passphrase);
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
