// One audit row edited behind the store's back (raw SQL on the SQLite file): the real binary's
// `--verify-audit --store PATH` exits 1 and names that row's seq; before the edit it said OK.

#include "tests/support/engine_test_support.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEngineAuditTamper : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void editedRowIsNamed();
};

void TestEngineAuditTamper::editedRowIsNamed() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto plan = labPlanWithOperators(state, dir.path());
    QVERIFY(plan);
    const QString storePath = dir.filePath(u"store.sqlite"_s);

    qint64 target = 0;
    qint64 total = 0;
    {
        Console console;
        QVERIFY(console.open(*plan, storePath));
        QVERIFY(tickGate(console, plan->preCutoverGate));
        QVERIFY(signGate(console, plan->preCutoverGate));
        QVERIFY(console.engine->signIn(u"bob"_s, u"wrong passphrase"_s).outcome !=
                store::SignInResult::Outcome::Ok);
        const auto entries = auditOf(*console.store);
        total = entries.size();
        QVERIFY(total > 10);
        // A tick in the middle of the chain: its own hash and every later prev_hash depend on it.
        for (const auto &e : entries) {
            if (e.action == u"check_ticked"_s && e.subject.endsWith(u"/capacity_planning"_s))
                target = e.seq;
        }
        QVERIFY(target > 0 && target < entries.constLast().seq);
    }
    {
        // Counted once the console is closed: its engine may still have recorded that it took
        // the automatic decisions after the count above.
        store::SqliteStore::Options options;
        options.path = storePath;
        auto reopened = store::SqliteStore::open(options);
        QVERIFY(reopened);
        total = auditOf(*reopened.value()).size();
    }
    {
        const ProcessRun before = runConsole({u"--verify-audit"_s, u"--store"_s, storePath});
        QCOMPARE(before.exitCode, 0);
        QVERIFY2(before.out.startsWith(u"OK: %1 entries"_s.arg(total)), qPrintable(before.out));
    }

    const QString connection = u"tamper"_s;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, connection);
        db.setDatabaseName(storePath);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.prepare(u"UPDATE audit_log SET details = ? WHERE seq = ?"_s));
        q.addBindValue(u"{\"ticked_by\":\"mallory\"}"_s);
        q.addBindValue(target);
        QVERIFY(q.exec());
        QCOMPARE(q.numRowsAffected(), 1);
        db.close();
    }
    QSqlDatabase::removeDatabase(connection);

    const ProcessRun after = runConsole({u"--verify-audit"_s, u"--store"_s, storePath});
    qInfo().noquote() << "--verify-audit after the edit:" << after.out.trimmed()
                      << after.err.trimmed();
    QVERIFY(!after.timedOut && !after.crashed);
    QCOMPARE(after.exitCode, 1);
    const QString printed = after.out + after.err;
    QVERIFY2(printed.contains(u"seq %1"_s.arg(target)), qPrintable(printed));
    QVERIFY(!after.out.startsWith(u"OK"_s));
}

QTEST_GUILESS_MAIN(TestEngineAuditTamper)
#include "test_engine_audit_tamper.moc"
