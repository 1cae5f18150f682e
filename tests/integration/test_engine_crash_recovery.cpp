// A console killed with SIGKILL (engine_crash_helper) in the middle of a shift and in the
// middle of sign-offs; the store is reopened by a new engine:
// - the shift: the stored state is Shifting, and engine.start() applies the intended weights
//   again: the stage reaches Stabilizing/Validating/Holding and both LBs hold the 10% weights;
// - the sign-offs: every signature is all-or-nothing (a sign_offs row exists exactly when its
//   gate_signed audit entry does, with the same signature hash; an active signature implies the
//   whole checklist it was signed over);
// - `cutover-console --verify-audit --store PATH` (the real binary) prints "OK: N entries".

#include "tests/support/engine_test_support.h"

#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestEngineCrashRecovery : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void killedDuringShiftResumes();
    void killedDuringSignOffsIsAllOrNothing();

private:
    void verifyAuditWithTheBinary(const QString &storePath);

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
};

void TestEngineCrashRecovery::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
}

void TestEngineCrashRecovery::cleanupTestCase() {
    if (m_lab)
        m_lab->reset(this);
}

void TestEngineCrashRecovery::verifyAuditWithTheBinary(const QString &storePath) {
    const ProcessRun run = runConsole({u"--verify-audit"_s, u"--store"_s, storePath});
    qInfo().noquote() << "--verify-audit:" << run.out.trimmed() << run.err.trimmed();
    QVERIFY(!run.timedOut && !run.crashed);
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.out.startsWith(u"OK: "_s) && run.out.contains(u" entries"_s), qPrintable(run.out));
}

