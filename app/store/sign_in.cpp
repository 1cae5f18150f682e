#include "app/store/sign_in.h"

#include "app/store/store_log.h"

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
    , m_policy(policy) {}

SignInResult SignInGuard::verify(const QString &operatorName, const QString &passphrase,
                                 const QString &purpose) {
    return verify(checkPassphrase(m_operators, operatorName, passphrase), purpose);
}

SignInResult SignInGuard::verify(const PassphraseProof &proof, const QString &purpose) {
    const QDateTime now = m_clock();
    const Operator *op = m_operators.find(proof.operatorName());
    if (op && !proof.isFor(*op))
        return staleProof(op->name);
    if (!op) {
        auto audited =
            m_store.appendAudit({kUnknownOperator,
                                 {},
                                 u"sign_in_failed"_s,
                                 {},
                                 {},
                                 {{u"purpose"_s, purpose}, {u"reason"_s, u"unknown operator"_s}}});
        if (!audited)
            return storeFailed(audited.error());
        SignInResult result;
        result.message = u"wrong operator name or passphrase"_s;
        return result;
    }

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
        result.message = u"%1 is locked after %2 wrong passphrases until %3"_s.arg(
            op->name, QString::number(m_policy.maxFailures),
            state.value().lockedUntil.toUTC().toString(u"HH:mm:ss 'UTC'"_s));
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
        return result;
    }

    auto failed = m_store.recordSignInFailure(
        op->name, now, m_policy.maxFailures, m_policy.lockMs,
        {{u"purpose"_s, purpose}, {u"reason"_s, u"wrong passphrase"_s}});
    if (!failed)
        return storeFailed(failed.error());
    qCInfo(lcStore) << "wrong passphrase for" << op->name << "purpose" << purpose;
    SignInResult result;
    result.failures = failed.value().failures;
    result.lockedUntil = failed.value().lockedUntil;
    if (failed.value().lockedAt(now)) {
        result.message = u"wrong operator name or passphrase; %1 is now locked until %2"_s.arg(
            op->name, result.lockedUntil.toUTC().toString(u"HH:mm:ss 'UTC'"_s));
    } else {
        result.message = u"wrong operator name or passphrase"_s;
    }
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
                                 operatorName.left(64),
                                 {{u"purpose"_s, u"rollback"_s}, {u"reason"_s, reason}}});
        return audited ? result : storeFailed(audited.error());
    };
    const Operator *op = m_operators.find(operatorName);
    if (!op)
        return refuse(kUnknownOperator, u"unknown operator"_s, refused);
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
        notLocked.message =
            u"%1 is not locked out: sign in, then roll back as usual"_s.arg(op->name);
        return refuse(op->name, u"not locked out"_s, notLocked);
    }
    refused.lockedUntil = state.lockedUntil;
    refused.outcome = SignInResult::Outcome::Locked;
    if (state.failures >= m_policy.breakGlassAttempts) {
        refused.message = u"%1 typed %2 wrong passphrases for a break-glass rollback: refused "
                          u"until the lock-out ends at %3"_s.arg(op->name)
                              .arg(state.failures)
                              .arg(state.lockedUntil.toUTC().toString(u"HH:mm:ss 'UTC'"_s));
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
        result.message = u"%1 is locked after %2 wrong passphrases until %3"_s.arg(
            op.name, QString::number(m_policy.maxFailures),
            local.lockedUntil.toUTC().toString(u"HH:mm:ss 'UTC'"_s));
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
    result.message = local.lockedAt(now)
                         ? u"wrong operator name or passphrase; %1 is now locked until %2"_s.arg(
                               op.name, local.lockedUntil.toUTC().toString(u"HH:mm:ss 'UTC'"_s))
                         : u"wrong operator name or passphrase"_s;
    return result;
}

} // namespace cutover::store
