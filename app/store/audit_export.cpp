#include "app/store/audit_export.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimeZone>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

const QStringList kCsvHeader = {u"seq"_s,     u"at"_s,        u"at_ms"_s,       u"actor"_s,
                                u"role"_s,    u"action"_s,    u"environment"_s, u"subject"_s,
                                u"details"_s, u"prev_hash"_s, u"hash"_s};

QString csvField(const QString &value) {
    if (!value.contains(u',') && !value.contains(u'"') && !value.contains(u'\n') &&
        !value.contains(u'\r'))
        return value;
    QString quoted = value;
    quoted.replace(u"\""_s, u"\"\""_s);
    return u'"' + quoted + u'"';
}

QString isoTime(const QDateTime &time) {
    return time.toUTC().toString(Qt::ISODateWithMs);
}

// RFC 4180 records; false on an unterminated quote.
bool parseCsv(const QString &text, QList<QStringList> &rows) {
    QStringList row;
    QString field;
    bool quoted = false;
    bool fieldStarted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == u'"') {
                if (i + 1 < text.size() && text.at(i + 1) == u'"') {
                    field += u'"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        if (c == u'"' && field.isEmpty()) {
            quoted = true;
            fieldStarted = true;
        } else if (c == u',') {
            row.append(field);
            field.clear();
            fieldStarted = true;
        } else if (c == u'\r' || c == u'\n') {
            if (c == u'\r' && i + 1 < text.size() && text.at(i + 1) == u'\n')
                ++i;
            row.append(field);
            rows.append(row);
            row.clear();
            field.clear();
            fieldStarted = false;
        } else {
            field += c;
            fieldStarted = true;
        }
    }
    if (quoted)
        return false;
    if (fieldStarted || !field.isEmpty() || !row.isEmpty()) {
        row.append(field);
        rows.append(row);
    }
    return true;
}

StoreResult<qint64> writeWhole(const QString &path, const QByteArray &bytes, qint64 count) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return StoreError::io(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    if (file.write(bytes) != bytes.size() || !file.commit())
        return StoreError::io(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    return count;
}

void setError(QString *error, const QString &message) {
    if (error)
        *error = message;
}

} // namespace

QByteArray auditToCsv(const QList<AuditEntry> &entries) {
    QString out = kCsvHeader.join(u',') + u"\r\n"_s;
    for (const AuditEntry &e : entries) {
        const QStringList fields = {QString::number(e.seq),
                                    isoTime(e.at),
                                    QString::number(e.at.toMSecsSinceEpoch()),
                                    e.actor,
                                    e.role,
                                    e.action,
                                    e.environment,
                                    e.subject,
                                    e.details,
                                    e.prevHash,
                                    e.hash};
        QStringList quoted;
        for (const QString &field : fields)
            quoted.append(csvField(field));
        out += quoted.join(u',') + u"\r\n"_s;
    }
    return out.toUtf8();
}

QByteArray auditToJson(const QList<AuditEntry> &entries) {
    QJsonArray array;
    for (const AuditEntry &e : entries) {
        array.append(QJsonObject{{u"seq"_s, e.seq},
                                 {u"at"_s, isoTime(e.at)},
                                 {u"at_ms"_s, e.at.toMSecsSinceEpoch()},
                                 {u"actor"_s, e.actor},
                                 {u"role"_s, e.role},
                                 {u"action"_s, e.action},
                                 {u"environment"_s, e.environment},
                                 {u"subject"_s, e.subject},
                                 {u"details"_s, e.details},
                                 {u"prev_hash"_s, e.prevHash},
                                 {u"hash"_s, e.hash}});
    }
    const QJsonObject root{{u"format"_s, u"cutover-audit-v1"_s}, {u"entries"_s, array}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

std::optional<QList<AuditEntry>> auditFromCsv(const QByteArray &bytes, QString *error) {
    QList<QStringList> rows;
    if (!parseCsv(QString::fromUtf8(bytes), rows)) {
        setError(error, u"unterminated quoted field"_s);
        return std::nullopt;
    }
    if (rows.isEmpty() || rows.constFirst() != kCsvHeader) {
        setError(error, u"first row is not the audit CSV header"_s);
        return std::nullopt;
    }
    QList<AuditEntry> entries;
    for (qsizetype i = 1; i < rows.size(); ++i) {
        const QStringList &r = rows.at(i);
        if (r.size() != kCsvHeader.size()) {
            setError(error, u"row %1: %2 fields, expected %3"_s.arg(i + 1).arg(r.size()).arg(
                                kCsvHeader.size()));
            return std::nullopt;
        }
        bool seqOk = false;
        bool atOk = false;
        AuditEntry e;
        e.seq = r.at(0).toLongLong(&seqOk);
        e.at = QDateTime::fromMSecsSinceEpoch(r.at(2).toLongLong(&atOk), QTimeZone::utc());
        if (!seqOk || !atOk) {
            setError(error, u"row %1: seq or at_ms is not an integer"_s.arg(i + 1));
            return std::nullopt;
        }
        e.actor = r.at(3);
        e.role = r.at(4);
        e.action = r.at(5);
        e.environment = r.at(6);
        e.subject = r.at(7);
        e.details = r.at(8);
        e.prevHash = r.at(9);
        e.hash = r.at(10);
        entries.append(e);
    }
    return entries;
}

std::optional<QList<AuditEntry>> auditFromJson(const QByteArray &bytes, QString *error) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        setError(error, u"offset %1: %2"_s.arg(parseError.offset).arg(parseError.errorString()));
        return std::nullopt;
    }
    const QJsonObject root = doc.object();
    if (root.value(u"format"_s).toString() != u"cutover-audit-v1"_s ||
        !root.value(u"entries"_s).isArray()) {
        setError(error, u"not a cutover-audit-v1 export"_s);
        return std::nullopt;
    }
    QList<AuditEntry> entries;
    for (const QJsonValue &value : root.value(u"entries"_s).toArray()) {
        const QJsonObject o = value.toObject();
        AuditEntry e;
        e.seq = o.value(u"seq"_s).toInteger();
        e.at = QDateTime::fromMSecsSinceEpoch(o.value(u"at_ms"_s).toInteger(), QTimeZone::utc());
        e.actor = o.value(u"actor"_s).toString();
        e.role = o.value(u"role"_s).toString();
        e.action = o.value(u"action"_s).toString();
        e.environment = o.value(u"environment"_s).toString();
        e.subject = o.value(u"subject"_s).toString();
        e.details = o.value(u"details"_s).toString();
        e.prevHash = o.value(u"prev_hash"_s).toString();
        e.hash = o.value(u"hash"_s).toString();
        entries.append(e);
    }
    return entries;
}

StoreResult<qint64> exportAuditCsv(Store &store, const QString &path) {
    auto entries = store.auditEntries();
    if (!entries)
        return entries.error();
    return writeWhole(path, auditToCsv(entries.value()), entries.value().size());
}

StoreResult<qint64> exportAuditJson(Store &store, const QString &path) {
    auto entries = store.auditEntries();
    if (!entries)
        return entries.error();
    return writeWhole(path, auditToJson(entries.value()), entries.value().size());
}

} // namespace cutover::store
