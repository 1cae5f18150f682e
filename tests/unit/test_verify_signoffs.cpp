// --verify-signoffs on a real SQLite store: signed records verify; one byte of a comment changed,
// a signature moved to another gate or environment, a record without a signature, and a key
// swapped in the operators file after the last recorded load are each detected and named. The
// gate_signed audit entry carries the signature; the operators file's load is recorded with its
// SHA-256 and keys, and a second load names what changed.

#include "app/cli/verify_signoffs.h"
#include "app/store/audit_chain.h"
#include "app/store/operators_evidence.h"
#include "app/store/operators_file.h"
#include "app/store/passphrase_proof.h"
#include "sqlite_test_support.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

const QString kAlicePass = u"correct horse battery staple"_s;
const QString kBobPass = u"Tr0ub4dor&3-but-longer"_s;

struct Outcome {
    int code = -1;
    QString out;
    QString err;
};

} // namespace

class TestVerifySignoffs : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void signedRecordsVerify();
    void oneChangedByteIsNamed();
    void signatureMovedToAnotherGateOrEnvironment();
    void unsignedRecordFails();
    void swappedKeyInTheOperatorsFile();
    void operatorsFileChangesAreAudited();

private:
    QString storePath() const { return m_dir->filePath(u"store.sqlite"_s); }
    QString operatorsPath() const { return m_dir->filePath(u"operators.json"_s); }
    // alice and bob with keys; the load recorded; alice signs lab/gate_1, bob lab/gate_2.
    void makeSignedStore();
    SignOff sign(Store &store, const OperatorsFile &file, const QString &name,
                 const QString &passphrase, const QString &gate, const QString &role);
    Outcome verify();

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestVerifySignoffs::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    makeSignedStore();
}

void TestVerifySignoffs::makeSignedStore() {
    OperatorsFile file;
    Operator alice{u"alice"_s, u"Alice Martin"_s, {u"release_manager"_s}, {}, {}};
    QVERIFY(setPassphrase(alice, kAlicePass, kCheapestArgon2Cost));
    Operator bob{u"bob"_s, u"Bob Okafor"_s, {u"executive"_s}, {}, {}};
    QVERIFY(setPassphrase(bob, kBobPass, kCheapestArgon2Cost));
    file.operators = {alice, bob};
    QVERIFY(!saveOperatorsFile(operatorsPath(), file));
    const OperatorsLoadResult loaded = loadOperatorsFile(operatorsPath());
    QVERIFY(loaded.ok());
    auto store = sqlitetest::openOrFail(storePath());
    QVERIFY(store);
    QVERIFY(recordOperatorsLoaded(*store, *loaded.file, u"system"_s));
    const SignOff first =
        sign(*store, *loaded.file, u"alice"_s, kAlicePass, u"gate_1"_s, u"release_manager"_s);
    QVERIFY(first.isSigned());
    QCOMPARE(first.keyFingerprint, loaded.file->find(u"alice"_s)->keyFingerprint());
    QCOMPARE(QByteArray::fromBase64(first.signature.toLatin1()).size(), 64);
    // The head it signed over is the entry before its own gate_signed entry.
    const QList<AuditEntry> audit = store->auditEntries().value();
    QCOMPARE(audit.constLast().action, u"gate_signed"_s);
    QCOMPARE(first.auditHeadBefore, audit.at(audit.size() - 2).hash);
    QCOMPARE(audit.constLast().detailsObject().value(u"signature"_s).toString(), first.signature);
    sign(*store, *loaded.file, u"bob"_s, kBobPass, u"gate_2"_s, u"executive"_s);
}

SignOff TestVerifySignoffs::sign(Store &store, const OperatorsFile &file, const QString &name,
                                 const QString &passphrase, const QString &gate,
                                 const QString &role) {
    const PassphraseProof proof = checkPassphrase(file, name, passphrase);
    const auto key = proof.signingKey();
    if (!key)
        return {};
    SignOff s;
    s.environment = u"lab"_s;
    s.gate = gate;
    s.role = role;
    s.operatorName = name;
    s.printedName = file.find(name)->displayName;
    s.meaning = u"approved"_s;
    s.comment = u"all green"_s;
    s.planSha256 = QString(64, u'a');
    s.items =
        uR"([{"by":"alice","check":"backup_verified","role":"release_manager","state":"pass"}])"_s;
    s.keyFingerprint = keyFingerprint(key->publicKey());
    auto stored = store.signOff(s, [&key](const QByteArray &bytes) { return key->sign(bytes); });
    return stored ? stored.value() : SignOff();
}

