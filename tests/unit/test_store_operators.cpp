// Operators and passphrases: the file round-trips and is validated precisely, hashes are
// Argon2id (PBKDF2-SHA256 entries still verify) with a random salt and bounded costs,
// --hash-passphrase reads standard input, a wrong passphrase is refused and audited, five in a row
// lock for a minute (persisted, fake clock), and no passphrase ever reaches the audit log or the
// database file.

#include "app/cli/hash_passphrase.h"
#include "app/store/operators_file.h"
#include "app/store/passphrase.h"
#include "app/store/passphrase_proof.h"
#include "app/store/postgres_store.h"
#include "app/store/sign_in.h"
#include "app/store/sqlite_store.h"
#include "sqlite_test_support.h"

#include <QDir>
#include <QFile>
#include <QFutureWatcher>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover::store;
using cutover::config::Permission;

using sqlitetest::openOrFail;

namespace {

const QString kAlicePass = u"correct horse battery staple"_s;
const QString kBobPass = u"Tr0ub4dor&3-but-longer"_s;

cutover::config::Plan testPlan() {
    cutover::config::Plan plan;
    plan.roles = {{u"release_manager"_s,
                   {Permission::View, Permission::Tick, Permission::Sign, Permission::Shift,
                    Permission::Rollback}},
                  {u"on_call"_s, {Permission::View, Permission::Tick, Permission::Rollback}},
                  {u"executive"_s, {Permission::View, Permission::Tick, Permission::Sign}}};
    return plan;
}

QByteArray readAll(const QString &path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestStoreOperators : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void passphraseHashing();
    void fileRoundTrip();
    void fileErrorsArePrecise_data();
    void fileErrorsArePrecise();
    void hashPassphraseCommand();
    void hashPassphraseCommandRefusals();
    void wrongPassphraseRefusedAndAudited();
    void proofsFromAWorkerThread();
    void fiveFailuresLockForAMinute();
    void unknownOperatorIsAuditedWithoutTheTypedName();
    void lockOutCountedWhileTheSharedStoreIsUnreachable();
    void secretsNeverStored();

private:
    QString storePath() const { return m_dir.filePath(u"store.sqlite"_s); }
    QTemporaryDir m_dir;
    OperatorsFile m_operators;
};

void TestStoreOperators::initTestCase() {
    QVERIFY(m_dir.isValid());
    // The minimum cost keeps the test fast; the default is checked separately.
    Operator alice{u"alice"_s, u"Alice Martin"_s, {u"release_manager"_s}, {}, {}};
    QVERIFY(setPassphrase(alice, kAlicePass, kCheapestArgon2Cost));
    Operator bob{u"bob"_s, u"Bob Okafor"_s, {u"on_call"_s}, {}, {}};
    QVERIFY(setPassphrase(bob, kBobPass, kCheapestArgon2Cost));
    m_operators.operators = {alice, bob};
}

void TestStoreOperators::passphraseHashing() {
    QByteArray keyEncryptionKey;
    const PassphraseHash h = hashPassphrase(kAlicePass, {}, &keyEncryptionKey);
    QCOMPARE(h.algorithm, u"argon2id"_s);
    QCOMPARE(h.passes, kDefaultArgon2Passes);
    QCOMPARE(h.memoryKiB, 64 * 1024);
    QCOMPARE(h.salt.size(), 16);
    QCOMPARE(h.hash.size(), 32);
    QCOMPARE(keyEncryptionKey.size(), 32);
    QVERIFY(keyEncryptionKey != h.hash);
    QByteArray again;
    QVERIFY(verifyPassphrase(kAlicePass, h, &again));
    QCOMPARE(again, keyEncryptionKey);
    QVERIFY(!verifyPassphrase(kAlicePass + u'.', h));
    QVERIFY(!verifyPassphrase(QString(), h));
    // Same passphrase, fresh salt, different hash.
    const PassphraseHash other = hashPassphrase(kAlicePass, kCheapestArgon2Cost);
    QVERIFY(other.salt != h.salt);
    QVERIFY(other.hash != h.hash);
    // Costs outside the limits are clamped when hashing and never accepted when verifying.
    QCOMPARE(hashPassphrase(kAlicePass, {1, 1024}).passes, kMinArgon2Passes);
    PassphraseHash weak = other;
    weak.passes = 1;
    QVERIFY(!verifyPassphrase(kAlicePass, weak));
    PassphraseHash absurd = other;
    absurd.memoryKiB = 64LL * 1024 * 1024; // 64 GiB: refused before any derivation
    QVERIFY(!verifyPassphrase(kAlicePass, absurd));
    QVERIFY(argon2CostProblem(10, 1024 * 1024)); // 10 GiB-passes: seconds per sign-in
    QVERIFY(!argon2CostProblem(3, 64 * 1024));

    // Older PBKDF2 entries still verify, within their own bounds.
    const PassphraseHash legacy = hashPassphrasePbkdf2(kAlicePass, kMinPassphraseIterations);
    QVERIFY(legacy.isLegacy());
    QVERIFY(verifyPassphrase(kAlicePass, legacy));
    QVERIFY(!verifyPassphrase(kBobPass, legacy));
    QCOMPARE(hashPassphrasePbkdf2(kAlicePass, 10).iterations, kMinPassphraseIterations);
    PassphraseHash slow = legacy;
    slow.iterations = 2'000'000'000;
    QVERIFY(!verifyPassphrase(kAlicePass, slow));
    QVERIFY(constantTimeEquals("abc", "abc"));
    QVERIFY(!constantTimeEquals("abc", "abd"));
    QVERIFY(!constantTimeEquals("abc", "abcd"));
}

void TestStoreOperators::fileRoundTrip() {
    const QString path = m_dir.filePath(u"operators.json"_s);
    QVERIFY(!saveOperatorsFile(path, m_operators));
    QCOMPARE(QFile::permissions(path) & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
             QFileDevice::Permissions());
    const cutover::config::Plan plan = testPlan();
    const OperatorsLoadResult loaded = loadOperatorsFile(path, &plan);
    QVERIFY2(loaded.ok(), qPrintable(loaded.errorText()));
    QCOMPARE(loaded.file->operators.size(), 2);
    const Operator *alice = loaded.file->find(u"alice"_s);
    QVERIFY(alice);
    QCOMPARE(alice->displayName, u"Alice Martin"_s);
    QCOMPARE(alice->roles, QStringList{u"release_manager"_s});
    QCOMPARE(alice->passphrase.salt, m_operators.operators.at(0).passphrase.salt);
    QVERIFY(verifyPassphrase(kAlicePass, alice->passphrase));
    QVERIFY(alice->may(plan, Permission::Shift));
    QString via;
    QVERIFY(loaded.file->find(u"bob"_s)->may(plan, Permission::Rollback, &via));
    QCOMPARE(via, u"on_call"_s);
    QVERIFY(!loaded.file->find(u"bob"_s)->may(plan, Permission::Sign));
    QVERIFY(!readAll(path).contains(kAlicePass.toUtf8()));
}

void TestStoreOperators::fileErrorsArePrecise_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    const QByteArray pass = serializeOperators({{m_operators.operators.at(0)}, {}, {}});
    const QByteArray entry = pass.mid(pass.indexOf("{\n            \"display_name"));
    Q_UNUSED(entry);
    QTest::newRow("not json") << QByteArray("{\"operators\": [") << u"ops.json: not valid JSON"_s;
    QTest::newRow("no array") << QByteArray("{}") << u"ops.json: operators: missing"_s;
    QTest::newRow("unknown role")
        << QByteArray(pass).replace("release_manager", "janitor")
        << u"ops.json: operators[0].roles[0]: role 'janitor' is not defined in the plan (roles: "
           u"release_manager, on_call, executive)"_s;
    QTest::newRow("absurd memory")
        << QByteArray(pass).replace("\"memory_kib\": 65536", "\"memory_kib\": 68719476736")
        << u"ops.json: operators[0].passphrase: memory_kib 68719476736: expected 65536 (64 MiB) "
           u"to 1048576 (1 GiB)"_s;
    QTest::newRow("absurd product")
        << QByteArray(pass)
               .replace("\"memory_kib\": 65536", "\"memory_kib\": 1048576")
               .replace("\"passes\": 2", "\"passes\": 8")
        << u"ops.json: operators[0].passphrase: passes × memory_kib = 8388608 KiB: more than "
           u"4194304 KiB"_s;
    QTest::newRow("too few passes") << QByteArray(pass).replace("\"passes\": 2", "\"passes\": 1")
                                    << u"ops.json: operators[0].passphrase: passes 1: expected 2 "
                                       u"to 10"_s;
    Operator legacy = m_operators.operators.at(0);
    legacy.passphrase = hashPassphrasePbkdf2(kAlicePass, kMinPassphraseIterations);
    legacy.key.reset();
    const QByteArray old = serializeOperators({{legacy}, {}, {}});
    QTest::newRow("few iterations")
        << QByteArray(old).replace(QByteArray::number(kMinPassphraseIterations), "1000")
        << u"ops.json: operators[0].passphrase.iterations: expected an integer from 100000 to "
           u"5000000"_s;
    QTest::newRow("absurd iterations")
        << QByteArray(old).replace(QByteArray::number(kMinPassphraseIterations), "900000000")
        << u"ops.json: operators[0].passphrase.iterations: expected an integer from 100000 to "
           u"5000000"_s;
    QByteArray keyWithLegacy = old;
    keyWithLegacy.replace("\"roles\"", "\"key\": {\"algorithm\": \"ed25519\"}, \"roles\"");
    QTest::newRow("key with pbkdf2")
        << keyWithLegacy << u"ops.json: operators[0].key: a key needs an argon2id passphrase"_s;
    QTest::newRow("short public key")
        << QByteArray(pass).replace(m_operators.operators.at(0).key->publicKey.toBase64(), "AAAA")
        << u"ops.json: operators[0].key.public: expected 32 bytes"_s;
    QTest::newRow("unknown key") << QByteArray(pass).replace("\"display_name\"", "\"dispaly\"")
                                 << u"ops.json: operators[0].dispaly: unknown key"_s;
    QTest::newRow("bad algorithm") << QByteArray(pass).replace("\"argon2id\"", "\"md5\"")
                                   << u"ops.json: operators[0].passphrase.algorithm"_s;
    QTest::newRow("bad name") << QByteArray(pass).replace("\"alice\"", "\"al ice\"")
                              << u"ops.json: operators[0].name"_s;
    QByteArray twice = pass;
    const qsizetype open = twice.indexOf('[') + 1;
    const qsizetype close = twice.lastIndexOf(']');
    const QByteArray one = twice.mid(open, close - open).trimmed();
    twice = "{\"operators\": [" + one + "," + one + "]}";
    QTest::newRow("duplicate") << twice << u"ops.json: operators[1].name: duplicate operator"_s;
}

