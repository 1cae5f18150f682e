#include "app/store/audit_checkpoint.h"

#include "app/store/audit_chain.h"
#include "app/store/store_log.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTimeZone>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

const QString kFormat = u"cutover-checkpoint-v1"_s;

} // namespace

QByteArray Checkpoint::canonicalBytes() const {
    QByteArray out = "cutover-checkpoint-v1\n";
    appendCanonicalField(out, QByteArray::number(seq));
    appendCanonicalField(out, hash.toUtf8());
    appendCanonicalField(out, QByteArray::number(at.toMSecsSinceEpoch()));
    return out;
}

bool Checkpoint::verifies() const {
    return verifySignature(publicKey, canonicalBytes(), signature);
}

QJsonObject Checkpoint::toJson() const {
    return {{u"format"_s, kFormat},
            {u"seq"_s, seq},
            {u"hash"_s, hash},
            {u"at"_s, at.toUTC().toString(Qt::ISODateWithMs)},
            {u"public_key"_s, QString::fromLatin1(publicKey.toBase64())},
            {u"signature"_s, QString::fromLatin1(signature.toBase64())}};
}

std::optional<Checkpoint> Checkpoint::fromJson(const QJsonObject &o, QString *error) {
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return std::nullopt;
    };
    if (o.value(u"format"_s).toString() != kFormat)
        return fail(u"expected \"format\": \"%1\""_s.arg(kFormat));
    Checkpoint c;
    c.seq = o.value(u"seq"_s).toInteger(-1);
    if (c.seq < 1)
        return fail(u"expected \"seq\": a positive integer"_s);
    c.hash = o.value(u"hash"_s).toString();
    if (c.hash.size() != 64)
        return fail(u"expected \"hash\": 64 hex digits"_s);
    c.at = QDateTime::fromString(o.value(u"at"_s).toString(), Qt::ISODateWithMs);
    if (!c.at.isValid())
        return fail(u"expected \"at\": an ISO 8601 time"_s);
    c.publicKey = QByteArray::fromBase64(o.value(u"public_key"_s).toString().toLatin1());
    c.signature = QByteArray::fromBase64(o.value(u"signature"_s).toString().toLatin1());
    if (c.publicKey.size() != kPublicKeyBytes || c.signature.size() != kSignatureBytes)
        return fail(u"expected \"public_key\" (32 bytes) and \"signature\" (64 bytes) in base64"_s);
    return c;
}

Checkpoint signCheckpoint(const SigningKey &key, qint64 seq, const QString &hash,
                          const QDateTime &at) {
    Checkpoint c;
    c.seq = seq;
    c.hash = hash;
    c.at = QDateTime::fromMSecsSinceEpoch(at.toMSecsSinceEpoch(), QTimeZone::utc());
    c.publicKey = key.publicKey();
    c.signature = key.sign(c.canonicalBytes());
    return c;
}

QString defaultConsoleKeyPath() {
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath(u"checkpoint-key"_s);
}

std::shared_ptr<const SigningKey> loadOrCreateConsoleKey(const QString &path, QString *error) {
    const auto fail = [error](const QString &why) -> std::shared_ptr<const SigningKey> {
        if (error)
            *error = why;
        return nullptr;
    };
    if (QFileInfo::exists(path)) {
#ifdef Q_OS_UNIX
        struct stat info {};
        if (::stat(QFile::encodeName(path).constData(), &info) == 0 &&
            (info.st_mode & (S_IRWXG | S_IRWXO)))
            return fail(u"%1: refused: the console's checkpoint key may be read or written by "
                        u"others (mode %2); run: chmod 600 %1"_s.arg(path)
                            .arg(QString::number(info.st_mode & 07777, 8)));
#endif
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(u"%1: %2"_s.arg(path, file.errorString()));
        const QByteArray seed = file.read(kSeedBytes + 1);
        if (seed.size() != kSeedBytes)
            return fail(u"%1: expected %2 bytes (an Ed25519 seed), found %3"_s.arg(path)
                            .arg(kSeedBytes)
                            .arg(seed.size()));
        auto key = SigningKey::fromSeed(seed);
        return key ? key : fail(u"%1: libsodium could not use the key"_s.arg(path));
    }
    auto key = SigningKey::generate();
    if (!key)
        return fail(u"libsodium could not make a key pair"_s);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return fail(u"cannot write %1: %2"_s.arg(path, out.errorString()));
    out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QByteArray seed = key->seed();
    const bool written = out.write(seed) == seed.size() && out.commit();
    seed.fill('\0');
    if (!written)
        return fail(u"cannot write %1: %2"_s.arg(path, out.errorString()));
    qCInfo(lcStore) << "made the console's checkpoint key" << keyFingerprint(key->publicKey())
                    << "in" << path;
    return key;
}

