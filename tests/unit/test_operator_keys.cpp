// Operator keys (libsodium): Ed25519 signatures round-trip and fail on one changed byte; the
// secret half opens only with the passphrase; a PBKDF2 entry is upgraded to Argon2id with a new
// key pair at the next sign-in (file rewritten, audited with the public key); lock-out answers
// are the same words for a name that exists and one that does not; an operators file others can
// write, or owned by another user, is refused.

#include "app/store/operator_key.h"
#include "app/store/operators_file.h"
#include "app/store/passphrase.h"
#include "app/store/passphrase_proof.h"
#include "app/store/sign_in.h"
#include "sqlite_test_support.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

const QString kAlicePass = u"correct horse battery staple"_s;

Operator makeOperator(const QString &name, const QString &passphrase) {
    Operator op{name, name, {u"release_manager"_s}, {}, {}};
    setPassphrase(op, passphrase, kCheapestArgon2Cost);
    return op;
}

} // namespace

class TestOperatorKeys : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(cryptoAvailable()); }
    void signatureRoundTrip();
    void secretHalfOpensOnlyWithThePassphrase();
    void pbkdf2EntryUpgradedAtTheNextSignIn();
    void lockOutAnswersDoNotRevealOperators();
    void operatorsFileOthersCanWriteIsRefused();
    void operatorsFileOwnedByAnotherUserIsRefused();

private:
    QTemporaryDir m_dir;
};

void TestOperatorKeys::signatureRoundTrip() {
    const auto key = SigningKey::generate();
    QVERIFY(key);
    QCOMPARE(key->publicKey().size(), 32);
    const QByteArray message = "cutover-signoff-v2\n3:lab\n";
    const QByteArray signature = key->sign(message);
    QCOMPARE(signature.size(), 64);
    QVERIFY(verifySignature(key->publicKey(), message, signature));
    QByteArray changed = message;
    changed[5] = 'X';
    QVERIFY(!verifySignature(key->publicKey(), changed, signature));
    QVERIFY(!verifySignature(SigningKey::generate()->publicKey(), message, signature));
    QVERIFY(!verifySignature(key->publicKey(), message, signature.left(63)));
    // The same seed gives the same key; Ed25519 signatures are deterministic.
    const auto again = SigningKey::fromSeed(key->seed());
    QCOMPARE(again->publicKey(), key->publicKey());
    QCOMPARE(again->sign(message), signature);
    const QString fingerprint = keyFingerprint(key->publicKey());
    QVERIFY(fingerprint.startsWith(u"ed25519:"_s));
    QCOMPARE(fingerprint.size(), 8 + 64);
    QCOMPARE(fingerprint.mid(8),
             QString::fromLatin1(
                 QCryptographicHash::hash(key->publicKey(), QCryptographicHash::Sha256).toHex()));
    QCOMPARE(shortFingerprint(fingerprint), fingerprint.left(24) + u'…');
    QVERIFY(keyFingerprint("short").isEmpty());
}

void TestOperatorKeys::secretHalfOpensOnlyWithThePassphrase() {
    Operator alice = makeOperator(u"alice"_s, kAlicePass);
    QVERIFY(alice.key && alice.key->isValid());
    QByteArray keyEncryptionKey;
    QVERIFY(verifyPassphrase(kAlicePass, alice.passphrase, &keyEncryptionKey));
    const auto opened = unsealKey(*alice.key, keyEncryptionKey);
    QVERIFY(opened);
    QCOMPARE(opened->publicKey(), alice.key->publicKey);
    QByteArray wrongKey;
    QVERIFY(!verifyPassphrase(u"not it"_s, alice.passphrase, &wrongKey));
    QVERIFY(wrongKey.isEmpty());
    QVERIFY(!unsealKey(*alice.key, QByteArray(32, 'k')));
    SealedKey tampered = *alice.key;
    tampered.sealedSeed[3] = static_cast<char>(tampered.sealedSeed.at(3) ^ 1);
    QVERIFY(!unsealKey(tampered, keyEncryptionKey));
    // A sealed seed put beside another public key (a hand-made entry) does not open.
    SealedKey swapped = *alice.key;
    swapped.publicKey = SigningKey::generate()->publicKey();
    QVERIFY(!unsealKey(swapped, keyEncryptionKey));

    // The background check hands over the opened key with a matching proof, and none otherwise.
    OperatorsFile file;
    file.upsert(alice);
    const PassphraseProof right = checkPassphrase(file, u"alice"_s, kAlicePass);
    QVERIFY(right.matches());
    QVERIFY(right.signingKey());
    QCOMPARE(right.signingKey()->publicKey(), alice.key->publicKey);
    QVERIFY(!right.upgraded());
    QVERIFY(!checkPassphrase(file, u"alice"_s, u"wrong"_s).signingKey());
}