void TestStoreOperators::fileErrorsArePrecise() {
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    const cutover::config::Plan plan = testPlan();
    const OperatorsLoadResult result = parseOperators(json, u"ops.json"_s, &plan);
    QVERIFY(!result.ok());
    QVERIFY2(result.errorText().contains(expected), qPrintable(result.errorText()));
}

void TestStoreOperators::hashPassphraseCommand() {
    const QString file = m_dir.filePath(u"cli/operators.json"_s);
    QVERIFY(QDir().mkpath(m_dir.filePath(u"cli"_s)));
    const cutover::config::Plan plan = testPlan();
    auto run = [&](const cutover::cli::HashPassphraseRequest &request, const QString &stdinText,
                   QString *outText = nullptr, QString *errText = nullptr) {
        QString input = stdinText;
        QString out;
        QString err;
        QTextStream in(&input);
        QTextStream outStream(&out);
        QTextStream errStream(&err);
        const int code =
            cutover::cli::hashPassphraseCommand(request, &plan, in, outStream, errStream);
        if (outText)
            *outText = out;
        if (errText)
            *errText = err;
        return code;
    };
    cutover::cli::HashPassphraseRequest request;
    request.operatorName = u"carol"_s;
    request.roles = {u"executive"_s};
    request.displayName = u"Carol Diaz"_s;
    request.operatorsFile = file;
    request.cost = kCheapestArgon2Cost;
    QString out;
    QCOMPARE(run(request, kAlicePass + u"\n"_s, &out), 0);
    QVERIFY2(out.startsWith(u"added operator carol"_s), qPrintable(out));

    request.operatorName = u"dave"_s;
    request.roles = {u"on_call"_s, u"executive"_s};
    request.displayName.clear();
    QCOMPARE(run(request, kBobPass + u"\r\n"_s), 0);

    // Replacing carol's passphrase keeps dave and carol's printed name.
    request.operatorName = u"carol"_s;
    request.roles = {u"executive"_s};
    QCOMPARE(run(request, u"a brand new passphrase\n"_s, &out), 0);
    QVERIFY(out.startsWith(u"updated operator carol"_s));

    const OperatorsLoadResult loaded = loadOperatorsFile(file, &plan);
    QVERIFY2(loaded.ok(), qPrintable(loaded.errorText()));
    QCOMPARE(loaded.file->operators.size(), 2);
    QCOMPARE(loaded.file->find(u"carol"_s)->displayName, u"Carol Diaz"_s);
    QVERIFY(
        verifyPassphrase(u"a brand new passphrase"_s, loaded.file->find(u"carol"_s)->passphrase));
    QVERIFY(verifyPassphrase(kBobPass, loaded.file->find(u"dave"_s)->passphrase));
    QCOMPARE(loaded.file->find(u"dave"_s)->roles, (QStringList{u"on_call"_s, u"executive"_s}));
    QCOMPARE(loaded.file->find(u"dave"_s)->passphrase.algorithm, u"argon2id"_s);
    // Each entry has a key pair; its secret half opens only with the passphrase.
    const Operator *dave = loaded.file->find(u"dave"_s);
    QVERIFY(dave->key && dave->key->isValid());
    QByteArray keyEncryptionKey;
    QVERIFY(verifyPassphrase(kBobPass, dave->passphrase, &keyEncryptionKey));
    const auto key = unsealKey(*dave->key, keyEncryptionKey);
    QVERIFY(key);
    QCOMPARE(key->publicKey(), dave->key->publicKey);
    const QByteArray bytes = readAll(file);
    QVERIFY(!bytes.contains(kBobPass.toUtf8()));
    QVERIFY(!bytes.contains("a brand new passphrase"));
}

