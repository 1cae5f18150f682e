#include "app/store/sql_store.h"

#include "app/store/audit_chain.h"
#include "app/store/sql_rows.h"
#include "app/store/store_log.h"

#include <QSqlQuery>

using namespace Qt::StringLiterals;

namespace cutover::store {

using namespace sqlrows;

StoreResult<qint64> SqlStore::insertReturningId(const QString &sql, const QVariantList &binds) {
    auto inserted = exec(sql, binds);
    if (!inserted)
        return inserted.error();
    return inserted.value().lastInsertId().toLongLong();
}

StoreResult<void> SqlStore::beginSnapshot() {
    auto begun = exec(u"BEGIN"_s);
    if (!begun)
        return begun.error();
    return {};
}

void SqlStore::endSnapshot() {
    (void)exec(u"COMMIT"_s);
}

StoreResult<AuditEntry> SqlStore::appendAudit(const AuditEvent &event) {
    AuditEntry entry;
    auto result = write([&]() -> StoreResult<void> {
        auto appended = appendAuditInTransaction(event, now());
        if (!appended)
            return appended.error();
        entry = appended.value();
        return {};
    });
    if (!result)
        return result.error();
    return entry;
}

StoreResult<std::optional<StageState>> SqlStore::stageState(const QString &environment) {
    auto q = exec(u"SELECT "_s + kStageColumns + u" FROM stage_state WHERE environment = ?"_s,
                  {environment});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<StageState>();
    return std::optional<StageState>(stageFromQuery(q.value()));
}

StoreResult<QList<StageState>> SqlStore::stageStates() {
    auto q = exec(u"SELECT "_s + kStageColumns + u" FROM stage_state ORDER BY environment"_s);
    if (!q)
        return q.error();
    QList<StageState> states;
    while (q.value().next())
        states.append(stageFromQuery(q.value()));
    return states;
}

StoreResult<StageState> SqlStore::updateStageState(qint64 expectedVersion,
                                                   const StageState &newState,
                                                   const AuditContext &audit) {
    StageState stored = newState;
    stored.version = expectedVersion + 1;
    const QDateTime at = now();
    stored.changedAt = newState.changedAt.isValid() ? toStoredPrecision(newState.changedAt) : at;
    if (stored.enteredAt.isValid())
        stored.enteredAt = toStoredPrecision(stored.enteredAt);
    if (stored.holdStartedAt.isValid())
        stored.holdStartedAt = toStoredPrecision(stored.holdStartedAt);

    auto result = write([&]() -> StoreResult<void> {
        auto current = exec(u"SELECT version, changed_by, changed_at FROM stage_state WHERE "
                            u"environment = ?"_s,
                            {newState.environment});
        if (!current)
            return current.error();
        if (current.value().next()) {
            const qint64 version = current.value().value(0).toLongLong();
            if (version != expectedVersion) {
                const QString by = current.value().value(1).toString();
                const QDateTime when = fromMs(current.value().value(2));
                return StoreError::conflict(u"stage changed by %1 at %2"_s.arg(by, timeText(when)),
                                            by, when, version);
            }
        } else if (expectedVersion != 0) {
            return StoreError::conflict(
                u"no stage state for %1 (expected version %2): it was removed"_s
                    .arg(newState.environment)
                    .arg(expectedVersion),
                {}, {}, 0);
        }
        current.value().finish();
        const QVariantList values = {newState.environment,
                                     stored.stageIndex,
                                     stored.phase,
                                     jsonText(stored.intendedWeights),
                                     msOrNull(stored.enteredAt),
                                     msOrNull(stored.holdStartedAt),
                                     stored.version,
                                     stored.changedBy,
                                     msOrNull(stored.changedAt)};
        auto written = exec(u"INSERT INTO stage_state ("_s + kStageColumns +
                                u") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (environment) "
                                u"DO UPDATE SET stage_index = excluded.stage_index, phase = "
                                u"excluded.phase, intended_weights = excluded.intended_weights, "
                                u"entered_at = excluded.entered_at, hold_started_at = "
                                u"excluded.hold_started_at, version = excluded.version, "
                                u"changed_by = excluded.changed_by, changed_at = "
                                u"excluded.changed_at"_s,
                            values);
        if (!written)
            return written.error();
        QJsonObject details{{u"stage_index"_s, stored.stageIndex},
                            {u"phase"_s, stored.phase},
                            {u"version"_s, stored.version},
                            {u"intended_weights"_s, stored.intendedWeights}};
        if (stored.holdStartedAt.isValid())
            details.insert(u"hold_started_at"_s, timeText(stored.holdStartedAt));
        const AuditEvent event{stored.changedBy,
                               audit.role,
                               audit.action.isEmpty() ? u"stage_changed"_s : audit.action,
                               stored.environment,
                               u"stage %1 %2"_s.arg(stored.stageIndex).arg(stored.phase),
                               merged(details, audit.details)};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return stored;
}

StoreResult<QList<Tick>> SqlStore::ticks(const QString &environment) {
    auto q = exec(u"SELECT environment, gate, check_id, ticked_by, role, ticked_at FROM "
                  u"checklist_ticks WHERE environment = ? ORDER BY ticked_at, gate, check_id"_s,
                  {environment});
    if (!q)
        return q.error();
    QList<Tick> result;
    while (q.value().next()) {
        result.append({q.value().value(0).toString(), q.value().value(1).toString(),
                       q.value().value(2).toString(), q.value().value(3).toString(),
                       q.value().value(4).toString(), fromMs(q.value().value(5))});
    }
    return result;
}

StoreResult<Tick> SqlStore::tick(const Tick &tick, const QJsonObject &details) {
    Tick stored = tick;
    const QDateTime at = now();
    stored.at = tick.at.isValid() ? toStoredPrecision(tick.at) : at;
    auto result = write([&]() -> StoreResult<void> {
        if (auto free = refuseIfTaken(u"SELECT ticked_by, ticked_at FROM checklist_ticks WHERE "
                                      u"environment = ? AND gate = ? AND check_id = ?"_s,
                                      {tick.environment, tick.gate, tick.check},
                                      u"%1/%2 already ticked"_s.arg(tick.gate, tick.check));
            !free)
            return free.error();
        if (auto r = exec(u"INSERT INTO checklist_ticks (environment, gate, check_id, ticked_by, "
                          u"role, ticked_at) VALUES (?, ?, ?, ?, ?, ?)"_s,
                          {stored.environment, stored.gate, stored.check, stored.tickedBy,
                           stored.role, msOrNull(stored.at)});
            !r)
            return r.error();
        const AuditEvent event{stored.tickedBy,
                               stored.role,
                               u"check_ticked"_s,
                               stored.environment,
                               stored.gate + u'/' + stored.check,
                               details};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return stored;
}

StoreResult<bool> SqlStore::untick(const QString &environment, const QString &gate,
                                   const QString &check, const QString &actor,
                                   const QString &role) {
    bool removed = false;
    auto result = write([&]() -> StoreResult<void> {
        auto deleted = exec(u"DELETE FROM checklist_ticks WHERE environment = ? AND gate = ? AND "
                            u"check_id = ?"_s,
                            {environment, gate, check});
        if (!deleted)
            return deleted.error();
        removed = deleted.value().numRowsAffected() > 0;
        if (!removed)
            return {};
        const AuditEvent event{actor, role, u"check_unticked"_s, environment, gate + u'/' + check,
                               {}};
        if (auto appended = appendAuditInTransaction(event, now()); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return removed;
}

StoreResult<QList<SignOff>> SqlStore::signOffs(const QString &environment) {
    auto q = exec(u"SELECT "_s + kSignOffColumns +
                      u" FROM sign_offs WHERE environment = ? AND voided_at IS NULL ORDER BY id"_s,
                  {environment});
    if (!q)
        return q.error();
    QList<SignOff> result;
    while (q.value().next())
        result.append(signOffFromQuery(q.value()));
    return result;
}

StoreResult<QList<SignOff>> SqlStore::allSignOffs() {
    auto q = exec(u"SELECT "_s + kSignOffColumns + u" FROM sign_offs ORDER BY id"_s);
    if (!q)
        return q.error();
    QList<SignOff> result;
    while (q.value().next())
        result.append(signOffFromQuery(q.value()));
    return result;
}

StoreResult<SignOff> SqlStore::signOff(const SignOff &signOff, const SignOffSigner &signer) {
    SignOff stored = signOff;
    const QDateTime at = now();
    stored.at = signOff.at.isValid() ? toStoredPrecision(signOff.at) : at;
    stored.voidedAt = {};
    auto result = write([&]() -> StoreResult<void> {
        if (signer) {
            // Read under the write lock: the head the gate_signed entry will follow.
            auto head = exec(u"SELECT hash FROM audit_head WHERE id = 1"_s);
            if (!head)
                return head.error();
            stored.auditHeadBefore =
                head.value().next() ? head.value().value(0).toString() : genesisHash();
            stored.signature =
                QString::fromLatin1(signer(canonicalSignOffBytes(stored)).toBase64());
        }
        stored.signatureHash = signatureHash(stored);
        if (auto free = refuseIfTaken(u"SELECT operator, signed_at FROM sign_offs WHERE "
                                      u"environment = ? AND gate = ? AND role = ? AND voided_at "
                                      u"IS NULL"_s,
                                      {stored.environment, stored.gate, stored.role},
                                      u"%1 already signed as %2"_s.arg(stored.gate, stored.role));
            !free)
            return free.error();
        auto inserted = insertReturningId(
            u"INSERT INTO sign_offs (environment, gate, role, operator, printed_name, "
            u"meaning, comment, signed_at, signature_hash, plan_sha256, items, audit_head_before, "
            u"key_fingerprint, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_s,
            {stored.environment, stored.gate, stored.role, stored.operatorName, stored.printedName,
             stored.meaning, stored.comment, msOrNull(stored.at), stored.signatureHash,
             stored.planSha256, stored.items, stored.auditHeadBefore, stored.keyFingerprint,
             stored.signature});
        if (!inserted)
            return inserted.error();
        stored.id = inserted.value();
        const AuditEvent event{stored.operatorName,
                               stored.role,
                               u"gate_signed"_s,
                               stored.environment,
                               stored.gate,
                               {{u"sign_off_id"_s, stored.id},
                                {u"printed_name"_s, stored.printedName},
                                {u"meaning"_s, stored.meaning},
                                {u"comment"_s, stored.comment},
                                {u"signed_at"_s, timeText(stored.at)},
                                {u"signature_hash"_s, stored.signatureHash},
                                {u"key_fingerprint"_s, stored.keyFingerprint},
                                {u"signature"_s, stored.signature}}};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return stored;
}

StoreResult<int> SqlStore::resetGate(const QString &environment, const QString &gate,
                                     const QString &actor, const QString &role,
                                     const QString &reason) {
    int cleared = 0;
    auto result = write([&]() -> StoreResult<void> {
        const QDateTime at = now();
        auto ticksDeleted =
            exec(u"DELETE FROM checklist_ticks WHERE environment = ? AND gate = ?"_s,
                 {environment, gate});
        if (!ticksDeleted)
            return ticksDeleted.error();
        const int ticksCleared = ticksDeleted.value().numRowsAffected();
        auto voided = exec(u"UPDATE sign_offs SET voided_at = ?, voided_by = ? WHERE environment "
                           u"= ? AND gate = ? AND voided_at IS NULL"_s,
                           {at.toMSecsSinceEpoch(), actor, environment, gate});
        if (!voided)
            return voided.error();
        const int signOffsVoided = voided.value().numRowsAffected();
        cleared = ticksCleared + signOffsVoided;
        const AuditEvent event{actor,
                               role,
                               u"gate_reset"_s,
                               environment,
                               gate,
                               {{u"reason"_s, reason},
                                {u"ticks_cleared"_s, ticksCleared},
                                {u"sign_offs_voided"_s, signOffsVoided}}};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return cleared;
}

StoreResult<SignInState> SqlStore::signInState(const QString &operatorName) {
    auto q = exec(u"SELECT failures, locked_until, last_failure_at FROM sign_in_failures WHERE "
                  u"operator = ?"_s,
                  {operatorName});
    if (!q)
        return q.error();
    SignInState state;
    state.operatorName = operatorName;
    if (q.value().next()) {
        state.failures = q.value().value(0).toInt();
        state.lockedUntil = fromMs(q.value().value(1));
        state.lastFailureAt = fromMs(q.value().value(2));
    }
    return state;
}

StoreResult<SignInState> SqlStore::recordSignInFailure(const QString &operatorName,
                                                       const QDateTime &when, int threshold,
                                                       qint64 lockForMs,
                                                       const QJsonObject &details) {
    SignInState state;
    auto result = write([&]() -> StoreResult<void> {
        auto current = signInState(operatorName);
        if (!current)
            return current.error();
        state = current.value();
        const QDateTime at = toStoredPrecision(when.isValid() ? when : now());
        state.failures += 1;
        state.lastFailureAt = at;
        QJsonObject auditDetails{{u"consecutive_failures"_s, state.failures}};
        if (state.failures >= threshold) {
            state.lockedUntil = at.addMSecs(lockForMs);
            state.failures = 0; // the next round of attempts starts after the lock
            auditDetails.insert(u"locked_until"_s, timeText(state.lockedUntil));
        }
        if (auto r = exec(u"INSERT INTO sign_in_failures (operator, failures, last_failure_at, "
                          u"locked_until) VALUES (?, ?, ?, ?) ON CONFLICT (operator) DO UPDATE "
                          u"SET failures = excluded.failures, last_failure_at = "
                          u"excluded.last_failure_at, locked_until = excluded.locked_until"_s,
                          {operatorName, state.failures, msOrNull(state.lastFailureAt),
                           msOrNull(state.lockedUntil)});
            !r)
            return r.error();
        const AuditEvent event{operatorName, {},           u"sign_in_failed"_s,
                               {},           operatorName, merged(details, auditDetails)};
        if (auto appended = appendAuditInTransaction(event, at); !appended)
            return appended.error();
        return {};
    });
    if (!result)
        return result.error();
    return state;
}

StoreResult<void> SqlStore::recordSignInSuccess(const QString &operatorName, const QString &action,
                                                const QJsonObject &details) {
    return write([&]() -> StoreResult<void> {
        if (auto r = exec(u"UPDATE sign_in_failures SET failures = 0 WHERE operator = ?"_s,
                          {operatorName});
            !r)
            return r.error();
        const AuditEvent event{operatorName, {}, action, {}, operatorName, details};
        if (auto appended = appendAuditInTransaction(event, now()); !appended)
            return appended.error();
        return {};
    });
}

StoreResult<void> SqlStore::refuseIfTaken(const QString &sql, const QVariantList &binds,
                                          const QString &what) {
    auto existing = exec(sql, binds);
    if (!existing)
        return existing.error();
    if (!existing.value().next())
        return {};
    const QString by = existing.value().value(0).toString();
    const QDateTime when = fromMs(existing.value().value(1));
    return StoreError::conflict(u"%1 by %2 at %3"_s.arg(what, by, timeText(when)), by, when);
}

StoreResult<int> SqlStore::applyMigrations(SqlDialect dialect) {
    if (auto r = exec(
            u"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY "
            u"KEY, description TEXT NOT NULL, applied_at %1 NOT NULL)"_s.arg(timeType(dialect)));
        !r)
        return r.error();
    auto current = exec(u"SELECT COALESCE(MAX(version), 0) FROM schema_version"_s);
    if (!current)
        return current.error();
    int version = current.value().next() ? current.value().value(0).toInt() : 0;
    current.value().finish();
    const int latest = latestSchemaVersion();
    if (version > latest)
        return StoreError::schema(
            u"%1 has schema version %2, newer than this program knows (%3): use a newer "
            u"cutover-console; the store was not changed"_s.arg(description())
                .arg(version)
                .arg(latest));
    for (const Migration &migration : migrations(dialect)) {
        if (migration.version <= version)
            continue;
        for (const QString &statement : migration.statements) {
            if (auto r = exec(statement); !r) {
                StoreError error = r.error();
                if (error.kind == StoreError::Kind::Io)
                    error.kind = StoreError::Kind::Schema;
                error.message =
                    u"migration %1 (%2): "_s.arg(migration.version).arg(migration.description) +
                    error.message;
                return error;
            }
        }
        if (auto r = exec(
                u"INSERT INTO schema_version (version, description, applied_at) "
                u"VALUES (?, ?, ?)"_s,
                {migration.version, migration.description, QDateTime::currentMSecsSinceEpoch()});
            !r)
            return r.error();
        qCInfo(lcStore) << "store" << description() << "migrated to schema" << migration.version;
        version = migration.version;
    }
    return version;
}

StoreResult<AuditEntry> SqlStore::appendAuditInTransaction(const AuditEvent &event,
                                                           const QDateTime &at) {
    // The head, not MAX(seq), decides the next seq: a deleted tail then shows as a gap.
    auto head = exec(u"SELECT seq, hash FROM audit_head WHERE id = 1"_s);
    if (!head)
        return head.error();
    if (!head.value().next())
        return StoreError::corrupt(u"the audit head row is missing (%1)"_s.arg(description()));
    AuditEntry entry;
    entry.seq = head.value().value(0).toLongLong() + 1;
    entry.prevHash = head.value().value(1).toString();
    head.value().finish();
    entry.at = toStoredPrecision(at);
    entry.actor = event.actor;
    entry.role = event.role;
    entry.action = event.action;
    entry.environment = event.environment;
    entry.subject = event.subject;
    entry.details = detailsText(event.details);
    entry.hash = auditHash(entry);
    if (auto r =
            exec(u"INSERT INTO audit_log ("_s + kAuditColumns +
                     u") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_s,
                 {entry.seq, entry.at.toMSecsSinceEpoch(), entry.actor, entry.role, entry.action,
                  entry.environment, entry.subject, entry.details, entry.prevHash, entry.hash});
        !r)
        return r.error();
    if (auto r = exec(u"UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"_s,
                      {entry.seq, entry.hash});
        !r)
        return r.error();
    if (auto r = afterAuditAppended(entry); !r)
        return r.error();
    return entry;
}

StoreResult<QList<AuditEntry>> SqlStore::auditEntries(qint64 afterSeq, int limit) {
    auto q =
        exec(u"SELECT "_s + kAuditColumns + u" FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"_s,
             {afterSeq, limitBind(limit)});
    if (!q)
        return q.error();
    QList<AuditEntry> entries;
    while (q.value().next())
        entries.append(auditFromQuery(q.value()));
    return entries;
}

StoreResult<std::optional<AuditEntry>> SqlStore::lastAuditEntry(const QString &action) {
    auto q = exec(u"SELECT "_s + kAuditColumns +
                      u" FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1"_s,
                  {action});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<AuditEntry>();
    return std::optional<AuditEntry>(auditFromQuery(q.value()));
}

StoreResult<AuditVerification> SqlStore::verifyAuditChain() {
    // One read transaction: the head and the log are read from the same snapshot even while
    // another console appends.
    if (auto begun = beginSnapshot(); !begun)
        return begun.error();
    auto finish = [this] {
        endSnapshot();
    };
    auto head = exec(u"SELECT seq, hash FROM audit_head WHERE id = 1"_s);
    if (!head) {
        finish();
        return head.error();
    }
    qint64 headSeq = -1;
    QString headHash;
    if (head.value().next()) {
        headSeq = head.value().value(0).toLongLong();
        headHash = head.value().value(1).toString();
    }
    head.value().finish();
    auto q = exec(u"SELECT "_s + kAuditColumns + u" FROM audit_log ORDER BY seq"_s);
    if (!q) {
        finish();
        return q.error();
    }
    AuditChainVerifier verifier;
    while (q.value().next()) {
        if (!verifier.add(auditFromQuery(q.value())))
            break;
    }
    q.value().finish();
    finish();
    if (headSeq < 0) {
        AuditVerification missing;
        missing.problem = u"the audit head row is missing"_s;
        return missing;
    }
    return verifier.finish(headSeq, headSeq > 0 ? headHash : QString());
}

StoreResult<qint64> SqlStore::lastChangeId() {
    auto q = exec(u"SELECT seq FROM audit_head WHERE id = 1"_s);
    if (!q)
        return q.error();
    return q.value().next() ? q.value().value(0).toLongLong() : qint64(0);
}

} // namespace cutover::store