void TestOperatorKeys::pbkdf2EntryUpgradedAtTheNextSignIn() {
    const QString path = m_dir.filePath(u"legacy-operators.json"_s);
    Operator alice{u"alice"_s, u"Alice Martin"_s, {u"release_manager"_s}, {}, {}};
    alice.passphrase = hashPassphrasePbkdf2(kAlicePass, kMinPassphraseIterations);
    OperatorsFile legacy;
    legacy.upsert(alice);
    QVERIFY(!saveOperatorsFile(path, legacy));

    auto store = sqlitetest::openOrFail(m_dir.filePath(u"upgrade.sqlite"_s));
    SignInGuard guard(*store, loadOperatorsFile(path).file.value());
    guard.setOperatorsFilePath(path);
    const SignInResult wrong = guard.verify(u"alice"_s, u"wrong passphrase"_s);
    QVERIFY(!wrong.ok());
    QVERIFY(!wrong.upgraded);
    QVERIFY(loadOperatorsFile(path).file->find(u"alice"_s)->passphrase.isLegacy());

    const PassphraseProof proof = checkPassphrase(guard.operators(), u"alice"_s, kAlicePass);
    QVERIFY(proof.upgraded());
    const SignInResult right = guard.verify(proof);
    QVERIFY2(right.ok(), qPrintable(right.message));
    QVERIFY(right.upgraded);
    QVERIFY(right.op->key);
    QCOMPARE(right.op->passphrase.algorithm, u"argon2id"_s);
    QCOMPARE(proof.signingKey()->publicKey(), right.op->key->publicKey);

    // The file now holds the Argon2id entry and the key; the passphrase is unchanged.
    const OperatorsLoadResult reloaded = loadOperatorsFile(path);
    QVERIFY(reloaded.ok());
    const Operator *upgraded = reloaded.file->find(u"alice"_s);
    QCOMPARE(upgraded->passphrase.algorithm, u"argon2id"_s);
    QCOMPARE(upgraded->key->publicKey, right.op->key->publicKey);
    QCOMPARE(upgraded->displayName, u"Alice Martin"_s);
    QVERIFY(verifyPassphrase(kAlicePass, upgraded->passphrase));
    QCOMPARE(QFile::permissions(path) & (QFileDevice::ReadOther | QFileDevice::WriteOther),
             QFileDevice::Permissions());

    // Audited with the new public key (what --verify-signoffs trusts), never the passphrase.
    const QList<AuditEntry> audit = store->auditEntries().value();
    const auto found = std::find_if(audit.begin(), audit.end(), [](const AuditEntry &e) {
        return e.action == u"passphrase_upgraded"_s;
    });
    QVERIFY(found != audit.end());
    const QJsonObject details = found->detailsObject();
    QCOMPARE(details.value(u"from"_s).toString(), u"pbkdf2-sha256"_s);
    QCOMPARE(details.value(u"to"_s).toString(), u"argon2id"_s);
    QCOMPARE(details.value(u"public_key"_s).toString(),
             QString::fromLatin1(upgraded->key->publicKey.toBase64()));
    QCOMPARE(details.value(u"key_fingerprint"_s).toString(), upgraded->keyFingerprint());
    QVERIFY(details.value(u"saved"_s).toBool());
    for (const AuditEntry &e : audit)
        QVERIFY(!e.details.contains(kAlicePass));

    // The next check is against the new entry: nothing more to upgrade.
    const PassphraseProof next = checkPassphrase(guard.operators(), u"alice"_s, kAlicePass);
    QVERIFY(next.matches());
    QVERIFY(!next.upgraded());
    QVERIFY(guard.verify(next).ok());
}

