// The hash-chained audit log: it verifies, the canonical form is the documented one, tampering
// (an edited row, a deleted row, a cut tail) is named, two consoles form one chain, exports
// round-trip and still verify, and the --verify-audit command reports it all.

#include "app/cli/verify_audit.h"
#include "app/store/audit_chain.h"
#include "app/store/audit_export.h"
#include "app/store/sqlite_store.h"
#include "sqlite_test_support.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover::store;

using sqlitetest::openOrFail;
using sqlitetest::rawSql;

namespace {

struct Cli {
    int code = -1;
    QString out;
    QString err;
};

Cli verifyCli(const QString &path) {
    Cli r;
    QTextStream out(&r.out);
    QTextStream err(&r.err);
    cutover::config::StoreConfig config;
    config.path = path;
    r.code = cutover::cli::verifyAuditCommand(config, out, err);
    return r;
}

void fill(Store &store, int count) {
    for (int i = 0; i < count; ++i) {
        QVERIFY(store.appendAudit({u"alice"_s,
                                   u"release_manager"_s,
                                   u"test_event"_s,
                                   u"prod"_s,
                                   u"item, \"%1\"\nline two"_s.arg(i),
                                   {{u"i"_s, i}, {u"note"_s, u"ünïcode, \"quotes\""_s}}}));
    }
}

} // namespace

class TestStoreAudit : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_dir.emplace(); // a fresh folder per test function
        QVERIFY(m_dir->isValid());
    }
    void emptyChainVerifies();
    void chainVerifies();
    void canonicalFormIsDocumented();
    void editedRowIsNamed();
    void deletedRowIsBroken();
    void truncatedTailIsBroken();
    void twoConsolesFormOneChain();
    void exportRoundTrip();
    void planLoadedRecordsHash();
    void verifyCommandOnMissingStore();

private:
    QString path() const { return m_dir->filePath(u"audit.sqlite"_s); }
    std::optional<QTemporaryDir> m_dir;
};

void TestStoreAudit::emptyChainVerifies() {
    auto store = openOrFail(path());
    const auto v = store->verifyAuditChain().value();
    QVERIFY(v.ok);
    QCOMPARE(v.entries, 0);
    const Cli cli = verifyCli(path());
    QCOMPARE(cli.code, 0);
    QCOMPARE(cli.out, u"OK: 0 entries, head (none)\n"_s);
}

void TestStoreAudit::chainVerifies() {
    auto store = openOrFail(path());
    fill(*store, 25);
    const auto entries = store->auditEntries().value();
    QCOMPARE(entries.size(), 25);
    QCOMPARE(entries.constFirst().prevHash, genesisHash());
    for (qsizetype i = 1; i < entries.size(); ++i)
        QCOMPARE(entries.at(i).prevHash, entries.at(i - 1).hash);
    const auto v = store->verifyAuditChain().value();
    QVERIFY2(v.ok, qPrintable(v.toString()));
    QCOMPARE(v.entries, 25);
    QCOMPARE(v.headHash, entries.constLast().hash);
    store.reset();
    const Cli cli = verifyCli(path());
    QCOMPARE(cli.code, 0);
    QCOMPARE(cli.out, u"OK: 25 entries, head %1\n"_s.arg(entries.constLast().hash));
    QVERIFY(cli.err.isEmpty());
}

void TestStoreAudit::canonicalFormIsDocumented() {
    // Recompute one entry's hash from the comment in audit_chain.h, independently of the code.
    auto store = openOrFail(path());
    fill(*store, 2);
    const AuditEntry e = store->auditEntries().value().at(1);
    QByteArray bytes = "cutover-audit-v1\n";
    const QList<QByteArray> fields = {
        QByteArray::number(e.seq), QByteArray::number(e.at.toMSecsSinceEpoch()),
        e.actor.toUtf8(),          e.role.toUtf8(),
        e.action.toUtf8(),         e.environment.toUtf8(),
        e.subject.toUtf8(),        e.details.toUtf8(),
        e.prevHash.toUtf8()};
    for (const QByteArray &f : fields)
        bytes += QByteArray::number(f.size()) + ':' + f + '\n';
    QCOMPARE(
        QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()),
        e.hash);
    QCOMPARE(e.details, u"{\"i\":1,\"note\":\"ünïcode, \\\"quotes\\\"\"}"_s);
}

void TestStoreAudit::editedRowIsNamed() {
    {
        auto store = openOrFail(path());
        fill(*store, 10);
    }
    QVERIFY(rawSql(path(), u"UPDATE audit_log SET actor = 'mallory' WHERE seq = 7"_s));
    auto store = openOrFail(path());
    const auto v = store->verifyAuditChain().value();
    QVERIFY(!v.ok);
    QCOMPARE(v.brokenSeq, 7);
    QVERIFY2(v.problem.contains(u"hash"_s), qPrintable(v.problem));
    const Cli cli = verifyCli(path());
    QCOMPARE(cli.code, 1);
    QVERIFY2(cli.err.startsWith(u"BROKEN at seq 7: "_s), qPrintable(cli.err));
    QVERIFY(cli.out.isEmpty());

    // Rewriting the hash too does not help: the next entry's prev_hash no longer matches.
    const AuditEntry seven = store->auditEntries(6, 1).value().constFirst();
    QVERIFY(
        rawSql(path(), u"UPDATE audit_log SET hash = '%1' WHERE seq = 7"_s.arg(auditHash(seven))));
    QCOMPARE(store->verifyAuditChain().value().brokenSeq, 8);
}

