#include "app/store/sign_in.h"

#include "app/store/store_log.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

const QString kUnknownOperator = u"(unknown operator)"_s;

SignInResult storeFailed(const StoreError &error) {
    SignInResult result;
    result.outcome = SignInResult::Outcome::StoreFailed;
    result.storeError = error;
    result.message =
        u"cannot record the sign-in attempt, so it is refused: %1"_s.arg(error.toString());
    return result;
}

QString untilText(const QDateTime &until) {
    return until.toUTC().toString(u"HH:mm:ss 'UTC'"_s);
}

// The same words whether the name exists or not, so a lock-out never confirms an operator.
QString lockedMessage(const QDateTime &until) {
    return u"sign-in refused: this name is locked after too many wrong passphrases; try again "
           u"after %1"_s.arg(untilText(until));
}

QString wrongMessage(const QDateTime &lockedUntil, const QDateTime &now) {
    if (lockedUntil.isValid() && now < lockedUntil)
        return u"wrong operator name or passphrase; this name is now locked until %1"_s.arg(
            untilText(lockedUntil));
    return u"wrong operator name or passphrase"_s;
}

const QString kNotLockedOut = u"break-glass is only for a name locked out of signing in: sign "
                              u"in, then roll back as usual"_s;

SignInResult staleProof(const QString &operatorName) {
    SignInResult result;
    result.message = u"the operators file changed while %1's passphrase was checked: type it "
                     u"again"_s.arg(operatorName);
    return result;
}

} // namespace

SignInGuard::SignInGuard(Store &store, OperatorsFile operators, Clock clock, SignInPolicy policy)
    : m_store(store)
    , m_operators(std::move(operators))
    , m_clock(clock ? std::move(clock) : systemClock())
    , m_policy(policy) {
    m_unknownSalt.resize(16);
    QRandomGenerator::system()->generate(m_unknownSalt.begin(), m_unknownSalt.end());
}

SignInResult SignInGuard::verify(const QString &operatorName, const QString &passphrase,
                                 const QString &purpose) {
    return verify(checkPassphrase(m_operators, operatorName, passphrase), purpose);
}

SignInResult SignInGuard::verify(const PassphraseProof &proof, const QString &purpose) {
    const QDateTime now = m_clock();
    const Operator *op = m_operators.find(proof.operatorName());
    if (op && !proof.isFor(*op))
        return staleProof(op->name);
    if (!op)
        return verifyUnknown(proof, purpose, now);

    auto state = m_store.signInState(op->name);
    if (!state && state.error().kind == StoreError::Kind::Io)
        return verifyOffline(*op, proof, purpose, now, state.error());
    if (!state)
        return storeFailed(state.error());
    if (state.value().lockedAt(now)) {
        auto audited = m_store.appendAudit(
            {op->name,
             {},
             u"sign_in_refused"_s,
             {},
             op->name,
             {{u"purpose"_s, purpose},
              {u"reason"_s, u"locked"_s},
              {u"locked_until"_s, state.value().lockedUntil.toString(Qt::ISODateWithMs)}}});
        if (!audited)
            return storeFailed(audited.error());
        SignInResult result;
        result.outcome = SignInResult::Outcome::Locked;
        result.lockedUntil = state.value().lockedUntil;
        result.message = lockedMessage(result.lockedUntil);
        return result;
    }

    if (proof.matches()) {
        auto recorded = m_store.recordSignInSuccess(
            op->name, purpose == u"sign_in"_s ? u"signed_in"_s : u"passphrase_verified"_s,
            {{u"purpose"_s, purpose}});
        if (!recorded)
            return storeFailed(recorded.error());
        SignInResult result;
        result.outcome = SignInResult::Outcome::Ok;
        result.op = *op;
        applyUpgrade(proof, result);
        return result;
    }

    auto failed = m_store.recordSignInFailure(
        op->name, now, m_policy.maxFailures, m_policy.lockMs,
        {{u"purpose"_s, purpose}, {u"reason"_s, u"wrong passphrase"_s}});
    if (!failed)
        return storeFailed(failed.error());
    // The same line as for a name not in the file (the audit log says who).
    qCInfo(lcStore) << "sign-in refused: wrong operator name or passphrase; purpose" << purpose;
    SignInResult result;
    result.failures = failed.value().failures;
    result.lockedUntil = failed.value().lockedUntil;
    result.message = wrongMessage(result.lockedUntil, now);
    return result;
}