void TestStoreOperators::hashPassphraseCommandRefusals() {
    const cutover::config::Plan plan = testPlan();
    const QString file = m_dir.filePath(u"refusals.json"_s);
    auto run = [&](cutover::cli::HashPassphraseRequest request, const QString &stdinText,
                   QString *errText) {
        QString input = stdinText;
        QString out;
        QTextStream in(&input);
        QTextStream outStream(&out);
        QTextStream errStream(errText);
        return cutover::cli::hashPassphraseCommand(request, &plan, in, outStream, errStream);
    };
    cutover::cli::HashPassphraseRequest request;
    request.operatorName = u"erin"_s;
    request.roles = {u"janitor"_s};
    request.operatorsFile = file;
    QString err;
    QCOMPARE(run(request, kAlicePass, &err), 1);
    QVERIFY2(err.contains(u"janitor"_s), qPrintable(err));
    request.roles = {u"on_call"_s};
    err.clear();
    QCOMPARE(run(request, u"short\n"_s, &err), 1);
    QVERIFY(err.contains(u"at least 8"_s));
    QVERIFY(!err.contains(u"short"_s.prepend(u' ')));
    err.clear();
    QCOMPARE(run(request, QString(), &err), 1); // empty standard input
    request.operatorName.clear();
    QCOMPARE(run(request, kAlicePass, &err), 2);
    QVERIFY(!QFile::exists(file));

    // An invalid existing file is never overwritten.
    QFile broken(file);
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("{ not json");
    broken.close();
    request.operatorName = u"erin"_s;
    err.clear();
    QCOMPARE(run(request, kAlicePass, &err), 1);
    QCOMPARE(readAll(file), QByteArray("{ not json"));
}

