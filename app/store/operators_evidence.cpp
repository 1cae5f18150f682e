#include "app/store/operators_evidence.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace cutover::store {

QJsonObject operatorsSnapshot(const OperatorsFile &file) {
    QJsonObject snapshot;
    for (const Operator &op : file.operators) {
        QJsonObject entry{{u"roles"_s, QJsonArray::fromStringList(op.roles)}};
        if (op.key) {
            entry.insert(u"public_key"_s, QString::fromLatin1(op.key->publicKey.toBase64()));
            entry.insert(u"key_fingerprint"_s, op.keyFingerprint());
        }
        snapshot.insert(op.name, entry);
    }
    return snapshot;
}

QJsonObject operatorsChanges(const QJsonObject &before, const QJsonObject &after) {
    QJsonArray added;
    QJsonArray removed;
    QJsonArray rolesChanged;
    QJsonArray keysChanged;
    for (auto it = after.begin(); it != after.end(); ++it) {
        if (!before.contains(it.key())) {
            added.append(it.key());
            continue;
        }
        const QJsonObject was = before.value(it.key()).toObject();
        const QJsonObject now = it.value().toObject();
        if (was.value(u"roles"_s) != now.value(u"roles"_s))
            rolesChanged.append(QJsonObject{{u"name"_s, it.key()},
                                            {u"before"_s, was.value(u"roles"_s)},
                                            {u"after"_s, now.value(u"roles"_s)}});
        if (was.value(u"key_fingerprint"_s) != now.value(u"key_fingerprint"_s))
            keysChanged.append(QJsonObject{{u"name"_s, it.key()},
                                           {u"before"_s, was.value(u"key_fingerprint"_s)},
                                           {u"after"_s, now.value(u"key_fingerprint"_s)}});
    }
    for (auto it = before.begin(); it != before.end(); ++it) {
        if (!after.contains(it.key()))
            removed.append(it.key());
    }
    QJsonObject changes;
    const auto put = [&changes](const QString &key, const QJsonArray &list) {
        if (!list.isEmpty())
            changes.insert(key, list);
    };
    put(u"added"_s, added);
    put(u"removed"_s, removed);
    put(u"roles_changed"_s, rolesChanged);
    put(u"keys_changed"_s, keysChanged);
    return changes;
}

StoreResult<AuditEntry> recordOperatorsLoaded(Store &store, const OperatorsFile &file,
                                              const QString &actor) {
    const QJsonObject snapshot = operatorsSnapshot(file);
    QJsonObject details{{u"file"_s, file.sourceFile},
                        {u"sha256"_s, QString::fromLatin1(file.sha256Hex)},
                        {u"operators"_s, snapshot}};
    auto last = store.lastAuditEntry(u"operators_loaded"_s);
    if (!last) {
        details.insert(u"previous"_s, u"unknown"_s);
    } else if (!last.value()) {
        details.insert(u"previous"_s, u"none"_s);
    } else {
        const QJsonObject before = last.value()->detailsObject();
        details.insert(u"previous_sha256"_s, before.value(u"sha256"_s));
        details.insert(u"changed"_s,
                       before.value(u"sha256"_s).toString() != QString::fromLatin1(file.sha256Hex));
        const QJsonObject changes =
            operatorsChanges(before.value(u"operators"_s).toObject(), snapshot);
        if (!changes.isEmpty())
            details.insert(u"changes"_s, changes);
    }
    return store.appendAudit({actor, {}, u"operators_loaded"_s, {}, file.sourceFile, details});
}

QList<RecordedKey> recordedKeys(const QList<AuditEntry> &entries) {
    QList<RecordedKey> keys;
    const auto add = [&keys](const QString &name, const QJsonValue &base64, qint64 seq) {
        const QByteArray key = QByteArray::fromBase64(base64.toString().toLatin1());
        if (!name.isEmpty() && key.size() == kPublicKeyBytes)
            keys.append({name, key, seq});
    };
    for (const AuditEntry &entry : entries) {
        if (entry.action == u"operators_loaded"_s) {
            const QJsonObject operators = entry.detailsObject().value(u"operators"_s).toObject();
            for (auto it = operators.begin(); it != operators.end(); ++it)
                add(it.key(), it.value().toObject().value(u"public_key"_s), entry.seq);
        } else if (entry.action == u"passphrase_upgraded"_s) {
            add(entry.actor, entry.detailsObject().value(u"public_key"_s), entry.seq);
        }
    }
    return keys;
}

} // namespace cutover::store
