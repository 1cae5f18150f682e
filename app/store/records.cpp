#include "app/store/records.h"

#include "app/store/store_error.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace cutover::store {

QString storeErrorKindName(StoreError::Kind kind) {
    switch (kind) {
    case StoreError::Kind::Io:
        return u"io"_s;
    case StoreError::Kind::Busy:
        return u"busy"_s;
    case StoreError::Kind::Conflict:
        return u"conflict"_s;
    case StoreError::Kind::Corrupt:
        return u"corrupt"_s;
    case StoreError::Kind::Schema:
        return u"schema"_s;
    case StoreError::Kind::Timeout:
        return u"timeout"_s;
    }
    return u"unknown"_s;
}

QString StoreError::toString() const {
    return storeErrorKindName(kind) + u": "_s + message;
}

QJsonObject AuditEntry::detailsObject() const {
    return QJsonDocument::fromJson(details.toUtf8()).object();
}

QString AuditVerification::toString() const {
    if (ok)
        return u"OK: %1 entries, head %2"_s.arg(entries).arg(headHash.isEmpty() ? u"(none)"_s
                                                                                : headHash);
    if (brokenSeq > 0)
        return u"BROKEN at seq %1: %2"_s.arg(brokenSeq).arg(problem);
    return u"BROKEN: %1"_s.arg(problem);
}

} // namespace cutover::store