void TestStoreOperators::wrongPassphraseRefusedAndAudited() {
    auto store = openOrFail(storePath());
    SignInGuard guard(*store, m_operators);
    const SignInResult wrong = guard.verify(u"alice"_s, u"wrong passphrase"_s, u"sign_in"_s);
    QCOMPARE(wrong.outcome, SignInResult::Outcome::Refused);
    QCOMPARE(wrong.failures, 1);
    QVERIFY(!wrong.op);
    const SignInResult right = guard.verify(u"alice"_s, kAlicePass, u"shift"_s);
    QVERIFY(right.ok());
    QCOMPARE(right.op->displayName, u"Alice Martin"_s);
    QCOMPARE(store->signInState(u"alice"_s).value().failures, 0);

    const auto audit = store->auditEntries().value();
    QCOMPARE(audit.size(), 2);
    QCOMPARE(audit.at(0).action, u"sign_in_failed"_s);
    QCOMPARE(audit.at(0).actor, u"alice"_s);
    QCOMPARE(audit.at(0).detailsObject().value(u"consecutive_failures"_s).toInt(), 1);
    QCOMPARE(audit.at(0).detailsObject().value(u"purpose"_s).toString(), u"sign_in"_s);
    QCOMPARE(audit.at(1).action, u"passphrase_verified"_s);
    QVERIFY(store->verifyAuditChain().value().ok);
}