void TestStoreAudit::deletedRowIsBroken() {
    {
        auto store = openOrFail(path());
        fill(*store, 10);
    }
    QVERIFY(rawSql(path(), u"DELETE FROM audit_log WHERE seq = 4"_s));
    const Cli cli = verifyCli(path());
    QCOMPARE(cli.code, 1);
    QVERIFY2(cli.err.startsWith(u"BROKEN at seq 4: entry missing"_s), qPrintable(cli.err));
}

void TestStoreAudit::truncatedTailIsBroken() {
    {
        auto store = openOrFail(path());
        fill(*store, 10);
    }
    QVERIFY(rawSql(path(), u"DELETE FROM audit_log WHERE seq >= 9"_s));
    auto store = openOrFail(path());
    const auto v = store->verifyAuditChain().value();
    QVERIFY(!v.ok);
    QCOMPARE(v.brokenSeq, 9);
    // Appending after the cut does not paper over it: the gap stays.
    fill(*store, 1);
    QCOMPARE(store->verifyAuditChain().value().brokenSeq, 9);
    QVERIFY(!store->verifyAuditChain().value().ok);
}

void TestStoreAudit::twoConsolesFormOneChain() {
    auto consoleA = openOrFail(path());
    auto consoleB = openOrFail(path());
    for (int i = 0; i < 20; ++i) {
        QVERIFY(consoleA->appendAudit({u"alice"_s, {}, u"a"_s, {}, {}, {{u"i"_s, i}}}));
        QVERIFY(consoleB->appendAudit({u"bob"_s, {}, u"b"_s, {}, {}, {{u"i"_s, i}}}));
    }
    const auto v = consoleA->verifyAuditChain().value();
    QVERIFY2(v.ok, qPrintable(v.toString()));
    QCOMPARE(v.entries, 40);
    QCOMPARE(consoleB->verifyAuditChain().value().headHash, v.headHash);
}

void TestStoreAudit::exportRoundTrip() {
    auto store = openOrFail(path());
    fill(*store, 12);
    const auto entries = store->auditEntries().value();

    const QString csvPath = m_dir->filePath(u"audit.csv"_s);
    const QString jsonPath = m_dir->filePath(u"audit.json"_s);
    QCOMPARE(exportAuditCsv(*store, csvPath).value(), 12);
    QCOMPARE(exportAuditJson(*store, jsonPath).value(), 12);

    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QString error;
    const auto fromCsv = auditFromCsv(csv.readAll(), &error);
    QVERIFY2(fromCsv, qPrintable(error));
    QCOMPARE(*fromCsv, entries);
    QVERIFY(verifyAuditEntries(*fromCsv).ok);

    QFile json(jsonPath);
    QVERIFY(json.open(QIODevice::ReadOnly));
    const auto fromJson = auditFromJson(json.readAll(), &error);
    QVERIFY2(fromJson, qPrintable(error));
    QCOMPARE(*fromJson, entries);
    QVERIFY(verifyAuditEntries(*fromJson).ok);

    // An exported file that was edited no longer verifies, and says where.
    QList<AuditEntry> edited = *fromJson;
    edited[4].details = u"{}"_s;
    QCOMPARE(verifyAuditEntries(edited).brokenSeq, 5);

    // The export command picks the format by extension.
    store.reset();
    QString out;
    QString err;
    QTextStream outStream(&out);
    QTextStream errStream(&err);
    const QString viaCli = m_dir->filePath(u"cli.csv"_s);
    cutover::config::StoreConfig config;
    config.path = path();
    QCOMPARE(cutover::cli::exportAuditCommand(config, viaCli, outStream, errStream), 0);
    QCOMPARE(out, u"exported 12 entries to %1\n"_s.arg(viaCli));
    QFile cliCsv(viaCli);
    QVERIFY(cliCsv.open(QIODevice::ReadOnly));
    QCOMPARE(*auditFromCsv(cliCsv.readAll()), entries);
}

void TestStoreAudit::planLoadedRecordsHash() {
    auto store = openOrFail(path());
    cutover::config::Plan plan;
    plan.name = u"OTel cutover"_s;
    plan.sourceFile = u"/etc/cutover/plan.yaml"_s;
    plan.sha256Hex = QByteArray(64, 'a');
    const auto entry = recordPlanLoaded(*store, plan, u"alice"_s);
    QVERIFY(entry);
    QCOMPARE(entry.value().action, u"plan_loaded"_s);
    QCOMPARE(entry.value().subject, plan.name);
    QCOMPARE(entry.value().detailsObject().value(u"sha256"_s).toString(), QString(64, u'a'));
    QCOMPARE(entry.value().detailsObject().value(u"file"_s).toString(), plan.sourceFile);
}

void TestStoreAudit::verifyCommandOnMissingStore() {
    const QString missing = m_dir->filePath(u"nothing-here.sqlite"_s);
    const Cli cli = verifyCli(missing);
    QCOMPARE(cli.code, 2);
    QVERIFY(cli.err.contains(missing));
    QVERIFY(!QFile::exists(missing)); // verification never creates a store

    QFile garbage(m_dir->filePath(u"garbage.sqlite"_s));
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write(QByteArray(8192, '\x42'));
    garbage.close();
    const Cli corrupt = verifyCli(garbage.fileName());
    QCOMPARE(corrupt.code, 1);
    QVERIFY2(corrupt.err.startsWith(u"corrupt: "_s), qPrintable(corrupt.err));
}

QTEST_GUILESS_MAIN(TestStoreAudit)
#include "test_store_audit.moc"
