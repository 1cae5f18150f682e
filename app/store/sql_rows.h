#pragma once

// Rows <-> records, shared by the QtSql stores (SqlStore and its SQLite and PostgreSQL
// subclasses): times are stored as UTC milliseconds, JSON as compact text.

#include "app/store/audit_chain.h"
#include "app/store/records.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QTimeZone>
#include <QVariant>

#include <atomic>

namespace cutover::store::sqlrows {

using namespace Qt::StringLiterals;

inline QVariant msOrNull(const QDateTime &time) {
    return time.isValid() ? QVariant(time.toMSecsSinceEpoch()) : QVariant();
}

inline QDateTime fromMs(const QVariant &value) {
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), QTimeZone::utc());
}

// Truncated to milliseconds, the precision stored, so values read back compare equal.
inline QDateTime toStoredPrecision(const QDateTime &time) {
    return QDateTime::fromMSecsSinceEpoch(time.toMSecsSinceEpoch(), QTimeZone::utc());
}

inline QString timeText(const QDateTime &time) {
    return time.toUTC().toString(Qt::ISODateWithMs);
}

inline QJsonObject merged(QJsonObject base, const QJsonObject &extra) {
    for (auto it = extra.begin(); it != extra.end(); ++it)
        base.insert(it.key(), it.value());
    return base;
}

inline QString jsonText(const QJsonObject &object) {
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

inline StageState stageFromQuery(const QSqlQuery &q) {
    StageState s;
    s.environment = q.value(0).toString();
    s.stageIndex = q.value(1).toInt();
    s.phase = q.value(2).toString();
    s.intendedWeights = QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object();
    s.enteredAt = fromMs(q.value(4));
    s.holdStartedAt = fromMs(q.value(5));
    s.version = q.value(6).toLongLong();
    s.changedBy = q.value(7).toString();
    s.changedAt = fromMs(q.value(8));
    return s;
}

inline const QString kStageColumns =
    u"environment, stage_index, phase, intended_weights, entered_at, "
    u"hold_started_at, version, changed_by, changed_at"_s;
inline const QString kSignOffColumns =
    u"id, environment, gate, role, operator, printed_name, meaning, "
    u"comment, signed_at, signature_hash, plan_sha256, items, audit_head_before, "
    u"key_fingerprint, signature, voided_at"_s;
inline const QString kAuditColumns =
    u"seq, at, actor, role, action, environment, subject, details, prev_hash, hash"_s;

inline SignOff signOffFromQuery(const QSqlQuery &q) {
    SignOff s;
    s.id = q.value(0).toLongLong();
    s.environment = q.value(1).toString();
    s.gate = q.value(2).toString();
    s.role = q.value(3).toString();
    s.operatorName = q.value(4).toString();
    s.printedName = q.value(5).toString();
    s.meaning = q.value(6).toString();
    s.comment = q.value(7).toString();
    s.at = fromMs(q.value(8));
    s.signatureHash = q.value(9).toString();
    s.planSha256 = q.value(10).toString();
    s.items = q.value(11).toString();
    s.auditHeadBefore = q.value(12).toString();
    s.keyFingerprint = q.value(13).toString();
    s.signature = q.value(14).toString();
    s.voidedAt = fromMs(q.value(15));
    return s;
}

inline AuditEntry auditFromQuery(const QSqlQuery &q) {
    AuditEntry e;
    e.seq = q.value(0).toLongLong();
    e.at = fromMs(q.value(1));
    e.actor = q.value(2).toString();
    e.role = q.value(3).toString();
    e.action = q.value(4).toString();
    e.environment = q.value(5).toString();
    e.subject = q.value(6).toString();
    e.details = q.value(7).toString();
    e.prevHash = q.value(8).toString();
    e.hash = q.value(9).toString();
    return e;
}

// Connection names must be unique per process (QSqlDatabase is keyed by them).
inline std::atomic<quint64> g_connectionCounter{0};

} // namespace cutover::store::sqlrows