void TestEngineCrashRecovery::killedDuringShiftResumes() {
    QVERIFY(m_lab->reset(this));
    auto restore = qScopeGuard([&] { m_lab->reset(this); });
    const QString storePath = m_dir.filePath(u"shift.sqlite"_s);
    {
        Console console;
        QVERIFY(console.open(*m_plan, storePath));
        QVERIFY(tickGate(console, m_plan->preCutoverGate));
        QVERIFY(signGate(console, m_plan->preCutoverGate));
    }

    QProcess helper;
    helper.setProgram(QStringLiteral(CRASH_HELPER));
    helper.setArguments({u"shift"_s, storePath, m_dir.filePath(u"operators.json"_s)});
    helper.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QSignalSpy finished(&helper, &QProcess::finished);
    helper.start();
    QVERIFY(helper.waitForStarted(10'000));
    if (!finished.wait(90'000)) {
        helper.kill();
        helper.waitForFinished(5'000);
        QFAIL("the helper neither shifted nor died within 90 s");
    }
    qInfo().noquote() << "helper:" << QString::fromUtf8(helper.readAllStandardOutput()).trimmed();
    QCOMPARE(helper.exitStatus(), QProcess::CrashExit);

    // What the dead console left: the intent, committed.
    {
        store::SqliteStore::Options options;
        options.path = storePath;
        auto opened = store::SqliteStore::open(options);
        QVERIFY(opened);
        auto stored = opened.value()->stageState(kEnv);
        QVERIFY(stored && stored.value());
        QCOMPARE(stored.value()->phase, engine::phaseName(Phase::Shifting));
        QCOMPARE(stored.value()->stageIndex, 0);
        const auto weights = m_lab->weights(this);
        qInfo() << "LBs after the kill:" << weights;
    }

    Console console;
    QVERIFY(console.open(*m_plan, storePath));
    QVERIFY(waitForPhase(console, {Phase::Stabilizing, Phase::Validating, Phase::Holding}, 30'000));
    QVERIFY(m_lab->lbsHold(m_lab->weightsFor(10).weights, this));
    const QStringList actions = actionsOf(auditOf(*console.store));
    QVERIFY2(actions.contains(u"shift_resumed"_s), qPrintable(actions.join(u", "_s)));
    QVERIFY2(actions.contains(u"shift_applied"_s), qPrintable(actions.join(u", "_s)));
    // The resumed shift goes on to its validation like any other.
    QVERIFY(waitForPhase(console, {Phase::Holding, Phase::RolledBack}, 60'000));
    QVERIFY2(console.snapshot().phase == Phase::Holding, qPrintable(describe(console.snapshot())));
    auto verification = console.store->verifyAuditChain();
    QVERIFY(verification && verification.value().ok);
    console.close();
    verifyAuditWithTheBinary(storePath);
}

void TestEngineCrashRecovery::killedDuringSignOffsIsAllOrNothing() {
    const QString storePath = m_dir.filePath(u"sign.sqlite"_s);
    const config::Gate *gate = m_plan->gate(m_plan->preCutoverGate);
    QVERIFY(gate);
    int manualItems = 0;
    for (const auto &c : gate->checks)
        manualItems += c.kind == config::Check::Kind::Manual ? 1 : 0;

    for (int round = 1; round <= 3; ++round) {
        QProcess helper;
        helper.setProgram(QStringLiteral(CRASH_HELPER));
        helper.setArguments({u"sign"_s, storePath, m_dir.filePath(u"operators.json"_s)});
        helper.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QSignalSpy finished(&helper, &QProcess::finished);
        QSignalSpy output(&helper, &QProcess::readyReadStandardOutput);
        helper.start();
        QVERIFY(helper.waitForStarted(10'000));
        const int wanted = 2 + int(QRandomGenerator::global()->bounded(6));
        int lines = 0;
        QString last;
        while (lines < wanted && finished.isEmpty()) {
            if (!helper.canReadLine() && !output.wait(30'000))
                break;
            while (helper.canReadLine()) {
                last = QString::fromUtf8(helper.readLine()).trimmed();
                ++lines;
            }
        }
        QVERIFY2(finished.isEmpty(), "the helper ended on its own");
        QVERIFY2(lines >= wanted, qPrintable(u"only %1 progress lines"_s.arg(lines)));
        helper.kill(); // SIGKILL, wherever it is
        QVERIFY(finished.wait(10'000));
        QCOMPARE(helper.exitStatus(), QProcess::CrashExit);
        qInfo().noquote() << "round" << round << ": killed after" << last;

        // Raw view of the file, on its own connection.
        const QString connection = u"crash-check-%1"_s.arg(round);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, connection);
            db.setDatabaseName(storePath);
            QVERIFY(db.open());
            QHash<qint64, QString> rows; // sign-off id -> signature hash
            int active = 0;
            QSqlQuery q(db);
            QVERIFY(q.exec(u"SELECT id, signature_hash, voided_at FROM sign_offs"_s));
            while (q.next()) {
                rows.insert(q.value(0).toLongLong(), q.value(1).toString());
                active += q.value(2).isNull() ? 1 : 0;
            }
            QHash<qint64, QString> audited;
            QVERIFY(q.exec(u"SELECT details FROM audit_log WHERE action = 'gate_signed'"_s));
            while (q.next()) {
                const QJsonObject d =
                    QJsonDocument::fromJson(q.value(0).toString().toUtf8()).object();
                audited.insert(qint64(d.value(u"sign_off_id"_s).toDouble()),
                               d.value(u"signature_hash"_s).toString());
            }
            QCOMPARE(rows, audited);
            QVERIFY(active <= gate->signOff.size());
            QVERIFY(q.exec(u"SELECT COUNT(*) FROM checklist_ticks"_s) && q.next());
            const int ticks = q.value(0).toInt();
            if (active > 0)
                QCOMPARE(ticks, manualItems);
            qInfo() << "  sign_offs rows" << rows.size() << "active" << active << "ticks" << ticks;
            db.close();
        }
        QSqlDatabase::removeDatabase(connection);

        store::SqliteStore::Options options;
        options.path = storePath;
        auto opened = store::SqliteStore::open(options);
        QVERIFY(opened);
        auto verification = opened.value()->verifyAuditChain();
        QVERIFY(verification);
        QVERIFY2(verification.value().ok, qPrintable(verification.value().toString()));
        auto signOffs = opened.value()->signOffs(kEnv);
        QVERIFY(signOffs);
        for (const auto &s : signOffs.value())
            QVERIFY(!s.signatureHash.isEmpty());
        opened.value().reset();
        verifyAuditWithTheBinary(storePath);
    }

    // An engine opens it and sees a consistent gate: signed only over a complete checklist.
    Console console;
    QVERIFY(console.open(*m_plan, storePath));
    for (const auto &g : console.snapshot().gates) {
        if (g.id == gate->id && g.isSigned()) {
            // The ticks (what the crash could have cut in half); automatic items are judged
            // afresh by this engine from Prometheus.
            for (const auto &c : g.checks) {
                if (c.kind == config::Check::Kind::Manual)
                    QVERIFY2(c.state == engine::CheckStatus::State::Pass, qPrintable(c.id));
            }
        }
    }
}

QTEST_GUILESS_MAIN(TestEngineCrashRecovery)
#include "test_engine_crash_recovery.moc"