StoreResult<std::optional<Checkpoint>> writeCheckpointIfDue(Store &store, const SigningKey &key,
                                                            const CheckpointPolicy &policy,
                                                            const QDateTime &now) {
    auto headSeq = store.lastChangeId();
    if (!headSeq)
        return headSeq.error();
    if (headSeq.value() == 0)
        return std::optional<Checkpoint>();
    auto last = store.lastAuditEntry(u"audit_checkpoint"_s);
    if (!last)
        return last.error();
    // Measured from the last checkpoint, or from the log's first entry before there is one.
    qint64 sinceSeq = 0;
    QDateTime sinceAt;
    if (last.value()) {
        sinceSeq = last.value()->seq;
        sinceAt = last.value()->at;
    } else {
        auto first = store.auditEntries(0, 1);
        if (!first)
            return first.error();
        sinceAt = first.value().isEmpty() ? now : first.value().constFirst().at;
    }
    const qint64 newEntries = headSeq.value() - sinceSeq;
    const bool byCount = newEntries >= policy.everyEntries;
    const bool byTime = newEntries > 0 && sinceAt.msecsTo(now) >= policy.everyMs;
    if (!byCount && !byTime)
        return std::optional<Checkpoint>();
    auto head = store.auditEntries(headSeq.value() - 1, 1);
    if (!head)
        return head.error();
    if (head.value().isEmpty())
        return std::optional<Checkpoint>();
    const AuditEntry &entry = head.value().constFirst();
    const Checkpoint checkpoint = signCheckpoint(key, entry.seq, entry.hash, now);
    QJsonObject details = checkpoint.toJson();
    details.insert(u"key_fingerprint"_s, keyFingerprint(checkpoint.publicKey));
    if (auto appended = store.appendAudit(
            {u"system"_s, {}, u"audit_checkpoint"_s, {}, u"seq %1"_s.arg(entry.seq), details});
        !appended)
        return appended.error();
    return std::optional<Checkpoint>(checkpoint);
}

std::optional<QString> appendCheckpointLine(const QString &path, const Checkpoint &checkpoint) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text))
        return u"cannot append to %1: %2"_s.arg(path, file.errorString());
    const QByteArray line =
        QJsonDocument(checkpoint.toJson()).toJson(QJsonDocument::Compact) + '\n';
    if (file.write(line) != line.size() || !file.flush())
        return u"cannot append to %1: %2"_s.arg(path, file.errorString());
#ifdef Q_OS_UNIX
    // Published means on the disk: a crash right after must not lose the line.
    if (::fsync(file.handle()) != 0)
        return u"cannot sync %1 to disk"_s.arg(path);
#endif
    return std::nullopt;
}

CheckpointFile readCheckpointFile(const QString &path) {
    CheckpointFile result;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        result.errors.append(u"%1: %2"_s.arg(path, file.errorString()));
        return result;
    }
    int lineNumber = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine(64 * 1024).trimmed();
        ++lineNumber;
        if (line.isEmpty())
            continue;
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
        QString why;
        std::optional<Checkpoint> checkpoint;
        if (parseError.error != QJsonParseError::NoError || !doc.isObject())
            why = u"not a JSON object"_s;
        else
            checkpoint = Checkpoint::fromJson(doc.object(), &why);
        if (checkpoint)
            result.checkpoints.append(*checkpoint);
        else
            result.errors.append(u"%1:%2: %3"_s.arg(path).arg(lineNumber).arg(why));
    }
    return result;
}

CheckpointVerification verifyAgainstCheckpoints(const QList<AuditEntry> &entries,
                                                const QList<Checkpoint> &checkpoints) {
    CheckpointVerification result;
    QHash<qint64, const AuditEntry *> bySeq;
    for (const AuditEntry &entry : entries)
        bySeq.insert(entry.seq, &entry);
    const qint64 lastSeq = entries.isEmpty() ? 0 : entries.constLast().seq;
    for (const Checkpoint &c : checkpoints) {
        const QString when = c.at.toUTC().toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s);
        if (!c.verifies()) {
            result.brokenSeq = c.seq;
            result.problem = u"the checkpoint of seq %1 published at %2 does not verify with its "
                             u"key %3 (the published file was altered)"_s.arg(c.seq)
                                 .arg(when, shortFingerprint(keyFingerprint(c.publicKey)));
            return result;
        }
        const QString fingerprint = keyFingerprint(c.publicKey);
        if (!result.keys.contains(fingerprint))
            result.keys.append(fingerprint);
        const AuditEntry *entry = bySeq.value(c.seq);
        if (!entry) {
            result.brokenSeq = lastSeq + 1;
            result.problem = u"a checkpoint published at %1 signs seq %2, but the log ends at seq "
                             u"%3 (entries removed from the end)"_s.arg(when)
                                 .arg(c.seq)
                                 .arg(lastSeq);
            return result;
        }
        if (entry->hash != c.hash) {
            result.brokenSeq = c.seq;
            result.problem =
                u"entry %1 has hash %2 but the checkpoint published at %3 signed %4: "
                u"the log was rewritten at or before seq %1 (its hashes recomputed)"_s.arg(c.seq)
                    .arg(entry->hash.left(16) + u'…', when, c.hash.left(16) + u'…');
            return result;
        }
        ++result.matched;
        if (!result.last || c.seq > result.last->seq)
            result.last = c;
    }
    result.ok = true;
    return result;
}

} // namespace cutover::store