void TestOperatorKeys::lockOutAnswersDoNotRevealOperators() {
    QDateTime now = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000, QTimeZone::utc());
    OperatorsFile file;
    file.upsert(makeOperator(u"alice"_s, kAlicePass));
    auto store = sqlitetest::openOrFail(m_dir.filePath(u"lockout.sqlite"_s));
    SignInGuard guard(*store, file, [&now] { return now; });
    // The same attempts for a name that exists and one that does not, at the same times.
    QStringList known;
    QStringList unknown;
    QList<SignInResult::Outcome> knownOutcomes;
    QList<SignInResult::Outcome> unknownOutcomes;
    for (int i = 1; i <= 7; ++i) {
        const SignInResult a = guard.verify(u"alice"_s, u"guess %1"_s.arg(i));
        const SignInResult m = guard.verify(u"mallory"_s, u"guess %1"_s.arg(i));
        known.append(a.message);
        unknown.append(m.message);
        knownOutcomes.append(a.outcome);
        unknownOutcomes.append(m.outcome);
        now = now.addSecs(1);
    }
    QCOMPARE(unknown, known);
    QCOMPARE(unknownOutcomes, knownOutcomes);
    QVERIFY2(known.at(4).contains(u"this name is now locked until"_s), qPrintable(known.at(4)));
    QCOMPARE(knownOutcomes.at(5), SignInResult::Outcome::Locked);
    for (const QString &message : known) {
        QVERIFY2(!message.contains(u"alice"_s), qPrintable(message));
        QVERIFY(!message.contains(u"mallory"_s));
    }
    // Break-glass while locked, then after the lock: the same words again.
    QStringList knownGlass;
    QStringList unknownGlass;
    for (int i = 1; i <= 4; ++i) {
        knownGlass.append(guard.verifyBreakGlass(u"alice"_s, u"glass %1"_s.arg(i)).message);
        unknownGlass.append(guard.verifyBreakGlass(u"mallory"_s, u"glass %1"_s.arg(i)).message);
    }
    QCOMPARE(unknownGlass, knownGlass);
    QVERIFY2(knownGlass.constLast().contains(u"break-glass refused"_s),
             qPrintable(knownGlass.constLast()));
    now = now.addSecs(120);
    QCOMPARE(guard.verifyBreakGlass(u"mallory"_s, u"x"_s).message,
             guard.verifyBreakGlass(u"alice"_s, u"x"_s).message);
    // The unknown name is still audited without what was typed.
    for (const AuditEntry &e : store->auditEntries().value()) {
        QVERIFY(!e.actor.contains(u"mallory"_s));
        QVERIFY(!e.details.contains(u"mallory"_s));
        QVERIFY(!e.subject.contains(u"mallory"_s));
    }
}

void TestOperatorKeys::operatorsFileOthersCanWriteIsRefused() {
    const QString path = m_dir.filePath(u"perm-operators.json"_s);
    OperatorsFile file;
    file.upsert(makeOperator(u"alice"_s, kAlicePass));
    QVERIFY(!saveOperatorsFile(path, file));
    const OperatorsLoadResult fine = loadOperatorsFile(path);
    QVERIFY2(fine.ok(), qPrintable(fine.errorText()));
    QFile bytes(path);
    QVERIFY(bytes.open(QIODevice::ReadOnly));
    QCOMPARE(fine.sha256Hex,
             QCryptographicHash::hash(bytes.readAll(), QCryptographicHash::Sha256).toHex());

    QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                            QFileDevice::WriteGroup));
    OperatorsLoadResult refused = loadOperatorsFile(path);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.errorText().contains(u"writable by its group (mode 620)"_s),
             qPrintable(refused.errorText()));
    QVERIFY(refused.errorText().contains(u"chmod go-w"_s));

    QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                            QFileDevice::ReadOther | QFileDevice::WriteOther));
    refused = loadOperatorsFile(path);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.errorText().contains(u"writable by everyone (mode 606)"_s),
             qPrintable(refused.errorText()));
}

void TestOperatorKeys::operatorsFileOwnedByAnotherUserIsRefused() {
    if (::geteuid() != 0)
        QSKIP("giving a file to another user needs root");
    const QString path = m_dir.filePath(u"owned-operators.json"_s);
    OperatorsFile file;
    file.upsert(makeOperator(u"alice"_s, kAlicePass));
    QVERIFY(!saveOperatorsFile(path, file));
    QVERIFY(loadOperatorsFile(path).ok()); // root's own file
    QCOMPARE(::chown(QFile::encodeName(path).constData(), 65534, 65534), 0);
    const OperatorsLoadResult refused = loadOperatorsFile(path);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.errorText().contains(u"owned by uid 65534, not by the user running the "
                                          u"console (uid 0) or root"_s),
             qPrintable(refused.errorText()));
}

QTEST_GUILESS_MAIN(TestOperatorKeys)
#include "test_operator_keys.moc"