SignInResult SignInGuard::verifyBreakGlass(const QString &operatorName, const QString &passphrase) {
    return verifyBreakGlass(checkPassphrase(m_operators, operatorName, passphrase));
}

SignInResult SignInGuard::verifyBreakGlass(const PassphraseProof &proof) {
    const QString &operatorName = proof.operatorName();
    const QDateTime now = m_clock();
    SignInResult refused;
    refused.message = u"wrong operator name or passphrase"_s;
    const auto refuse = [&](const QString &who, const QString &reason,
                            SignInResult result) -> SignInResult {
        auto audited =
            m_store.appendAudit({who,
                                 {},
                                 u"break_glass_refused"_s,
                                 {},
                                 // What was typed for a name not in the file stays unrecorded.
                                 who == kUnknownOperator ? QString() : operatorName.left(64),
                                 {{u"purpose"_s, u"rollback"_s}, {u"reason"_s, reason}}});
        return audited ? result : storeFailed(audited.error());
    };
    const Operator *op = m_operators.find(operatorName);
    if (!op) {
        // Answered as for a known name in the same state, so break-glass does not reveal names.
        SignInState &local = m_unknown[unknownKey(operatorName)];
        if (!local.lockedAt(now)) {
            SignInResult notLocked;
            notLocked.message = kNotLockedOut;
            return refuse(kUnknownOperator, u"unknown operator"_s, notLocked);
        }
        refused.outcome = SignInResult::Outcome::Locked;
        refused.lockedUntil = local.lockedUntil;
        if (++local.failures > m_policy.breakGlassAttempts)
            refused.message = breakGlassUsedUp(local.lockedUntil);
        return refuse(kUnknownOperator, u"unknown operator"_s, refused);
    }
    if (!proof.isFor(*op))
        return staleProof(op->name);
    // The lock-out as the store knows it (or, while it is unreachable, as this guard counted it).
    SignInState state;
    bool offline = false;
    if (auto stored = m_store.signInState(op->name)) {
        state = stored.value();
    } else if (stored.error().kind == StoreError::Kind::Io) {
        offline = true;
        state = m_offline.value(op->name);
    } else {
        return storeFailed(stored.error());
    }
    if (!state.lockedAt(now)) {
        SignInResult notLocked;
        notLocked.message = kNotLockedOut;
        return refuse(op->name, u"not locked out"_s, notLocked);
    }
    refused.lockedUntil = state.lockedUntil;
    refused.outcome = SignInResult::Outcome::Locked;
    if (state.failures >= m_policy.breakGlassAttempts) {
        refused.message = breakGlassUsedUp(state.lockedUntil);
        return refuse(op->name, u"break-glass attempts used up"_s, refused);
    }
    if (!proof.matches()) {
        const QJsonObject details{{u"purpose"_s, u"break_glass"_s},
                                  {u"reason"_s, u"wrong passphrase"_s}};
        if (offline) {
            SignInState &local = m_offline[op->name];
            local.operatorName = op->name;
            local.failures += 1;
            local.lastFailureAt = now;
            if (auto audited =
                    m_store.appendAudit({op->name, {}, u"sign_in_failed"_s, {}, op->name, details});
                !audited)
                return storeFailed(audited.error());
        } else if (auto failed = m_store.recordSignInFailure(op->name, now, m_policy.maxFailures,
                                                             m_policy.lockMs, details);
                   !failed) {
            return storeFailed(failed.error());
        } else {
            refused.lockedUntil = failed.value().lockedUntil;
        }
        refused.message = u"wrong operator name or passphrase"_s;
        return refused;
    }
    auto audited =
        m_store.appendAudit({op->name,
                             {},
                             u"break_glass_verified"_s,
                             {},
                             op->name,
                             {{u"purpose"_s, u"rollback"_s},
                              {u"locked_until"_s, state.lockedUntil.toString(Qt::ISODateWithMs)},
                              {u"offline"_s, offline}}});
    if (!audited)
        return storeFailed(audited.error());
    SignInResult result;
    result.outcome = SignInResult::Outcome::Ok;
    result.op = *op;
    result.lockedUntil = state.lockedUntil;
    applyUpgrade(proof, result);
    return result;
}

