// Crypto benchmark (not a test). Each figure beside the baseline it replaces, measured in the same
// run with the same inputs:
// - passphrase check: Argon2id at the default cost (3 passes, 64 MiB) and at the cheapest
//   accepted (2 passes, 64 MiB) vs PBKDF2-SHA256 at 310,000 iterations (the previous default);
//   each check includes opening the operator's sealed Ed25519 key when it matches;
// - signing the canonical sign-off record: Ed25519 sign and verify vs its SHA-256 (what a
//   "signature" was before);
// - a whole sign-off as the engine does it off the UI thread: the passphrase check, the key
//   opened, the record signed and committed to SQLite (WAL, synchronous=FULL) with its audit
//   entry — vs the same write unsigned after a PBKDF2 check. Target (issue 16): under 1 s.
// Usage: crypto_bench [ROUNDS] (default 10)

#include "app/store/audit_chain.h"
#include "app/store/operators_file.h"
#include "app/store/passphrase_proof.h"
#include "app/store/sqlite_store.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <functional>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

const QString kPassphrase = u"correct horse battery staple"_s;

void report(const char *what, QList<qint64> nanos) {
    std::sort(nanos.begin(), nanos.end());
    const auto at = [&nanos](double q) {
        return nanos.at(std::min<qsizetype>(nanos.size() - 1, qsizetype(q * nanos.size()))) / 1e6;
    };
    std::printf("%-52s n=%-5lld p50 %9.3f ms  max %9.3f ms\n", what,
                static_cast<long long>(nanos.size()), at(0.5), nanos.constLast() / 1e6);
    std::fflush(stdout);
}

QList<qint64> timed(int rounds, const std::function<void()> &work) {
    QList<qint64> nanos;
    for (int i = 0; i < rounds; ++i) {
        QElapsedTimer clock;
        clock.start();
        work();
        nanos.append(clock.nsecsElapsed());
    }
    return nanos;
}

SignOff record(int i) {
    SignOff s;
    s.environment = u"production"_s;
    s.gate = u"gate_%1"_s.arg(i);
    s.role = u"executive"_s;
    s.operatorName = u"alice"_s;
    s.printedName = u"Alice Martin"_s;
    s.meaning = u"approved"_s;
    s.comment = u"all items verified"_s;
    s.planSha256 = QString(64, u'a');
    s.items = uR"([{"by":"bob","check":"backup_verified","role":"on_call","state":"pass"}])"_s;
    return s;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int rounds = std::max(3, argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 10);
    if (!cryptoAvailable()) {
        std::fprintf(stderr, "libsodium cannot run here\n");
        return 1;
    }
    Operator current{u"alice"_s, u"Alice Martin"_s, {u"executive"_s}, {}, {}};
    setPassphrase(current, kPassphrase);
    Operator cheapest = current;
    setPassphrase(cheapest, kPassphrase, kCheapestArgon2Cost);
    Operator legacy = current;
    legacy.passphrase = hashPassphrasePbkdf2(kPassphrase, kDefaultPassphraseIterations);
    legacy.key.reset();
    OperatorsFile withArgon;
    withArgon.upsert(current);
    OperatorsFile withCheapest;
    withCheapest.upsert(cheapest);
    std::printf("crypto_bench: %d rounds; Argon2id default %d passes / %lld KiB\n", rounds,
                current.passphrase.passes, static_cast<long long>(current.passphrase.memoryKiB));

    report("passphrase check: Argon2id default + open key", timed(rounds, [&] {
               if (!checkPassphrase(withArgon, u"alice"_s, kPassphrase).signingKey())
                   std::abort();
           }));
    report("passphrase check: Argon2id cheapest + open key", timed(rounds, [&] {
               if (!checkPassphrase(withCheapest, u"alice"_s, kPassphrase).signingKey())
                   std::abort();
           }));
    report("baseline: PBKDF2-SHA256 310000 verify", timed(rounds, [&] {
               if (!verifyPassphrase(kPassphrase, legacy.passphrase))
                   std::abort();
           }));
    report("wrong passphrase: Argon2id default", timed(rounds, [&] {
               if (checkPassphrase(withArgon, u"alice"_s, u"wrong"_s).matches())
                   std::abort();
           }));

    const auto key = checkPassphrase(withArgon, u"alice"_s, kPassphrase).signingKey();
    SignOff signedRecord = record(0);
    signedRecord.keyFingerprint = keyFingerprint(key->publicKey());
    signedRecord.auditHeadBefore = QString(64, u'b');
    const QByteArray bytes = canonicalSignOffBytes(signedRecord);
    const int many = rounds * 100;
    QByteArray signature;
    report("Ed25519 sign canonical record", timed(many, [&] { signature = key->sign(bytes); }));
    report("Ed25519 verify canonical record", timed(many, [&] {
               if (!verifySignature(key->publicKey(), bytes, signature))
                   std::abort();
           }));
    report("baseline: SHA-256 of the record",
           timed(many, [&] { (void)QCryptographicHash::hash(bytes, QCryptographicHash::Sha256); }));

    QTemporaryDir dir;
    SqliteStore::Options options;
    options.path = dir.filePath(u"bench.sqlite"_s);
    auto opened = SqliteStore::open(options);
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    Store &store = *opened.value();
    int gate = 0;
    report(
        "whole sign-off: Argon2id + open key + sign + commit", timed(rounds, [&] {
            const auto unlocked = checkPassphrase(withArgon, u"alice"_s, kPassphrase).signingKey();
            SignOff s = record(++gate);
            s.keyFingerprint = keyFingerprint(unlocked->publicKey());
            if (!store.signOff(s, [&unlocked](const QByteArray &b) { return unlocked->sign(b); }))
                std::abort();
        }));
    report("baseline: PBKDF2 310000 + unsigned commit", timed(rounds, [&] {
               if (!verifyPassphrase(kPassphrase, legacy.passphrase))
                   std::abort();
               if (!store.signOff(record(++gate)))
                   std::abort();
           }));
    return 0;
}