Outcome TestVerifySignoffs::verify() {
    cutover::config::StoreConfig config;
    config.path = storePath();
    Outcome outcome;
    QTextStream out(&outcome.out);
    QTextStream err(&outcome.err);
    outcome.code = cutover::cli::verifySignoffsCommand(config, operatorsPath(), out, err);
    return outcome;
}

void TestVerifySignoffs::signedRecordsVerify() {
    const Outcome result = verify();
    QVERIFY2(result.code == 0, qPrintable(result.out + result.err));
    QVERIFY2(
        result.out.contains(u"OK      #1 lab/gate_1 release_manager by Alice Martin (alice)"_s),
        qPrintable(result.out));
    QVERIFY(result.out.contains(u"OK      #2 lab/gate_2 executive by Bob Okafor (bob)"_s));
    QVERIFY(result.out.contains(u"2 sign-off(s): 2 verified, 0 failed"_s));
}

void TestVerifySignoffs::oneChangedByteIsNamed() {
    QVERIFY(sqlitetest::rawSql(storePath(),
                               u"UPDATE sign_offs SET comment = 'all greeN' WHERE id = 1"_s));
    const Outcome result = verify();
    QCOMPARE(result.code, 1);
    QVERIFY2(result.out.contains(u"FAILED  #1 lab/gate_1"_s), qPrintable(result.out));
    QVERIFY(result.out.contains(u"the signature does not match the record"_s));
    QVERIFY(result.out.contains(u"OK      #2"_s));
    QVERIFY(result.out.contains(u"2 sign-off(s): 1 verified, 1 failed"_s));
    // The items list is signed too.
    QVERIFY(sqlitetest::rawSql(storePath(),
                               u"UPDATE sign_offs SET comment = 'all green' WHERE id = 1"_s));
    QVERIFY(sqlitetest::rawSql(storePath(), u"UPDATE sign_offs SET items = replace(items, "
                                            u"'\"pass\"', '\"fail\"') WHERE id = 2"_s));
    const Outcome items = verify();
    QVERIFY2(items.out.contains(u"OK      #1"_s), qPrintable(items.out));
    QVERIFY(items.out.contains(u"FAILED  #2"_s));
}

void TestVerifySignoffs::signatureMovedToAnotherGateOrEnvironment() {
    // Alice's signature, key and content put on gate_3: its signature no longer matches, and its
    // audit entry says where it was made.
    QVERIFY(
        sqlitetest::rawSql(storePath(), u"UPDATE sign_offs SET gate = 'gate_3' WHERE id = 1"_s));
    Outcome result = verify();
    QCOMPARE(result.code, 1);
    QVERIFY2(result.out.contains(u"FAILED  #1 lab/gate_3"_s), qPrintable(result.out));
    QVERIFY(result.out.contains(u"copied from another gate or environment"_s));
    QVERIFY(result.out.contains(u"differs from its audit entry"_s));

    QVERIFY(sqlitetest::rawSql(
        storePath(), u"UPDATE sign_offs SET gate = 'gate_1', environment = 'prod' WHERE id = 1"_s));
    result = verify();
    QCOMPARE(result.code, 1);
    QVERIFY2(result.out.contains(u"FAILED  #1 prod/gate_1"_s), qPrintable(result.out));

    // Bob's signature copied onto alice's row: signed by another key over another record.
    QVERIFY(sqlitetest::rawSql(
        storePath(), u"UPDATE sign_offs SET environment = 'lab', signature = (SELECT signature "
                     u"FROM sign_offs WHERE id = 2) WHERE id = 1"_s));
    result = verify();
    QVERIFY2(result.out.contains(u"FAILED  #1 lab/gate_1"_s), qPrintable(result.out));
    QVERIFY(result.out.contains(u"OK      #2"_s));
}