SignInResult SignInGuard::verifyOffline(const Operator &op, const PassphraseProof &proof,
                                        const QString &purpose, const QDateTime &now,
                                        const StoreError &why) {
    SignInState &local = m_offline[op.name];
    QJsonObject details{
        {u"purpose"_s, purpose}, {u"offline"_s, true}, {u"store"_s, why.message.left(200)}};
    if (local.lockedAt(now)) {
        details.insert(u"reason"_s, u"locked"_s);
        details.insert(u"locked_until"_s, local.lockedUntil.toString(Qt::ISODateWithMs));
        if (auto audited =
                m_store.appendAudit({op.name, {}, u"sign_in_refused"_s, {}, op.name, details});
            !audited)
            return storeFailed(audited.error());
        SignInResult result;
        result.outcome = SignInResult::Outcome::Locked;
        result.lockedUntil = local.lockedUntil;
        result.message = lockedMessage(local.lockedUntil);
        return result;
    }
    if (proof.matches()) {
        const QString action = purpose == u"sign_in"_s ? u"signed_in"_s : u"passphrase_verified"_s;
        if (auto audited = m_store.appendAudit({op.name, {}, action, {}, op.name, details});
            !audited)
            return storeFailed(audited.error());
        local = SignInState{op.name, 0, {}, {}};
        qCInfo(lcStore) << op.name << "verified while the store is unreachable (" << purpose
                        << "); recorded in the local journal";
        SignInResult result;
        result.outcome = SignInResult::Outcome::Ok;
        result.op = op;
        applyUpgrade(proof, result);
        return result;
    }
    local.operatorName = op.name;
    local.lastFailureAt = now;
    if (++local.failures >= m_policy.maxFailures) {
        local.failures = 0;
        local.lockedUntil = now.addMSecs(m_policy.lockMs);
    }
    details.insert(u"reason"_s, u"wrong passphrase"_s);
    if (auto audited =
            m_store.appendAudit({op.name, {}, u"sign_in_failed"_s, {}, op.name, details});
        !audited)
        return storeFailed(audited.error());
    SignInResult result;
    result.failures = local.failures;
    result.lockedUntil = local.lockedUntil;
    result.message = wrongMessage(local.lockedUntil, now);
    return result;
}

QByteArray SignInGuard::unknownKey(const QString &typedName) const {
    // Keyed, so what was typed (perhaps a passphrase in the wrong field) is not kept readable.
    return QCryptographicHash::hash(QByteArray(m_unknownSalt + typedName.toUtf8()),
                                    QCryptographicHash::Sha256);
}

QString SignInGuard::breakGlassUsedUp(const QDateTime &lockedUntil) const {
    return u"break-glass refused: %1 wrong passphrases typed for this name; refused until the "
           u"lock-out ends at %2"_s.arg(m_policy.breakGlassAttempts)
               .arg(untilText(lockedUntil));
}