void TestStoreOperators::proofsFromAWorkerThread() {
    // The derivation on the passphrase pool; the guard then takes the proof (no derivation).
    const auto waitFor = [](const QFuture<PassphraseProof> &future) {
        QFutureWatcher<PassphraseProof> watcher;
        QSignalSpy finished(&watcher, &QFutureWatcherBase::finished);
        watcher.setFuture(future);
        if (!watcher.isFinished())
            finished.wait(10'000);
        return future.isResultReadyAt(0) ? future.result() : PassphraseProof();
    };
    const PassphraseProof right =
        waitFor(checkPassphraseInBackground(m_operators, u"alice"_s, kAlicePass));
    QCOMPARE(right.operatorName(), u"alice"_s);
    QVERIFY(right.matches());
    QVERIFY(right.isFor(*m_operators.find(u"alice"_s)));
    QVERIFY(!right.isFor(*m_operators.find(u"bob"_s)));
    const PassphraseProof wrong =
        waitFor(checkPassphraseInBackground(m_operators, u"alice"_s, kBobPass));
    QVERIFY(!wrong.matches());
    const PassphraseProof nobody =
        waitFor(checkPassphraseInBackground(m_operators, u"mallory"_s, kAlicePass));
    QCOMPARE(nobody.operatorName(), u"mallory"_s);
    QVERIFY(!nobody.matches());
    QVERIFY(!PassphraseProof().matches());

    auto store = openOrFail(storePath());
    SignInGuard guard(*store, m_operators);
    QVERIFY(guard.verify(right, u"sign_in"_s).ok());
    const SignInResult refused = guard.verify(wrong, u"shift"_s);
    QCOMPARE(refused.outcome, SignInResult::Outcome::Refused);
    QCOMPARE(refused.failures, 1);
    QCOMPARE(guard.verify(nobody).outcome, SignInResult::Outcome::Refused);

    // A proof made against a passphrase hash alice no longer has (her entry was re-hashed in
    // between) is stale: refused, asking to type again, and not counted as a failure.
    OperatorsFile rehashed = m_operators;
    Operator alice = *rehashed.find(u"alice"_s);
    QVERIFY(setPassphrase(alice, kAlicePass, kCheapestArgon2Cost));
    rehashed.upsert(alice);
    SignInGuard newGuard(*store, rehashed);
    const SignInResult stale = newGuard.verify(right, u"sign_off"_s);
    QCOMPARE(stale.outcome, SignInResult::Outcome::Refused);
    QVERIFY2(stale.message.contains(u"type it again"_s), qPrintable(stale.message));
    QCOMPARE(store->signInState(u"alice"_s).value().failures, 1);
    QVERIFY(newGuard.verify(checkPassphrase(rehashed, u"alice"_s, kAlicePass), u"sign_off"_s).ok());
}

void TestStoreOperators::fiveFailuresLockForAMinute() {
    QDateTime now = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000, QTimeZone::utc());
    const Clock clock = [&now] {
        return now;
    };
    {
        auto store = openOrFail(storePath());
        SignInGuard guard(*store, m_operators, clock);
        for (int i = 1; i <= 4; ++i) {
            const SignInResult r = guard.verify(u"bob"_s, u"guess number %1"_s.arg(i));
            QCOMPARE(r.outcome, SignInResult::Outcome::Refused);
            QCOMPARE(r.failures, i);
            now = now.addSecs(2);
        }
        const SignInResult fifth = guard.verify(u"bob"_s, u"guess number 5"_s);
        QCOMPARE(fifth.outcome, SignInResult::Outcome::Refused);
        QCOMPARE(fifth.lockedUntil, now.addSecs(60));
        QVERIFY(fifth.message.contains(u"locked"_s));
        // Another operator is not affected.
        QVERIFY(guard.verify(u"alice"_s, kAlicePass).ok());
    }
    // A restart does not reset the lock; the right passphrase is refused while locked.
    auto store = openOrFail(storePath());
    SignInGuard guard(*store, m_operators, clock);
    now = now.addSecs(59);
    const SignInResult locked = guard.verify(u"bob"_s, kBobPass);
    QCOMPARE(locked.outcome, SignInResult::Outcome::Locked);
    QVERIFY2(locked.message.contains(u"locked"_s), qPrintable(locked.message));
    now = now.addSecs(2); // 61 s after the fifth failure
    const SignInResult unlocked = guard.verify(u"bob"_s, kBobPass);
    QVERIFY2(unlocked.ok(), qPrintable(unlocked.message));

    QStringList actions;
    for (const AuditEntry &e : store->auditEntries().value()) {
        if (e.actor == u"bob"_s)
            actions.append(e.action);
    }
    QCOMPARE(actions, (QStringList{u"sign_in_failed"_s, u"sign_in_failed"_s, u"sign_in_failed"_s,
                                   u"sign_in_failed"_s, u"sign_in_failed"_s, u"sign_in_refused"_s,
                                   u"signed_in"_s}));
}