void TestVerifySignoffs::unsignedRecordFails() {
    auto store = sqlitetest::openOrFail(storePath());
    SignOff plain;
    plain.environment = u"lab"_s;
    plain.gate = u"gate_4"_s;
    plain.role = u"executive"_s;
    plain.operatorName = u"bob"_s;
    plain.printedName = u"Bob Okafor"_s;
    plain.meaning = u"approved"_s;
    QVERIFY(store->signOff(plain)); // no signer: a v1 record, as written before signatures
    const Outcome result = verify();
    QCOMPARE(result.code, 1);
    QVERIFY2(result.out.contains(u"FAILED  #3 lab/gate_4 executive by Bob Okafor (bob)"_s),
             qPrintable(result.out));
    QVERIFY(result.out.contains(u"not signed"_s));
}

void TestVerifySignoffs::swappedKeyInTheOperatorsFile() {
    // Somebody replaces alice's key in the file (to sign in her name later) without a console
    // loading it: her old signature still verifies against the key the log recorded, and the
    // file is named.
    OperatorsFile file = *loadOperatorsFile(operatorsPath()).file;
    Operator alice = *file.find(u"alice"_s);
    QVERIFY(setPassphrase(alice, u"mallory's passphrase"_s, kCheapestArgon2Cost));
    file.upsert(alice);
    QVERIFY(!saveOperatorsFile(operatorsPath(), file));
    Outcome result = verify();
    QCOMPARE(result.code, 1);
    QVERIFY2(result.out.contains(u"OK      #1"_s), qPrintable(result.out));
    QVERIFY(result.out.contains(u"FAILED  operators file "_s + operatorsPath() +
                                u": the key of alice"_s));
    QVERIFY(result.out.contains(u"1 key(s) in the operators file differ from the audit log"_s));

    // A signature made with the swapped key names a key the log never recorded for alice.
    auto store = sqlitetest::openOrFail(storePath());
    const SignOff forged = sign(*store, file, u"alice"_s, u"mallory's passphrase"_s, u"gate_5"_s,
                                u"release_manager"_s);
    QVERIFY(forged.isSigned());
    result = verify();
    QVERIFY2(result.out.contains(u"FAILED  #3 lab/gate_5"_s), qPrintable(result.out));
    QVERIFY(result.out.contains(u"but the audit log recorded"_s));
}

void TestVerifySignoffs::operatorsFileChangesAreAudited() {
    OperatorsFile file = *loadOperatorsFile(operatorsPath()).file;
    Operator alice = *file.find(u"alice"_s);
    alice.roles = {u"release_manager"_s, u"executive"_s};
    file.upsert(alice);
    Operator carol{u"carol"_s, u"Carol Diaz"_s, {u"executive"_s}, {}, {}};
    QVERIFY(setPassphrase(carol, u"carol's passphrase"_s, kCheapestArgon2Cost));
    file.upsert(carol);
    file.operators.removeIf([](const Operator &op) { return op.name == u"bob"_s; });
    QVERIFY(!saveOperatorsFile(operatorsPath(), file));
    const OperatorsLoadResult loaded = loadOperatorsFile(operatorsPath());
    auto store = sqlitetest::openOrFail(storePath());
    const auto recorded = recordOperatorsLoaded(*store, *loaded.file, u"system"_s);
    QVERIFY(recorded);
    const QJsonObject details = recorded.value().detailsObject();
    QCOMPARE(details.value(u"sha256"_s).toString(), QString::fromLatin1(loaded.sha256Hex));
    QVERIFY(details.value(u"changed"_s).toBool());
    const QJsonObject changes = details.value(u"changes"_s).toObject();
    QCOMPARE(changes.value(u"added"_s).toArray(), QJsonArray{u"carol"_s});
    QCOMPARE(changes.value(u"removed"_s).toArray(), QJsonArray{u"bob"_s});
    const QJsonObject roles = changes.value(u"roles_changed"_s).toArray().at(0).toObject();
    QCOMPARE(roles.value(u"name"_s).toString(), u"alice"_s);
    QCOMPARE(roles.value(u"after"_s).toArray().size(), 2);
    QVERIFY(!changes.contains(u"keys_changed"_s));
    // The same file loaded again: recorded, unchanged.
    const auto again = recordOperatorsLoaded(*store, *loaded.file, u"system"_s);
    QVERIFY(!again.value().detailsObject().value(u"changed"_s).toBool());
    QVERIFY(!again.value().detailsObject().contains(u"changes"_s));
    QVERIFY(store->verifyAuditChain().value().ok);
}

QTEST_GUILESS_MAIN(TestVerifySignoffs)
#include "test_verify_signoffs.moc"