SignInResult SignInGuard::verifyUnknown(const PassphraseProof &proof, const QString &purpose,
                                        const QDateTime &now) {
    // Names not in the file are counted here (in memory, keyed), and lock exactly as a known
    // name does, with the same words: the answers never tell whether an operator exists.
    SignInState &local = m_unknown[unknownKey(proof.operatorName())];
    QJsonObject details{{u"purpose"_s, purpose}, {u"reason"_s, u"unknown operator"_s}};
    SignInResult result;
    if (local.lockedAt(now)) {
        details.insert(u"locked_until"_s, local.lockedUntil.toString(Qt::ISODateWithMs));
        if (auto audited =
                m_store.appendAudit({kUnknownOperator, {}, u"sign_in_refused"_s, {}, {}, details});
            !audited)
            return storeFailed(audited.error());
        result.outcome = SignInResult::Outcome::Locked;
        result.lockedUntil = local.lockedUntil;
        result.message = lockedMessage(local.lockedUntil);
        return result;
    }
    local.lastFailureAt = now;
    if (++local.failures >= m_policy.maxFailures) {
        local.failures = 0;
        local.lockedUntil = now.addMSecs(m_policy.lockMs);
    }
    if (auto audited =
            m_store.appendAudit({kUnknownOperator, {}, u"sign_in_failed"_s, {}, {}, details});
        !audited)
        return storeFailed(audited.error());
    qCInfo(lcStore) << "sign-in refused: wrong operator name or passphrase; purpose" << purpose;
    result.failures = local.failures;
    result.lockedUntil = local.lockedUntil;
    result.message = wrongMessage(local.lockedUntil, now);
    return result;
}

void SignInGuard::applyUpgrade(const PassphraseProof &proof, SignInResult &result) {
    if (!proof.upgraded())
        return;
    const Operator &upgraded = *proof.upgraded();
    const Operator *before = m_operators.find(upgraded.name);
    const QString from = before ? before->passphrase.algorithm : QString();
    QString saveError;
    if (!m_operatorsPath.isEmpty()) {
        // Re-read: only this operator's entry changes, and only if nobody changed it meanwhile.
        OperatorsLoadResult onDisk = loadOperatorsFile(m_operatorsPath);
        const Operator *current = onDisk.ok() ? onDisk.file->find(upgraded.name) : nullptr;
        if (!onDisk.ok())
            saveError = onDisk.errorText();
        else if (!current || !proof.isFor(*current))
            saveError = u"the entry changed in the file meanwhile"_s;
        else {
            onDisk.file->upsert(upgraded);
            if (auto error = saveOperatorsFile(m_operatorsPath, *onDisk.file))
                saveError = *error;
        }
    } else {
        saveError = u"no operators file to write (kept for this session)"_s;
    }
    m_operators.upsert(upgraded);
    result.op = upgraded;
    result.upgraded = true;
    QJsonObject details{{u"from"_s, from},
                        {u"to"_s, upgraded.passphrase.algorithm},
                        {u"passes"_s, upgraded.passphrase.passes},
                        {u"memory_kib"_s, upgraded.passphrase.memoryKiB},
                        {u"public_key"_s, QString::fromLatin1(upgraded.key->publicKey.toBase64())},
                        {u"key_fingerprint"_s, upgraded.keyFingerprint()},
                        {u"saved"_s, saveError.isEmpty()}};
    if (!saveError.isEmpty())
        details.insert(u"save_error"_s, saveError.left(300));
    // A failed audit here does not undo the sign-in already recorded; it is logged.
    if (auto audited = m_store.appendAudit(
            {upgraded.name, {}, u"passphrase_upgraded"_s, {}, upgraded.name, details});
        !audited)
        qCWarning(lcStore) << "passphrase upgrade of" << upgraded.name
                           << "not audited:" << audited.error().toString();
    if (saveError.isEmpty())
        qCInfo(lcStore) << "passphrase of" << upgraded.name << "upgraded to argon2id, key"
                        << upgraded.keyFingerprint() << "saved to" << m_operatorsPath;
    else
        qCWarning(lcStore) << "passphrase of" << upgraded.name << "upgraded to argon2id, key"
                           << upgraded.keyFingerprint() << "not saved:" << saveError;
}

} // namespace cutover::store