void TestStoreOperators::unknownOperatorIsAuditedWithoutTheTypedName() {
    auto store = openOrFail(m_dir.filePath(u"unknown.sqlite"_s));
    SignInGuard guard(*store, m_operators);
    const QString typed = u"hunter2-typed-in-the-name-field"_s;
    const SignInResult r = guard.verify(typed, u"whatever"_s);
    QCOMPARE(r.outcome, SignInResult::Outcome::Refused);
    QCOMPARE(r.message, u"wrong operator name or passphrase"_s);
    const auto audit = store->auditEntries().value();
    QCOMPARE(audit.size(), 1);
    QCOMPARE(audit.constFirst().action, u"sign_in_failed"_s);
    QVERIFY(!audit.constFirst().actor.contains(typed));
    QVERIFY(!audit.constFirst().details.contains(typed));
}

void TestStoreOperators::secretsNeverStored() {
    const QString path = m_dir.filePath(u"secrets.sqlite"_s);
    {
        auto store = openOrFail(path);
        SignInGuard guard(*store, m_operators);
        QVERIFY(!guard.verify(u"alice"_s, u"almost-the-passphrase"_s).ok());
        QVERIFY(guard.verify(u"alice"_s, kAlicePass, u"sign_off"_s).ok());
        for (const AuditEntry &e : store->auditEntries().value()) {
            const QString row = e.actor + e.subject + e.details;
            QVERIFY(!row.contains(kAlicePass));
            QVERIFY(!row.contains(u"almost-the-passphrase"_s));
        }
    }
    QByteArray raw = readAll(path) + readAll(path + u"-wal"_s);
    QVERIFY(!raw.isEmpty());
    QVERIFY(!raw.contains(kAlicePass.toUtf8()));
    QVERIFY(!raw.contains("almost-the-passphrase"));
}

QTEST_GUILESS_MAIN(TestStoreOperators)
// A shared store whose server cannot be reached (a loopback port nothing listens on), opened as
// the war-room window opens it: sign-in still works, each attempt goes to the local journal, and
// five wrong passphrases still lock the operator (counted in memory).
void TestStoreOperators::lockOutCountedWhileTheSharedStoreIsUnreachable() {
    quint16 port = 0;
    {
        QTcpServer probe; // a free port, closed again at once
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    }
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    PostgresStore::Options options;
    options.url = QUrl(u"postgresql://127.0.0.1:%1/cutover"_s.arg(port));
    options.user = u"cutover"_s;
    options.password = u"never-sent"_s;
    options.journalPath = dir.filePath(u"journal.sqlite"_s);
    options.startUnreachable = true;
    QDateTime now = QDateTime(QDate(2026, 1, 1), QTime(9, 0), QTimeZone::utc());
    options.clock = [&now] {
        return now;
    };
    auto opened = PostgresStore::open(options);
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    PostgresStore &store = *opened.value();
    QVERIFY(!store.signInState(u"bob"_s)); // unreachable: Io, at once

    SignInGuard guard(store, m_operators, [&now] { return now; });
    const SignInResult right = guard.verify(u"bob"_s, kBobPass);
    QVERIFY2(right.ok(), qPrintable(right.message));
    for (int i = 1; i <= 5; ++i) {
        const SignInResult r = guard.verify(u"bob"_s, u"guess %1"_s.arg(i));
        QCOMPARE(r.outcome, SignInResult::Outcome::Refused);
        now = now.addSecs(1);
    }
    const SignInResult locked = guard.verify(u"bob"_s, kBobPass);
    QCOMPARE(locked.outcome, SignInResult::Outcome::Locked);
    now = now.addSecs(61);
    QVERIFY(guard.verify(u"bob"_s, kBobPass).ok());
    // Every attempt recorded, none lost: 1 + 5 + 1 + 1.
    QCOMPARE(store.journalPending(), 8);
}

#include "test_store_operators.moc"
